package posting_test

// Edge cases of 835 auto-posting edge cases against X12-GUIDE section 6 (6.3 CAS, 6.6
// balancing, 6.7 reversals, 6.8 crossover, 6.9 auto-posting, 6.10 idempotency).
// Pure: no database. Each 835 used here balances (remit835 checks it).

import (
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/billing/posting"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/storage"
)

func postOne(t *testing.T, rem *x835.Remittance, i int, c *posting.Claim) posting.Result {
	t.Helper()
	res := posting.Post(posting.Input{RemitID: 1, Index: i, PaymentKey: "k", On: posting.EffectiveDate(rem), Claim: c, Payment: &rem.Claims[i]})
	if res.Problem != "" {
		t.Fatalf("problem: %s", res.Problem)
	}
	return res
}

// kinds returns the entries of a kind.
func kinds(es []storage.Entry, k storage.EntryKind) []storage.Entry {
	var out []storage.Entry
	for _, e := range es {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// TestZeroPaidDeductibleWithBundledLine: nothing paid because line 1 went
// wholly to the deductible (PR-1) after the CO-45 fee-schedule reduction, while line 2
// was bundled (CO-97). The payer adjudicated the claim: it is not "only CO/PI"
// (X12-GUIDE 6.9 step 5: "zero-paid claim with only CO/PI = denial"). The CO-45 is a
// contractual write-off (6.9 step 5: CO/PI pricing CARCs -> contractual), only line 2
// goes to the denial queue, and with a further coverage the deductible goes to the
// next payer (6.9 step 6).
func TestZeroPaidDeductibleWithBundledLine(t *testing.T) {
	t.Parallel()
	c := posting.Claim{ID: 20, PatientID: 2, PayerID: 3, BillingProviderID: 4, FurtherCoverage: true, Lines: []posting.Line{
		{ID: 201, ControlNumber: "D-1", Procedure: "99213", Charge: 10000},
		{ID: 202, ControlNumber: "D-2", Procedure: "36415", Charge: 4000},
	}}
	rem := remit835(t, "0", "AUD1", "LX*1~CLP*D*1*140*0*70*12*ICND~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*100*0**1~DTM*472*20250304~CAS*CO*45*30~CAS*PR*1*70~REF*6R*D-1~"+
		"SVC*HC:36415*40*0**1~DTM*472*20250304~CAS*CO*97*40~REF*6R*D-2~LQ*HE*M15~")
	res := postOne(t, rem, 0, &c)
	if co := kinds(res.Entries, storage.KindContractualAdjustment); len(co) != 1 || co[0].Amount != -3000 || co[0].LineID != 201 {
		t.Errorf("CO-45 30.00 on line 1 must be written off as contractual; contractual entries: %+v", co)
	}
	if res.State == storage.StateDenied || res.Denial == nil || res.Denial.Whole || res.Denied != 4000 {
		t.Errorf("state %s, denied %s, denial %+v; want a partial denial of 40.00 (line 2 CO-97), not a whole-claim denial",
			res.State, res.Denied, res.Denial)
	}
	if res.PatientShare != 7000 || !res.Secondary {
		t.Errorf("patient share %s, secondary %v; want 70.00 deductible and the next payer billed", res.PatientShare, res.Secondary)
	}
}

// TestClaimWithoutLines: a claim with no SVC loop: CLP04 is the payment (6.9
// step 4), claim-level CO-45 is contractual, PR 1/2/3 in one CAS are split into
// deductible, coinsurance and copay.
func TestClaimWithoutLines(t *testing.T) {
	t.Parallel()
	c := posting.Claim{ID: 21, PatientID: 2, PayerID: 3, BillingProviderID: 4}
	rem := remit835(t, "180", "AUD2", "LX*1~CLP*N1*1*300*180*70*12*ICNN~CAS*CO*45*50~CAS*PR*1*40**2*20**3*10~NM1*QC*1*DOE*PAT~")
	res := postOne(t, rem, 0, &c)
	checkEntries(t, res.Entries, []entry{
		{"r1/0/pay", storage.KindInsurancePayment, storage.BucketInsurance, -18000, 0, ""},
		{"r1/0/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, -5000, 0, "CO-45"},
		{"r1/0/PR-1/from", storage.KindDeductible, storage.BucketInsurance, -4000, 0, "PR-1"},
		{"r1/0/PR-1/to", storage.KindDeductible, storage.BucketPatient, 4000, 0, "PR-1"},
		{"r1/0/PR-2/from", storage.KindCoinsurance, storage.BucketInsurance, -2000, 0, "PR-2"},
		{"r1/0/PR-2/to", storage.KindCoinsurance, storage.BucketPatient, 2000, 0, "PR-2"},
		{"r1/0/PR-3/from", storage.KindCopay, storage.BucketInsurance, -1000, 0, "PR-3"},
		{"r1/0/PR-3/to", storage.KindCopay, storage.BucketPatient, 1000, 0, "PR-3"},
	})
	if ins := 30000 + sum(res.Entries, storage.BucketInsurance); ins != 0 {
		t.Errorf("insurance balance %s", ins)
	}
	if res.State != storage.StatePaid || res.PatientShare != 7000 || res.Denial != nil {
		t.Errorf("state %s, patient share %s, denial %+v", res.State, res.PatientShare, res.Denial)
	}
}

// TestSixTriosOneCAS: one CO segment with six reason/amount trios, pricing
// (45, 253, 42, 59) and denial (97, 16) reasons mixed: pricing is written off,
// denials are not, the claim is partially paid.
func TestSixTriosOneCAS(t *testing.T) {
	t.Parallel()
	c := claimA17
	c.FurtherCoverage = false
	// 200 - (10+2+5+3+1+4) = 175.
	rem := remit835(t, "175", "AUD3", "LX*1~CLP*A17*1*200*175**12*ICN6T~NM1*QC*1*DOE*PAT~MOA***N130~"+
		"SVC*HC:99213*200*175**1~DTM*472*20250120~CAS*CO*45*10**253*2**97*5**16*3**42*1**59*4~REF*6R*A17-1~")
	if n := len(rem.Claims[0].Lines[0].Adjustments); n != 6 {
		t.Fatalf("%d adjustments read from one CAS, want 6", n)
	}
	res := postOne(t, rem, 0, &c)
	checkEntries(t, res.Entries, []entry{
		{"r1/0/1/pay", storage.KindInsurancePayment, storage.BucketInsurance, -17500, 100, ""},
		{"r1/0/1/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, -1000, 100, "CO-45"},
		{"r1/0/1/CO-253", storage.KindContractualAdjustment, storage.BucketInsurance, -200, 100, "CO-253"},
		{"r1/0/1/CO-42", storage.KindContractualAdjustment, storage.BucketInsurance, -100, 100, "CO-42"},
		{"r1/0/1/CO-59", storage.KindContractualAdjustment, storage.BucketInsurance, -400, 100, "CO-59"},
	})
	if res.State != storage.StatePartiallyPaid || res.Denied != 800 || res.Denial == nil || res.Denial.Whole ||
		strings.Join(res.Denial.Codes, ",") != "CO-97,CO-16,N130" {
		t.Errorf("state %s, denied %s, denial %+v", res.State, res.Denied, res.Denial)
	}
}

// TestZeroAmountCAS: a zero CAS amount (even with a denial CARC) moves nothing
// and is no denial.
func TestZeroAmountCAS(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "150", "AUD4", "LX*1~CLP*A17*1*200*150**12*ICNZ~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*200*150**1~DTM*472*20250120~CAS*CO*45*50**50*0~REF*6R*A17-1~")
	res := postOne(t, rem, 0, &claimA17)
	checkEntries(t, res.Entries, []entry{
		{"r1/0/1/pay", storage.KindInsurancePayment, storage.BucketInsurance, -15000, 100, ""},
		{"r1/0/1/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, -5000, 100, "CO-45"},
	})
	if res.State != storage.StatePaid || res.Denial != nil || res.Secondary {
		t.Errorf("state %s, denial %+v, secondary %v", res.State, res.Denial, res.Secondary)
	}
}

// TestNegativeCO45: a negative CO-45 increases the payment (6.3): the
// contractual entry is positive and the claim balances to zero.
func TestNegativeCO45(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "210", "AUD5", "LX*1~CLP*A17*1*200*210**12*ICNNEG~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*200*210**1~DTM*472*20250120~CAS*CO*45*-10~REF*6R*A17-1~")
	res := postOne(t, rem, 0, &claimA17)
	checkEntries(t, res.Entries, []entry{
		{"r1/0/1/pay", storage.KindInsurancePayment, storage.BucketInsurance, -21000, 100, ""},
		{"r1/0/1/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, 1000, 100, "CO-45"},
	})
	if ins := 20000 + sum(res.Entries, storage.BucketInsurance); ins != 0 || res.State != storage.StatePaid {
		t.Errorf("insurance %s, state %s", ins, res.State)
	}
}

// TestClaimLevelPRWithLines: line-level CO-45 and a claim-level PR-3 copay;
// the copay moves to the patient at claim level, payments total CLP04.
func TestClaimLevelPRWithLines(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "130", "AUD6", "LX*1~CLP*A17*1*200*130*20*12*ICNCP~CAS*PR*3*20~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*200*150**1~DTM*472*20250120~CAS*CO*45*50~REF*6R*A17-1~")
	res := postOne(t, rem, 0, &claimA17)
	var pay billing.Money
	for _, e := range kinds(res.Entries, storage.KindInsurancePayment) {
		pay += e.Amount
	}
	if pay != -13000 {
		t.Errorf("payments %s, want -130.00 (CLP04)", pay)
	}
	cp := kinds(res.Entries, storage.KindCopay)
	if len(cp) != 2 || cp[1].Bucket != storage.BucketPatient || cp[1].Amount != 2000 || cp[1].LineID != 0 {
		t.Errorf("copay entries %+v", cp)
	}
	if ins, pat := 20000+sum(res.Entries, storage.BucketInsurance), sum(res.Entries, storage.BucketPatient); ins != 0 || pat != 2000 {
		t.Errorf("insurance %s, patient %s", ins, pat)
	}
	if res.PatientShare != 2000 || !res.Secondary || res.State != storage.StatePaid {
		t.Errorf("patient share %s, secondary %v, state %s", res.PatientShare, res.Secondary, res.State)
	}
}

// TestSecondaryOA23: a secondary (CLP02 2) remittance: OA-23 carries the
// primary's adjudication and posts nothing (6.8, 6.9 step 5); CO-45 and PR-2 post.
func TestSecondaryOA23(t *testing.T) {
	t.Parallel()
	c := claimA17
	c.FurtherCoverage = false
	rem := remit835(t, "20", "AUD7", "LX*1~CLP*A17*2*200*20*10*12*ICNS~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*200*20**1~DTM*472*20250120~CAS*OA*23*150~CAS*CO*45*20~CAS*PR*2*10~REF*6R*A17-1~")
	res := postOne(t, rem, 0, &c)
	checkEntries(t, res.Entries, []entry{
		{"r1/0/1/pay", storage.KindInsurancePayment, storage.BucketInsurance, -2000, 100, ""},
		{"r1/0/1/CO-45", storage.KindContractualAdjustment, storage.BucketInsurance, -2000, 100, "CO-45"},
		{"r1/0/1/PR-2/from", storage.KindCoinsurance, storage.BucketInsurance, -1000, 100, "PR-2"},
		{"r1/0/1/PR-2/to", storage.KindCoinsurance, storage.BucketPatient, 1000, 100, "PR-2"},
	})
	if res.State != storage.StatePaid || res.Denial != nil || res.Secondary {
		t.Errorf("state %s, denial %+v, secondary %v", res.State, res.Denial, res.Secondary)
	}
}

// TestSecondaryForwardedCrossover: CLP02 20 with NM1*TT (6.8): posted, the
// claim is forwarded, the next payer is not billed by us, OA-23 is informational.
func TestSecondaryForwardedCrossover(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "20", "AUD8", "LX*1~CLP*A17*20*200*20*10*12*ICNX~NM1*QC*1*DOE*PAT~NM1*TT*2*MEDICAID*****PI*77777~MOA***MA18~"+
		"SVC*HC:99213*200*20**1~DTM*472*20250120~CAS*OA*23*150~CAS*CO*45*20~CAS*PR*2*10~REF*6R*A17-1~")
	res := postOne(t, rem, 0, &claimA17)
	if !res.Crossover || res.Secondary || res.State != storage.StateForwarded || len(kinds(res.Entries, storage.KindOtherAdjustment)) != 0 {
		t.Errorf("crossover %v, secondary %v, state %s, entries %d", res.Crossover, res.Secondary, res.State, len(res.Entries))
	}
}

// TestStatus4WithPR: CLP02 4 is a whole denial: nothing written off
// (no contractual or other adjustment), the denial queue gets it.
func TestStatus4WithPR(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "0", "AUD9", "LX*1~CLP*A17*4*200*0*20*12*ICN4~CAS*CO*31*150**45*30~CAS*PR*1*20~NM1*QC*1*DOE*PAT~MOA***MA130~")
	res := postOne(t, rem, 0, &claimA17)
	if n := len(kinds(res.Entries, storage.KindContractualAdjustment)) + len(kinds(res.Entries, storage.KindOtherAdjustment)); n != 0 {
		t.Errorf("%d write-off entries on a CLP02 4 denial", n)
	}
	if res.State != storage.StateDenied || res.Denial == nil || !res.Denial.Whole || res.Secondary ||
		!strings.Contains(strings.Join(res.Denial.Codes, ","), "CO-31") || !strings.Contains(strings.Join(res.Denial.Codes, ","), "MA130") {
		t.Errorf("state %s, denial %+v, secondary %v", res.State, res.Denial, res.Secondary)
	}
}

// TestClaimLevelPIDenial: claim-level PI-204 on a paid claim: not written
// off, partial denial.
func TestClaimLevelPIDenial(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "120", "AUD10", "LX*1~CLP*A17*1*200*120**12*ICNPI~CAS*PI*204*30~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*200*150**1~DTM*472*20250120~CAS*CO*45*50~REF*6R*A17-1~")
	res := postOne(t, rem, 0, &claimA17)
	if ins := 20000 + sum(res.Entries, storage.BucketInsurance); ins != 3000 {
		t.Errorf("insurance balance %s, want 30.00 left for the denial queue", ins)
	}
	if res.State != storage.StatePartiallyPaid || res.Denial == nil || res.Denial.Whole || res.Denied != 3000 ||
		strings.Join(res.Denial.Codes, ",") != "PI-204" {
		t.Errorf("state %s, denial %+v", res.State, res.Denial)
	}
}

