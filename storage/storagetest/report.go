package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/storage"
)

var _ = register(
	test{"ReportSummary", testReportSummary},
	test{"ReportAgingTable", testReportAgingTable},
)

// reportWorld is a small practice with one claim of each fate.
type reportWorld struct {
	*fixture
	paid, held, payerRejected, denied, draft, resent storage.Claim
}

// walk moves a claim through states, failing the test on a refused transition.
func walk(t testing.TB, st *storage.Store, id int64, cause storage.Cause, states ...storage.ClaimState) {
	t.Helper()
	for _, s := range states {
		must(t, st.TransitionClaim(t.Context(), id, s, storage.Event{Cause: cause, Actor: "test"}))
	}
}

// submit puts claims in a new submission numbered isa13.
func submit(t testing.TB, st *storage.Store, isa13 string, claims ...storage.Claim) {
	t.Helper()
	sub := storage.Submission{Clearinghouse: "sim", FileName: "f" + isa13 + ".x12", SHA256: "sha" + isa13, ISA13: isa13,
		Size: 10, Status: storage.SubmissionTransmitted}
	for _, c := range claims {
		sub.Claims = append(sub.Claims, storage.SubmittedClaim{ClaimID: c.ID,
			Trace: x837p.Trace{PatientControlNumber: c.PatientControlNumber, ISA13: isa13, GS06: isa13, ST02: "0001", CLM: 5, Lines: []int{6}}})
	}
	_ = get[int64](t)(st.InsertSubmission(t.Context(), sub))
}

// pay posts a claim payment for c of paid cents with the adjustments, and its ledger
// entries: payment, CO adjustments and PR transfers.
func pay(t testing.TB, st *storage.Store, remitID int64, remitKey string, c storage.Claim, paid billing.Money, adj ...billing.Adjustment) {
	t.Helper()
	cp := storage.ClaimPayment{RemittanceID: remitID, ClaimID: c.ID, PatientControlNumber: c.PatientControlNumber,
		Status: "1", Charge: c.Charge, Paid: paid, PayerClaimNumber: "ICN" + c.PatientControlNumber, Adjustments: adj}
	var patient billing.Money
	for _, a := range adj {
		if a.Group == "PR" {
			patient += a.Amount
		}
	}
	cp.PatientResponsibility = patient
	cp.Key = storage.ClaimPaymentKey(remitKey, &cp)
	base := storage.Entry{PatientID: c.PatientID, ClaimID: c.ID, PayerID: c.PayerID, EffectiveOn: day(2025, 2, 1)}
	var es []storage.Entry
	if paid != 0 {
		e := base
		e.Kind, e.Bucket, e.Amount, e.IdempotencyKey = storage.KindInsurancePayment, storage.BucketInsurance, -paid, cp.Key+"/pay"
		es = append(es, e)
	}
	for i, a := range adj {
		key := fmt.Sprintf("%s/%d", cp.Key, i)
		if a.Group == "PR" {
			b := base
			b.IdempotencyKey, b.Reason = key, "PR-"+a.Reason
			tr := storage.TransferEntries(b, storage.KindCoinsurance, a.Amount, storage.BucketInsurance, storage.BucketPatient, 0)
			es = append(es, tr[:]...)
			continue
		}
		e := base
		e.Kind, e.Bucket, e.Amount, e.IdempotencyKey, e.Reason = storage.KindContractualAdjustment, storage.BucketInsurance, -a.Amount, key, a.Group+"-"+a.Reason
		es = append(es, e)
	}
	_ = get[storage.PostSummary](t)(st.PostClaimPayments(t.Context(), []storage.PaymentPosting{{Payment: cp, Entries: es}}))
}

