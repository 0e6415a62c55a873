package scrub

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/codes"
)

// syntheticBatch makes n varied, clean, normalized claims (deterministic by seed): 1
// to 4 lines of CPT and HCPCS codes with modifiers, 1 to 6 diagnoses, dates of
// service in FY2025 and FY2026 within the loaded HCPCS quarter, a quarter of them
// secondary claims with a balanced primary adjudication, a tenth under a prior
// authorization, rendering and referring providers.
func syntheticBatch(tb testing.TB, n int, seed uint64) []billing.Claim {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	icd := []string{"E119", "I10", "E785", "Z0000", "J449", "M5450", "R739", "F329", "K219", "N390", "E039", "Z7982"}
	cpt := []string{"99213", "99214", "99203", "93000", "36415", "85025", "80053", "97110", "3074F", "90471"}
	hcpcs := []string{"G0439", "J1100", "G0008", "A4550", "J3301"}
	mods := []string{"25", "59", "LT", "RT", "KX", "GT", "XU"}
	payers := []string{"99901", "99902", "99903", "99904"}
	npis := make([]string, 20)
	for i := range npis {
		npis[i] = npi(tb, fmt.Sprintf("1%08d", 10000+i*7919))
	}
	base := billing.NewDate(2025, time.July, 1)
	out := make([]billing.Claim, n)
	for i := range out {
		dos := base.AddDays(r.IntN(140)) // 2025-07-01 .. 2025-11-17
		nd := 1 + r.IntN(6)
		c := billing.Claim{
			PatientControlNumber: fmt.Sprintf("CF%09d", i),
			PlaceOfService:       "11",
			Patient: billing.Person{
				LastName: "TESTPATIENT", FirstName: "PAT", BirthDate: billing.NewDate(1940+r.IntN(70), time.Month(1+r.IntN(12)), 1+r.IntN(28)),
				Gender: "U", Address: billing.Address{Line1: "1 TEST WAY", City: "TESTVILLE", State: "IL", PostalCode: "627010001"},
			},
			Coverages: []billing.Coverage{{
				Payer:           billing.Payer{Name: "TEST PLAN", ID: payers[r.IntN(len(payers))]},
				MemberID:        fmt.Sprintf("ZQX%09d", r.IntN(1e9)),
				FilingIndicator: "CI",
			}},
			BillingProvider: billing.Provider{
				EntityType: billing.EntityOrganization, NPI: npis[r.IntN(5)], Name: "TEST CLINIC", Taxonomy: "207Q00000X", TaxID: "990000001",
				Address: billing.Address{Line1: "100 MAIN STREET", City: "SPRINGFIELD", State: "IL", PostalCode: "627010002"},
			},
			RenderingProvider: &billing.Provider{NPI: npis[5+r.IntN(10)], Name: "TESTDOC", FirstName: "JO", Taxonomy: "207R00000X"},
		}
		if r.IntN(4) == 0 {
			c.ReferringProvider = &billing.Provider{NPI: npis[15+r.IntN(5)], Name: "TESTREF", FirstName: "AL"}
		}
		for k := range nd {
			c.Diagnoses = append(c.Diagnoses, billing.Diagnosis{Code: icd[(i+k*5)%len(icd)]})
		}
		nl := 1 + r.IntN(4)
		for j := range nl {
			l := billing.Line{
				Charge:            billing.Dollars(int64(20+r.IntN(300)), int64(r.IntN(100))),
				Units:             billing.Units(int64(1 + r.IntN(3))),
				DiagnosisPointers: []int{1 + r.IntN(nd)},
				ServiceDates:      billing.Period{From: dos},
			}
			if j%2 == 0 {
				l.Procedure.Code = cpt[r.IntN(len(cpt))]
			} else {
				l.Procedure.Code = hcpcs[r.IntN(len(hcpcs))]
			}
			if r.IntN(3) == 0 {
				l.Procedure.Modifiers = []string{mods[r.IntN(len(mods))]}
			}
			c.Lines = append(c.Lines, l)
		}
		needsAuth := false
		for j := range c.Lines {
			needsAuth = needsAuth || c.Lines[j].Procedure.Code == "97110"
		}
		if needsAuth || r.IntN(10) == 0 {
			c.Authorization.PriorAuthorization = fmt.Sprintf("PA%06d", r.IntN(50))
		}
		c.Normalize()
		if r.IntN(4) == 0 {
			// A secondary claim: the primary allowed 80% of each line and paid 80%
			// of that; the patient's share is reported per line.
			a := &billing.OtherPayerAdjudication{Date: dos.AddDays(2), ClaimNumber: fmt.Sprintf("ICN%08d", i)}
			for j := range c.Lines {
				ch := c.Lines[j].Charge
				co := ch / 5
				pr := (ch - co) / 5
				paid := ch - co - pr
				a.PaidAmount += paid
				a.Lines = append(a.Lines, billing.LineAdjudication{Line: j + 1, PaidAmount: paid,
					Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: co}, {Group: "PR", Reason: "2", Amount: pr}}})
			}
			primary := billing.Coverage{Payer: billing.Payer{Name: "TEST PRIMARY", ID: "99909"}, MemberID: "PRM00000001", FilingIndicator: "CI", Adjudication: a}
			c.Coverages = append([]billing.Coverage{primary}, c.Coverages...)
			c.Coverages[0].Responsibility, c.Coverages[1].Responsibility = "", ""
			c.Normalize()
		}
		out[i] = c
	}
	return out
}

