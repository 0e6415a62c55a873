package storage_test

import (
	"os"
	"testing"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage/storagetest"
)

// postgresEnv names the variable that holds the URL of a PostgreSQL database the
// tests may create schemas in. .ci/run sets it; without it the PostgreSQL tests skip.
const postgresEnv = testenv.PostgresEnv

// postgresDatabase returns the URL of a fresh schema in the test database, dropped
// when the test ends: tests running in parallel never see each other's tables.
func postgresDatabase(t testing.TB) string { return testenv.PostgresURL(t) }

// TestPostgres runs the conformance suite against PostgreSQL.
func TestPostgres(t *testing.T) {
	t.Parallel()
	if os.Getenv(postgresEnv) == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a database URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", postgresEnv)
	}
	storagetest.Run(t, postgresDatabase)
}
