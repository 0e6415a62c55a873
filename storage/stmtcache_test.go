package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestStmtCache checks that SQLite's transactions run a statement prepared from the
// second transaction that uses it on, with the same results, and never cache a
// statement with many parameters.
func TestStmtCache(t *testing.T) {
	ctx := t.Context()
	st, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "c.db"), MigrateOnOpen())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	const q = "SELECT COUNT(*) FROM claims WHERE id > ?"
	many := "SELECT COUNT(*) FROM claims WHERE id IN (" + strings.TrimSuffix(strings.Repeat("?, ", maxCachedParams+1), ", ") + ")"
	manyArgs := make([]any, maxCachedParams+1)
	for i := range manyArgs {
		manyArgs[i] = i
	}
	for round := range 3 {
		err := st.InTx(ctx, func(tx *Tx) error {
			for range 2 { // twice in one transaction: bound once
				var n int
				if err := tx.queryRow(ctx, q, 0).Scan(&n); err != nil || n != 0 {
					t.Fatalf("round %d: %d claims, %v", round, n, err)
				}
				if err := tx.queryRow(ctx, many, manyArgs...).Scan(&n); err != nil || n != 0 {
					t.Fatalf("round %d, many parameters: %d claims, %v", round, n, err)
				}
			}
			if _, bound := tx.txStmts[q]; bound != (round > 0) {
				t.Fatalf("round %d: statement bound to the transaction %v, want %v", round, bound, round > 0)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	st.stmts.mu.Lock()
	defer st.stmts.mu.Unlock()
	if _, ok := st.stmts.stmts[q]; !ok {
		t.Fatal("statement not cached")
	}
	if _, ok := st.stmts.stmts[many]; ok || st.stmts.pending[many] {
		t.Fatal("statement with many parameters cached")
	}
}
