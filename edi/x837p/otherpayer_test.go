package x837p_test

// Earlier payers' decisions on a claim for a later payer: loops 2320, 2330B and 2430
// written, checked and read back (X12-GUIDE sections 2.2 and 7).

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
)

// secondaryClaim is a two-line claim (99213 $200, 36415 $20) billed to the Medigap
// plan after ACME (AHP01) adjudicated it per line and paid 136.00.
func secondaryClaim() billing.Claim {
	dos := day(2025, 1, 6)
	c := billing.Claim{
		PatientControlNumber: "OP1", PlaceOfService: "11",
		Diagnoses:       []billing.Diagnosis{{Code: "J069"}},
		Patient:         alex,
		BillingProvider: practice,
		Coverages: []billing.Coverage{
			{Payer: acme, MemberID: "XYZ100000001", GroupNumber: "GRP1", FilingIndicator: "CI",
				Adjudication: &billing.OtherPayerAdjudication{PaidAmount: money(136), ClaimNumber: "ICN1", Date: day(2025, 1, 20),
					Lines: []billing.LineAdjudication{
						{Line: 1, PaidAmount: money(120), Adjustments: []billing.Adjustment{
							{Group: "CO", Reason: "45", Amount: money(50)}, {Group: "PR", Reason: "2", Amount: money(30)}}},
						{Line: 2, PaidAmount: money(16), Adjustments: []billing.Adjustment{{Group: "PR", Reason: "2", Amount: money(4)}}},
					}}},
			{Payer: medigap, MemberID: "MG300000003", FilingIndicator: "CI"},
		},
		Lines: []billing.Line{line("99213", 200, dos), line("36415", 20, dos)},
	}
	c.Normalize()
	return c
}

// claimLevel is ACME's decision of secondaryClaim sent at claim level only.
func claimLevel() *billing.OtherPayerAdjudication {
	return &billing.OtherPayerAdjudication{PaidAmount: money(136), ClaimNumber: "ICN1", Date: day(2025, 1, 20),
		Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: money(50)}, {Group: "PR", Reason: "2", Amount: money(34)}}}
}

// tertiary makes secondaryClaim a tertiary claim: the Medigap plan adjudicated it
// (as given) and the state plan is billed.
func tertiary(c *billing.Claim, medigapDecision *billing.OtherPayerAdjudication) {
	c.Coverages[1].Adjudication = medigapDecision
	c.Coverages = append(c.Coverages, billing.Coverage{Payer: stateAid, MemberID: "MCD0003", FilingIndicator: "MC"})
	c.Normalize()
}