// TestReversalPostsNothingItself: CLP02 22 with negated amounts and CAS
// (6.7): Post itself writes no entry and raises no denial, even when the negated
// CAS carries a denial CARC; the caller undoes the original.
func TestReversalPostsNothingItself(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "0", "AUD11", "LX*1~CLP*A17*22*-200*0**12*ICNR~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*-200*0**-1~DTM*472*20250120~CAS*CO*50*-200~REF*6R*A17-1~")
	res := postOne(t, rem, 0, &claimA17)
	if !res.Reverses || res.State != storage.StateReversed || len(res.Entries) != 0 || res.Denial != nil || res.Secondary {
		t.Errorf("%+v", res)
	}
}

// TestSVC06Precedence: without REF*6R, a line the payer recoded (SVC06 our
// 99214, SVC01 their 99213) matches our 99214, and the unchanged 99213 our 99213,
// in either order.
func TestSVC06Precedence(t *testing.T) {
	t.Parallel()
	lines := []posting.Line{
		{ID: 1, Procedure: "99214", Charge: 15000, ServiceDate: billing.NewDate(2025, 3, 3)},
		{ID: 2, Procedure: "99213", Charge: 15000, ServiceDate: billing.NewDate(2025, 3, 3)},
	}
	for _, tc := range []struct {
		body string
		want []int64
	}{
		{"SVC*HC:99213*150*100**1*HC:99214~DTM*472*20250303~CAS*CO*45*50~SVC*HC:99213*150*100**1~DTM*472*20250303~CAS*CO*45*50~", []int64{1, 2}},
		{"SVC*HC:99213*150*100**1~DTM*472*20250303~CAS*CO*45*50~SVC*HC:99213*150*100**1*HC:99214~DTM*472*20250303~CAS*CO*45*50~", []int64{2, 1}},
	} {
		rem := remit835(t, "200", "AUD12", "LX*1~CLP*M*1*300*200**12*ICNM~NM1*QC*1*DOE*PAT~"+tc.body)
		got := posting.MatchLines(&rem.Claims[0], lines)
		if len(got) != 2 || got[0] != tc.want[0] || got[1] != tc.want[1] {
			t.Errorf("matched %v, want %v", got, tc.want)
		}
	}
}

