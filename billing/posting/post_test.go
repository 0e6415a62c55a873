package posting_test

import (
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/billing/posting"
	"github.com/claimflow/claimflow/storage"
)

// claimA17 is the claim of X12-GUIDE 6.6: one line, 99213, 200.00, billed to the
// primary (payer 3) of patient 2, with a secondary coverage.
var claimA17 = posting.Claim{
	ID: 10, PatientID: 2, PayerID: 3, BillingProviderID: 4, FurtherCoverage: true,
	Lines: []posting.Line{{ID: 100, ControlNumber: "A17-1", Procedure: "99213", Charge: 20000, ServiceDate: billing.NewDate(2025, 1, 20)}},
}

const example66 = "LX*1~CLP*A17*1*200*120*30*12*ICN1~NM1*QC*1*DOE*PAT~" +
	"SVC*HC:99213*200*120**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*30~REF*6R*A17-1~AMT*B6*150~"

// TestExample66 posts X12-GUIDE 6.6: charge 200, contractual CO-45 50, coinsurance
// PR-2 30, paid 120, and PLB L6 interest of 2.15 (BPR02 = 120 - (-2.15) = 122.15).
func TestExample66(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "122.15", "EFT66", example66+"PLB*1234567893*20251231*L6:A17*-2.15~")
	key := posting.RemitKey(rem)
	if key != "1990000101|EFT66|2025-03-28|122.15" {
		t.Fatalf("remit key %q", key)
	}
	res := posting.Post(posting.Input{RemitID: 7, Index: 0, PaymentKey: posting.PaymentKeys(rem, key)[0],
		On: posting.EffectiveDate(rem), Claim: &claimA17, Payment: &rem.Claims[0]})
	if res.Problem != "" {
		t.Fatal(res.Problem)
	}
	checkEntries(t, res.Entries, []entry{
		{"r7/0/1/pay", storage.KindInsurancePayment, storage.BucketInsurance, -12000, 100, ""},            // SVC03 120.00 received
		{"r7/0/1/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, -5000, 100, "CO-45"}, // 200 - 150 allowed, written off
		{"r7/0/1/PR-2/from", storage.KindCoinsurance, storage.BucketInsurance, -3000, 100, "PR-2"},        // 30.00 off the payer...
		{"r7/0/1/PR-2/to", storage.KindCoinsurance, storage.BucketPatient, 3000, 100, "PR-2"},             // ...onto the patient
	})
	// With the 200.00 charge posted at submission: insurance 200 - 120 - 50 - 30 = 0,
	// patient 0 + 30 = 30.
	if ins, pat := 20000+sum(res.Entries, storage.BucketInsurance), sum(res.Entries, storage.BucketPatient); ins != 0 || pat != 3000 {
		t.Errorf("insurance %s, patient %s; want 0.00 and 30.00", ins, pat)
	}
	if res.State != storage.StatePaid || res.Denial != nil || res.PatientShare != 3000 || !res.Secondary {
		t.Errorf("state %s, denial %v, patient share %s, secondary %v", res.State, res.Denial, res.PatientShare, res.Secondary)
	}
	if res.Payment.ClaimID != 10 || res.Payment.Services[0].LineID != 100 || res.Payment.Key != key+"|A17|ICN1|1|120.00" {
		t.Errorf("payment %+v", res.Payment)
	}
	plb := posting.ProviderEntries(rem, posting.ProviderInput{RemitID: 7, On: posting.EffectiveDate(rem), PayerID: 3,
		BillingProviderID: 4, Claim: func(ref string) int64 {
			if ref == "A17" {
				return 10
			}
			return 0
		}})
	// PLB04 -2.15: the payer added 2.15 of interest to the payment.
	checkEntries(t, plb, []entry{{"r7/plb/1", storage.KindProviderAdjustment, storage.BucketProvider, -215, 0, "PLB-L6"}})
	if plb[0].ClaimID != 10 || plb[0].PatientID != 0 || plb[0].BillingProviderID != 4 {
		t.Errorf("PLB entry %+v", plb[0])
	}
}

// TestDenial: nothing paid, CO-50 with a remark: no write-off, the claim is denied
// and the denial names the codes in words.
func TestDenial(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "0", "DEN1", "LX*1~CLP*A17*1*200*0*0*12*ICN2~NM1*QC*1*DOE*PAT~MOA***N130~"+
		"SVC*HC:99213*200*0**1~DTM*472*20250120~CAS*CO*50*200~REF*6R*A17-1~")
	res := posting.Post(posting.Input{RemitID: 8, PaymentKey: "k", On: posting.EffectiveDate(rem), Claim: &claimA17, Payment: &rem.Claims[0]})
	checkEntries(t, res.Entries, nil) // the 200.00 stays owed by the payer until a person acts
	if res.State != storage.StateDenied || res.Secondary || res.Denied != 20000 {
		t.Fatalf("state %s, secondary %v, denied %s", res.State, res.Secondary, res.Denied)
	}
	d := res.Denial
	if d == nil || !d.Whole || d.Amount != 20000 || strings.Join(d.Codes, ",") != "CO-50,N130" {
		t.Fatalf("denial %+v", d)
	}
	for _, want := range []string{"Line 1 (99213): CO-50 200.00, not deemed a medical necessity", "Remark N130: consult the plan's", "payer claim number ICN2"} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("message lacks %q: %s", want, d.Message)
		}
	}
	if strings.Contains(d.Message, "DOE") {
		t.Errorf("message names the patient: %s", d.Message)
	}
}