// TestBuildRejectsOtherPayer: earlier payers' decisions the 837P cannot carry are
// refused, naming the field; those next to them that it can carry are written.
func TestBuildRejectsOtherPayer(t *testing.T) {
	t.Parallel()
	// Five groups, CO with six reasons: five CAS segments; a seventh CO reason
	// needs a sixth.
	var cas []billing.Adjustment
	for _, g := range []string{"CO", "CR", "OA", "PI", "PR"} {
		cas = append(cas, billing.Adjustment{Group: g, Reason: "45", Amount: money(1)})
	}
	for _, r := range []string{"1", "2", "3", "4", "5", "6"} {
		cas = append(cas, billing.Adjustment{Group: "CO", Reason: r, Amount: money(1)})
	}
	for _, tc := range []struct {
		name string
		edit func(c *billing.Claim)
		path billing.Path // "" when Build must accept the claim
		err  error
	}{
		{"claim level, dated", func(c *billing.Claim) { c.Coverages[0].Adjudication = claimLevel() }, "", nil},
		{"claim level without 2330B DTP*573", func(c *billing.Claim) {
			c.Coverages[0].Adjudication = claimLevel()
			c.Coverages[0].Adjudication.Date = billing.Date{}
		}, "claims[0].coverages[0].adjudication.date", x837p.ErrRequired},
		{"lines without 2430 DTP*573", func(c *billing.Claim) {
			a := c.Coverages[0].Adjudication
			a.Date, a.Lines[0].Date, a.Lines[1].Date = billing.Date{}, billing.Date{}, billing.Date{}
		}, "claims[0].coverages[0].adjudication.lines[0].date", x837p.ErrRequired},

		{"two payers with one id, at claim level", func(c *billing.Claim) {
			c.Coverages[0].Adjudication = claimLevel()
			c.Coverages[1].Payer.ID = acme.ID
			tertiary(c, &billing.OtherPayerAdjudication{PaidAmount: money(30), Date: day(2025, 2, 3),
				Adjustments: []billing.Adjustment{{Group: "OA", Reason: "23", Amount: money(190)}}})
		}, "", nil},
		{"two payers with one id, one with lines", func(c *billing.Claim) {
			c.Coverages[1].Payer = billing.Payer{Name: "ACME SECOND PLAN", ID: acme.ID}
			tertiary(c, &billing.OtherPayerAdjudication{PaidAmount: money(30), Date: day(2025, 2, 3),
				Adjustments: []billing.Adjustment{{Group: "OA", Reason: "23", Amount: money(190)}}})
		}, "claims[0].coverages[1].payer.id", x837p.ErrInvalid},

		{"5 CAS segments in 2430", func(c *billing.Claim) { c.Coverages[0].Adjudication.Lines[0].Adjustments = cas[:10] }, "", nil},
		{"6 CAS segments in 2430", func(c *billing.Claim) { c.Coverages[0].Adjudication.Lines[0].Adjustments = cas },
			"claims[0].coverages[0].adjudication.lines[0].adjustments", x837p.ErrTooMany},

		{"cost avoidance", func(c *billing.Claim) {
			c.Coverages[0].Adjudication = &billing.OtherPayerAdjudication{NonCoveredAmount: money(220)}
		}, "", nil},
		{"cost avoidance below CLM02", func(c *billing.Claim) {
			c.Coverages[0].Adjudication = &billing.OtherPayerAdjudication{NonCoveredAmount: money(200)}
		}, "claims[0].coverages[0].adjudication.non_covered_amount", x837p.ErrInvalid},
		{"cost avoidance with a payment", func(c *billing.Claim) {
			c.Coverages[0].Adjudication = &billing.OtherPayerAdjudication{NonCoveredAmount: money(220), PaidAmount: money(10)}
		}, "claims[0].coverages[0].adjudication.paid_amount", x837p.ErrInvalid},
		{"cost avoidance with adjustments", func(c *billing.Claim) {
			c.Coverages[0].Adjudication = claimLevel()
			c.Coverages[0].Adjudication.PaidAmount = 0
			c.Coverages[0].Adjudication.NonCoveredAmount = money(220)
		}, "claims[0].coverages[0].adjudication.adjustments", x837p.ErrInvalid},
		{"cost avoidance with lines", func(c *billing.Claim) { c.Coverages[0].Adjudication.NonCoveredAmount = money(220) },
			"claims[0].coverages[0].adjudication.lines", x837p.ErrInvalid},
	} {
		c := secondaryClaim()
		tc.edit(&c)
		var buf bytes.Buffer
		_, err := x837p.Build([]billing.Claim{c}, goldenOptions(), &buf, &x12.Counter{})
		if tc.path == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			} else {
				validate(t, tc.name, buf.Bytes())
			}
			continue
		}
		var probs billing.Problems
		found := false
		if errors.As(err, &probs) {
			for _, p := range probs {
				found = found || (p.Path == tc.path && errors.Is(p, tc.err))
			}
		}
		if !found {
			t.Errorf("%s: %v; want %v at %s", tc.name, err, tc.err, tc.path)
		}
	}
}

// TestOtherPayerCostAvoidance: a payer bypassed under cost-avoidance rules is sent
// as 2320 AMT*A8 = CLM02, without AMT*D, CAS or AMT*EAF, and reads back as such.
func TestOtherPayerCostAvoidance(t *testing.T) {
	t.Parallel()
	c := secondaryClaim()
	c.Coverages[0].Adjudication = &billing.OtherPayerAdjudication{NonCoveredAmount: money(220)}
	data, _ := build(t, []billing.Claim{c}, goldenOptions(), 1)
	validate(t, "cost avoidance", data)
	out := string(data)
	l2320 := out[strings.Index(out, "SBR*P*"):strings.Index(out, "NM1*PR*2*ACME")]
	if want := "SBR*P*18*GRP1******CI~\nAMT*A8*220~\nOI***Y***Y~\nNM1*IL*"; !strings.HasPrefix(l2320, want) {
		t.Errorf("2320 is\n%s\nwant it to start with\n%s", l2320, want)
	}
	back, err := x837p.Parse(bytes.NewReader(data))
	if err != nil || len(back) != 1 {
		t.Fatalf("Parse: %d claims, %v", len(back), err)
	}
	if a := back[0].Coverages[0].Adjudication; a == nil || a.NonCoveredAmount != money(220) || a.PaidAmount != 0 || a.RemainingPatientLiability != nil {
		t.Fatalf("read back as %+v", a)
	}
	if again, _ := build(t, back, goldenOptions(), 1); !bytes.Equal(again, data) {
		t.Errorf("build(parse(file)) differs:\n%s", firstDiff(again, data))
	}
}