// TestUnbundledSameREF6R: the payer unbundled our line U-1 (80053, 100.00)
// into two services, both carrying our REF*6R U-1 and SVC06 80053; the second has
// SVC02 0. Both pay our line U-1 (6.9 step 3: per SVC, match by REF*6R).
func TestUnbundledSameREF6R(t *testing.T) {
	t.Parallel()
	c := posting.Claim{ID: 22, PatientID: 2, PayerID: 3, BillingProviderID: 4, Lines: []posting.Line{
		{ID: 221, ControlNumber: "U-1", Procedure: "80053", Charge: 10000, ServiceDate: billing.NewDate(2025, 3, 3)},
		{ID: 222, ControlNumber: "U-2", Procedure: "85025", Charge: 3000, ServiceDate: billing.NewDate(2025, 3, 3)},
	}}
	// 100 - CO-45 70 = 30; 0 - CO-45 -20 = 20; 30 - CO-45 10 = 20: CLP04 70 of 130.
	rem := remit835(t, "70", "AUD13", "LX*1~CLP*U*1*130*70**12*ICNU~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:82947*100*30**1*HC:80053~DTM*472*20250303~CAS*CO*45*70~REF*6R*U-1~"+
		"SVC*HC:84132*0*20**1*HC:80053~DTM*472*20250303~CAS*CO*45*-20~REF*6R*U-1~"+
		"SVC*HC:85025*30*20**1~DTM*472*20250303~CAS*CO*45*10~REF*6R*U-2~")
	got := posting.MatchLines(&rem.Claims[0], c.Lines)
	if len(got) != 3 || got[0] != 221 || got[1] != 221 || got[2] != 222 {
		t.Errorf("matched %v, want [221 221 222]", got)
	}
	res := postOne(t, rem, 0, &c)
	for _, e := range res.Entries {
		if e.LineID == 0 {
			t.Errorf("entry %s %s not on a line", e.IdempotencyKey, e.Amount)
		}
	}
}

