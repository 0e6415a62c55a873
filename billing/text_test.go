package billing_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"JOSÉ", "JOSE"},
		{"Muñoz", "Munoz"},
		{"MÜLLER-LÜDENSCHEIDT", "MULLER-LUDENSCHEIDT"},
		{"Straße", "Strasse"},
		{"ÆRØ æbleø", "AERO aebleo"},
		{"Łódź Ŀŀ Œuvre œ Ĳssel", "Lodz Ll OEuvre oe IJssel"},
		{"ÇÃO ÿ Ÿ ſ Þór þ", "CAO y Y s THor th"},
		{"  45  OAK\tAVE\r\nAPT 4 ", "45 OAK AVE APT 4"},
		{"12\u00a0ELM ST", "12 ELM ST"}, // no-break space
		{"   ", ""},
		{"", ""},
		{"2×3 ÷ 東京", "2×3 ÷ 東京"}, // not letters with diacritics: kept, for the 837P check to refuse
		{"bad \xff byte", "bad \xff byte"},
	} {
		if got := billing.CleanText(tc.in); got != tc.want {
			t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	clean := "12 ELM ST, APT #4"
	if n := testing.AllocsPerRun(10, func() { _ = billing.CleanText(clean) }); n != 0 {
		t.Errorf("CleanText of clean text allocates %.0f times", n)
	}
}

// TestNormalizeCleansEveryTextField gives every string of the model (every list one
// element long, every pointer set) surrounding blanks, a tab, a line break and an
// accented letter, and checks that Normalize leaves none of them anywhere: no text
// field is forgotten.
func TestNormalizeCleansEveryTextField(t *testing.T) {
	t.Parallel()
	var c billing.Claim
	n := 0
	fill(reflect.ValueOf(&c).Elem(), func() string {
		n++
		return " \tV" + strconv.Itoa(n) + " É\r\n "
	})
	c.Normalize()
	seen := 0
	walkStrings(reflect.ValueOf(&c).Elem(), "claim", func(path, s string) {
		seen++
		if s != strings.TrimSpace(s) || strings.ContainsAny(s, "\t\r\nÉ") || strings.Contains(s, "  ") {
			t.Errorf("%s = %q after Normalize", path, s)
		}
	})
	if seen < 100 {
		t.Errorf("only %d text fields seen after Normalize: the fill or the walk misses some", seen)
	}
}

// fill sets every string of v to next(), makes every pointer point at a value and
// every slice hold one element, recursively.
func fill(v reflect.Value, next func() string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(next())
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), next)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), next)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[billing.Date]() {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			fill(v.Field(i), next)
		}
	}
}

// walkStrings calls f with every string of v and its Go path.
func walkStrings(v reflect.Value, path string, f func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		f(path, v.String())
	case reflect.Pointer:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, f)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), path+"["+strconv.Itoa(i)+"]", f)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			walkStrings(v.Field(i), path+"."+v.Type().Field(i).Name, f)
		}
	}
}

