package storage_test

import (
	"path/filepath"
	"testing"

	"github.com/claimflow/claimflow/storage/storagetest"
)

// sqliteDatabase returns a fresh SQLite file for one test.
func sqliteDatabase(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "claimflow.db")
}

// TestSQLite runs the conformance suite against SQLite.
func TestSQLite(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, sqliteDatabase)
}