// TestDenialRemarksMOAAndLQ: a whole denial (CO-16, nothing paid) lists the
// CARC and the RARCs of MOA and of LQ*HE (6.4, 6.9 step 5).
func TestDenialRemarksMOAAndLQ(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "0", "AUD14", "LX*1~CLP*A17*1*200*0**12*ICN16~NM1*QC*1*DOE*PAT~MOA***MA130*M20~"+
		"SVC*HC:99213*200*0**1~DTM*472*20250120~CAS*CO*16*200~REF*6R*A17-1~LQ*HE*N56~")
	res := postOne(t, rem, 0, &claimA17)
	if len(res.Entries) != 0 || res.State != storage.StateDenied || res.Denial == nil || !res.Denial.Whole ||
		strings.Join(res.Denial.Codes, ",") != "CO-16,MA130,M20,N56" {
		t.Errorf("entries %d, state %s, denial %+v", len(res.Entries), res.State, res.Denial)
	}
}

// TestAmountSpellings: "100" and "100.00", ".5" and "0.50" are the same
// amounts: the remittance and claim payment keys (6.10) do not change with the
// spelling, so a re-sent 835 written differently is still a duplicate.
func TestAmountSpellings(t *testing.T) {
	t.Parallel()
	body := func(charge, paid, adj string) string {
		return "LX*1~CLP*A17*1*" + charge + "*" + paid + "**12*ICNA~NM1*QC*1*DOE*PAT~" +
			"SVC*HC:99213*" + charge + "*" + paid + "**1~DTM*472*20250120~CAS*CO*45*" + adj + "~REF*6R*A17-1~"
	}
	a := remit835(t, "199.5", "AUD15", body("200", "199.5", ".5"))
	b := remit835(t, "199.50", "AUD15", body("200.00", "199.50", "0.50"))
	if a.Claims[0].Paid != 19950 || a.Claims[0].Lines[0].Adjustments[0].Amount != 50 || a.Claims[0].Charge != 20000 {
		t.Fatalf("read %d %d %d", a.Claims[0].Charge, a.Claims[0].Paid, a.Claims[0].Lines[0].Adjustments[0].Amount)
	}
	ka, kb := posting.RemitKey(a), posting.RemitKey(b)
	if ka != kb {
		t.Errorf("remit keys differ: %q %q", ka, kb)
	}
	if pa, pb := posting.PaymentKeys(a, ka), posting.PaymentKeys(b, kb); pa[0] != pb[0] {
		t.Errorf("payment keys differ: %q %q", pa[0], pb[0])
	}
}

