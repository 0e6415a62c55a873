package remit_test

import (
	"context"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
)

// TestExample7 follows X12-GUIDE 7: the primary pays 6.6 (120, CO-45 50, PR-2 30),
// the claim goes to the secondary for the patient's 30, and the secondary's 835
// pays it, with the primary's adjudication as OA-23 (informational: posted
// already from the primary's 835).
func TestExample7(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	both(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st)
		id := w.claim("A17", true, "99213", 20000)
		_, sum := w.post("primary.835", build835("000000301", [3]string{"120", "EFT1", example66}))
		if sum.Secondary != 1 {
			t.Fatalf("primary: %+v", sum)
		}
		// What the secondary stage does when it bills the next payer (not this
		// package's): the claim is billed to SEC02 now, and the patient's 30 becomes the
		// secondary's to pay.
		must(t, w.st.SetClaimPayer(ctx, id, w.secondary, ""))
		must(t, w.st.TransitionClaim(ctx, id, storage.StateSecondaryBilled, storage.Event{Cause: storage.CauseSystem}))
		move := storage.TransferEntries(storage.Entry{PatientID: w.patient, ClaimID: id, PayerID: w.primary, EffectiveOn: billing.NewDate(2025, 3, 29),
			SourceKind: "claim", SourceID: itoa(id), IdempotencyKey: "cob/A17/2", Reason: "COB"},
			storage.KindPatientResponsibility, 3000, storage.BucketPatient, storage.BucketInsurance, w.secondary)
		_, err := w.st.Post(ctx, move[0], move[1])
		must(t, err)

		// The secondary: CLP02 2, 200 charged, 30 paid, OA-23 170 (= 120 paid + 50
		// written off by the primary): 200 - 170 = 30.
		_, sum = w.post("secondary.835", build835("000000302", [3]string{"30", "SEC1",
			"LX*1~CLP*A17*2*200*30*0*12*SICN1~NM1*QC*1*DOE*PAT~" +
				"SVC*HC:99213*200*30**1~DTM*472*20250120~CAS*OA*23*170~REF*6R*A17-1~"}))
		// Paid: the claim goes to the secondary stage, which closes it or bills the
		// patient (no coverage after this one).
		if sum.Matched != 1 || sum.Secondary != 1 || sum.Denials != 0 {
			t.Fatalf("secondary: %+v", sum)
		}
		lines(t, w.ledger(id),
			"insurance-payment insurance -120.00 ", // the primary
			"contractual-adjustment insurance -50.00 CO-45",
			"coinsurance insurance -30.00 PR-2",
			"coinsurance patient 30.00 PR-2",
			"patient-responsibility patient -30.00 COB", // billed to the secondary
			"patient-responsibility insurance 30.00 COB",
			"insurance-payment insurance -30.00 ", // the secondary pays it; OA-23 posts nothing
		)
		// 200 - 120 - 50 - 30 + 30 - 30 = 0 owed by payers, 30 - 30 = 0 by the patient.
		if b := w.balance(id); b.Insurance != 0 || b.Patient != 0 {
			t.Errorf("balance %+v", b)
		}
		for payer, want := range map[int64]billing.Money{w.primary: 0, w.secondary: 0} {
			b, err := w.st.Balance(ctx, storage.EntryFilter{ClaimID: id, PayerID: payer, Bucket: storage.BucketInsurance})
			must(t, err)
			if b.Insurance != want {
				t.Errorf("payer %d owes %s", payer, b.Insurance)
			}
		}
		if s := w.state(id); s != storage.StatePaid {
			t.Errorf("state %s", s)
		}
	})
}
