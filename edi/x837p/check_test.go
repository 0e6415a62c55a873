package x837p_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
)

// oneClaim is a small clean claim: the patient is the subscriber, one line.
func oneClaim() billing.Claim {
	return billing.Claim{
		PatientControlNumber: "ONE1", PlaceOfService: "11",
		Diagnoses:       []billing.Diagnosis{{Code: "E11.9"}},
		Patient:         alex,
		Coverages:       []billing.Coverage{{Payer: acme, MemberID: "XYZ100000001", FilingIndicator: "CI"}},
		BillingProvider: practice,
		Lines:           []billing.Line{line("99213", 100, day(2025, 3, 3))},
	}
}

// refusal builds the claims, which Build must refuse without writing anything, and
// returns the problems by path.
func refusal(t *testing.T, claims ...billing.Claim) map[billing.Path]*billing.Problem {
	t.Helper()
	var buf bytes.Buffer
	_, err := x837p.Build(claims, goldenOptions(), &buf, &x12.Counter{})
	var probs billing.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("Build: %v, want billing.Problems", err)
	}
	if buf.Len() != 0 {
		t.Errorf("Build wrote %d bytes despite the problems", buf.Len())
	}
	out := map[billing.Path]*billing.Problem{}
	for _, p := range probs {
		out[p.Path] = p
	}
	return out
}

// wantProblem fails unless probs has a problem at path matching err and naming the
// 837P position where.
func wantProblem(t *testing.T, probs map[billing.Path]*billing.Problem, path billing.Path, err error, where string) {
	t.Helper()
	p := probs[path]
	switch {
	case p == nil:
		var got []string
		for _, p := range probs {
			got = append(got, p.Error())
		}
		t.Errorf("no problem at %s; got %q", path, got)
	case !errors.Is(p, err) || p.Where != where:
		t.Errorf("%s: %v (at %q), want %v at %q", path, p, p.Where, err, where)
	}
}

// TestBuildRefusesCharactersOutsideX12: a character outside the X12 character set
// (é, a line break, a tab) is refused, naming its field and position, never written:
// an é makes the 999 reject the set, a line feed makes the whole file unreadable.
// Normalize turns them into what the 837P carries.
func TestBuildRefusesCharactersOutsideX12(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(c *billing.Claim)
		path billing.Path
		pos  string
	}{
		{"é in a first name", func(c *billing.Claim) { c.Patient.FirstName = "JOSÉ" }, "claims[0].patient.first_name", "2010BA NM104"},
		{"ñ in an address", func(c *billing.Claim) { c.Patient.Address.Line1 = "12 CALLE MUÑOZ" }, "claims[0].patient.address.line1", "2010BA N301"},
		{"line feed", func(c *billing.Claim) { c.Patient.Address.Line1 = "45 OAK AVE\nAPT 4" }, "claims[0].patient.address.line1", "2010BA N301"},
		{"carriage return", func(c *billing.Claim) { c.BillingProvider.Address.City = "SPRING\rFIELD" }, "claims[0].billing_provider.address.city", "2010AA N401"},
		{"tab", func(c *billing.Claim) { c.Lines[0].Procedure.Description = "OFFICE\tVISIT" }, "claims[0].lines[0].procedure.description", "2400 SV101-7"},
		{"dependent's name", func(c *billing.Claim) {
			c.Coverages[0].Relationship, c.Coverages[0].Subscriber = billing.RelationshipChild, jordan
			c.Patient.LastName = "PEÑA"
		}, "claims[0].patient.last_name", "2010CA NM103"},
		{"subscriber's name", func(c *billing.Claim) {
			c.Coverages[0].Relationship, c.Coverages[0].Subscriber = billing.RelationshipChild, jordan
			c.Coverages[0].Subscriber.LastName = "GARCÍA"
		}, "claims[0].coverages[0].subscriber.last_name", "2010BA NM103"},
		{"modifier", func(c *billing.Claim) { c.Lines[0].Procedure.Modifiers = []string{"25", "Ü1"} }, "claims[0].lines[0].procedure.modifiers[1]", "2400 SV101"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := oneClaim()
			tc.edit(&c)
			probs := refusal(t, c)
			wantProblem(t, probs, tc.path, x12.ErrCharacterInData, tc.pos)
			if len(probs) != 1 {
				t.Errorf("%d problems, want 1", len(probs))
			}
			if !errors.Is(probs[tc.path], x837p.ErrInvalid) {
				t.Errorf("%v is not ErrInvalid", probs[tc.path])
			}
			// Normalized, the claim builds into a valid file.
			c.Normalize()
			data, _ := build(t, []billing.Claim{c}, goldenOptions(), 1)
			validate(t, tc.name, data)
		})
	}
	c := oneClaim()
	c.Patient.FirstName, c.Patient.Address.Line1 = "JOSÉ", "12 CALLE MUÑOZ\r\nAPT 4"
	c.Normalize()
	data, _ := build(t, []billing.Claim{c}, goldenOptions(), 1)
	if !bytes.Contains(data, []byte("NM1*IL*1*SAMPLE*JOSE*J***MI*XYZ100000001~\nN3*12 CALLE MUNOZ APT 4~")) {
		t.Errorf("normalized accents and line break:\n%s", excerpt(string(data), "NM1*IL", "DMG"))
	}
	// Characters a Normalize cannot transliterate stay refused.
	c.Patient.LastName = "東京"
	c.Normalize()
	wantProblem(t, refusal(t, c), "claims[0].patient.last_name", x12.ErrCharacterInData, "2010BA NM103")
}

