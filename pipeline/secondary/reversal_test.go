package secondary_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestReversedPaymentDoesNotStand: the primary paid 100.00, reversed it (CLP02 22)
// and corrected it to 120.00; the secondary gets the correction, and the balance
// moved is the correction's patient part.
func TestReversedPaymentDoesNotStand(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	w := newWorld(t, st)
	s := newStage(t, st)
	ctx := context.Background()
	c := w.claim("R17", 2)
	// Original: 200 - CO-45 50 - PR-2 50 = 100 paid.
	w.adjudicate(c, decision{payer: primaryPlan, status: "1", paid: 100_00, icn: "ICN1", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 50_00)}}, storage.StatePartiallyPaid)
	original, err := st.Entries(ctx, storage.EntryFilter{ClaimID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	// Reversal: the same payment negated, posted as reversals of its entries.
	rev := billing.NewDate(2025, 2, 10)
	rid, _, err := st.InsertRemittance(ctx, storage.Remittance{PayerID: w.payers[primaryPlan.ID], PayerIdentifier: "112345",
		TraceNumber: "EFT-REV", Handling: "I", PaymentMethod: "ACH", TotalPaid: 20_00, PaymentDate: rev, Header: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	line := c.StoredLines[0]
	cp := storage.ClaimPayment{RemittanceID: rid, ClaimID: c.ID, PatientControlNumber: "R17", Status: "22", Charge: -200_00, Paid: -100_00,
		PayerClaimNumber: "ICN1", Services: []storage.ServicePayment{{LineID: line.ID, ControlNumber: line.ControlNumber, ProcedureCode: "99213",
			Charge: -200_00, Paid: -100_00, Units: billing.Units(-1),
			Adjustments: []billing.Adjustment{adj("CO", "45", -50_00), adj("PR", "2", -50_00)}}}}
	cp.Key = "rev/R17"
	if _, err := st.PostClaimPayments(ctx, []storage.PaymentPosting{{Payment: cp}}); err != nil {
		t.Fatal(err)
	}
	var reversals []storage.Entry
	for _, e := range original {
		if strings.HasPrefix(e.IdempotencyKey, "r") {
			reversals = append(reversals, storage.ReversalOf(e, "rev/"+e.IdempotencyKey, "claim-payment", "rev", rev))
		}
	}
	w.post(reversals...)
	w.move(c.ID, storage.StateReversed)
	// Correction: 200 - CO-45 50 - PR-2 30 = 120 paid.
	w.adjudicate(c, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: rev,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)

	p, err := s.Process(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := w.stored(c.ID)
	a := got.Coverages[0].Adjudication
	if got.State != storage.StateSecondaryBilled || a == nil || a.PaidAmount != 120_00 || a.Date != rev || p.Moved() != 30_00 {
		t.Fatalf("state %s, adjudication %+v, moved %s; want secondary-billed, the correction (120.00 on 2025-02-10), 30.00", got.State, a, p.Moved())
	}
	if by, patient := w.balance(c.ID); by[secondPlan.ID] != 30_00 || patient != 0 || by[primaryPlan.ID] != 0 {
		t.Fatalf("balance by payer %v, patient %s", by, patient)
	}
	build(t, got.Claim)
}
