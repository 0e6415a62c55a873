package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/claimflow/claimflow/storage"
)

var _ = register(
	test{"SchemaRefusesOutdated", testSchemaRefusesOutdated},
	test{"SchemaMigrateIdempotent", testSchemaMigrateIdempotent},
	test{"SchemaTooNew", testSchemaTooNew},
	test{"TxRollback", testTxRollback},
	test{"CloseTwice", testCloseTwice},
)

func testSchemaRefusesOutdated(t *testing.T, h *harness) {
	ctx := t.Context()
	_, err := storage.Open(ctx, h.URL(t))
	isErr(t, "opening an empty database", err, storage.ErrSchemaOutdated)
	contains(t, "message", err.Error(), "claimflow migrate up")

	st, err := storage.Open(ctx, h.URL(t), storage.SkipSchemaCheck())
	must(t, err)
	defer st.Close(ctx)
	status := get[storage.SchemaStatus](t)(st.SchemaStatus(ctx))
	if status.Current != 0 || status.Latest != len(storage.Migrations()) || len(status.Pending()) != status.Latest {
		t.Fatalf("status of an empty database: %+v", status)
	}
	applied := get[[]storage.Migration](t)(st.MigrateUp(ctx))
	if len(applied) != status.Latest {
		t.Fatalf("applied %d migrations, want %d", len(applied), status.Latest)
	}
	status = get[storage.SchemaStatus](t)(st.SchemaStatus(ctx))
	if !status.UpToDate() || status.Current != status.Latest {
		t.Fatalf("status after migrating: %+v", status)
	}
	for _, m := range status.Migrations {
		if m.AppliedAt.IsZero() || m.Name == "" {
			t.Fatalf("migration %+v: no name or time", m)
		}
	}
	st2, err := storage.Open(ctx, h.URL(t))
	must(t, err)
	st2.Close(ctx)
}

func testSchemaMigrateIdempotent(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	if applied := get[[]storage.Migration](t)(st.MigrateUp(ctx)); len(applied) != 0 {
		t.Fatalf("migrating a migrated database applied %d", len(applied))
	}
	// Concurrent migrators of an empty database: each migration applied once.
	empty := (&harness{newDB: h.newDB}).URL(t)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s, err := storage.Open(ctx, empty, storage.MigrateOnOpen())
			if err == nil {
				s.Close(ctx)
			}
			errs <- err
		}()
	}
	for range 3 {
		must(t, <-errs)
	}
	st2, err := storage.Open(ctx, empty)
	must(t, err)
	defer st2.Close(ctx)
	status := get[storage.SchemaStatus](t)(st2.SchemaStatus(ctx))
	if !status.UpToDate() {
		t.Fatalf("after concurrent migrations: %+v", status)
	}
}

func testSchemaTooNew(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	_, err := st.DB().ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', CURRENT_TIMESTAMP)")
	must(t, err)
	_, err = storage.Open(ctx, h.URL(t))
	isErr(t, "opening a newer schema", err, storage.ErrSchemaTooNew)
}

func testTxRollback(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	boom := errors.New("boom")
	err := st.InTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.InsertClaim(ctx, storage.NewClaim{Claim: sampleClaim("RB1", day(2025, 1, 2), 10000), PatientID: f.patient1},
			storage.Event{Cause: storage.CauseSystem})
		must(t, err)
		_, err = tx.EnqueueOutbox(ctx, storage.OutboxMessage{Subject: "claims.created", Payload: []byte("RB1")})
		must(t, err)
		// Reads inside the transaction see its writes.
		if _, err := tx.ClaimByPCN(ctx, "RB1"); err != nil {
			t.Errorf("reading inside the transaction: %v", err)
		}
		return boom
	})
	isErr(t, "InTx", err, boom)
	_, err = st.ClaimByPCN(ctx, "RB1")
	isErr(t, "claim after rollback", err, storage.ErrNotFound)
	if msgs := get[[]storage.OutboxMessage](t)(st.PendingOutbox(ctx, 10)); len(msgs) != 0 {
		t.Fatalf("outbox after rollback: %d messages", len(msgs))
	}
}

func testCloseTwice(t *testing.T, h *harness) {
	ctx := t.Context()
	st, err := storage.Open(ctx, h.URL(t), storage.MigrateOnOpen())
	must(t, err)
	must(t, st.Close(ctx))
	must(t, st.Close(ctx))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := st.Close(cctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