func newReportWorld(t *testing.T, st *storage.Store) *reportWorld {
	ctx := t.Context()
	f := newFixture(t, st)
	w := &reportWorld{fixture: f}
	dos := day(2025, 1, 6)
	w.paid = f.addClaim(t, "R-PAID", f.patient1, f.payerA, dos, 20000)
	w.held = f.addClaim(t, "R-HELD", f.patient1, f.payerA, dos, 10000)
	w.payerRejected = f.addClaim(t, "R-PREJ", f.patient2, f.payerB, dos, 15000)
	w.denied = f.addClaim(t, "R-DENY", f.patient2, f.payerA, dos, 30000)
	w.draft = f.addClaim(t, "R-DRAFT", f.patient2, f.payerA, dos, 5000)
	w.resent = f.addClaim(t, "R-RESENT", f.patient1, f.payerB, dos, 8000)

	sent := []storage.Claim{w.paid, w.payerRejected, w.denied, w.resent}
	for _, c := range sent {
		walk(t, st, c.ID, storage.CauseSystem, storage.StateValidated, storage.StateBatched, storage.StateTransmitted)
		_ = get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(c, dos)...))
	}
	submit(t, st, "000000001", sent...)
	walk(t, st, w.held.ID, storage.CauseScrubber, storage.StateHeld)
	_, _, err := st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkRejection, DedupKey: "held", ClaimID: w.held.ID,
		Codes: []string{"diagnosis-pointer"}, Field: "claims[0].lines[0].diagnosis_pointers[0]", Status: storage.WorkOpen})
	must(t, err)
	walk(t, st, w.payerRejected.ID, storage.Cause277CAPayer, storage.StatePayerRejected)
	_, _, err = st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkRejection, DedupKey: "prej", ClaimID: w.payerRejected.ID,
		Codes: []string{"277CA", "A3:33", "A7:164:IL"}, Status: storage.WorkOpen})
	must(t, err)
	// A resolved rejection is not counted among the reasons.
	_, _, err = st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkRejection, DedupKey: "old", ClaimID: w.resent.ID,
		Codes: []string{"A7:400"}, Status: storage.WorkResolved})
	must(t, err)
	// The resent claim: rejected by the 999, sent again, then accepted by the payer.
	walk(t, st, w.resent.ID, storage.Cause999, storage.StateSyntaxRejected)
	walk(t, st, w.resent.ID, storage.CauseSystem, storage.StateValidated, storage.StateBatched, storage.StateTransmitted)
	submit(t, st, "000000002", w.resent)
	walk(t, st, w.resent.ID, storage.Cause277CAPayer, storage.StatePayerAccepted)
	walk(t, st, w.paid.ID, storage.Cause277CAPayer, storage.StatePayerAccepted)
	walk(t, st, w.denied.ID, storage.Cause277CAPayer, storage.StatePayerAccepted)

	r := storage.Remittance{PayerIdentifier: "1999", TraceNumber: "T1", PaymentDate: day(2025, 2, 1), TotalPaid: 12000}
	rid, _ := get2(t)(st.InsertRemittance(ctx, r))
	rkey := storage.RemitKey(r.PayerIdentifier, r.TraceNumber, r.PaymentDate, r.TotalPaid)
	// Paid: 200.00 charged, 120.00 paid, CO-45 50.00, PR-2 30.00.
	pay(t, st, rid, rkey, w.paid, 12000, billing.Adjustment{Group: "CO", Reason: "45", Amount: 5000},
		billing.Adjustment{Group: "PR", Reason: "2", Amount: 3000})
	walk(t, st, w.paid.ID, storage.Cause835, storage.StatePaid)
	// Denied: CO-50 on the whole charge.
	pay(t, st, rid, rkey, w.denied, 0, billing.Adjustment{Group: "CO", Reason: "50", Amount: 30000})
	walk(t, st, w.denied.ID, storage.Cause835, storage.StateDenied)
	_, _, err = st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkDenial, DedupKey: "deny", ClaimID: w.denied.ID,
		Codes: []string{"CO-50", "N115"}, Status: storage.WorkOpen})
	must(t, err)
	// The patient pays 10.00 of the 30.00.
	_ = get[[]storage.Posted](t)(st.Post(ctx, storage.Entry{PatientID: w.paid.PatientID, ClaimID: w.paid.ID,
		Kind: storage.KindPatientPayment, Bucket: storage.BucketPatient, Amount: -1000, EffectiveOn: day(2025, 2, 10),
		SourceKind: "person", SourceID: "test", IdempotencyKey: "pp1"}))
	return w
}

