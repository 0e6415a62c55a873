package scrub

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
)

var update = flag.Bool("update", false, "rewrite README.md's rule table")

func countContaining(list []string, s string) int {
	n := 0
	for _, x := range list {
		if strings.Contains(x, s) {
			n++
		}
	}
	return n
}

// TestCodeSetsByDateOfService checks codes against the real releases by date of
// service: which release each claim was checked against, dates no release covers left
// unchecked with one notice, never an error.
func TestCodeSetsByDateOfService(t *testing.T) {
	t.Parallel()
	set := sharedCodes(t)
	s := newScrubber(t, WithCodes(set), WithClock(func() time.Time { return time.Date(2026, time.November, 15, 9, 0, 0, 0, time.UTC) }))

	fy26 := goodClaim(t) // 2025-11-03: FY2026, HCPCS 2025 OCT

	span := goodClaim(t) // lines in FY2025 and FY2026
	span.PatientControlNumber = "CF-SPAN"
	span.Lines[0].ServiceDates.From = billing.NewDate(2025, time.September, 29)

	late := func(pcn string) billing.Claim { // FY2027 and 2026 quarters: nothing loaded covers them
		c := goodClaim(t)
		c.PatientControlNumber = pcn
		c.Diagnoses[1].Code = "E11Z9" // the shape of a code, in no release
		c.Lines[1].Procedure.Code = "G9999"
		c.Lines[1].Procedure.Modifiers = []string{"ZZ"}
		setDOS(billing.NewDate(2026, time.October, 5))(&c)
		return c
	}
	fy25 := goodClaim(t)
	fy25.PatientControlNumber = "CF-FY25"
	fy25.Diagnoses[1].Code = "E11A" // added in FY2026
	setDOS(billing.NewDate(2025, time.March, 14))(&fy25)

	claims := []billing.Claim{fy26, span, late("CF-LATE1"), late("CF-LATE2"), fy25}
	rep := check(t, s, claims...)
	checkSane(t, rep, claims)

	want := []Releases{
		{ICD10CM: "ICD-10-CM FY2026", HCPCS: "HCPCS 2025 OCT"},
		{ICD10CM: "ICD-10-CM FY2025, ICD-10-CM FY2026", HCPCS: "HCPCS 2025 OCT"},
		{},
		{},
		{ICD10CM: "ICD-10-CM FY2025", HCPCS: "HCPCS 2025 OCT"},
	}
	if !slices.Equal(rep.Releases, want) {
		t.Errorf("releases:\n got %+v\nwant %+v", rep.Releases, want)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Claim != 4 || rep.Findings[0].Rule != "icd10-valid" || !slices.Equal(rep.Held, []int{4}) {
		t.Fatalf("want only the FY2025 claim's E11A held, got %v, held %v", findingStrings(rep.Findings), rep.Held)
	}
	if n := countContaining(rep.Notices, "ICD-10-CM not checked for 2 claims"); n != 1 {
		t.Errorf("want one ICD-10-CM notice for the 2 late claims, got %q", rep.Notices)
	}
	if n := countContaining(rep.Notices, "HCPCS Level II not checked for 2 claims"); n != 1 {
		t.Errorf("want one HCPCS notice for the 2 late claims, got %q", rep.Notices)
	}
	if n := countContaining(rep.Notices, "not loaded"); n != 0 || countContaining(rep.Notices, "CPT") != 1 || len(rep.Notices) != 3 {
		t.Errorf("with every set loaded, only CPT is unloaded: %q", rep.Notices)
	}
}

// TestFormatOnly checks that without code sets only formats are checked, and that the
// report says so once per code set however many claims.
func TestFormatOnly(t *testing.T) {
	t.Parallel()
	s := newScrubber(t)
	var claims []billing.Claim
	for i, edit := range []func(c *billing.Claim){
		func(c *billing.Claim) { c.Diagnoses[0].Code = "E11" },  // header code
		func(c *billing.Claim) { c.Diagnoses[1].Code = "E11A" }, // FY2026 code on a FY2025 date
		func(c *billing.Claim) { c.Lines[1].Procedure.Code = "J2150" },
		func(c *billing.Claim) { c.Lines[1].Procedure.Modifiers = []string{"ZZ"} },
		func(c *billing.Claim) { c.PlaceOfService = "30" },
		func(c *billing.Claim) { c.BillingProvider.Taxonomy = "207Q00001X" },
		func(c *billing.Claim) { c.Diagnoses[1].Code = "E11.9" }, // the one format error
	} {
		c := goodClaim(t)
		c.PatientControlNumber = "CF-FMT" + string(rune('A'+i))
		setDOS(billing.NewDate(2025, time.March, 14))(&c)
		edit(&c)
		claims = append(claims, c)
	}
	rep := check(t, s, claims...)
	checkSane(t, rep, claims)
	if len(rep.Findings) != 1 || rep.Findings[0].Rule != "icd10-format" || rep.Findings[0].Claim != 6 {
		t.Errorf("want only the ICD-10 format error, got %v", findingStrings(rep.Findings))
	}
	for _, notice := range []string{
		"ICD-10-CM not loaded: diagnosis codes checked for format only",
		"HCPCS Level II not loaded",
		"place of service list not loaded",
		"NUCC taxonomy not loaded",
		"CPT codes and CPT modifiers checked for format only",
	} {
		if n := countContaining(rep.Notices, notice); n != 1 {
			t.Errorf("notice %q appears %d times in %q; want once", notice, n, rep.Notices)
		}
	}
	if len(rep.Notices) != 5 {
		t.Errorf("notices: %q", rep.Notices)
	}
	for i, r := range rep.Releases {
		if r != (Releases{}) {
			t.Errorf("claim %d checked against %+v without code sets", i, r)
		}
	}
}

type fakeHistory struct {
	used map[string]bool
	err  error
}

func (h fakeHistory) Submitted(_ context.Context, pcns []string) ([]bool, error) {
	if h.err != nil {
		return nil, h.err
	}
	out := make([]bool, len(pcns))
	for i, p := range pcns {
		out[i] = h.used[p]
	}
	return out, nil
}

func TestSubmittedPCNs(t *testing.T) {
	t.Parallel()
	s := newScrubber(t, WithSubmittedPCNs(fakeHistory{used: map[string]bool{"CF-OLD": true}}))
	fresh, old, replacement := goodClaim(t), goodClaim(t), goodClaim(t)
	old.PatientControlNumber = "CF-OLD"
	replacement.PatientControlNumber = "CF-OLD"
	replacement.Frequency, replacement.OriginalPayerClaimNumber = billing.FrequencyReplacement, "ICN-77"

	rep := check(t, s, fresh, old)
	got := ofRule(rep, "pcn-unique")
	if len(got) != 1 || got[0].Claim != 1 || got[0].STC != "A7:54" || got[0].Severity != Error {
		t.Errorf("want claim 1 refused as a duplicate, got %v", findingStrings(got))
	}
	if rep := check(t, s, replacement); len(rep.Findings) > 0 {
		t.Errorf("a replacement reuses its number: %v", findingStrings(rep.Findings))
	}

	broken := errors.New("database down")
	s = newScrubber(t, WithSubmittedPCNs(fakeHistory{err: broken}))
	if _, err := s.Check(context.Background(), []billing.Claim{fresh}); !errors.Is(err, broken) {
		t.Errorf("Check with a failing store: %v, want it wrapped", err)
	}
}

type failingAuths struct{ err error }

func (f failingAuths) Authorization(context.Context, string, string) (Authorization, bool, error) {
	return Authorization{}, false, f.err
}

// TestAuthorizationAcrossBatch checks that visits are counted across the claims of a
// batch: two claims may each fit the authorization, but not both.
func TestAuthorizationAcrossBatch(t *testing.T) {
	t.Parallel()
	store := NewMemoryAuthorizations()
	store.Put(testPayerID, Authorization{Number: "PA5", Visits: 3, Procedures: []string{"G0439"}})
	if !store.Use(testPayerID, "PA5", 1, billing.Units(1)) || store.Use(testPayerID, "PA6", 1, 0) {
		t.Fatal("Use: want true for PA5 and false for PA6, not on file")
	}
	s := newScrubber(t, WithAuthorizations(store), WithPayerRules(PayerRules{testPayerID: {PriorAuthorization: []string{"G0439"}}}))
	var claims []billing.Claim
	for i, day := range []int{3, 10, 17} {
		c := goodClaim(t)
		c.PatientControlNumber = "CF-AUTH" + string(rune('1'+i))
		c.Authorization.PriorAuthorization = "PA5"
		setDOS(billing.NewDate(2025, time.November, day))(&c)
		claims = append(claims, c)
	}
	rep := check(t, s, claims...)
	got := ofRule(rep, "prior-auth-usage")
	if len(got) != 1 || got[0].Claim != 2 || got[0].Line != 1 || !slices.Equal(rep.Held, []int{2}) {
		t.Fatalf("want the third claim over the 3 visits (1 used before), got %v", findingStrings(got))
	}
	if !strings.Contains(got[0].Message, "has 0 of its 3 visits left") {
		t.Errorf("message: %s", got[0].Message)
	}

	broken := errors.New("database down")
	s = newScrubber(t, WithAuthorizations(failingAuths{broken}))
	if _, err := s.Check(context.Background(), claims); !errors.Is(err, broken) || !strings.Contains(err.Error(), "claims[0]") {
		t.Errorf("Check with a failing store: %v, want it wrapped with the claim", err)
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]Option{
		"nil clock":          WithClock(nil),
		"unknown rule":       WithoutRules("no-such-rule"),
		"negative days":      WithPayerRules(PayerRules{"1": {TimelyFilingDays: -1}}),
		"min above max":      WithPayerRules(PayerRules{"1": {MemberID: MemberIDRule{MinLength: 9, MaxLength: 8}}}),
		"empty payer id":     WithPayerRules(PayerRules{"": {}}),
		"nil authorizations": WithAuthorizations(nil),
		"nil submitted PCNs": WithSubmittedPCNs(nil),
	} {
		if _, err := New(opt); !errors.Is(err, ErrOption) {
			t.Errorf("%s: err = %v, want ErrOption", name, err)
		}
	}

	// Rules turned off find nothing; a changed map does not change the scrubber.
	rules := PayerRules{testPayerID: {RequireTaxonomy: true}}
	s := newScrubber(t, WithoutRules("billing-zip", "billing-address"), WithPayerRules(rules))
	rules[testPayerID] = PayerRule{}
	c := goodClaim(t)
	c.BillingProvider.Address.Line1, c.BillingProvider.Address.PostalCode = "PO BOX 9", "62701"
	c.BillingProvider.Taxonomy = ""
	rep := check(t, s, c)
	if len(rep.Findings) != 1 || rep.Findings[0].Rule != "taxonomy-required" {
		t.Errorf("want only taxonomy-required, got %v", findingStrings(rep.Findings))
	}

	// An unanchored member id pattern must match the whole id.
	s = newScrubber(t, WithPayerRules(PayerRules{testPayerID: {MemberID: MemberIDRule{Pattern: regexp.MustCompile(`\d{9}`)}}}))
	if rep := check(t, s, goodClaim(t)); len(ofRule(rep, "member-id")) != 1 {
		t.Errorf("pattern \\d{9} matched a 12-character id: %v", findingStrings(rep.Findings))
	}
}

func TestIsPOBox(t *testing.T) {
	for line, want := range map[string]bool{
		"PO BOX 4471":             true,
		"P.O. Box 12":             true,
		"p o box 12":              true,
		"POBox 12":                true,
		"Post Office Box 88":      true,
		"POB 301":                 true,
		"Box 17":                  true,
		"Lockbox 5501":            true,
		"LOCK BOX 5501":           true,
		"Drawer 8":                true,
		"100 MAIN ST, PO BOX 4":   true,
		"100 MAIN STREET":         false,
		"1 BOX ELDER RD":          false,
		"12 TEMPO BOX RD":         false,
		"500 POST OFFICE SQ":      false,
		"BOX CANYON RD":           false,
		"77 POBOY LN":             false,
		"":                        false,
		"SUITE 200":               false,
		"ONE HOSPITAL DRIVE POBX": false,
		// Glued, abbreviated and far-away boxes.
		"PO BOX123":     true,
		"POBOX123":      true,
		"P.O.B. 12":     true,
		"P O B 12":      true,
		"PO DRAWER 5":   true,
		"P.O. DRAWER 5": true,
		"LOCK BOX":      true,
		"BOX123":        true,
		"1234 NORTH MAIN STREET SUITE 200 BLDG A PO BOX 4": true, // after the 8th word
		// Words that only begin like a box.
		"BOXWOOD LANE":   false,
		"12 BOXWOOD LN":  false,
		"POBOY ST":       false,
		"9 PO RIVER RD":  false,
		"77 POST RD":     false,
		"5 LOCKHART AVE": false,
		"DRAWBRIDGE WAY": false,
		"B12 TOWER O":    false,
	} {
		if got := isPOBox(line); got != want {
			t.Errorf("isPOBox(%q) = %v, want %v", line, got, want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { isPOBox("1234 NORTH MAIN STREET SUITE 200 BLDG A PO BOX4") }); n != 0 {
		t.Errorf("isPOBox allocates %.0f times", n)
	}
}

// TestBillingAddressPOBoxVariants: the billing-address rule holds a billing provider
// whose street address is a P.O. box written in any of the usual ways.
func TestBillingAddressPOBoxVariants(t *testing.T) {
	t.Parallel()
	s := newScrubber(t)
	for _, line := range []string{"PO BOX123", "POBOX123", "P.O.B. 12", "PO DRAWER 5", "LOCK BOX 7"} {
		c := goodClaim(t)
		c.BillingProvider.Address.Line1 = line
		if got := ofRule(check(t, s, c), "billing-address"); len(got) != 1 || got[0].Field != "claims[0].billing_provider.address.line1" {
			t.Errorf("billing address %q: %v", line, findingStrings(got))
		}
	}
}

func TestReport(t *testing.T) {
	t.Parallel()
	s := newScrubber(t)
	a, b, c := goodClaim(t), goodClaim(t), goodClaim(t)
	b.PatientControlNumber, c.PatientControlNumber = "CF-B", "CF-C"
	b.Lines[1].Procedure.Modifiers = []string{"L"}
	b.BillingProvider.Address.PostalCode = "62701"
	c.BillingProvider.Address.PostalCode = "62701"
	rep := check(t, s, a, b, c)
	if !slices.Equal(rep.Held, []int{1}) || rep.IsHeld(0) || !rep.IsHeld(1) || rep.IsHeld(2) || rep.IsHeld(3) {
		t.Errorf("held %v", rep.Held)
	}
	fb := rep.ClaimFindings(1)
	if len(fb) != 2 || fb[0].Line != -1 || fb[1].Line != 1 {
		t.Fatalf("claim 1 findings, claim level first: %v", findingStrings(fb))
	}
	if len(rep.ClaimFindings(0)) != 0 || len(rep.ClaimFindings(2)) != 1 || len(rep.ClaimFindings(9)) != 0 {
		t.Errorf("ClaimFindings: %v", findingStrings(rep.Findings))
	}
	wantStr := `claims[1].lines[1].procedure.modifiers[0] (2400 SV101-3): error modifier-format: The modifier "L" is not a procedure modifier: those are 2 letters or digits, as 25 or LT.`
	if got := fb[1].String(); got != wantStr {
		t.Errorf("String:\n got %s\nwant %s", got, wantStr)
	}
	js, err := json.Marshal(fb[1])
	if err != nil || !strings.Contains(string(js), `"severity":"error"`) || !strings.Contains(string(js), `"field":"claims[1].lines[1].procedure.modifiers[0]"`) {
		t.Errorf("JSON %s, %v", js, err)
	}

	one, err := s.CheckOne(context.Background(), &b)
	if err != nil || len(one.Findings) != 2 || one.Findings[0].Claim != 0 || !slices.Equal(one.Held, []int{0}) {
		t.Errorf("CheckOne: %v, %v", findingStrings(one.Findings), err)
	}
}

// TestREADME checks that README.md lists the rule table; -update rewrites it.
func TestREADME(t *testing.T) {
	const begin, end = "<!-- rules:begin -->\n", "<!-- rules:end -->\n"
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", begin, end)
	}
	want := doc[:i+len(begin)] + RuleTable() + doc[j:]
	if doc == want {
		return
	}
	if *update {
		if err := os.WriteFile("README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's rule table is out of date: go test ./billing/scrub -run TestREADME -update")
}

// TestModelExamples scrubs the model's JSON example claims: they hold no error.
func TestModelExamples(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../examples/claims.json")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("billing/examples/claims.json absent")
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	claims, err := billing.ReadJSON(f)
	if err != nil {
		t.Fatalf("reading the examples: %v", err)
	}
	for i := range claims {
		claims[i].Normalize()
	}
	s := newScrubber(t, WithCodes(sharedCodes(t)))
	rep := check(t, s, claims...)
	checkSane(t, rep, claims)
	if len(rep.Held) > 0 {
		t.Errorf("the model's examples hold errors: %v", findingStrings(rep.Findings))
	}
}
