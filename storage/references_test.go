package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
)

// TestPostingReferences checks, on both drivers, that the references of the rows
// posting writes are enforced: on PostgreSQL by the statement-level triggers of
// migrations 0009 and 0010, on SQLite by foreign keys. A row naming a missing row
// is refused, on insert and on update, alone or among good rows; a named row
// cannot be deleted, nor its id changed, nor (PostgreSQL) its table truncated.
func TestPostingReferences(t *testing.T) {
	t.Parallel()
	for name, db := range map[string]func(testing.TB) string{"sqlite": sqliteDatabase, "postgres": postgresDatabase} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testPostingReferences(t, db(t), name == "postgres")
		})
	}
}

// refRows are the ids of one posted claim payment and what it names.
type refRows struct {
	provider, patient, payer, claim, line, line2 int64
	remittance, payment, service, entry          int64
}

func postedRows(t *testing.T, st *storage.Store) refRows {
	t.Helper()
	ctx := context.Background()
	var r refRows
	var err error
	if r.provider, err = st.UpsertBillingProvider(ctx, billing.Provider{NPI: "1234567893", Name: "CLINIC"}); err != nil {
		t.Fatal(err)
	}
	if r.patient, err = st.UpsertPatient(ctx, storage.Patient{AccountNumber: "A1", Person: billing.Person{LastName: "DOE"}}); err != nil {
		t.Fatal(err)
	}
	if r.payer, err = st.UpsertPayer(ctx, storage.Payer{PayerID: "12345", Name: "PLAN"}); err != nil {
		t.Fatal(err)
	}
	cl := billing.Claim{PatientControlNumber: "REF1", Lines: []billing.Line{
		{ControlNumber: "REF1-1", Procedure: billing.Procedure{Code: "99213"}, Charge: 100},
		{ControlNumber: "REF1-2", Procedure: billing.Procedure{Code: "99214"}, Charge: 200},
	}}
	if r.claim, err = st.InsertClaim(ctx, storage.NewClaim{Claim: cl, PatientID: r.patient, PayerID: r.payer,
		BillingProviderID: r.provider, State: storage.StateValidated}, storage.Event{Cause: storage.CauseSystem}); err != nil {
		t.Fatal(err)
	}
	lines, err := st.ClaimLines(ctx, r.claim)
	if err != nil || len(lines) != 2 {
		t.Fatalf("lines %+v %v", lines, err)
	}
	r.line, r.line2 = lines[0].ID, lines[1].ID
	rem := storage.Remittance{PayerIdentifier: "1123", TraceNumber: "T1", PaymentDate: billing.NewDate(2025, 1, 20), TotalPaid: 80,
		Claims: []storage.ClaimPayment{{ClaimID: r.claim, PatientControlNumber: "REF1", Status: "1", Charge: 100, Paid: 80,
			Services: []storage.ServicePayment{{LineID: r.line, ProcedureCode: "99213", Charge: 100, Paid: 80,
				Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: 20}}}}}}}
	if r.remittance, _, err = st.InsertRemittance(ctx, rem); err != nil {
		t.Fatal(err)
	}
	back, err := st.Remittance(ctx, r.remittance)
	if err != nil || len(back.Claims) != 1 || len(back.Claims[0].Services) != 1 {
		t.Fatalf("remittance %+v %v", back, err)
	}
	r.payment, r.service = back.Claims[0].ID, back.Claims[0].Services[0].ID
	posted, err := st.Post(ctx, storage.Entry{PatientID: r.patient, ClaimID: r.claim, LineID: r.line, PayerID: r.payer,
		BillingProviderID: r.provider, Kind: storage.KindInsurancePayment, Bucket: storage.BucketInsurance, Amount: -80,
		EffectiveOn: billing.NewDate(2025, 1, 20), SourceKind: "test", SourceID: "1", IdempotencyKey: "ref/1"})
	if err != nil {
		t.Fatal(err)
	}
	r.entry = posted[0].ID
	if _, err := st.Post(ctx, storage.Entry{Kind: storage.KindReversal, ReversesEntryID: r.entry, EffectiveOn: billing.NewDate(2025, 1, 21),
		SourceKind: "test", SourceID: "2", IdempotencyKey: "ref/1/undo"}); err != nil {
		t.Fatal(err)
	}
	return r
}