// TestNormalizeDropsWhatThe837PSendsOnlyWhenDifferent: what the 837P sends only when
// it differs from another value goes when it does not, so that a claim reads the same
// from JSON and from the 837P built from it; and the entity types and tax ids the
// 837P wants.
func TestNormalizeDropsWhatThe837PSendsOnlyWhenDifferent(t *testing.T) {
	t.Parallel()
	doctor := billing.Provider{NPI: "3333333334", Name: "SOLO", FirstName: "ROBIN", Taxonomy: "208D00000X", TaxID: "12-3456789",
		Address: billing.Address{Line1: "77 RIVER RD", City: "SHELBYVILLE", State: "IL", PostalCode: "625650077", Country: "us"}}
	other := billing.Provider{NPI: "1932104098", Name: "DEMO", FirstName: "CASEY"}
	c := billing.Claim{
		PlaceOfService:      "11",
		BillingProvider:     doctor,
		RenderingProvider:   &billing.Provider{NPI: doctor.NPI, Name: "SOLO", FirstName: "ROBIN"}, // the billing provider again
		ServiceFacility:     &billing.Provider{Name: "SOLO PRACTICE", Address: doctor.Address},    // at the billing address
		ReferringProvider:   &billing.Provider{NPI: "1111111112", Name: "REFERRER"},               // no first name
		SupervisingProvider: &billing.Provider{NPI: "4444444440", Name: "SUPERVISOR", EntityType: billing.EntityOrganization},
		Patient:             billing.Person{Address: billing.Address{Line1: "1 A ST", Country: "US"}},
		Lines: []billing.Line{
			{PlaceOfService: "11", RenderingProvider: &billing.Provider{NPI: doctor.NPI, Name: "SOLO", FirstName: "ROBIN", Taxonomy: "208D00000X"}},
			{PlaceOfService: "02", RenderingProvider: &other},
		},
	}
	c.Normalize()
	if c.RenderingProvider != nil || c.ServiceFacility != nil {
		t.Errorf("rendering provider %+v, service facility %+v: they repeat the billing provider", c.RenderingProvider, c.ServiceFacility)
	}
	if c.Lines[0].PlaceOfService != "" || c.Lines[0].RenderingProvider != nil {
		t.Errorf("line 1 keeps %q and %+v: the claim's", c.Lines[0].PlaceOfService, c.Lines[0].RenderingProvider)
	}
	if c.Lines[1].PlaceOfService != "02" || c.Lines[1].RenderingProvider == nil {
		t.Errorf("line 2 lost what differs from the claim: %+v", c.Lines[1])
	}
	if c.ReferringProvider.EntityType != billing.EntityPerson || c.SupervisingProvider.EntityType != billing.EntityPerson {
		t.Errorf("referring %q, supervising %q: both are persons", c.ReferringProvider.EntityType, c.SupervisingProvider.EntityType)
	}
	if c.BillingProvider.TaxID != "123456789" || c.BillingProvider.Address.Country != "" || c.Patient.Address.Country != "" {
		t.Errorf("tax id %q, countries %q %q", c.BillingProvider.TaxID, c.BillingProvider.Address.Country, c.Patient.Address.Country)
	}

	org := billing.Claim{BillingProvider: billing.Provider{EntityType: billing.EntityOrganization, Name: "CLINIC", FirstName: "OFFICE", Suffix: "JR"}}
	org.Normalize()
	if p := org.BillingProvider; p.FirstName != "" || p.Suffix != "" {
		t.Errorf("an organization keeps a person's name parts: %+v", p)
	}
	// A rendering provider with a taxonomy of its own says something: it stays.
	c = billing.Claim{BillingProvider: doctor, RenderingProvider: &billing.Provider{NPI: doctor.NPI, Name: "SOLO", FirstName: "ROBIN", Taxonomy: "207Q00000X"}}
	c.Normalize()
	if c.RenderingProvider == nil {
		t.Error("a rendering provider with another taxonomy was dropped")
	}
}

// TestNormalizeBlanksAreEmpty: a value of blanks is no value.
func TestNormalizeBlanksAreEmpty(t *testing.T) {
	t.Parallel()
	c := billing.Claim{PatientControlNumber: "  A1 ", Patient: billing.Person{LastName: "   ", FirstName: " ALEX  MARIE "},
		Coverages: []billing.Coverage{{MemberID: " XYZ 1 ", Subscriber: billing.Person{LastName: " \t "}}}}
	c.Normalize()
	if c.PatientControlNumber != "A1" || c.Patient.LastName != "" || c.Patient.FirstName != "ALEX MARIE" || c.Coverages[0].MemberID != "XYZ 1" {
		t.Errorf("normalized: %q %q %q %q", c.PatientControlNumber, c.Patient.LastName, c.Patient.FirstName, c.Coverages[0].MemberID)
	}
	if !c.Coverages[0].Subscriber.IsZero() || c.Coverages[0].Relationship != billing.RelationshipSelf {
		t.Errorf("a subscriber of blanks is no subscriber: %+v, relationship %q", c.Coverages[0].Subscriber, c.Coverages[0].Relationship)
	}
}