// TestLineDenial: one line paid, one bundled (CO-97): the paid line posts, the
// bundled 30.00 is not written off, the claim is partially paid.
func TestLineDenial(t *testing.T) {
	t.Parallel()
	c := posting.Claim{ID: 11, PatientID: 2, PayerID: 3, Lines: []posting.Line{
		{ID: 110, ControlNumber: "B1-1", Procedure: "99213", Charge: 12500},
		{ID: 111, ControlNumber: "B1-2", Procedure: "96372", Charge: 3000},
	}}
	rem := remit835(t, "80", "DEN2", "LX*1~CLP*B1*1*155*80*20*12*ICN3~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*125*80**1~DTM*472*20250304~CAS*CO*45*25~CAS*PR*2*20~REF*6R*B1-1~"+
		"SVC*HC:96372*30*0**1~DTM*472*20250304~CAS*CO*97*30~REF*6R*B1-2~LQ*HE*M15~")
	res := posting.Post(posting.Input{RemitID: 9, PaymentKey: "k", On: posting.EffectiveDate(rem), Claim: &c, Payment: &rem.Claims[0]})
	checkEntries(t, res.Entries, []entry{
		{"r9/0/1/pay", storage.KindInsurancePayment, storage.BucketInsurance, -8000, 110, ""},
		{"r9/0/1/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, -2500, 110, "CO-45"},
		{"r9/0/1/PR-2/from", storage.KindCoinsurance, storage.BucketInsurance, -2000, 110, "PR-2"},
		{"r9/0/1/PR-2/to", storage.KindCoinsurance, storage.BucketPatient, 2000, 110, "PR-2"},
		// line 2: CO-97 30.00 is a denial: no entry.
	})
	// 155 charged - 80 - 25 - 20 = 30 still owed by the payer (the bundled line).
	if ins := 15500 + sum(res.Entries, storage.BucketInsurance); ins != 3000 {
		t.Errorf("insurance balance %s, want 30.00", ins)
	}
	if res.State != storage.StatePartiallyPaid || res.Denial == nil || res.Denial.Whole || strings.Join(res.Denial.Codes, ",") != "CO-97,M15" {
		t.Fatalf("state %s, denial %+v", res.State, res.Denial)
	}
}

// TestClaimLevelAdjustmentAndDeductible: claim-level CAS with paid lines, a
// deductible, a copay and a PI non-pricing adjustment.
func TestClaimLevelAdjustmentAndDeductible(t *testing.T) {
	t.Parallel()
	c := posting.Claim{ID: 12, PatientID: 2, PayerID: 3, Lines: []posting.Line{{ID: 120, ControlNumber: "C1-1", Procedure: "99214", Charge: 20000}}}
	// Line: 200 - CO-45 40 - PR-1 50 - PR-3 20 = 90 paid on the line; claim level
	// PI-B4 late filing penalty 5 (other adjustment): CLP04 = 200 - 5 - 110 = 85.
	rem := remit835(t, "85", "CLA1", "LX*1~CLP*C1*1*200*85*70*12*ICN4~CAS*PI*B4*5~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99214*200*90**1~DTM*472*20250304~CAS*CO*45*40~CAS*PR*1*50**3*20~REF*6R*C1-1~")
	res := posting.Post(posting.Input{RemitID: 5, Index: 2, PaymentKey: "k", On: posting.EffectiveDate(rem), Claim: &c, Payment: &rem.Claims[0]})
	checkEntries(t, res.Entries, []entry{
		{"r5/2/1/pay", storage.KindInsurancePayment, storage.BucketInsurance, -9000, 120, ""},
		{"r5/2/pay", storage.KindInsurancePayment, storage.BucketInsurance, 500, 0, ""}, // CLP04 85 - SVC03 90: 5 less received
		{"r5/2/PI-B4", storage.KindOtherAdjustment, storage.BucketInsurance, -500, 0, "PI-B4"},
		{"r5/2/1/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, -4000, 120, "CO-45"},
		{"r5/2/1/PR-1/from", storage.KindDeductible, storage.BucketInsurance, -5000, 120, "PR-1"},
		{"r5/2/1/PR-1/to", storage.KindDeductible, storage.BucketPatient, 5000, 120, "PR-1"},
		{"r5/2/1/PR-3/from", storage.KindCopay, storage.BucketInsurance, -2000, 120, "PR-3"},
		{"r5/2/1/PR-3/to", storage.KindCopay, storage.BucketPatient, 2000, 120, "PR-3"},
	})
	// insurance: 200 - 90 + 5 - 5 - 40 - 50 - 20 = 0; payments total -85 = CLP04.
	if ins := 20000 + sum(res.Entries, storage.BucketInsurance); ins != 0 {
		t.Errorf("insurance balance %s", ins)
	}
	if res.State != storage.StatePaid || res.PatientShare != 7000 || res.Secondary {
		t.Errorf("state %s, patient share %s, secondary %v", res.State, res.PatientShare, res.Secondary)
	}
}

// TestCrossover: CLP02 19 with NM1*TT: posted as paid by the primary, the claim is
// forwarded, and the secondary must not be billed by us.
func TestCrossover(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "120", "XO1", "LX*1~CLP*A17*19*200*120*30*MB*ICN5~NM1*QC*1*DOE*PAT~NM1*TT*2*MEDIGAP PLAN*****PI*55555~MOA***MA18~"+
		"SVC*HC:99213*200*120**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*30~REF*6R*A17-1~")
	res := posting.Post(posting.Input{RemitID: 6, PaymentKey: "k", On: posting.EffectiveDate(rem), Claim: &claimA17, Payment: &rem.Claims[0]})
	if len(res.Entries) != 4 || res.State != storage.StateForwarded || !res.Crossover || res.Secondary {
		t.Fatalf("%d entries, state %s, crossover %v, secondary %v", len(res.Entries), res.State, res.Crossover, res.Secondary)
	}
}

// TestUnmatched: no claim: nothing posted, the payment is kept to be matched later.
func TestUnmatched(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "120", "UN1", example66)
	res := posting.Post(posting.Input{RemitID: 6, PaymentKey: "k", Payment: &rem.Claims[0]})
	if res.Problem == "" || len(res.Entries) != 0 || res.State != "" || res.Payment.ClaimID != 0 || res.Payment.PatientControlNumber != "A17" {
		t.Fatalf("%+v", res)
	}
}

