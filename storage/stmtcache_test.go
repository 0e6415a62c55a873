package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// TestStmtCache checks that SQLite's transactions prepare a statement the first
// time one runs it and run that same prepared statement in later transactions,
// with the same results, and never cache a statement with many parameters.
func TestStmtCache(t *testing.T) {
	ctx := t.Context()
	st, _ := openTempSQLite(t)
	const q = "SELECT COUNT(*) FROM claims WHERE id > ?"
	many := "SELECT COUNT(*) FROM claims WHERE id IN (" + strings.TrimSuffix(strings.Repeat("?, ", maxCachedParams+1), ", ") + ")"
	manyArgs := make([]any, maxCachedParams+1)
	for i := range manyArgs {
		manyArgs[i] = i
	}
	cached := func() (*sqlx.Stmt, bool) {
		st.stmts.mu.Lock()
		defer st.stmts.mu.Unlock()
		_, isMany := st.stmts.stmts[many]
		return st.stmts.stmts[q], isMany
	}
	var first *sqlx.Stmt
	for round := range 3 {
		err := st.InTx(ctx, func(tx *Tx) error {
			for range 2 {
				var n int
				if err := tx.queryRow(ctx, q, 0).Scan(&n); err != nil || n != 0 {
					t.Fatalf("round %d: %d claims, %v", round, n, err)
				}
				if err := tx.queryRow(ctx, many, manyArgs...).Scan(&n); err != nil || n != 0 {
					t.Fatalf("round %d, many parameters: %d claims, %v", round, n, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		stmt, isMany := cached()
		switch {
		case stmt == nil:
			t.Fatalf("round %d: statement not cached", round)
		case first == nil:
			first = stmt
		case stmt != first:
			t.Fatalf("round %d: statement prepared again", round)
		}
		if isMany {
			t.Fatal("statement with many parameters cached")
		}
	}
}

// TestWriterConnRecovers closes the writer's connection under the store, as a
// broken connection would be: the next transaction fails, the one after runs on a
// new connection with its statements prepared again.
func TestWriterConnRecovers(t *testing.T) {
	ctx := t.Context()
	st, _ := openTempSQLite(t)
	count := func(tx *Tx) error {
		var n int
		return tx.queryRow(ctx, "SELECT COUNT(*) FROM claims WHERE id > ?", 0).Scan(&n)
	}
	if err := st.InTx(ctx, count); err != nil {
		t.Fatal(err)
	}
	old := st.wconn
	old.Close()
	if err := st.InTx(ctx, count); err == nil {
		t.Fatal("a transaction on a closed connection succeeded")
	}
	if err := st.InTx(ctx, count); err != nil {
		t.Fatalf("after a new connection: %v", err)
	}
	if st.wconn == old || st.wconn == nil {
		t.Fatal("the writer kept its closed connection")
	}
}

// openTempSQLite opens a migrated SQLite store in a temporary directory, closed
// when the test ends, and returns it with its file's path.
func openTempSQLite(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.db")
	st, err := Open(context.Background(), "sqlite://"+path, MigrateOnOpen())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st, path
}

// TestTxAfterClose: a transaction begun after Close fails at once.
func TestTxAfterClose(t *testing.T) {
	st, _ := openTempSQLite(t)
	if err := st.InTx(context.Background(), func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- st.InTx(context.Background(), func(*Tx) error { return nil }) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a transaction after Close succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a transaction after Close still waits after 10 s")
	}
}