// TestPaymentKeysReversalCorrection: reversal and correction of one claim in
// one 835 have distinct payment keys (6.10), and split claims with the same
// CLP01/CLP07/CLP02/CLP04 are both kept.
func TestPaymentKeysReversalCorrection(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "140", "AUD16", "LX*1~"+
		"CLP*A17*22*-200*-120**12*ICN1~CAS*CO*45*-50~CAS*PR*2*-30~NM1*QC*1*DOE*PAT~"+
		"CLP*A17*1*200*130*20*12*ICN1~CAS*CO*45*50~CAS*PR*2*20~NM1*QC*1*DOE*PAT~"+
		"CLP*A17*1*200*65*10*12*ICN1~CAS*CO*45*125~CAS*PR*2*10~NM1*QC*1*DOE*PAT~"+
		"CLP*A17*1*200*65*10*12*ICN1~CAS*CO*45*125~CAS*PR*2*10~NM1*QC*1*DOE*PAT~")
	keys := posting.PaymentKeys(rem, posting.RemitKey(rem))
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Errorf("payment key %q repeated", k)
		}
		seen[k] = true
	}
	if !strings.HasSuffix(keys[3], "#2") {
		t.Errorf("split claim repeat key %q", keys[3])
	}
}

// TestPLBFBAndRecoupment: PLB FB and WO tied to the claims their reference
// names, interest L6 kept as the payer sent it, all on the provider bucket.
func TestPLBFBAndRecoupment(t *testing.T) {
	t.Parallel()
	// 120 - (WO 150 + FB -30) = 0: the recoupment exceeds the payment and the payer
	// forwards the balance (6.6, RFI 222).
	rem := remit835(t, "0", "AUD17", example66+"PLB*1234567893*20251231*WO:ICN0099*150*FB:ICN0099*-30~")
	ids := map[string]int64{"ICN0099": 55}
	got := posting.ProviderEntries(rem, posting.ProviderInput{RemitID: 4, On: posting.EffectiveDate(rem), BillingProviderID: 4,
		Claim: func(ref string) int64 { return ids[ref] }})
	checkEntries(t, got, []entry{
		{"r4/plb/1", storage.KindProviderAdjustment, storage.BucketProvider, 15000, 0, "PLB-WO"},
		{"r4/plb/2", storage.KindProviderAdjustment, storage.BucketProvider, -3000, 0, "PLB-FB"},
	})
	for _, e := range got {
		if e.ClaimID != 55 || e.PatientID != 0 {
			t.Errorf("PLB entry %+v", e)
		}
	}
}