// TestBuildReportsEveryBadClaim: Build checks every claim before it writes anything
// and names each bad one, so that the batch stage can hold them all at once and send
// the others; it used to stop at the first value holding a delimiter.
func TestBuildReportsEveryBadClaim(t *testing.T) {
	t.Parallel()
	good, delim, accent := oneClaim(), oneClaim(), oneClaim()
	delim.PatientControlNumber, delim.Patient.LastName = "ONE2", "O*BRIEN"
	accent.PatientControlNumber, accent.BillingProvider.Name = "ONE3", "CLÍNICA"
	probs := refusal(t, good, delim, accent)
	wantProblem(t, probs, "claims[1].patient.last_name", x12.ErrDelimiterInData, "2010BA NM103")
	wantProblem(t, probs, "claims[2].billing_provider.name", x12.ErrCharacterInData, "2010AA NM103")
	if len(probs) != 2 {
		t.Errorf("%d problems, want 2", len(probs))
	}
}

// TestBuildRefusesBlankValues: a value of blanks is not a value, and a value with
// blanks around it is not written as it is (X12 suppresses trailing spaces);
// Normalize trims them, after which a blank required value is missing.
func TestBuildRefusesBlankValues(t *testing.T) {
	t.Parallel()
	c := oneClaim()
	c.BillingProvider.Name = "   "
	c.Patient.LastName = "SAMPLE  "
	probs := refusal(t, c)
	wantProblem(t, probs, "claims[0].billing_provider.name", x837p.ErrInvalid, "2010AA NM103")
	wantProblem(t, probs, "claims[0].patient.last_name", x837p.ErrInvalid, "2010BA NM103")
	c.Normalize()
	probs = refusal(t, c)
	wantProblem(t, probs, "claims[0].billing_provider.name", x837p.ErrRequired, "2010AA NM103")
	if len(probs) != 1 {
		t.Errorf("after Normalize: %d problems, want 1 (the blank name)", len(probs))
	}
}

// TestBuildRefusesDependentWithoutSubscriber: a relationship other than 18 says the
// patient is someone's dependent; without that someone, Build would write the patient
// as her own subscriber (2010BA) and as a dependent of herself (2000C PAT*19).
func TestBuildRefusesDependentWithoutSubscriber(t *testing.T) {
	t.Parallel()
	c := oneClaim()
	c.Coverages[0].Relationship = billing.RelationshipChild
	c.Normalize()
	wantProblem(t, refusal(t, c), "claims[0].coverages[0].subscriber", x837p.ErrRequired, "2010BA NM1")
	// An other payer's coverage too (2320 SBR02 19, 2330A the patient's name).
	c = oneClaim()
	c.Coverages = append(c.Coverages, billing.Coverage{Payer: medigap, MemberID: "MG1", FilingIndicator: "CI", Relationship: billing.RelationshipSpouse})
	wantProblem(t, refusal(t, c), "claims[0].coverages[1].subscriber", x837p.ErrRequired, "2330A NM1")
}

