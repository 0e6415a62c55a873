package cob_test

// How each shape of a payer's decision (its 835 claim payment) reaches the claim for
// the next payer and its 837P: 2320/2330B and 2430 (X12-GUIDE sections 6.6 and 7).

import (
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/billing/cob"
	"github.com/claimflow/claimflow/billing/scrub"
)

// twoLineClaim is exampleClaim with a second line, 36415 of $20.00.
func twoLineClaim() billing.Claim {
	c := exampleClaim()
	c.Lines = append(c.Lines, billing.Line{Procedure: billing.Procedure{Code: "36415"}, Charge: 20_00,
		ServiceDates: billing.Period{From: billing.NewDate(2025, time.January, 6)}})
	c.Charge = 0
	c.Normalize()
	return c
}

func adj(group, reason string, amount billing.Money) billing.Adjustment {
	return billing.Adjustment{Group: group, Reason: reason, Amount: amount}
}

// next is cob.Next that fails the test on an error.
func next(t *testing.T, c billing.Claim, p cob.Payment) billing.Claim {
	t.Helper()
	n, _, err := cob.Next(&c, &p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// hasAll reports the segments that text lacks.
func hasAll(t *testing.T, text string, segs ...string) {
	t.Helper()
	for _, s := range segs {
		if !strings.Contains(text, s) {
			t.Errorf("837P lacks %s in\n%s", s, text)
		}
	}
}

// loop returns the lines of an 837P written one segment a line from the first that
// starts with from up to, not including, the next that starts with one of stops.
func loop(out, from string, stops ...string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(out, "\n") {
		if !in && !strings.HasPrefix(l, from) {
			continue
		}
		if in {
			for _, s := range stops {
				if strings.HasPrefix(l, s) {
					return b.String()
				}
			}
		}
		in = true
		b.WriteString(l + "\n")
	}
	return b.String()
}

// TestAdjudicationClaimLevelOnly: an 835 without service lines gives 2320 CAS as the
// payer sent it, AMT*D, AMT*EAF (zero included: X12 RFI 1515) and 2330B DTP*573, and
// no 2430.
func TestAdjudicationClaimLevelOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		adj  []billing.Adjustment
		want []string
	}{
		{"patient share", []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)},
			[]string{"CAS*CO*45*50~", "CAS*PR*2*30~", "AMT*D*120~", "AMT*EAF*30~", "DTP*573*D8*20250120~"}},
		{"no patient share", []billing.Adjustment{adj("CO", "45", 50_00), adj("PI", "204", 30_00)},
			[]string{"CAS*CO*45*50~", "CAS*PI*204*30~", "AMT*D*120~", "AMT*EAF*0~", "DTP*573*D8*20250120~"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := next(t, exampleClaim(), cob.Payment{Status: "1", Charge: 200_00, Paid: 120_00, PayerClaimNumber: "ICN1",
				Date: adjudicated, Adjustments: tc.adj})
			if a := n.Coverages[0].Adjudication; a.RemainingPatientLiability == nil || len(a.Lines) != 0 {
				t.Fatalf("adjudication = %+v, want a remaining liability and no lines", a)
			}
			out := buildValid(t, n)
			hasAll(t, out, tc.want...)
			if strings.Contains(out, "SVD*") {
				t.Error("837P has a 2430 for a decision without lines")
			}
			cobClean(t, n)
		})
	}
}

// TestAdjudicationLineZeroPatientLiability: a line the payer denied with no patient
// share still gets 2430 AMT*EAF*0 (X12 RFI 1515).
func TestAdjudicationLineZeroPatientLiability(t *testing.T) {
	t.Parallel()
	n := next(t, twoLineClaim(), cob.Payment{Status: "1", Charge: 220_00, Paid: 120_00, PatientResponsibility: 30_00, PayerClaimNumber: "ICN9", Date: adjudicated,
		Services: []cob.Service{
			{Line: 1, Procedure: billing.Procedure{Qualifier: "HC", Code: "99213"}, Charge: 200_00, Paid: 120_00,
				Adjustments: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}},
			{Line: 2, Procedure: billing.Procedure{Qualifier: "HC", Code: "36415"}, Charge: 20_00,
				Adjustments: []billing.Adjustment{adj("CO", "50", 20_00)}},
		}})
	if la := n.Coverages[0].Adjudication.Lines[1]; la.RemainingPatientLiability == nil || *la.RemainingPatientLiability != 0 {
		t.Fatalf("2430 of the denied line: remaining liability %v, want 0", la.RemainingPatientLiability)
	}
	hasAll(t, loop(buildValid(t, n), "LX*2~", "SE*"), "SVD*12345*0*HC:36415**1~", "CAS*CO*50*20~", "DTP*573*D8*20250120~", "AMT*EAF*0~")
}