// TestReversalLinkedByF8: a payer that gives the reversal a claim number of its own
// names the original's in REF*F8 (X12-GUIDE 6.7); the reversal still finds it, and
// without the REF it finds nothing.
func TestReversalLinkedByF8(t *testing.T) {
	t.Parallel()
	earlier := []storage.ClaimPayment{
		{ID: 70, Status: "1", PayerClaimNumber: "ICN1", Paid: 12000},
		{ID: 71, Status: "1", PayerClaimNumber: "ICN9", Paid: 12000},
	}
	body := "LX*1~CLP*A17*22*-200*-120**12*ICNREV~CAS*CO*45*-50~CAS*PR*2*-30~NM1*QC*1*DOE*PAT~%s" +
		"CLP*A17*1*200*130*20*12*ICNNEW~CAS*CO*45*50~CAS*PR*2*20~NM1*QC*1*DOE*PAT~"
	rem := remit835(t, "10", "F81", strings.Replace(body, "%s", "REF*F8*ICN1~", 1))
	if o, ok := posting.Original(earlier, &rem.Claims[0]); !ok || o.ID != 70 {
		t.Errorf("with REF*F8*ICN1: original %+v %v, want payment 70", o, ok)
	}
	rem = remit835(t, "10", "F82", strings.Replace(body, "%s", "", 1))
	if o, ok := posting.Original(earlier, &rem.Claims[0]); ok {
		t.Errorf("without REF*F8 the reversal's own number ICNREV names no payment, got %+v", o)
	}
}

