package posting_test

import (
	"testing"

	"github.com/claimflow/claimflow/billing/posting"
	"github.com/claimflow/claimflow/storage"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		group, reason string
		secondary     bool
		want          posting.Treatment
	}{
		{"CO", "45", false, posting.Contractual},
		{"CO", "253", false, posting.Contractual},
		{"CO", "24", false, posting.Contractual}, // capitation: written off
		{"CO", "50", false, posting.Denied},
		{"CO", "97", false, posting.Denied},
		{"CO", "133", false, posting.Denied}, // pending review: never written off
		{"CO", "199", false, posting.Denied}, // revenue and procedure codes mismatch: correctable
		{"CO", "B23", false, posting.Denied},
		{"CO", "186", false, posting.Contractual}, // level of care change: a price
		{"PI", "45", false, posting.Contractual},
		{"PI", "B4", false, posting.Other},
		{"PI", "204", false, posting.Denied},
		{"PR", "1", false, posting.Patient},
		{"PR", "96", false, posting.Patient},
		{"OA", "23", true, posting.Informational},
		{"OA", "23", false, posting.Other},
		{"OA", "18", false, posting.Other},
		{"CR", "45", false, posting.Other},
	} {
		if got := posting.Classify(c.group, c.reason, c.secondary); got != c.want {
			t.Errorf("%s-%s (secondary %v): %s, want %s", c.group, c.reason, c.secondary, got, c.want)
		}
	}
}

// TestStatusDeniedAndPredetermination: CLP02 4 is a denial whatever the reasons;
// CLP02 25 posts nothing and moves nothing.
func TestStatusDeniedAndPredetermination(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "0", "S4", "LX*1~CLP*A17*4*200*0*0*12*ICN7~CAS*CO*31*200~NM1*QC*1*DOE*PAT~"+
		"CLP*A17*25*200*0*0*12*ICN8~CAS*CO*45*200~NM1*QC*1*DOE*PAT~")
	res := posting.Post(posting.Input{RemitID: 1, PaymentKey: "k", On: posting.EffectiveDate(rem), Claim: &claimA17, Payment: &rem.Claims[0]})
	if res.State != storage.StateDenied || len(res.Entries) != 0 || res.Denial == nil || !res.Denial.Whole || res.Denied != 20000 {
		t.Errorf("CLP02 4: %+v", res)
	}
	res = posting.Post(posting.Input{RemitID: 1, Index: 1, PaymentKey: "k", On: posting.EffectiveDate(rem), Claim: &claimA17, Payment: &rem.Claims[1]})
	if res.State != "" || len(res.Entries) != 0 || res.Denial != nil || res.Problem != "" {
		t.Errorf("CLP02 25: %+v", res)
	}
}

// TestNegativeAdjustment: a negative CAS amount increases the payment: the entry is
// positive (owed back to the account's payer side).
func TestNegativeAdjustment(t *testing.T) {
	t.Parallel()
	// 200 - (CO-45 60) - (OA-94 -10) = 150.
	rem := remit835(t, "150", "NEG", "LX*1~CLP*A17*1*200*150*0*12*ICN9~CAS*OA*94*-10~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*200*140**1~DTM*472*20250120~CAS*CO*45*60~REF*6R*A17-1~")
	res := posting.Post(posting.Input{RemitID: 2, PaymentKey: "k", On: posting.EffectiveDate(rem), Claim: &claimA17, Payment: &rem.Claims[0]})
	checkEntries(t, res.Entries, []entry{
		{"r2/0/1/pay", storage.KindInsurancePayment, storage.BucketInsurance, -14000, 100, ""},
		{"r2/0/pay", storage.KindInsurancePayment, storage.BucketInsurance, -1000, 0, ""}, // CLP04 150 - SVC03 140
		{"r2/0/OA-94", storage.KindOtherAdjustment, storage.BucketInsurance, 1000, 0, "OA-94"},
		{"r2/0/1/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, -6000, 100, "CO-45"},
	})
	if ins := 20000 + sum(res.Entries, storage.BucketInsurance); ins != 0 {
		t.Errorf("insurance balance %s", ins)
	}
}

// TestSecondaryPaysNothing: a secondary that pays nothing because the primary paid
// more than it allows (CO-45 and OA-23) has not denied the claim; with a denial
// reason it has.
func TestSecondaryPaysNothing(t *testing.T) {
	t.Parallel()
	// 200 - OA-23 150 (the primary's payment and write-off) - CO-45 50 = 0.
	rem := remit835(t, "0", "SEC0", "LX*1~CLP*A17*2*200*0*0*12*S1~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*200*0**1~DTM*472*20250120~CAS*OA*23*150~CAS*CO*45*50~REF*6R*A17-1~"+
		"CLP*A17*2*200*0*0*12*S2~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*200*0**1~DTM*472*20250120~CAS*OA*23*150~CAS*CO*50*50~REF*6R*A17-1~")
	c := claimA17
	c.FurtherCoverage = false
	res := posting.Post(posting.Input{RemitID: 3, PaymentKey: "k", On: posting.EffectiveDate(rem), Claim: &c, Payment: &rem.Claims[0]})
	checkEntries(t, res.Entries, []entry{{"r3/0/1/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, -5000, 100, "CO-45"}})
	if res.State != storage.StatePaid || res.Denial != nil {
		t.Errorf("pays nothing: state %s, denial %+v", res.State, res.Denial)
	}
	res = posting.Post(posting.Input{RemitID: 3, Index: 1, PaymentKey: "k", On: posting.EffectiveDate(rem), Claim: &c, Payment: &rem.Claims[1]})
	if res.State != storage.StateDenied || res.Denial == nil || len(res.Entries) != 0 {
		t.Errorf("denies: state %s, denial %+v, entries %d", res.State, res.Denial, len(res.Entries))
	}
}
