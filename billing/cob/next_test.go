package cob_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/billing/cob"
	"github.com/claimflow/claimflow/billing/scrub"
	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
)

var adjudicated = billing.NewDate(2025, time.January, 20)

// exampleClaim is X12-GUIDE section 7's claim: one office visit (99213) of $200,
// billed first to PRIMARY PLAN (12345, group GRP1, commercial), with a secondary
// and a tertiary coverage. Synthetic parties only.
func exampleClaim() billing.Claim {
	c := billing.Claim{
		PatientControlNumber: "A17",
		PlaceOfService:       "11",
		Diagnoses:            []billing.Diagnosis{{Code: "J069"}},
		Patient: billing.Person{LastName: "SAMPLE", FirstName: "ALEX", BirthDate: billing.NewDate(1980, 1, 15), Gender: "F",
			Address: billing.Address{Line1: "45 OAK AVE", City: "SPRINGFIELD", State: "IL", PostalCode: "627025678"}},
		Coverages: []billing.Coverage{
			{Payer: billing.Payer{Name: "PRIMARY PLAN", ID: "12345"}, MemberID: "PRI0001", GroupNumber: "GRP1", FilingIndicator: "CI"},
			{Payer: billing.Payer{Name: "SECOND PLAN", ID: "67890"}, MemberID: "SEC0002", FilingIndicator: "CI"},
			{Payer: billing.Payer{Name: "STATE AID", ID: "SMC01"}, MemberID: "MCD0003", FilingIndicator: "MC"},
		},
		BillingProvider: billing.Provider{NPI: "1234567893", Name: "EXAMPLE FAMILY MEDICINE", Taxonomy: "207Q00000X", TaxID: "991234567",
			EntityType: billing.EntityOrganization,
			Address:    billing.Address{Line1: "123 MAIN ST", City: "SPRINGFIELD", State: "IL", PostalCode: "627011234"}},
		Lines: []billing.Line{{Procedure: billing.Procedure{Code: "99213"}, Charge: 200_00,
			ServiceDates: billing.Period{From: billing.NewDate(2025, time.January, 6)}}},
		Authorization: billing.Authorization{PriorAuthorization: "PA-PRIMARY-1"},
	}
	c.Normalize()
	return c
}

// primaryPayment is the 835 of X12-GUIDE 6.6:
//
//	CLP*A17*1*200*120*30*12*ICN1 / SVC*HC:99213*200*120**1 / CAS*CO*45*50 / CAS*PR*2*30
func primaryPayment() cob.Payment {
	return cob.Payment{
		Status: "1", Charge: 200_00, Paid: 120_00, PatientResponsibility: 30_00, PayerClaimNumber: "ICN1", Date: adjudicated,
		Services: []cob.Service{{
			Line: 1, Procedure: billing.Procedure{Qualifier: "HC", Code: "99213"}, Charge: 200_00, Paid: 120_00, Units: billing.Units(1),
			Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: 50_00}, {Group: "PR", Reason: "2", Amount: 30_00}},
		}},
	}
}

