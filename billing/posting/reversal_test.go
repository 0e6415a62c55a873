package posting_test

import (
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/billing/posting"
	"github.com/claimflow/claimflow/storage"
)

// TestReversalAndCorrection follows X12-GUIDE 6.7: the 6.6 payment (remittance 7,
// claim payment 70) is reversed by CLP02 22 with the CAS negated, and the correction
// that follows in the same 835 pays 130 instead of 120.
func TestReversalAndCorrection(t *testing.T) {
	t.Parallel()
	orig := remit835(t, "120", "EFT1", example66)
	first := posting.Post(posting.Input{RemitID: 7, PaymentKey: "k1", On: billing.NewDate(2025, 3, 28), Claim: &claimA17, Payment: &orig.Claims[0]})
	// As stored: ids 1-4, the claim payment's id (70) as their source.
	stored := make([]storage.Entry, len(first.Entries))
	for i, e := range first.Entries {
		e.ID, e.SourceID = int64(i+1), "70"
		stored[i] = e
	}
	charge := storage.Entry{ID: 9, PatientID: 2, ClaimID: 10, PayerID: 3, Kind: storage.KindCharge, Bucket: storage.BucketInsurance,
		Amount: 20000, SourceKind: "claim", SourceID: "10", IdempotencyKey: "charge"}
	ledger := append([]storage.Entry{charge}, stored...)

	rem := remit835(t, "10", "EFT2", "LX*1~"+
		"CLP*A17*22*-200*-120**12*ICN1~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*-200*-120**-1~DTM*472*20250120~CAS*CO*45*-50~CAS*PR*2*-30~REF*6R*A17-1~"+
		"CLP*A17*1*200*130*20*12*ICN1B~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*200*130**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*20~REF*6R*A17-1~")
	on := posting.EffectiveDate(rem)
	rev := posting.Post(posting.Input{RemitID: 8, Index: 0, PaymentKey: "k2", On: on, Claim: &claimA17, Payment: &rem.Claims[0]})
	if !rev.Reverses || rev.State != storage.StateReversed || len(rev.Entries) != 0 {
		t.Fatalf("reversal: %+v", rev)
	}
	earlier := []storage.ClaimPayment{{ID: 70, Status: "1", PayerClaimNumber: "ICN1", Paid: 12000}}
	o, ok := posting.Original(earlier, &rem.Claims[0])
	if !ok || o.ID != 70 {
		t.Fatalf("original %+v %v", o, ok)
	}
	undo := posting.Reversals(ledger, o.ID, 8, 0, on)
	checkEntries(t, undo, []entry{
		{"r8/0/rev/1", storage.KindReversal, storage.BucketInsurance, 12000, 100, ""},
		{"r8/0/rev/2", storage.KindReversal, storage.BucketInsurance, 5000, 100, "CO-45"},
		{"r8/0/rev/3", storage.KindReversal, storage.BucketInsurance, 3000, 100, "PR-2"},
		{"r8/0/rev/4", storage.KindReversal, storage.BucketPatient, -3000, 100, "PR-2"},
	})
	for i, e := range undo {
		if e.ReversesEntryID != int64(i+1) {
			t.Errorf("reversal %d reverses %d", i, e.ReversesEntryID)
		}
	}
	// After the reversal the claim is back to its charge: insurance 200, patient 0.
	all := append(append([]storage.Entry{}, ledger...), undo...)
	if ins, pat := sum(all, storage.BucketInsurance), sum(all, storage.BucketPatient); ins != 20000 || pat != 0 {
		t.Fatalf("after the reversal: insurance %s, patient %s", ins, pat)
	}
	corr := posting.Post(posting.Input{RemitID: 8, Index: 1, PaymentKey: "k3", On: on, Claim: &claimA17, Payment: &rem.Claims[1]})
	checkEntries(t, corr.Entries, []entry{
		{"r8/1/1/pay", storage.KindInsurancePayment, storage.BucketInsurance, -13000, 100, ""},
		{"r8/1/1/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, -5000, 100, "CO-45"},
		{"r8/1/1/PR-2/from", storage.KindCoinsurance, storage.BucketInsurance, -2000, 100, "PR-2"},
		{"r8/1/1/PR-2/to", storage.KindCoinsurance, storage.BucketPatient, 2000, 100, "PR-2"},
	})
	all = append(all, corr.Entries...)
	// 200 - 130 - 50 - 20 = 0 owed by the payer; the patient owes 20 now, not 30.
	if ins, pat := sum(all, storage.BucketInsurance), sum(all, storage.BucketPatient); ins != 0 || pat != 2000 {
		t.Fatalf("after the correction: insurance %s, patient %s", ins, pat)
	}
	if corr.State != storage.StatePaid {
		t.Errorf("correction state %s", corr.State)
	}
	// Reversing again finds nothing left to reverse.
	earlier = append(earlier, storage.ClaimPayment{ID: 71, Status: "22", PayerClaimNumber: "ICN1", Paid: -12000})
	if _, ok := posting.Original(earlier, &rem.Claims[0]); ok {
		t.Error("a second reversal found an original")
	}
	if again := posting.Reversals(all, 70, 9, 0, on); len(again) != 0 {
		t.Errorf("entries reversed twice: %v", again)
	}
}

// TestProviderEntriesRecoupments: WO and FB recoupments tied to the claims their
// references name, 72 (a refund) untied.
func TestProviderEntriesRecoupments(t *testing.T) {
	t.Parallel()
	// BPR02 = 120 - (50 + -20 + 30 + -10) = 70.
	rem := remit835(t, "70", "PLB1", example66+
		"PLB*1234567893*20251231*WO:ICN9*50*FB:A99*-20*72*30*L6:A17*-10~")
	ids := map[string]int64{"ICN9": 41, "A99": 42, "A17": 10}
	got := posting.ProviderEntries(rem, posting.ProviderInput{RemitID: 3, On: posting.EffectiveDate(rem), BillingProviderID: 4,
		Claim: func(ref string) int64 { return ids[ref] }})
	checkEntries(t, got, []entry{
		{"r3/plb/1", storage.KindProviderAdjustment, storage.BucketProvider, 5000, 0, "PLB-WO"}, // 50 withheld: overpayment recovered
		{"r3/plb/2", storage.KindProviderAdjustment, storage.BucketProvider, -2000, 0, "PLB-FB"},
		{"r3/plb/3", storage.KindProviderAdjustment, storage.BucketProvider, 3000, 0, "PLB-72"},
		{"r3/plb/4", storage.KindProviderAdjustment, storage.BucketProvider, -1000, 0, "PLB-L6"},
	})
	for i, want := range []int64{41, 42, 0, 10} {
		if got[i].ClaimID != want {
			t.Errorf("PLB %d tied to claim %d, want %d", i+1, got[i].ClaimID, want)
		}
	}
	if total := sum(got, storage.BucketProvider); total != 5000 {
		t.Errorf("PLB total %s, want 50.00 (120 paid - 70 sent)", total)
	}
}