// TestMatchLinesModifierOrderAndDates: the fallback match takes the modifiers in
// any order, and a service that gives its date is matched before one that does not,
// so that the undated one does not take the dated one's line.
func TestMatchLinesModifierOrderAndDates(t *testing.T) {
	t.Parallel()
	lines := []posting.Line{
		{ID: 1, Procedure: "97110", Modifiers: []string{"GP", "59"}, Charge: 5000, ServiceDate: billing.NewDate(2025, 3, 3)},
		{ID: 2, Procedure: "97110", Modifiers: []string{"GP", "59"}, Charge: 5000, ServiceDate: billing.NewDate(2025, 3, 4)},
	}
	rem := remit835(t, "60", "MO1", "LX*1~CLP*M*1*100*60*0*12*ICNM~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:97110:59:GP*50*30**1~CAS*CO*45*20~"+ // no date: either line fits
		"SVC*HC:97110:59:GP*50*30**1~DTM*472*20250303~CAS*CO*45*20~") // the 3rd's: line 1
	got := posting.MatchLines(&rem.Claims[0], lines)
	if len(got) != 2 || got[0] != 2 || got[1] != 1 {
		t.Fatalf("matched %v, want [2 1]", got)
	}
}

// TestProviderEntriesPerPLBProvider: a PLB that names a provider of its own posts
// to that provider; the others to the payee's.
func TestProviderEntriesPerPLBProvider(t *testing.T) {
	t.Parallel()
	rem := remit835(t, "117.85", "PL1", example66+
		"PLB*1234567893*20251231*L6:A17*-2.15~PLB*1999999984*20251231*WO:ICNX*4.30~")
	es := posting.ProviderEntries(rem, posting.ProviderInput{RemitID: 5, BillingProviderID: 4,
		Providers: map[string]int64{"1999999984": 9}})
	if len(es) != 2 || es[0].BillingProviderID != 4 || es[0].Amount != -215 || es[1].BillingProviderID != 9 || es[1].Amount != 430 {
		t.Fatalf("provider entries %+v", es)
	}
}
