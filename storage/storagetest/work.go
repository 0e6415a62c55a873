package storagetest

import (
	"testing"
	"time"

	"github.com/claimflow/claimflow/storage"
)

var _ = register(
	test{"WorkQueue", testWorkQueue},
	test{"AuditLog", testAuditLog},
	test{"Outbox", testOutbox},
)

func testWorkQueue(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "W1", f.patient1, f.payerA, day(2025, 1, 6), 100)
	it := storage.WorkItem{Kind: storage.WorkRejection, DedupKey: "277/x/1", ClaimID: c.ID, Codes: []string{"A7:562:85"},
		Field: "claims[0].billing_provider.npi", Message: "billing provider NPI not on file with the payer"}
	id, isNew := get2(t)(st.AddWorkItem(ctx, it))
	id2, isNew2 := get2(t)(st.AddWorkItem(ctx, it))
	if !isNew || isNew2 || id != id2 {
		t.Fatal("the same problem queued twice")
	}
	// Items without a dedup key are all kept.
	for range 2 {
		_, _ = get2(t)(st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkException, Message: "failed balancing"}))
	}
	must(t, st.AssignWorkItem(ctx, id, "alice"))
	must(t, st.SetWorkStatus(ctx, id, storage.WorkInProgress))
	_ = get[int64](t)(st.AddWorkNote(ctx, id, "alice", "called the payer"))
	_ = get[int64](t)(st.AddWorkNote(ctx, id, "alice", "fixed the NPI"))
	got := get[storage.WorkItem](t)(st.WorkItem(ctx, id))
	if got.Assignee != "alice" || got.Status != storage.WorkInProgress || len(got.Notes) != 2 || got.Notes[1].Text != "fixed the NPI" ||
		got.Field != it.Field || got.Codes[0] != "A7:562:85" || got.DedupKey != it.DedupKey || got.ClaimID != c.ID {
		t.Fatalf("work item: %+v", got)
	}
	if l := get[[]storage.WorkItem](t)(st.WorkItems(ctx, storage.WorkFilter{Kind: storage.WorkException, Status: storage.WorkOpen})); len(l) != 2 {
		t.Fatalf("open exceptions: %d", len(l))
	}
	if l := get[[]storage.WorkItem](t)(st.WorkItems(ctx, storage.WorkFilter{Assignee: "alice"})); len(l) != 1 || l[0].ID != id {
		t.Fatalf("alice's items: %+v", l)
	}
	if l := get[[]storage.WorkItem](t)(st.WorkItems(ctx, storage.WorkFilter{Limit: 1, AfterID: id})); len(l) != 1 || l[0].ID <= id {
		t.Fatalf("paging: %+v", l)
	}
	isErr(t, "bad status", st.SetWorkStatus(ctx, id, "lost"), storage.ErrInvalid)
	isErr(t, "missing item", st.AssignWorkItem(ctx, id+100, "bob"), storage.ErrNotFound)
}

func testAuditLog(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	_ = get[int64](t)(st.WriteAudit(ctx, storage.AuditRecord{Actor: "alice", Action: storage.AuditRead, SubjectKind: "patient",
		SubjectID: f.patient1, Fields: []string{"last_name", "birth_date"}, Purpose: "patient call"}))
	_ = get[int64](t)(st.WriteAudit(ctx, storage.AuditRecord{Actor: "bob", Action: storage.AuditChange, SubjectKind: "patient",
		SubjectID: f.patient1, Fields: []string{"address"}}))
	_ = get[int64](t)(st.WriteAudit(ctx, storage.AuditRecord{Actor: "alice", Action: storage.AuditRead, SubjectKind: "patient",
		SubjectID: f.patient2, Fields: []string{"member_id"}}))
	l := get[[]storage.AuditRecord](t)(st.AuditLog(ctx, storage.AuditFilter{SubjectKind: "patient", SubjectID: f.patient1}))
	if len(l) != 2 || l[0].Actor != "alice" || l[0].Fields[1] != "birth_date" || l[1].Action != storage.AuditChange || l[0].At.IsZero() {
		t.Fatalf("audit of patient 1: %+v", l)
	}
	if l := get[[]storage.AuditRecord](t)(st.AuditLog(ctx, storage.AuditFilter{Actor: "alice"})); len(l) != 2 {
		t.Fatalf("alice's reads: %+v", l)
	}
	if l := get[[]storage.AuditRecord](t)(st.AuditLog(ctx, storage.AuditFilter{Since: time.Now().Add(time.Hour)})); len(l) != 0 {
		t.Fatalf("future records: %+v", l)
	}
	_, err := st.WriteAudit(ctx, storage.AuditRecord{Actor: "x", Action: "peek", SubjectKind: "patient", SubjectID: 1})
	isErr(t, "bad action", err, storage.ErrInvalid)
}

func testOutbox(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "O1", f.patient1, f.payerA, day(2025, 1, 6), 100)
	// A state change and its event in one transaction.
	must(t, st.InTx(ctx, func(tx *storage.Tx) error {
		if err := tx.TransitionClaim(ctx, c.ID, storage.StateValidated, storage.Event{Cause: storage.CauseScrubber}); err != nil {
			return err
		}
		_, err := tx.EnqueueOutbox(ctx, storage.OutboxMessage{Subject: "claims.validated", Payload: []byte(`{"claim":1}`)})
		return err
	}))
	id2 := get[int64](t)(st.EnqueueOutbox(ctx, storage.OutboxMessage{Subject: "claims.batched"}))
	pending := get[[]storage.OutboxMessage](t)(st.PendingOutbox(ctx, 10))
	if len(pending) != 2 || pending[0].Subject != "claims.validated" || string(pending[0].Payload) != `{"claim":1}` || pending[1].ID != id2 {
		t.Fatalf("pending: %+v", pending)
	}
	must(t, st.MarkOutboxPublished(ctx, pending[0].ID))
	must(t, st.MarkOutboxPublished(ctx, pending[0].ID)) // again: harmless
	if p := get[[]storage.OutboxMessage](t)(st.PendingOutbox(ctx, 10)); len(p) != 1 || p[0].ID != id2 {
		t.Fatalf("pending after publishing: %+v", p)
	}
	_, err := st.EnqueueOutbox(ctx, storage.OutboxMessage{})
	isErr(t, "no subject", err, storage.ErrInvalid)
}