// TestBuildRefusesPatientWithoutAddress: 2010BA N3, N4 and DMG are required when the
// patient is the subscriber, as 2010CA's are when not; N402 and N403 for a US address.
func TestBuildRefusesPatientWithoutAddress(t *testing.T) {
	t.Parallel()
	c := oneClaim()
	c.Patient.Address, c.Patient.BirthDate = billing.Address{}, billing.Date{}
	probs := refusal(t, c)
	wantProblem(t, probs, "claims[0].patient.address", x837p.ErrRequired, "2010BA N301")
	wantProblem(t, probs, "claims[0].patient.birth_date", x837p.ErrRequired, "2010BA DMG02")

	c = oneClaim()
	c.Coverages[0].Relationship, c.Coverages[0].Subscriber = billing.RelationshipChild, jordan
	c.Patient.Address.State, c.Patient.Address.PostalCode = "", ""
	probs = refusal(t, c)
	wantProblem(t, probs, "claims[0].patient.address.state", x837p.ErrRequired, "2010CA N402")
	wantProblem(t, probs, "claims[0].patient.address.postal_code", x837p.ErrRequired, "2010CA N403")

	// Outside the United States, N402 and N403 are not required.
	c.Patient.Address.Country = "MX"
	data, _ := build(t, []billing.Claim{c}, goldenOptions(), 1)
	if !bytes.Contains(data, []byte("N4*SPRINGFIELD***MX~")) {
		t.Errorf("foreign address:\n%s", excerpt(string(data), "NM1*QC", "DMG"))
	}
}

// TestBuildRefusesValuesTheGuideDoesNot: code values and lengths the 837P guide does
// not allow (read from edi/guide) are refused instead of being written for the 999 to
// reject.
func TestBuildRefusesValuesTheGuideDoesNot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(c *billing.Claim)
		path billing.Path
		err  error
		pos  string
	}{
		{"PAT01 03, a 4010 code", func(c *billing.Claim) { c.Coverages[0].Relationship, c.Coverages[0].Subscriber = "03", jordan },
			"claims[0].coverages[0].relationship", x837p.ErrInvalid, "2000C PAT01"},
		{"2320 SBR02 03", func(c *billing.Claim) {
			c.Coverages = append(c.Coverages, billing.Coverage{Payer: medigap, MemberID: "MG1", FilingIndicator: "CI", Relationship: "03", Subscriber: jordan})
		}, "claims[0].coverages[1].relationship", x837p.ErrInvalid, "2320 SBR02"},
		{"DMG03 X", func(c *billing.Claim) { c.Patient.Gender = "X" }, "claims[0].patient.gender", x837p.ErrInvalid, "2010BA DMG03"},
		{"DMG03 Female", func(c *billing.Claim) {
			c.Coverages[0].Relationship, c.Coverages[0].Subscriber = billing.RelationshipChild, jordan
			c.Coverages[0].Subscriber.Gender = "Female"
		}, "claims[0].coverages[0].subscriber.gender", x837p.ErrInvalid, "2010BA DMG03"},
		{"CLM11 state without a cause", func(c *billing.Claim) { c.AccidentState = "IL" }, "claims[0].related_causes", x837p.ErrRequired, "2300 CLM11-1"},
		{"CLM11 cause XX", func(c *billing.Claim) { c.RelatedCauses = []string{"AA", "XX"} }, "claims[0].related_causes[1]", x837p.ErrInvalid, "2300 CLM11-2"},
		{"NM102 3", func(c *billing.Claim) { c.BillingProvider.EntityType = "3" }, "claims[0].billing_provider.entity_type", x837p.ErrInvalid, "2010AA NM102"},
		{"SV104 9 digits", func(c *billing.Claim) { c.Lines[0].Units = billing.Units(123456789) }, "claims[0].lines[0].units", x837p.ErrInvalid, "2400 SV104"},
		{"SV104 8 digits and 3 decimals", func(c *billing.Claim) { c.Lines[0].Units = billing.Quantity(123456789) }, "claims[0].lines[0].units", x837p.ErrInvalid, "2400 SV104"},
		{"CTP04 16 digits", func(c *billing.Claim) {
			c.Lines[0].Drug = &billing.Drug{NDC: "99999012302", Quantity: billing.Units(1234567890123456)}
		}, "claims[0].lines[0].drug.quantity", x837p.ErrInvalid, "2410 CTP04"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := oneClaim()
			tc.edit(&c)
			probs := refusal(t, c)
			wantProblem(t, probs, tc.path, tc.err, tc.pos)
			if len(probs) != 1 {
				t.Errorf("%d problems, want 1", len(probs))
			}
		})
	}
	// The limits themselves are accepted.
	c := oneClaim()
	c.Lines[0].Units = billing.Units(12345678)
	c.RelatedCauses, c.AccidentState = []string{"AA"}, "IL"
	c.Coverages[0].Relationship, c.Coverages[0].Subscriber = "G8", jordan
	data, _ := build(t, []billing.Claim{c}, goldenOptions(), 1)
	validate(t, "limits", data)
	if !bytes.Contains(data, []byte("*AA:::IL~")) || !bytes.Contains(data, []byte("*UN*12345678*")) || !bytes.Contains(data, []byte("PAT*G8~")) {
		t.Errorf("limits:\n%s", data)
	}
}