// isReferenceError says whether err is the driver's foreign key violation.
func isReferenceError(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

func testPostingReferences(t *testing.T, url string, pg bool) {
	ctx := context.Background()
	st, err := storage.Open(ctx, url, storage.MigrateOnOpen())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	r := postedRows(t, st)
	db := st.DB()
	const missing = 987654321
	now := "'2025-01-20 00:00:00'"
	service := func(payment, line any) string {
		return fmt.Sprintf(`INSERT INTO service_payments (claim_payment_id, line_id, procedure_code, charge, paid, units, remark_codes)
			VALUES (%v, %v, '99213', 1, 1, 1, '[]')`, payment, line)
	}
	entry := func(key string, provider, reverses any) string {
		return fmt.Sprintf(`INSERT INTO ledger_entries (patient_id, claim_id, payer_id, billing_provider_id, kind, bucket, amount,
			effective_on, source_kind, source_id, idempotency_key, reverses_entry_id, created_at)
			VALUES (%d, %d, %d, %v, 'write-off', 'patient', -1, '2025-01-20', 'test', '1', '%s', %v, %s)`,
			r.patient, r.claim, r.payer, provider, key, reverses, now)
	}
	refused := []struct{ name, q string }{
		{"service payment of a missing claim payment", service(missing, r.line)},
		{"service payment of a missing line", service(r.payment, missing)},
		{"entry of a missing billing provider", entry("bad/1", missing, "NULL")},
		{"entry reversing a missing entry", entry("bad/2", "NULL", missing)},
		{"good rows with a bad one", fmt.Sprintf(`INSERT INTO service_payments (claim_payment_id, line_id, procedure_code, charge, paid, units, remark_codes)
			VALUES (%d, %d, 'A', 1, 1, 1, '[]'), (%d, %d, 'B', 1, 1, 1, '[]'), (%d, NULL, 'C', 1, 1, 1, '[]')`,
			r.payment, r.line, r.payment, missing, r.payment)},
		{"service payment moved to a missing line", fmt.Sprintf("UPDATE service_payments SET line_id = %d WHERE id = %d", missing, r.service)},
		{"service payment moved to a missing claim payment", fmt.Sprintf("UPDATE service_payments SET claim_payment_id = %d WHERE id = %d", missing, r.service)},
		{"entry moved to a missing billing provider", fmt.Sprintf("UPDATE ledger_entries SET billing_provider_id = %d WHERE id = %d", missing, r.entry)},
		{"deleting a named claim payment", fmt.Sprintf("DELETE FROM claim_payments WHERE id = %d", r.payment)},
		{"renumbering a named claim payment", fmt.Sprintf("UPDATE claim_payments SET id = %d WHERE id = %d", missing, r.payment)},
		{"deleting a line a service payment names", fmt.Sprintf("DELETE FROM claim_lines WHERE id = %d", r.line)},
		{"deleting a named billing provider", fmt.Sprintf("DELETE FROM billing_providers WHERE id = %d", r.provider)},
		{"renumbering a named billing provider", fmt.Sprintf("UPDATE billing_providers SET id = %d WHERE id = %d", missing, r.provider)},
		{"deleting a reversed entry", fmt.Sprintf("DELETE FROM ledger_entries WHERE id = %d", r.entry)},
	}
	if pg {
		refused = append(refused,
			struct{ name, q string }{"truncating claim payments", "TRUNCATE claim_payments"},
		)
	}
	for _, c := range refused {
		if _, err := db.ExecContext(ctx, c.q); !isReferenceError(err) {
			t.Errorf("%s: %v, want a foreign key violation", c.name, err)
		}
	}

	// Good references pass, in one statement or across several of a transaction
	// that names rows it inserted itself; those rows cannot be deleted either.
	for _, q := range []string{service(r.payment, r.line2), entry("good/1", r.provider, "NULL")} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var pay, svc int64
	if err := tx.QueryRowContext(ctx, fmt.Sprintf(`INSERT INTO claim_payments (remittance_id, claim_id, payment_key, pcn, status, charge, paid,
		patient_responsibility, remark_codes) VALUES (%d, %d, 'own', 'REF1', '1', 1, 1, 0, '[]') RETURNING id`, r.remittance, r.claim)).Scan(&pay); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRowContext(ctx, service(pay, r.line2)+" RETURNING id").Scan(&svc); err != nil {
		t.Fatalf("service payment of a claim payment of the same transaction: %v", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM claim_payments WHERE id = %d", pay)); !isReferenceError(err) {
		t.Errorf("deleting a claim payment named in the same transaction: %v", err)
	}
	tx.Rollback()

	if pg {
		testReferenceLock(t, db, r)
	}
}

// testReferenceLock checks that a row named by an uncommitted row cannot be
// deleted: the delete waits for the naming transaction, then is refused.
func testReferenceLock(t *testing.T, db *sql.DB, r refRows) {
	ctx := context.Background()
	// A line that nothing names yet: the second of the claim (the good service
	// payment above names it; remove that one first).
	if _, err := db.ExecContext(ctx, fmt.Sprintf("DELETE FROM service_payments WHERE line_id = %d", r.line2)); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO service_payments (claim_payment_id, line_id, procedure_code, charge, paid, units, remark_codes)
		VALUES (%d, %d, 'L', 1, 1, 1, '[]')`, r.payment, r.line2)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := db.ExecContext(ctx, fmt.Sprintf("DELETE FROM claim_lines WHERE id = %d", r.line2))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the delete did not wait for the transaction naming the line: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !isReferenceError(err) {
		t.Errorf("deleting a line named by a transaction that committed meanwhile: %v", err)
	}
}