// TestOtherPayerLineRoundTrip: a 2430 with a negative adjustment, a CAS quantity,
// SVD05 paid units and SVD06 (bundled into line 1) is written in place and read back.
func TestOtherPayerLineRoundTrip(t *testing.T) {
	t.Parallel()
	c := secondaryClaim()
	a := c.Coverages[0].Adjudication
	a.PaidAmount = money(125)
	a.Lines[0] = billing.LineAdjudication{Line: 1, PaidAmount: money(125), Units: billing.Units(1), Adjustments: []billing.Adjustment{
		{Group: "CO", Reason: "45", Amount: billing.Money(-5_00)}, {Group: "PR", Reason: "2", Amount: money(80), Quantity: billing.Units(1)}}}
	a.Lines[1] = billing.LineAdjudication{Line: 2, BundledLine: 1, Units: billing.Units(1),
		Adjustments: []billing.Adjustment{{Group: "CO", Reason: "97", Amount: money(20)}}}
	c.Normalize()
	data, _ := build(t, []billing.Claim{c}, goldenOptions(), 1)
	validate(t, "line adjudication", data)
	for _, s := range []string{"SVD*AHP01*125*HC:99213**1~", "CAS*CO*45*-5~", "CAS*PR*2*80*1~", "SVD*AHP01*0*HC:36415**1*1~", "CAS*CO*97*20~"} {
		if !bytes.Contains(data, []byte(s)) {
			t.Errorf("837P lacks %s", s)
		}
	}
	back, err := x837p.Parse(bytes.NewReader(data))
	if err != nil || len(back) != 1 {
		t.Fatalf("Parse: %d claims, %v", len(back), err)
	}
	if want := normalized([]billing.Claim{c})[0]; !reflect.DeepEqual(back[0], want) {
		t.Errorf("read back differently:\n%s", diffJSON(back[0], want))
	}
}

// TestParseLineAdjudicationPayer: a 2430 goes to the other payer its SVD01 names,
// preferring one that adjudicated the claim to one after the billed payer. One that
// names none of them, or two that adjudicated, is reported with its position and
// line, and given to nobody (not to the first other payer).
func TestParseLineAdjudicationPayer(t *testing.T) {
	t.Parallel()
	withLater := func() billing.Claim { // the state plan listed after the billed Medigap plan
		c := secondaryClaim()
		c.Coverages = append(c.Coverages, billing.Coverage{Payer: stateAid, MemberID: "MCD0003", FilingIndicator: "MC"})
		return c
	}
	asTertiary := func() billing.Claim { // the Medigap plan decided at claim level
		c := secondaryClaim()
		tertiary(&c, &billing.OtherPayerAdjudication{PaidAmount: money(30), Date: day(2025, 2, 3),
			Adjustments: []billing.Adjustment{{Group: "OA", Reason: "23", Amount: money(190)}}})
		return c
	}
	for _, tc := range []struct {
		name     string
		claim    func() billing.Claim
		old, new string
		lines    int    // line adjudications ACME keeps
		problem  string // in every problem; "" for none
	}{
		{"named", secondaryClaim, "", "", 2, ""},
		{"no such payer", secondaryClaim, "SVD*AHP01*120*", "SVD*ZZZ99*120*", 1, `"ZZZ99"`},
		{"a later payer has the id too", withLater, "PI*SMC01~", "PI*AHP01~", 2, ""},
		{"two earlier payers have the id", asTertiary, "PI*MGP01~", "PI*AHP01~", 0, `"AHP01", the id of 2 other payers`},
	} {
		data, _ := build(t, []billing.Claim{tc.claim()}, goldenOptions(), 1)
		if tc.old != "" {
			if !bytes.Contains(data, []byte(tc.old)) {
				t.Fatalf("%s: no %s in\n%s", tc.name, tc.old, data)
			}
			data = bytes.ReplaceAll(data, []byte(tc.old), []byte(tc.new))
		}
		claims, err := x837p.Parse(bytes.NewReader(data))
		if len(claims) != 1 {
			t.Fatalf("%s: %d claims, %v", tc.name, len(claims), err)
		}
		if a := claims[0].Coverages[0].Adjudication; a == nil || len(a.Lines) != tc.lines {
			t.Errorf("%s: ACME's adjudication %+v, want %d lines", tc.name, a, tc.lines)
		}
		if tc.problem == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var probs billing.Problems
		if !errors.As(err, &probs) || len(probs) != 2-tc.lines {
			t.Errorf("%s: %v; want %d problems", tc.name, err, 2-tc.lines)
			continue
		}
		for _, p := range probs {
			if !strings.HasPrefix(string(p.Path), "claims[0].lines[") || !strings.Contains(p.Where, "SVD01") || !strings.Contains(p.Error(), tc.problem) {
				t.Errorf("%s: problem %v", tc.name, p)
			}
		}
	}
}

// TestOtherPayerOI: 2320 OI03 and OI06 repeat the claim's benefits assignment (CLM08)
// and release of information (CLM09).
func TestOtherPayerOI(t *testing.T) {
	t.Parallel()
	c := secondaryClaim()
	c.BenefitsAssignment, c.ReleaseOfInformation = "N", "I"
	data, _ := build(t, []billing.Claim{c}, goldenOptions(), 1)
	if !bytes.Contains(data, []byte("CLM*OP1*220***11:B:1*Y*A*N*I~")) || !bytes.Contains(data, []byte("\nOI***N***I~")) {
		t.Errorf("CLM08/09 N, I not repeated in OI03/06:\n%s", data)
	}
}
