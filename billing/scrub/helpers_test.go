package scrub

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/codes"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

// The synthetic data of the tests: invented people, invented numbers.
var (
	testToday = time.Date(2025, time.November, 20, 15, 4, 5, 0, time.UTC) // FY2026, HCPCS 2025 OCT quarter
	testDOS   = billing.NewDate(2025, time.November, 3)
)

const (
	testPayerID  = "99901"
	testMemberID = "ZQX900112233"
	testPCN      = "CF-000001"
)

// npi returns a valid NPI made from nine digits.
func npi(tb testing.TB, first9 string) string {
	tb.Helper()
	d, err := codes.NPICheckDigit(first9)
	if err != nil {
		tb.Fatalf("NPI check digit of %s: %v", first9, err)
	}
	return first9 + string(d)
}

// goodClaim returns a normalized claim no rule finds anything in (with or without code
// sets): an office visit and a HCPCS wellness visit, two diagnoses, billed to the
// patient's own coverage.
func goodClaim(tb testing.TB) billing.Claim {
	tb.Helper()
	c := billing.Claim{
		PatientControlNumber: testPCN,
		PlaceOfService:       "11",
		Diagnoses:            []billing.Diagnosis{{Code: "E119"}, {Code: "I10"}},
		Patient: billing.Person{
			LastName: "TESTPATIENT", FirstName: "ALEX", BirthDate: billing.NewDate(1961, time.April, 9), Gender: "F",
			Address: billing.Address{Line1: "12 ELM ST", City: "SPRINGFIELD", State: "IL", PostalCode: "627010001"},
		},
		Coverages: []billing.Coverage{{
			Payer:           billing.Payer{Name: "TEST HEALTH PLAN", ID: testPayerID},
			MemberID:        testMemberID,
			FilingIndicator: "CI",
		}},
		BillingProvider: billing.Provider{
			EntityType: billing.EntityOrganization, NPI: npi(tb, "123456789"), Name: "TEST FAMILY CLINIC",
			Taxonomy: "207Q00000X", TaxID: "990000001",
			Address: billing.Address{Line1: "100 MAIN STREET", City: "SPRINGFIELD", State: "IL", PostalCode: "627010002"},
		},
		RenderingProvider: &billing.Provider{NPI: npi(tb, "193210409"), Name: "TESTDOC", FirstName: "JO", Taxonomy: "207Q00000X"},
		Lines: []billing.Line{
			{
				Procedure:         billing.Procedure{Code: "99213", Modifiers: []string{"25"}},
				Charge:            billing.Dollars(150, 0),
				Units:             billing.Units(1),
				DiagnosisPointers: []int{1, 2},
				ServiceDates:      billing.Period{From: testDOS},
			},
			{
				Procedure:         billing.Procedure{Code: "G0439"},
				Charge:            billing.Dollars(100, 0),
				Units:             billing.Units(1),
				DiagnosisPointers: []int{1},
				ServiceDates:      billing.Period{From: testDOS},
			},
		},
	}
	c.Normalize()
	return c
}

// secondaryClaim returns goodClaim billed to a secondary payer after a primary that
// paid 170.00 of 250.00, with balanced claim- and line-level adjustments.
func secondaryClaim(tb testing.TB) billing.Claim {
	tb.Helper()
	c := goodClaim(tb)
	primary := billing.Coverage{
		Payer:           billing.Payer{Name: "TEST PRIMARY PLAN", ID: "99902"},
		MemberID:        "PRM55501",
		FilingIndicator: "CI",
		Adjudication: &billing.OtherPayerAdjudication{
			PaidAmount:  billing.Dollars(170, 0),
			Date:        billing.NewDate(2025, time.November, 14),
			ClaimNumber: "PRIM-ICN-1",
			Adjustments: []billing.Adjustment{{Group: "PR", Reason: "2", Amount: billing.Dollars(10, 0)}},
			Lines: []billing.LineAdjudication{
				{Line: 1, PaidAmount: billing.Dollars(100, 0), Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: billing.Dollars(50, 0)}}},
				{Line: 2, PaidAmount: billing.Dollars(80, 0), Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: billing.Dollars(20, 0)}}},
			},
		},
	}
	// 250 - 10 (claim) - 70 (lines) = 170 paid; lines 150-50=100, 100-20=80.
	c.Coverages = append([]billing.Coverage{primary}, c.Coverages...)
	c.Coverages[0].Responsibility, c.Coverages[1].Responsibility = "P", "S"
	c.Normalize()
	return c
}

// newScrubber returns a scrubber with the test clock and the options.
func newScrubber(tb testing.TB, opts ...Option) *Scrubber {
	tb.Helper()
	s, err := New(append([]Option{WithClock(func() time.Time { return testToday })}, opts...)...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return s
}

func check(tb testing.TB, s *Scrubber, claims ...billing.Claim) Report {
	tb.Helper()
	rep, err := s.Check(context.Background(), claims)
	if err != nil {
		tb.Fatalf("Check: %v", err)
	}
	return rep
}

// shared loads the shared code-set files once per test binary (ICD-10-CM FY2025 and
// FY2026, HCPCS October 2025, place of service, NUCC taxonomy), skipping when absent.
var shared struct {
	once sync.Once
	set  *codes.Set
	err  error
}

func sharedCodes(tb testing.TB) *codes.Set {
	tb.Helper()
	dir := sharedtest.Dir(tb, "codesets")
	shared.once.Do(func() {
		var paths []string
		for _, p := range []string{
			"icd10cm/cms_2025_dx__2025-code-descriptions-tabular-order.zip",
			"icd10cm/cms_2026_dx__2026-code-descriptions-tabular-order.zip",
			"hcpcs/HCPC2025_OCT_ANWEB.xlsx",
			"place_of_service/place_of_service_codes.csv",
			"nucc_taxonomy/nucc_taxonomy_251.csv",
		} {
			paths = append(paths, filepath.Join(dir, p))
		}
		shared.set, _, shared.err = codes.Load(nil, paths...)
	})
	if shared.err != nil {
		tb.Fatalf("loading shared code sets: %v", shared.err)
	}
	return shared.set
}

// ofRule returns the findings of rule id.
func ofRule(rep Report, id string) []Finding {
	var out []Finding
	for _, f := range rep.Findings {
		if f.Rule == id {
			out = append(out, f)
		}
	}
	return out
}