// TestMatchLinesFallback: without REF*6R the line is found by the submitted
// procedure (SVC06), modifiers, date and charge.
func TestMatchLinesFallback(t *testing.T) {
	t.Parallel()
	lines := []posting.Line{
		{ID: 1, ControlNumber: "X-1", Procedure: "99214", Modifiers: []string{"25"}, Charge: 18500, ServiceDate: billing.NewDate(2025, 3, 3)},
		{ID: 2, ControlNumber: "X-2", Procedure: "83036", Charge: 6500, ServiceDate: billing.NewDate(2025, 3, 3)},
		{ID: 3, ControlNumber: "X-3", Procedure: "83036", Charge: 6500, ServiceDate: billing.NewDate(2025, 3, 4)},
	}
	rem := remit835(t, "160", "ML1", "LX*1~CLP*X*1*315*160*0*12*ICN6~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*185*125**1*HC:99214:25~DTM*472*20250303~CAS*CO*45*60~"+ // recoded by the payer: SVC06 is ours
		"SVC*HC:83036*65*35~DTM*472*20250304~CAS*CO*45*30~"+ // the 4th's line, by date
		"SVC*HC:83036*65*0~DTM*472*20250303~CAS*CO*45*65~REF*6R*X-2~")
	got := posting.MatchLines(&rem.Claims[0], lines)
	if len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 2 {
		t.Fatalf("matched %v, want [1 3 2]", got)
	}
}

// TestRepeatedParts posts a line with the same adjustment twice (in one CAS and in
// two): the repeats' keys get "#2", so that each amount is an entry of its own.
func TestRepeatedParts(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "100", "EFTREP", "LX*1~CLP*A17*1*200*100*30*12*ICN1~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*200*100**1~DTM*472*20250120~CAS*CO*45*40**45*30~CAS*PR*2*20~CAS*PR*2*10~REF*6R*A17-1~")
	key := posting.RemitKey(rem)
	res := posting.Post(posting.Input{RemitID: 7, Index: 3, PaymentKey: posting.PaymentKeys(rem, key)[0],
		On: posting.EffectiveDate(rem), Claim: &claimA17, Payment: &rem.Claims[0]})
	if res.Problem != "" {
		t.Fatal(res.Problem)
	}
	checkEntries(t, res.Entries, []entry{
		{"r7/3/1/pay", storage.KindInsurancePayment, storage.BucketInsurance, -10000, 100, ""},
		{"r7/3/1/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, -4000, 100, "CO-45"},
		{"r7/3/1/CO-45#2", storage.KindContractualAdjustment, storage.BucketInsurance, -3000, 100, "CO-45"},
		{"r7/3/1/PR-2/from", storage.KindCoinsurance, storage.BucketInsurance, -2000, 100, "PR-2"},
		{"r7/3/1/PR-2/to", storage.KindCoinsurance, storage.BucketPatient, 2000, 100, "PR-2"},
		{"r7/3/1/PR-2#2/from", storage.KindCoinsurance, storage.BucketInsurance, -1000, 100, "PR-2"},
		{"r7/3/1/PR-2#2/to", storage.KindCoinsurance, storage.BucketPatient, 1000, 100, "PR-2"},
	})
}
