package storage

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The writer's statements do not watch their context, but a transaction whose
// context ends still fails at its next statement and commits nothing.
func TestWriterStopsAtTheNextStatement(t *testing.T) {
	t.Parallel()
	bg := context.Background()
	st, _ := openTempSQLite(t)

	ctx, cancel := context.WithCancel(bg)
	err := st.InTx(ctx, func(tx *Tx) error {
		if err := insertAudit(ctx, tx, 1); err != nil {
			t.Fatalf("first statement: %v", err)
		}
		cancel()
		return insertAudit(ctx, tx, 2)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("transaction whose context ended: %v, want context.Canceled", err)
	}
	var n int
	if err := st.rdb.GetContext(bg, &n, "SELECT COUNT(*) FROM audit_log WHERE actor = 'test'"); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows committed by a transaction that failed", n)
	}

	// A context that never ends and one still live both run.
	if err := st.InTx(bg, func(tx *Tx) error { return insertAudit(bg, tx, 3) }); err != nil {
		t.Fatal(err)
	}
	live, stop := context.WithTimeout(bg, time.Minute)
	defer stop()
	if err := st.InTx(live, func(tx *Tx) error { return insertAudit(live, tx, 4) }); err != nil {
		t.Fatal(err)
	}
}

func TestQuietContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), quietKey{}, "v"))
	q, err := quiet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if q.Done() != nil {
		t.Error("the quiet context has a Done channel")
	}
	if q.Value(quietKey{}) != "v" {
		t.Error("the quiet context lost a value")
	}
	cancel()
	if !errors.Is(q.Err(), context.Canceled) {
		t.Errorf("quiet context of an ended one: Err %v", q.Err())
	}
	if _, err := quiet(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("quiet of an ended context: %v, want context.Canceled", err)
	}
}

type quietKey struct{}