// TestNextWorkedExample: X12-GUIDE section 7 computed by hand.
func TestNextWorkedExample(t *testing.T) {
	t.Parallel()
	c := exampleClaim()
	before := c.Coverages[0].Adjudication
	p := primaryPayment()
	next, k, err := cob.Next(&c, &p)
	if err != nil {
		t.Fatal(err)
	}
	if k != 1 || c.Coverages[0].Adjudication != before {
		t.Fatalf("billed coverage %d (want 1, the secondary); the stored claim changed: %v", k, c.Coverages[0].Adjudication)
	}
	if b, _ := next.BilledCoverage(); b != 1 || next.Coverages[1].Responsibility != "S" {
		t.Fatalf("next claim billed to coverage %d with SBR01 %q, want 1 and S", b, next.Coverages[1].Responsibility)
	}
	a := next.Coverages[0].Adjudication
	// 2320: AMT*D = CLP04 = 120.00; no claim-level CAS (the 835 reported its
	// adjustments on the line: each is reported once); no claim-level AMT*EAF since
	// the line carries it. 2330B REF*F8 = CLP07.
	if a.PaidAmount != 120_00 || len(a.Adjustments) != 0 || a.RemainingPatientLiability != nil || a.ClaimNumber != "ICN1" {
		t.Fatalf("2320 = %+v", a)
	}
	// 2430: SVD02 = SVC03 = 120.00; CAS CO-45 50.00 and PR-2 30.00; DTP*573 the
	// adjudication date; AMT*EAF = PR on the line = 30.00.
	// Line balance: SV102 200.00 - (50.00 + 30.00) = 120.00 = SVD02.
	// Claim balance: CLM02 200.00 - 0 (claim CAS) - 80.00 (line CAS) = 120.00 = AMT*D.
	if len(a.Lines) != 1 {
		t.Fatalf("2430 loops = %+v", a.Lines)
	}
	la := a.Lines[0]
	wantAdj := []billing.Adjustment{{Group: "CO", Reason: "45", Amount: 50_00}, {Group: "PR", Reason: "2", Amount: 30_00}}
	if la.Line != 1 || la.PaidAmount != 120_00 || !slices.Equal(la.Adjustments, wantAdj) || la.Date != adjudicated ||
		la.RemainingPatientLiability == nil || *la.RemainingPatientLiability != 30_00 {
		t.Fatalf("2430 = %+v", la)
	}
	// The secondary has never seen the claim: original, without the primary's
	// authorization.
	if next.Frequency != billing.FrequencyOriginal || next.Authorization.PriorAuthorization != "" {
		t.Fatalf("frequency %s, authorization %q", next.Frequency, next.Authorization.PriorAuthorization)
	}

	out := buildValid(t, next)
	for _, seg := range []string{
		"SBR*S*18*******CI~", // 2000B: the secondary is billed
		"SBR*P*18*GRP1******CI~",
		"AMT*D*120~",
		"OI***Y***Y~",
		"NM1*PR*2*PRIMARY PLAN*****PI*12345~",
		"REF*F8*ICN1~",
		"SVD*12345*120*HC:99213**1~",
		"CAS*CO*45*50~",
		"CAS*PR*2*30~",
		"DTP*573*D8*20250120~",
		"AMT*EAF*30~",
	} {
		if !strings.Contains(out, seg) {
			t.Errorf("837P lacks %s", seg)
		}
	}
	if strings.Contains(out, "REF*G1") {
		t.Error("837P still carries the primary's prior authorization")
	}
	cobClean(t, next)
}

// TestNextTertiary: from the secondary's payment the claim goes to the third
// coverage, with both earlier payers in 2320/2430.
func TestNextTertiary(t *testing.T) {
	t.Parallel()
	c := exampleClaim()
	p := primaryPayment()
	secondary, _, err := cob.Next(&c, &p)
	if err != nil {
		t.Fatal(err)
	}
	// The secondary allows the 30.00 the primary left, pays 24.00 and leaves 6.00
	// coinsurance: 200.00 - 170.00 (OA-23, the primary's impact) - 6.00 (PR-2) = 24.00.
	sp := cob.Payment{Status: "2", Charge: 200_00, Paid: 24_00, PatientResponsibility: 6_00, PayerClaimNumber: "SEC-9",
		Date: billing.NewDate(2025, time.February, 3),
		Services: []cob.Service{{Line: 1, Procedure: billing.Procedure{Code: "99213"}, Charge: 200_00, Paid: 24_00,
			Adjustments: []billing.Adjustment{{Group: "OA", Reason: "23", Amount: 170_00}, {Group: "PR", Reason: "2", Amount: 6_00}}}},
	}
	tertiary, k, err := cob.Next(&secondary, &sp)
	if err != nil {
		t.Fatal(err)
	}
	if k != 2 || tertiary.Coverages[2].Responsibility != "T" {
		t.Fatalf("billed coverage %d, SBR01 %q; want 2, T", k, tertiary.Coverages[2].Responsibility)
	}
	if a := tertiary.Coverages[0].Adjudication; a == nil || a.PaidAmount != 120_00 {
		t.Fatalf("the primary's adjudication was lost: %+v", a)
	}
	if a := tertiary.Coverages[1].Adjudication; a == nil || a.PaidAmount != 24_00 || a.ClaimNumber != "SEC-9" || len(a.Lines) != 1 {
		t.Fatalf("secondary's adjudication = %+v", a)
	}
	out := buildValid(t, tertiary)
	for _, seg := range []string{"SBR*T*18*******MC~", "SBR*P*18*GRP1******CI~", "SBR*S*18*******CI~",
		"SVD*12345*120*HC:99213**1~", "SVD*67890*24*HC:99213**1~", "CAS*OA*23*170~", "DTP*573*D8*20250203~"} {
		if !strings.Contains(out, seg) {
			t.Errorf("837P lacks %s", seg)
		}
	}
	cobClean(t, tertiary)
	// No coverage after the tertiary.
	if _, _, err := cob.Next(&tertiary, &sp); !errors.Is(err, cob.ErrNoNextCoverage) {
		t.Fatalf("Next after the last coverage = %v, want ErrNoNextCoverage", err)
	}
}