// excerpt returns data from the first from to the next to (both segment prefixes).
func excerpt(data, from, to string) string {
	i := strings.Index(data, from)
	if i < 0 {
		return data
	}
	j := strings.Index(data[i+len(from):], to)
	if j < 0 {
		return data[i:]
	}
	return data[i : i+len(from)+j]
}

// TestCheckerCoversEveryWrittenField puts a line feed into each string of the feature
// claims in turn: Build must refuse it in its checks, up front and naming the field
// (or not write the field at all), never find it only while writing. The check walks
// the fields Build writes separately from the writing: this keeps the two together.
func TestCheckerCoversEveryWrittenField(t *testing.T) {
	t.Parallel()
	var base bytes.Buffer
	if err := billing.WriteJSON(&base, featureClaims()); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for n := 0; ; n++ {
		claims, err := billing.ReadJSON(bytes.NewReader(base.Bytes())) // a deep copy
		if err != nil {
			t.Fatal(err)
		}
		k := n
		field, ok := setString(reflect.ValueOf(claims), "claims", &k, "A\nB")
		if !ok {
			if refused < 200 {
				t.Errorf("only %d fields refused: the walk over the claims misses some", refused)
			}
			return
		}
		_, err = x837p.Build(claims, goldenOptions(), io.Discard, &x12.Counter{})
		var we *x12.WriteError
		var probs billing.Problems
		switch {
		case errors.As(err, &we):
			t.Errorf("%s: found only while writing: %v", field, err)
		case errors.As(err, &probs):
			refused++
			for _, p := range probs {
				if p.Where == "" {
					t.Errorf("%s: a problem without its 837P position: %v", field, p)
				}
			}
		}
	}
}

// setString sets the n-th string (counting down *n) below v to s and returns its Go
// path, or false when v has fewer strings.
func setString(v reflect.Value, path string, n *int, s string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		if *n == 0 {
			v.SetString(s)
			return path, true
		}
		*n--
	case reflect.Pointer:
		if !v.IsNil() {
			return setString(v.Elem(), path, n, s)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if p, ok := setString(v.Index(i), path+"["+strconv.Itoa(i)+"]", n, s); ok {
				return p, true
			}
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if p, ok := setString(v.Field(i), path+"."+v.Type().Field(i).Name, n, s); ok {
				return p, true
			}
		}
	}
	return "", false
}
