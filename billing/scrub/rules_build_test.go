package scrub

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
)

// buildOptions are any envelope choices: the claims are built only to see whether
// x837p.Build refuses them.
var buildOptions = x837p.BuildOptions{
	Submitter: x837p.Party{Name: "TEST SUBMITTER", ID: "TESTSUB", Contact: billing.Contact{Phone: "5555550100"}},
	Receiver:  x837p.Party{Name: "TEST CLEARINGHOUSE", ID: "TESTCH"},
}

// TestScrubberHoldsWhatBuildRefuses: a claim that x837p.Build refuses is held by the
// scrubber with an error on each field Build names, so that it waits in the
// rejection queue with a fix-me item instead of failing its batch (or, before Build
// refused them, going out in a file the clearinghouse rejects).
func TestScrubberHoldsWhatBuildRefuses(t *testing.T) {
	t.Parallel()
	s := newScrubber(t)
	for name, edit := range map[string]func(c *billing.Claim){
		"non-ASCII name":                  func(c *billing.Claim) { c.Patient.LastName = "MUÑOZ" },
		"line feed in an address":         func(c *billing.Claim) { c.Patient.Address.Line1 = "12 ELM ST\nAPT 4" },
		"delimiter in a name":             func(c *billing.Claim) { c.Patient.LastName = "O*BRIEN" },
		"relationship 19, no subscriber":  func(c *billing.Claim) { c.Coverages[0].Relationship = "19" },
		"self subscriber without address": func(c *billing.Claim) { c.Patient.Address = billing.Address{} },
		"dependent without a birth date": func(c *billing.Claim) {
			c.Coverages[0].Relationship = billing.RelationshipChild
			c.Coverages[0].Subscriber = billing.Person{LastName: "TESTPARENT", FirstName: "SAM"}
			c.Patient.BirthDate = billing.Date{}
		},
		"PAT01 03": func(c *billing.Claim) {
			sub := c.Patient
			sub.FirstName = "PARENT"
			c.Coverages[0].Relationship, c.Coverages[0].Subscriber = "03", sub
		},
		"DMG03 X":                      func(c *billing.Claim) { c.Patient.Gender = "X" },
		"accident state without cause": func(c *billing.Claim) { c.AccidentState = "IL" },
		"units of 9 digits":            func(c *billing.Claim) { c.Lines[0].Units = billing.Units(123456789) },
		"blank last name, normalized":  func(c *billing.Claim) { c.Patient.LastName = "   "; c.Normalize() },
		"no tax id":                    func(c *billing.Claim) { c.BillingProvider.TaxID = "" },
		"two CLM11 causes and a third": func(c *billing.Claim) { c.RelatedCauses = []string{"AA", "OA", "EM"} },
		"earlier payer without a date": func(c *billing.Claim) {
			*c = secondaryClaim(t)
			c.Coverages[0].Adjudication.Lines = nil
			c.Coverages[0].Adjudication.Date = billing.Date{}
		},
		"facility without a street":    func(c *billing.Claim) { c.ServiceFacility = &billing.Provider{Name: "TEST ANNEX"} },
		"supervising provider no name": func(c *billing.Claim) { c.SupervisingProvider = &billing.Provider{NPI: "1234567893"} },
		"other payer's subscriber: Ü": func(c *billing.Claim) {
			*c = secondaryClaim(t)
			c.Coverages[0].Relationship, c.Coverages[0].Subscriber = "01", billing.Person{LastName: "MÜLLER"}
		},
		"referring provider's name: ß": func(c *billing.Claim) { c.ReferringProvider = &billing.Provider{Name: "STRAßE", NPI: "1234567893"} },
		"line rendering provider: tab": func(c *billing.Claim) {
			c.Lines[1].RenderingProvider = &billing.Provider{Name: "TEST\tNP", FirstName: "RAY"}
		},
		"payer name with a line break":  func(c *billing.Claim) { c.Coverages[0].Payer.Name = "TEST\nPLAN" },
		"billing provider name of tabs": func(c *billing.Claim) { c.BillingProvider.Name = "\t\t" },
	} {
		t.Run(name, func(t *testing.T) {
			c := goodClaim(t)
			edit(&c)
			_, err := x837p.Build([]billing.Claim{c}, buildOptions, io.Discard, &x12.Counter{})
			var probs billing.Problems
			if !errors.As(err, &probs) {
				t.Fatalf("Build: %v; want it to refuse the claim", err)
			}
			rep := check(t, s, c)
			checkSane(t, rep, []billing.Claim{c})
			if !rep.IsHeld(0) {
				t.Fatalf("Build refuses the claim (%v) and the scrubber lets it go: %v", err, findingStrings(rep.Findings))
			}
			for _, p := range probs {
				found := false
				for _, f := range rep.Findings {
					if f.Severity == Error && (within(f.Field, p.Path) || within(p.Path, f.Field)) {
						found = true
					}
				}
				if !found {
					t.Errorf("Build refuses %s (%v); no scrubber error names it: %v", p.Path, p.Err, findingStrings(rep.Findings))
				}
			}
		})
	}
}

// TestScrubberLetsGoWhatBuildWrites: the claims of the table tests that pass every
// rule build, and a referring provider with a last name only (a person for the
// 837P) is neither refused nor held.
func TestScrubberLetsGoWhatBuildWrites(t *testing.T) {
	t.Parallel()
	s := newScrubber(t)
	a, b := goodClaim(t), secondaryClaim(t)
	b.PatientControlNumber = "CF-000002"
	b.ReferringProvider = &billing.Provider{Name: "TESTREF", NPI: a.BillingProvider.NPI}
	b.Normalize()
	if rep := check(t, s, a, b); len(rep.Held) > 0 {
		t.Fatalf("held: %v", findingStrings(rep.Findings))
	}
	var out strings.Builder
	if _, err := x837p.Build([]billing.Claim{a, b}, buildOptions, &out, &x12.Counter{}); err != nil {
		t.Fatalf("Build: %v", err)
	}
	if !strings.Contains(out.String(), "NM1*DN*1*TESTREF*****XX*") {
		t.Errorf("the referring provider is not written as a person:\n%s", out.String())
	}
}