// TestNextRefuses: a crossover, a reversal and a claim without a further coverage
// build nothing.
func TestNextRefuses(t *testing.T) {
	t.Parallel()
	c := exampleClaim()
	for status, want := range map[string]error{"19": cob.ErrCrossedOver, "20": cob.ErrCrossedOver, "22": cob.ErrReversal} {
		p := primaryPayment()
		p.Status = status
		if _, _, err := cob.Next(&c, &p); !errors.Is(err, want) {
			t.Errorf("CLP02 %s: %v, want %v", status, err, want)
		}
	}
	only := exampleClaim()
	only.Coverages = only.Coverages[:1]
	p := primaryPayment()
	if _, _, err := cob.Next(&only, &p); !errors.Is(err, cob.ErrNoNextCoverage) {
		t.Fatalf("single coverage: %v", err)
	}
}

// TestNextClaimLevelFallback: services that match no line of their own are sent
// at claim level, still balanced: CLM02 200.00 - (CO-45 50.00 + PR-2 30.00) = 120.00,
// with 2320 AMT*EAF 30.00 and 2330B DTP*573.
func TestNextClaimLevelFallback(t *testing.T) {
	t.Parallel()
	c := exampleClaim()
	p := primaryPayment()
	p.Services[0].Line = 0
	p.Adjustments = []billing.Adjustment{{Group: "CO", Reason: "45", Amount: 10_00}}
	p.Services[0].Adjustments[0].Amount = 40_00
	next, _, err := cob.Next(&c, &p)
	if err != nil {
		t.Fatal(err)
	}
	a := next.Coverages[0].Adjudication
	want := []billing.Adjustment{{Group: "CO", Reason: "45", Amount: 50_00}, {Group: "PR", Reason: "2", Amount: 30_00}}
	if len(a.Lines) != 0 || !slices.Equal(a.Adjustments, want) || a.RemainingPatientLiability == nil || *a.RemainingPatientLiability != 30_00 {
		t.Fatalf("claim-level adjudication = %+v", a)
	}
	out := buildValid(t, next)
	for _, seg := range []string{"CAS*CO*45*50~", "CAS*PR*2*30~", "AMT*EAF*30~", "DTP*573*D8*20250120~"} {
		if !strings.Contains(out, seg) {
			t.Errorf("837P lacks %s", seg)
		}
	}
	cobClean(t, next)
}

// buildValid writes the claim as an 837P, checks it against the implementation
// guide and returns its text, one segment a line.
func buildValid(t *testing.T, c billing.Claim) string {
	t.Helper()
	var buf bytes.Buffer
	_, err := x837p.Build([]billing.Claim{c}, x837p.BuildOptions{
		Submitter: x837p.Party{Name: "CLAIMFLOW TEST", ID: "CFTEST", Contact: billing.Contact{Phone: "5555550100"}},
		Receiver:  x837p.Party{Name: "TEST CLEARINGHOUSE", ID: "TESTCH"},
		Newline:   true,
		Now:       func() time.Time { return time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC) },
	}, &buf, &x12.Counter{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := guide.Validate(bytes.NewReader(buf.Bytes()), guide.MustDefault())
	if err != nil || len(list) > 0 {
		t.Fatalf("guide validation: %v; %v\n%s", err, list, buf.String())
	}
	return buf.String()
}

// cobClean checks the claim with the scrubber's coordination-of-benefits rules.
func cobClean(t *testing.T, c billing.Claim) {
	t.Helper()
	for _, f := range cobFindings(t, c) {
		t.Errorf("scrubber: %s", f.String())
	}
}

// cobFindings returns the findings of the scrubber's coordination-of-benefits rules.
func cobFindings(t *testing.T, c billing.Claim) []scrub.Finding {
	t.Helper()
	var off []string
	for _, r := range scrub.Rules() {
		if r.ID != "cob-balance" && r.ID != "cob-payer-id" {
			off = append(off, r.ID)
		}
	}
	s, err := scrub.New(scrub.WithoutRules(off...))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.CheckOne(context.Background(), &c)
	if err != nil {
		t.Fatal(err)
	}
	return rep.Findings
}