// TestAdjudicationAdjustmentSegments: one CAS segment per group with up to six
// reasons, a group's reasons together even when the 835 interleaved them, a seventh
// reason in a second segment; at claim level the same group and reason of several
// services are added up.
func TestAdjudicationAdjustmentSegments(t *testing.T) {
	t.Parallel()
	p := primaryPayment()
	p.Services[0].Adjustments = []billing.Adjustment{adj("CO", "45", 40_00), adj("PR", "1", 20_00), adj("CO", "253", 2_00),
		adj("PR", "2", 8_00), adj("OA", "23", 10_00)}
	n := next(t, exampleClaim(), p)
	hasAll(t, buildValid(t, n), "CAS*CO*45*40**253*2~", "CAS*PR*1*20**2*8~", "CAS*OA*23*10~")
	cobClean(t, n)

	p = primaryPayment()
	p.Services[0].Adjustments = []billing.Adjustment{adj("CO", "45", 10_00), adj("CO", "253", 10_00), adj("CO", "59", 10_00),
		adj("CO", "94", 10_00), adj("CO", "131", 10_00), adj("CO", "144", 10_00), adj("CO", "237", 20_00)}
	hasAll(t, buildValid(t, next(t, exampleClaim(), p)), "CAS*CO*45*10**253*10**59*10**94*10**131*10**144*10~", "CAS*CO*237*20~")

	// The second service matched no line: everything goes to claim level.
	n = next(t, twoLineClaim(), cob.Payment{Status: "1", Charge: 220_00, Paid: 126_00, Date: adjudicated, PayerClaimNumber: "ICN2",
		Services: []cob.Service{
			{Line: 1, Procedure: billing.Procedure{Code: "99213"}, Charge: 200_00, Paid: 120_00,
				Adjustments: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}},
			{Procedure: billing.Procedure{Code: "36415"}, Charge: 20_00, Paid: 6_00,
				Adjustments: []billing.Adjustment{adj("CO", "45", 10_00), adj("PR", "2", 4_00)}},
		}})
	hasAll(t, buildValid(t, n), "CAS*CO*45*60~", "CAS*PR*2*34~", "AMT*D*126~", "AMT*EAF*34~")
	cobClean(t, n)
}

// TestAdjudicationDeniedLineAndNothingPaid: a denied line keeps its 2430 with SVD02
// 0; a payer that paid nothing at all still gets AMT*D*0, with or without lines.
func TestAdjudicationDeniedLineAndNothingPaid(t *testing.T) {
	t.Parallel()
	p := cob.Payment{Status: "1", Charge: 220_00, Paid: 120_00, PatientResponsibility: 30_00, PayerClaimNumber: "ICN3", Date: adjudicated,
		Services: []cob.Service{
			{Line: 1, Procedure: billing.Procedure{Qualifier: "HC", Code: "99213"}, Charge: 200_00, Paid: 120_00,
				Adjustments: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}},
			{Line: 2, Procedure: billing.Procedure{Qualifier: "HC", Code: "36415"}, Charge: 20_00,
				Adjustments: []billing.Adjustment{adj("CO", "50", 20_00)}},
		}}
	n := next(t, twoLineClaim(), p)
	hasAll(t, loop(buildValid(t, n), "LX*2~", "SE*"), "SVD*12345*0*HC:36415**1~", "CAS*CO*50*20~", "DTP*573*D8*20250120~")
	cobClean(t, n)

	p.Paid, p.Services[0].Paid = 0, 0
	p.Services[0].Adjustments = []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "1", 150_00)}
	n = next(t, twoLineClaim(), p)
	hasAll(t, buildValid(t, n), "AMT*D*0~", "SVD*12345*0*HC:99213**1~", "SVD*12345*0*HC:36415**1~")
	cobClean(t, n)

	n = next(t, twoLineClaim(), cob.Payment{Status: "1", Charge: 220_00, PayerClaimNumber: "ICN4", Date: adjudicated,
		Adjustments: []billing.Adjustment{adj("PR", "1", 220_00)}})
	hasAll(t, buildValid(t, n), "AMT*D*0~", "CAS*PR*1*220~", "AMT*EAF*220~", "DTP*573*D8*20250120~")
	cobClean(t, n)
}

