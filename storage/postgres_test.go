package storage_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"

	_ "github.com/lib/pq"

	"github.com/claimflow/claimflow/storage/storagetest"
)

// postgresEnv names the variable that holds the URL of a PostgreSQL database the
// tests may create schemas in. .ci/run sets it; without it the PostgreSQL tests skip.
const postgresEnv = "CLAIMFLOW_TEST_POSTGRES"

var pgAdmin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// postgresDatabase returns the URL of a fresh schema in the test database, dropped
// when the test ends: tests running in parallel never see each other's tables.
func postgresDatabase(t testing.TB) string {
	base := os.Getenv(postgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a database URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", postgresEnv)
	}
	pgAdmin.once.Do(func() {
		pgAdmin.db, pgAdmin.err = sql.Open("postgres", base)
		if pgAdmin.err == nil {
			pgAdmin.err = pgAdmin.db.Ping()
		}
	})
	if pgAdmin.err != nil {
		t.Fatalf("connecting to %s: %v", postgresEnv, pgAdmin.err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	if _, err := pgAdmin.db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := pgAdmin.db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestPostgres runs the conformance suite against PostgreSQL.
func TestPostgres(t *testing.T) {
	t.Parallel()
	if os.Getenv(postgresEnv) == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a database URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", postgresEnv)
	}
	storagetest.Run(t, postgresDatabase)
}