// benchScrubber returns the scrubber the benchmark and the allocation test use: payer
// rules for every payer, an authorization store and the code sets (nil: format only).
func benchScrubber(tb testing.TB, set *codes.Set) *Scrubber {
	tb.Helper()
	rules := PayerRules{}
	for _, id := range []string{"99901", "99902", "99903", "99904"} {
		rules[id] = PayerRule{RequireTaxonomy: true, TimelyFilingDays: 365, PriorAuthorization: []string{"97110"},
			MemberID: MemberIDRule{MinLength: 12, MaxLength: 12, Alphanumeric: true}}
	}
	store := NewMemoryAuthorizations()
	for _, id := range []string{"99901", "99902", "99903", "99904"} {
		for k := range 50 {
			store.Put(id, Authorization{Number: fmt.Sprintf("PA%06d", k), Visits: 1000, Units: billing.Units(5000)})
		}
	}
	return newScrubber(tb, WithCodes(set), WithPayerRules(rules), WithAuthorizations(store))
}

// BenchmarkScrub checks a batch of 10,000 synthetic claims and reports claims/s (the
// design asks for 50,000 per core with code sets loaded).
func BenchmarkScrub(b *testing.B) {
	claims := syntheticBatch(b, 10000, 7)
	for _, name := range []string{"codesets", "formatonly"} {
		b.Run(name, func(b *testing.B) {
			var set *codes.Set
			if name == "codesets" {
				set = sharedCodes(b)
			}
			s := benchScrubber(b, set)
			ctx := context.Background()
			rep, err := s.Check(ctx, claims)
			if err != nil {
				b.Fatal(err)
			}
			if len(rep.Findings) > 0 {
				b.Fatalf("the synthetic claims are not clean: %d findings, first %s", len(rep.Findings), rep.Findings[0].String())
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Check(ctx, claims); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*float64(len(claims))/b.Elapsed().Seconds(), "claims/s")
		})
	}
}

// TestCleanClaimsDoNotAllocate checks that clean claims cost no allocation beyond the
// report and the batch's maps: rules build paths and messages only for problems.
func TestCleanClaimsDoNotAllocate(t *testing.T) {
	set := sharedCodes(t)
	s := benchScrubber(t, set)
	ctx := context.Background()
	small, large := syntheticBatch(t, 10, 3), syntheticBatch(t, 1000, 3)
	for _, batch := range [][]billing.Claim{small, large} {
		if rep := check(t, s, batch...); len(rep.Findings) > 0 {
			t.Fatalf("synthetic claims not clean: %v", findingStrings(rep.Findings[:1]))
		}
	}
	allocs := func(claims []billing.Claim) float64 {
		return testing.AllocsPerRun(5, func() {
			if _, err := s.Check(ctx, claims); err != nil {
				t.Fatal(err)
			}
		})
	}
	a, b := allocs(small), allocs(large)
	// The PCN map grows with the batch (a few allocations per bucket group), and the
	// authorization map appears once; nothing per claim beyond that.
	if perClaim := (b - a) / float64(len(large)-len(small)); perClaim > 0.2 {
		t.Errorf("%.0f allocations for 10 claims, %.0f for 1000: %.2f per clean claim", a, b, perClaim)
	}
}