// TestAdjudicationLineNotAdjudicated: a line without a service payment gets no 2430;
// its charge in the claim-level CAS keeps the claim balanced. Left out of the 835
// altogether, it leaves the claim unbalanced, which the scrubber holds on 2320 AMT*D.
func TestAdjudicationLineNotAdjudicated(t *testing.T) {
	t.Parallel()
	p := primaryPayment()
	p.Charge = 220_00
	p.Adjustments = []billing.Adjustment{adj("OA", "A1", 20_00)}
	n := next(t, twoLineClaim(), p)
	out := buildValid(t, n)
	if l2 := loop(out, "LX*2~", "SE*"); strings.Contains(l2, "SVD*") {
		t.Errorf("line 2 was not adjudicated but has a 2430:\n%s", l2)
	}
	hasAll(t, out, "CAS*OA*A1*20~", "AMT*D*120~")
	cobClean(t, n)

	held := false
	for _, f := range cobFindings(t, next(t, twoLineClaim(), primaryPayment())) {
		held = held || (f.Rule == "cob-balance" && f.Severity == scrub.Error && f.X12 == "2320 AMT*D AMT02")
	}
	if !held {
		t.Error("line 2's charge is nowhere in the decision, and the scrubber does not hold the claim on 2320 AMT*D")
	}
}

// TestAdjudicationChangedProcedure: SVD03 is the procedure as the payer adjudicated
// it, not as billed.
func TestAdjudicationChangedProcedure(t *testing.T) {
	t.Parallel()
	c := exampleClaim()
	c.Lines[0].Procedure = billing.Procedure{Qualifier: "HC", Code: "99214", Modifiers: []string{"25"}}
	p := primaryPayment()
	p.Services[0].Procedure = billing.Procedure{Qualifier: "HC", Code: "99213"}
	out := buildValid(t, next(t, c, p))
	hasAll(t, out, "SV1*HC:99214:25*200*", "SVD*12345*120*HC:99213**1~")
}

// TestAdjudicationUnitsPaid: SVD05 is the paid units of SVC05, and one unit when the
// 835 leaves SVC05 out (835 TR3; X12 RFI 2163), not the units billed.
func TestAdjudicationUnitsPaid(t *testing.T) {
	t.Parallel()
	c := exampleClaim()
	c.Lines[0].Units = billing.Units(3)
	for _, tc := range []struct {
		units billing.Quantity
		want  string
	}{{0, "SVD*12345*120*HC:99213**1~"}, {billing.Units(2), "SVD*12345*120*HC:99213**2~"}} {
		p := primaryPayment()
		p.Services[0].Units = tc.units
		n := next(t, c, p)
		if got := n.Coverages[0].Adjudication.Lines[0].Units; got == 0 {
			t.Errorf("SVC05 %v: no paid units in the line adjudication", tc.units)
		}
		hasAll(t, buildValid(t, n), tc.want)
	}
}

// TestAdjudicationNegativeAdjustment: a negative adjustment (allowed above the
// charge) is sent with its sign and balances, per line and at claim level.
func TestAdjudicationNegativeAdjustment(t *testing.T) {
	t.Parallel()
	p := cob.Payment{Status: "1", Charge: 200_00, Paid: 175_00, PatientResponsibility: 30_00, PayerClaimNumber: "ICN5", Date: adjudicated,
		Services: []cob.Service{{Line: 1, Procedure: billing.Procedure{Qualifier: "HC", Code: "99213"}, Charge: 200_00, Paid: 175_00,
			Adjustments: []billing.Adjustment{adj("CO", "45", -5_00), adj("PR", "2", 30_00)}}}}
	n := next(t, exampleClaim(), p)
	hasAll(t, buildValid(t, n), "SVD*12345*175*HC:99213**1~", "CAS*CO*45*-5~", "AMT*D*175~")
	cobClean(t, n)

	// At claim level a claim CO-45 of 5.00 offsets the line's -5.00.
	p.Services[0].Line = 0
	p.Adjustments = []billing.Adjustment{adj("CO", "45", 5_00)}
	p.Paid = 170_00
	n = next(t, exampleClaim(), p)
	hasAll(t, buildValid(t, n), "CAS*CO*45*0~", "CAS*PR*2*30~", "AMT*D*170~")
	cobClean(t, n)
}