func testReportSummary(t *testing.T, h *harness) {
	st := h.Store(t)
	empty := get[storage.Summary](t)(st.Summary(t.Context()))
	if empty.Claims != 0 || empty.Clean.Percent() != 0 || empty.RejectionReasons != nil || len(empty.OpenWork) != 0 {
		t.Fatalf("empty store's summary: %+v", empty)
	}
	w := newReportWorld(t, st)
	s := get[storage.Summary](t)(st.Summary(t.Context()))

	equal(t, "by state", s.ByState, map[storage.ClaimState]int64{
		storage.StatePaid: 1, storage.StateHeld: 1, storage.StatePayerRejected: 1, storage.StateDenied: 1,
		storage.StateDraft: 1, storage.StatePayerAccepted: 1,
	})
	equal(t, "counts", [7]int64{s.Claims, s.Submitted, s.Pending, s.Rejected, s.Paid, s.Denied, s.Other},
		[7]int64{6, 4, 2, 2, 1, 1, 0})
	equal(t, "rejection reasons", s.RejectionReasons, []storage.ReasonCount{{Code: "A3:33", Count: 1}, {Code: "diagnosis-pointer", Count: 1}})
	equal(t, "denial reasons", s.DenialReasons, []storage.ReasonCount{{Code: "CO-50", Count: 1}})
	equal(t, "open work", s.OpenWork, map[storage.WorkKind]int64{storage.WorkRejection: 2, storage.WorkDenial: 1})
	equal(t, "money", s.Money, storage.MoneySummary{
		Charged: 20000 + 15000 + 30000 + 8000, InsurancePaid: 12000, Adjusted: 5000 + 30000,
		PatientResponsibility: 3000, PatientPaid: 1000,
		InsuranceOutstanding: 15000 + 8000, PatientOutstanding: 2000,
	})
	m := s.Money
	if m.Charged != m.InsurancePaid+m.Adjusted+m.PatientPaid+m.InsuranceOutstanding+m.PatientOutstanding {
		t.Fatalf("money does not balance: %+v", m)
	}
	// A canceled read stops every statement and says so.
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := st.Summary(canceled); !errors.Is(err, context.Canceled) {
		t.Fatalf("summary on a canceled context: %v", err)
	}
	// A statement that fails stops the summary with its own error (the rejection
	// reasons and the open work both read work_items), not a stopped sibling's.
	_, err := st.DB().ExecContext(t.Context(), "ALTER TABLE work_items RENAME TO work_items_away")
	must(t, err)
	_, err = st.Summary(t.Context())
	_, undo := st.DB().ExecContext(t.Context(), "ALTER TABLE work_items_away RENAME TO work_items")
	must(t, undo)
	if err == nil || !strings.Contains(err.Error(), "reading the summary's ") || !strings.Contains(err.Error(), "work_items") ||
		errors.Is(err, context.Canceled) {
		t.Fatalf("summary without the work items: %v", err)
	}
	// In a transaction the same statements run one after the other, on its
	// connection: the same summary.
	must(t, st.InTx(t.Context(), func(tx *storage.Tx) error {
		in, err := tx.Summary(t.Context())
		equal(t, "summary in a transaction", in, s)
		return err
	}))
	// Clean: paid, denied, draft (never held nor rejected); not held, payer-rejected, resent.
	equal(t, "clean", s.Clean, storage.Rate{Count: 3, Of: 6})
	// First pass: paid and denied (accepted, never rejected); not payer-rejected, not resent.
	equal(t, "first pass", s.FirstPass, storage.Rate{Count: 2, Of: 4})
	if got := s.FirstPass.String(); got != "50.0% (2/4)" {
		t.Fatalf("rate renders %q", got)
	}

	// The backlog: two claims in flight (draft, payer-accepted), nothing unsent.
	b := get[storage.Backlog](t)(st.Backlog(t.Context()))
	equal(t, "backlog states", b.ByState, s.ByState)
	if b.InFlight() != 2 || b.Unsent != 0 || b.Inbound != 0 {
		t.Fatalf("backlog %+v, in flight %d", b, b.InFlight())
	}
	_ = get[int64](t)(st.InsertSubmission(t.Context(), storage.Submission{Clearinghouse: "sim", FileName: "unsent.x12",
		SHA256: "unsent", ISA13: "000000009", Size: 1, Status: storage.SubmissionCreated}))
	if b = get[storage.Backlog](t)(st.Backlog(t.Context())); b.Unsent != 1 {
		t.Fatalf("unsent submissions %d, want 1", b.Unsent)
	}

	// A reversal counts against the kind it reverses: reversing the payment leaves
	// it owed by the payer again.
	cps := get[[]storage.ClaimPayment](t)(st.ClaimPayments(t.Context(), w.paid.ID))
	e := get[storage.Entry](t)(st.EntryByKey(t.Context(), cps[0].Key+"/pay"))
	_ = get[[]storage.Posted](t)(st.Post(t.Context(), storage.ReversalOf(e, "rev1", "test", "1", day(2025, 3, 1))))
	s = get[storage.Summary](t)(st.Summary(t.Context()))
	if s.Money.InsurancePaid != 0 || s.Money.InsuranceOutstanding != 23000+12000 {
		t.Fatalf("after the reversal: %+v", s.Money)
	}
}

func testReportAgingTable(t *testing.T, h *harness) {
	st := h.Store(t)
	w := newReportWorld(t, st)
	asOf := day(2025, 3, 20) // service on 2025-01-06: 73 days, bucket 61-90
	tab := get[storage.AgingTable](t)(st.AgingTable(t.Context(), asOf, storage.AgeFromService))
	// Payer A has nothing left (200 - 120 - 50 - 30 on the paid claim, the denied one
	// written off): it has no row. Payer B: the rejected 150 and the resent 80.
	if len(tab.Payers) != 1 {
		t.Fatalf("payers %+v", tab.Payers)
	}
	b := tab.Payers[0]
	if b.ID != w.payerB || b.PayerID != "67890" || b.Name != "SECONDARY PLAN" {
		t.Fatalf("payer row %+v", b)
	}
	equal(t, "payer B", b.Buckets, [5]billing.Money{0, 0, 23000, 0, 0})
	equal(t, "patients", tab.Patients.Buckets, [5]billing.Money{0, 0, 2000, 0, 0})
	if tab.Accounts != 1 || tab.Total != [5]billing.Money{0, 0, 25000, 0, 0} {
		t.Fatalf("accounts %d, total %v", tab.Accounts, tab.Total)
	}
	// In a transaction the payers and the patients are read one after the other:
	// the same table.
	must(t, st.InTx(t.Context(), func(tx *storage.Tx) error {
		in, err := tx.AgingTable(t.Context(), asOf, storage.AgeFromService)
		equal(t, "aging table in a transaction", in, tab)
		return err
	}))
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := st.AgingTable(canceled, asOf, storage.AgeFromService); !errors.Is(err, context.Canceled) {
		t.Fatalf("aging table on a canceled context: %v", err)
	}
}
