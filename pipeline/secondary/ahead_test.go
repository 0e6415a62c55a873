package secondary_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/secondary"
	"github.com/claimflow/claimflow/storage"
)

// The stage plans a chunk's claims before its write transaction and writes a plan
// only when nothing it was made from changed meanwhile; these tests change a claim
// in that gap (SetBeforeWrite) and check that what is written is what planning
// after the change gives.

func TestChangedBeforeWrite(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, changedBeforeWrite)
}

func changedBeforeWrite(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	w := newWorld(t, st)
	primary := decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}
	patientPays := func(c storage.Claim, amount billing.Money) func() {
		return func() {
			w.post(storage.Entry{PatientID: w.patient, ClaimID: c.ID, LineID: c.StoredLines[0].ID, BillingProviderID: w.provider,
				Kind: storage.KindPatientPayment, Bucket: storage.BucketPatient, Amount: -amount, EffectiveOn: adjudicated,
				SourceKind: "person", SourceID: "test", IdempotencyKey: "patient-paid/" + c.PatientControlNumber})
		}
	}

	t.Run("payment posted, next payer", func(t *testing.T) {
		// Planned ahead, 30.00 of coinsurance moves back to the secondary; the
		// patient pays 10.00 of it before the write: 20.00 moves.
		c := w.claim("R17", 2)
		w.adjudicate(c, primary, storage.StatePartiallyPaid)
		s := newStage(t, st)
		secondary.SetBeforeWrite(s, patientPays(c, 10_00))
		p, err := s.Process(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Action != secondary.ActionBillNext || p.Moved() != 20_00 {
			t.Fatalf("plan %s moving %s, want bill-next moving $20.00", p.Action, p.Moved())
		}
		owed, patient := w.balance(c.ID)
		if patient != 0 || owed[secondPlan.ID] != 20_00 || len(owed) != 1 {
			t.Fatalf("owed by payers %v, by the patient %s; want $20.00 by the secondary only", owed, patient)
		}
	})

	t.Run("payment posted, last payer", func(t *testing.T) {
		// Planned ahead, the patient is billed 30.00; the patient pays it all
		// before the write: the claim closes.
		c := w.claim("L17", 1)
		w.adjudicate(c, primary, storage.StatePartiallyPaid)
		s := newStage(t, st)
		secondary.SetBeforeWrite(s, patientPays(c, 30_00))
		p, err := s.Process(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Action != secondary.ActionClose || w.stored(c.ID).State != storage.StateClosed {
			t.Fatalf("plan %s, claim %s; want close, closed", p.Action, w.stored(c.ID).State)
		}
	})

	t.Run("same claim moved on by another worker", func(t *testing.T) {
		// Two messages for the same claim: the other worker moves it on between
		// this one's plan and its write; this one then finds nothing to do.
		c := w.claim("T17", 2)
		w.adjudicate(c, primary, storage.StatePartiallyPaid)
		other := newStage(t, st)
		var otherPlan *secondary.Plan
		s := newStage(t, st)
		secondary.SetBeforeWrite(s, func() {
			var err error
			if otherPlan, err = other.Process(ctx, c.ID); err != nil {
				t.Error(err)
			}
		})
		p, err := s.Process(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if otherPlan == nil || otherPlan.Action != secondary.ActionBillNext || p.Action != secondary.ActionNone {
			t.Fatalf("the other worker's plan %+v, this one's %s; want bill-next, none", otherPlan, p.Action)
		}
		entries, err := st.Entries(ctx, storage.EntryFilter{ClaimID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if strings.HasPrefix(e.IdempotencyKey, "cob/") {
				n++
			}
		}
		hist, err := st.ClaimHistory(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 || hist[len(hist)-1].To != storage.StateSecondaryBilled || hist[len(hist)-2].To != storage.StatePartiallyPaid {
			t.Fatalf("%d transfer entries, history ends %v", n, hist[len(hist)-2:])
		}
	})

	t.Run("next payer added", func(t *testing.T) {
		// Planned ahead, the next payer is not in the payer list (the claim
		// would be held); it is added before the write: the claim is billed to it.
		c := w.claimWith("P17", func(c *billing.Claim) {
			c.Coverages = c.Coverages[:2]
			c.Coverages[1].Payer = billing.Payer{Name: "NEW PLAN", ID: "NEW01"}
		})
		w.adjudicate(c, primary, storage.StatePartiallyPaid)
		s := newStage(t, st)
		var added int64
		secondary.SetBeforeWrite(s, func() {
			var err error
			if added, err = st.UpsertPayer(ctx, storage.Payer{PayerID: "NEW01", Name: "NEW PLAN", Clearinghouse: "demo"}); err != nil {
				t.Error(err)
			}
		})
		p, err := s.Process(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Action != secondary.ActionBillNext || p.NextPayerID != added || w.stored(c.ID).PayerID != added {
			t.Fatalf("plan %s to payer %d, claim's payer %d; want bill-next to payer %d", p.Action, p.NextPayerID, w.stored(c.ID).PayerID, added)
		}
	})

	t.Run("claim payment added, last payer", func(t *testing.T) {
		// Planned ahead from the primary's payment; a corrected payment of the
		// primary is matched to the claim before the write (a claim payment and
		// nothing in the ledger): the plan is made again, from the correction.
		c := w.claim("K17", 1)
		w.adjudicate(c, primary, storage.StatePartiallyPaid)
		s := newStage(t, st)
		var corrected int64
		secondary.SetBeforeWrite(s, func() {
			rid, _, err := st.InsertRemittance(ctx, storage.Remittance{PayerID: w.payers[primaryPlan.ID], PayerIdentifier: "1" + primaryPlan.ID,
				TraceNumber: "EFT-K17-FIX", Handling: "I", PaymentMethod: "ACH", TotalPaid: 120_00, PaymentDate: adjudicated,
				ProductionDate: adjudicated, Header: json.RawMessage(`{}`)})
			if err != nil {
				t.Error(err)
				return
			}
			cp := storage.ClaimPayment{RemittanceID: rid, ClaimID: c.ID, PatientControlNumber: c.PatientControlNumber, Status: "1",
				Charge: 200_00, Paid: 120_00, PatientResponsibility: 30_00, FilingIndicator: "CI", PayerClaimNumber: "ICN2"}
			cp.Key = storage.ClaimPaymentKey(storage.RemitKey("1"+primaryPlan.ID, "EFT-K17-FIX", adjudicated, 120_00), &cp)
			if _, err := st.PostClaimPayments(ctx, []storage.PaymentPosting{{Payment: cp}}); err != nil {
				t.Error(err)
				return
			}
			pays, err := st.ClaimPayments(ctx, c.ID)
			if err != nil || len(pays) != 2 {
				t.Errorf("payments %+v, %v", pays, err)
				return
			}
			corrected = pays[1].ID
		})
		p, err := s.Process(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Action != secondary.ActionPatient || p.Payment == nil || corrected == 0 || p.Payment.ID != corrected {
			t.Fatalf("plan %s from payment %+v, want patient-billed from the corrected payment %d", p.Action, p.Payment, corrected)
		}
		hist, err := st.ClaimHistory(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal(hist[len(hist)-1].Detail, &d); err != nil {
			t.Fatal(err)
		}
		if d["claim_payment"] != float64(corrected) {
			t.Fatalf("history records payment %v, want %d", d["claim_payment"], corrected)
		}
	})

	t.Run("nothing changed", func(t *testing.T) {
		// Without a change in the gap the plan made ahead is written: the
		// same as planning in the transaction.
		c := w.claim("N17", 2)
		w.adjudicate(c, primary, storage.StatePartiallyPaid)
		s := newStage(t, st)
		p, err := s.Process(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		owed, patient := w.balance(c.ID)
		if p.Action != secondary.ActionBillNext || p.Moved() != 30_00 || patient != 0 || owed[secondPlan.ID] != 30_00 {
			t.Fatalf("plan %s moving %s; owed %v, patient %s", p.Action, p.Moved(), owed, patient)
		}
	})
}