// TestAdjudicationServicesOutOfOrder: services land on their own lines whatever
// their order in the 835, each 2430 dated with the payment date.
func TestAdjudicationServicesOutOfOrder(t *testing.T) {
	t.Parallel()
	n := next(t, twoLineClaim(), cob.Payment{Status: "1", Charge: 220_00, Paid: 136_00, PayerClaimNumber: "ICN7",
		Date: billing.NewDate(2025, time.January, 31),
		Services: []cob.Service{
			{Line: 2, Procedure: billing.Procedure{Qualifier: "HC", Code: "36415"}, Charge: 20_00, Paid: 16_00,
				Adjustments: []billing.Adjustment{adj("PR", "2", 4_00)}},
			{Line: 1, Procedure: billing.Procedure{Qualifier: "HC", Code: "99213"}, Charge: 200_00, Paid: 120_00,
				Adjustments: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}},
		}})
	out := buildValid(t, n)
	if c := strings.Count(out, "DTP*573*D8*20250131~"); c != 2 {
		t.Errorf("%d DTP*573 of 2025-01-31, want one in each 2430", c)
	}
	hasAll(t, loop(out, "LX*1~", "LX*2~"), "SVD*12345*120*HC:99213**1~")
	hasAll(t, loop(out, "LX*2~", "SE*"), "SVD*12345*16*HC:36415**1~", "AMT*EAF*4~")
}

// TestAdjudicationTertiaryAfterClaimLevelSecondary: the primary decided per line,
// the secondary at claim level only. The tertiary's 837P has two 2320 loops; the
// primary's date is on its 2430 loops only, the secondary's in its 2330B; each SVD01
// is the primary's 2330B NM109.
func TestAdjudicationTertiaryAfterClaimLevelSecondary(t *testing.T) {
	t.Parallel()
	sec := next(t, twoLineClaim(), cob.Payment{Status: "1", Charge: 220_00, Paid: 136_00, PayerClaimNumber: "ICN6", Date: adjudicated,
		Services: []cob.Service{
			{Line: 1, Procedure: billing.Procedure{Qualifier: "HC", Code: "99213"}, Charge: 200_00, Paid: 120_00,
				Adjustments: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}},
			{Line: 2, Procedure: billing.Procedure{Qualifier: "HC", Code: "36415"}, Charge: 20_00, Paid: 16_00,
				Adjustments: []billing.Adjustment{adj("PR", "2", 4_00)}},
		}})
	ter := next(t, sec, cob.Payment{Status: "2", Charge: 220_00, Paid: 24_00, PayerClaimNumber: "SEC-1", Date: billing.NewDate(2025, time.February, 3),
		Adjustments: []billing.Adjustment{adj("OA", "23", 186_00), adj("PR", "2", 10_00)}})
	out := buildValid(t, ter)
	hasAll(t, out, "SBR*T*18*******MC~")
	prim := loop(out, "SBR*P*", "SBR*S*", "LX*")
	if strings.Contains(prim, "DTP*573") {
		t.Errorf("the primary decided per line, yet its 2330B has DTP*573:\n%s", prim)
	}
	hasAll(t, loop(out, "SBR*S*", "SBR*P*", "LX*"), "CAS*OA*23*186~", "CAS*PR*2*10~", "AMT*D*24~", "AMT*EAF*10~",
		"DTP*573*D8*20250203~", "REF*F8*SEC-1~")
	if c := strings.Count(out, "SVD*12345*"); c != 2 || strings.Count(out, "SVD*") != 2 {
		t.Errorf("want the primary's two 2430 loops only (SVD*12345), got\n%s", out)
	}
	cobClean(t, ter)
}

// TestNextFilingIndicatorFromPayment: an earlier payer's 2320 SBR09 is its
// coverage's claim filing indicator, or else the one it adjudicated under (CLP06).
func TestNextFilingIndicatorFromPayment(t *testing.T) {
	t.Parallel()
	p := primaryPayment()
	p.FilingIndicator = "HM"
	c := exampleClaim()
	hasAll(t, buildValid(t, next(t, c, p)), "SBR*P*18*GRP1******CI~") // the coverage's own
	c.Coverages[0].FilingIndicator = ""
	n := next(t, c, p)
	if c.Coverages[0].FilingIndicator != "" {
		t.Error("Next changed the claim it was given")
	}
	hasAll(t, buildValid(t, n), "SBR*P*18*GRP1******HM~")
}
