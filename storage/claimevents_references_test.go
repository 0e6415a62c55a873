package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestClaimEventReferences checks, on both drivers, that a history row names a
// claim that exists: on PostgreSQL by the statement-level trigger of the posting
// rows migration, on SQLite by the foreign key. A row naming a missing claim is
// refused, alone or among good rows, on insert and on update; a claim with a
// history cannot be deleted nor renumbered; and (PostgreSQL) a delete waits for a
// transaction writing a claim's first history row and is refused once it commits.
func TestClaimEventReferences(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, testClaimEventReferences)
}

func testClaimEventReferences(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	pg := st.Driver() == storage.Postgres
	r := postedRows(t, st) // a claim with a history, payments and entries
	db := st.DB()
	const missing = 987654321
	event := func(claims ...int64) string {
		q := "INSERT INTO claim_events (claim_id, at, from_state, to_state, cause, actor, detail) VALUES "
		for i, c := range claims {
			if i > 0 {
				q += ", "
			}
			q += fmt.Sprintf("(%d, '2025-01-20 00:00:00', 'validated', 'batched', 'system', '', '{}')", c)
		}
		return q
	}
	var eventID int64
	if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT id FROM claim_events WHERE claim_id = %d ORDER BY id LIMIT 1", r.claim)).Scan(&eventID); err != nil {
		t.Fatal(err)
	}
	refused := []struct{ name, q string }{
		{"event of a missing claim", event(missing)},
		{"good events with a bad one", event(r.claim, missing, r.claim)},
		{"event moved to a missing claim", fmt.Sprintf("UPDATE claim_events SET claim_id = %d WHERE id = %d", missing, eventID)},
	}
	for _, c := range refused {
		if _, err := db.ExecContext(ctx, c.q); !isReferenceError(err) {
			t.Errorf("%s: %v, want a foreign key violation", c.name, err)
		}
	}
	if _, err := db.ExecContext(ctx, event(r.claim, r.claim)); err != nil {
		t.Errorf("events of an existing claim: %v", err)
	}

	// A claim named by its history only (no payment, no entry, no line).
	bare, err := st.InsertClaim(ctx, storage.NewClaim{Claim: billing.Claim{PatientControlNumber: "EV1"}, PatientID: r.patient,
		PayerID: r.payer, BillingProviderID: r.provider, State: storage.StateValidated}, storage.Event{Cause: storage.CauseSystem})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		fmt.Sprintf("DELETE FROM claims WHERE id = %d", bare),
		fmt.Sprintf("UPDATE claims SET id = %d WHERE id = %d", missing, bare),
	} {
		if _, err := db.ExecContext(ctx, q); !isReferenceError(err) {
			t.Errorf("%s on a claim with a history: %v, want a foreign key violation", q, err)
		}
	}
	if !pg {
		return
	}
	// A claim without a history yet: its document goes, then its first history row
	// comes in a transaction a delete must wait for.
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`INSERT INTO claims (pcn, state, frequency, patient_id, payer_id, billing_provider_id, charge, created_at, updated_at)
		SELECT 'EV2', state, frequency, patient_id, payer_id, billing_provider_id, charge, created_at, updated_at FROM claims WHERE id = %d`, bare)); err != nil {
		t.Fatal(err)
	}
	var lone int64
	if err := db.QueryRowContext(ctx, "SELECT id FROM claims WHERE pcn = 'EV2'").Scan(&lone); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, event(lone)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := db.ExecContext(ctx, fmt.Sprintf("DELETE FROM claims WHERE id = %d", lone))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the delete did not wait for the transaction naming the claim: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !isReferenceError(err) {
		t.Errorf("deleting a claim named by a history row committed meanwhile: %v", err)
	}
}
