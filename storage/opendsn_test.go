package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/storage"
)

// TestOpenErrorHidesPassword: the error of a database URL that storage.Open refuses,
// cannot parse or cannot connect to never shows its password (the CLI prints it,
// whether the URL came from --database or $CLAIMFLOW_DATABASE_URL).
func TestOpenErrorHidesPassword(t *testing.T) {
	t.Parallel()
	const secret = "S3cretPW"
	for _, dsn := range []string{
		"Postgres://claim:" + secret + "@db.example/claimflow",                    // scheme in capitals: taken for SQLite
		"mysql://claim:" + secret + "@db.example/claimflow",                       // another scheme
		"postgres://claim:" + secret + "@db.example:5x32/claimflow",               // a typo in the port: url.Parse fails
		"postgres://claim:" + secret + "@127.0.0.1:1/claimflow?connect_timeout=2", // nothing listens
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := storage.Open(ctx, dsn)
		cancel()
		if err == nil {
			st.Close(context.Background())
			t.Errorf("Open(%s...) succeeded", dsn[:12])
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error of Open shows the password: %v", err)
		}
	}
}
