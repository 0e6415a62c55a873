package billing_test

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
)

func readExample(t *testing.T, name string) []billing.Claim {
	t.Helper()
	f, err := os.Open("examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var claims []billing.Claim
	if strings.HasSuffix(name, ".csv") {
		claims, err = billing.ReadCSV(f)
	} else {
		claims, err = billing.ReadJSON(f)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return claims
}

// TestExamples reads the examples of SCHEMA.md and checks what they hold.
func TestExamples(t *testing.T) {
	t.Parallel()
	claims := readExample(t, "claims.json")
	if len(claims) != 4 {
		t.Fatalf("%d claims", len(claims))
	}
	for i := range claims {
		claims[i].Normalize()
	}
	c := claims[1]
	if k, _ := c.BilledCoverage(); c.PatientIsSubscriber(k) || c.Coverages[0].Subscriber.FirstName != "JORDAN" {
		t.Error("claim 2: the patient is a dependent")
	}
	if c.Charge != billing.Dollars(195, 0) || c.Diagnoses[1].Code != "R051" || c.Lines[2].ControlNumber != "CF1002-3" {
		t.Errorf("claim 2 normalized: %v %v %v", c.Charge, c.Diagnoses[1].Code, c.Lines[2].ControlNumber)
	}
	c = claims[2]
	if k, ok := c.BilledCoverage(); !ok || k != 1 || c.Coverages[1].Responsibility != "S" {
		t.Error("claim 3 is billed to its secondary coverage")
	}
	if a := c.Coverages[0].Adjudication; a == nil || a.PaidAmount != billing.Dollars(112, 0) || a.Lines[1].Procedure.Code != "J3301" || a.Lines[1].Units != billing.Units(4) || a.Lines[1].Date != a.Date {
		t.Errorf("claim 3 adjudication: %+v", c.Coverages[0].Adjudication)
	}
	if c.Lines[1].Drug == nil || c.Lines[1].Drug.NDC != "99999012301" {
		t.Error("claim 3 has a drug line")
	}
	if claims[3].Frequency != billing.FrequencyReplacement || claims[3].OriginalPayerClaimNumber == "" || claims[3].Note.Code != "ADD" {
		t.Error("claim 4 replaces a claim")
	}

	csv := readExample(t, "claims.csv")
	if len(csv) != 2 || len(csv[0].Lines) != 2 || len(csv[1].Lines) != 2 {
		t.Fatalf("CSV: %d claims", len(csv))
	}
	for i := range csv {
		csv[i].Normalize()
	}
	if csv[0].Charge != billing.Dollars(250, 0) || csv[0].Lines[0].DiagnosisPointers[1] != 2 || csv[0].RenderingProvider.NPI != "1932104098" {
		t.Errorf("CSV claim 1: %+v", csv[0])
	}
	if csv[1].Coverages[0].Relationship != "19" || csv[1].Coverages[0].Subscriber.LastName != "EXAMPLE" || csv[1].Lines[1].Drug.Quantity != billing.Units(1) || csv[1].RenderingProvider != nil {
		t.Errorf("CSV claim 2: %+v", csv[1])
	}
}

// TestNormalizeIdempotent: Normalize twice is Normalize once, and JSON keeps it.
func TestNormalizeIdempotent(t *testing.T) {
	t.Parallel()
	claims := readExample(t, "claims.json")
	for i := range claims {
		claims[i].Normalize()
	}
	var buf bytes.Buffer
	if err := billing.WriteJSON(&buf, claims); err != nil {
		t.Fatal(err)
	}
	again, err := billing.ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range again {
		again[i].Normalize()
	}
	if !reflect.DeepEqual(claims, again) {
		t.Error("Normalize is not idempotent through JSON")
	}
}

func TestLineControlNumbers(t *testing.T) {
	t.Parallel()
	c := billing.Claim{PatientControlNumber: "A1", Lines: []billing.Line{{}, {ControlNumber: "A1-1"}, {}, {ControlNumber: "X"}}}
	got := c.LineControlNumbers(nil)
	want := []string{"A1-1-2", "A1-1", "A1-3", "X"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	c.PatientControlNumber = strings.Repeat("P", 27)
	if got := c.LineControlNumbers(nil); got[0] != "L1" {
		t.Errorf("long control number: %v", got)
	}
}

func TestGroupAdjustments(t *testing.T) {
	t.Parallel()
	in := []billing.Adjustment{{Group: "CO", Reason: "45"}, {Group: "PR", Reason: "1"}, {Group: "CO", Reason: "253"}, {Group: "PR", Reason: "2"}, {Group: "OA", Reason: "23"}}
	got := billing.GroupAdjustments(in)
	var reasons []string
	for _, a := range got {
		reasons = append(reasons, a.Group+"-"+a.Reason)
	}
	if strings.Join(reasons, ",") != "CO-45,CO-253,PR-1,PR-2,OA-23" {
		t.Errorf("grouped %v", reasons)
	}
	sorted := got
	if g := billing.GroupAdjustments(sorted); &g[0] != &sorted[0] {
		t.Error("already grouped adjustments were copied")
	}
}

func TestReadJSONProblems(t *testing.T) {
	t.Parallel()
	_, err := billing.ReadJSON(strings.NewReader(`[{"patient_control_number": "A"}, {"patient_control_numbr": "B"}, {"charge": "1.999"}, {"lines": [{"service_dates": {"from": "2025-13-01"}}]}]`))
	var probs billing.Problems
	if !errors.As(err, &probs) || len(probs) != 3 {
		t.Fatalf("%v", err)
	}
	for i, want := range []string{"claims[1]", "claims[2]", "claims[3]"} {
		if string(probs[i].Path) != want {
			t.Errorf("problem %d: %v", i, probs[i])
		}
	}
	if !strings.Contains(probs[0].Error(), "patient_control_numbr") || !errors.Is(probs[1], billing.ErrMoney) || !errors.Is(probs[2], billing.ErrDate) {
		t.Errorf("problems: %v", probs)
	}
	claims, err := billing.ReadJSON(strings.NewReader(`{"claims": []}`))
	if err != nil || len(claims) != 0 {
		t.Errorf("empty: %v %v", claims, err)
	}
	if _, err := billing.ReadJSON(strings.NewReader(`"x"`)); err == nil {
		t.Error("a string is not claims")
	}
}

func TestReadCSVProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     []string // substrings of each problem, in order
	}{
		{"unknown column", "patient_control_number,procedure_code,line_charge,colour\n", []string{`unknown column "colour"`}},
		{"missing column", "patient_control_number,line_charge\n", []string{`"procedure_code" is missing`}},
		{"empty", "", []string{"empty"}},
		{"bad values", "patient_control_number,procedure_code,line_charge,service_date,patient_birth_date\n" +
			"A,99213,12x,2025-03-03,1980-01-01\nA,99214,10,2025-02-30,1981-01-01\n,99215,1,,\n",
			[]string{"claims[0].lines[0].charge (row 2, column line_charge)", "claims[0].lines[1].service_dates.from (row 3",
				"claims[0].patient.birth_date (row 3, column patient_birth_date): differs from row 2", "(row 4): patient_control_number is empty"}},
	} {
		_, err := billing.ReadCSV(strings.NewReader(tc.in))
		var probs billing.Problems
		if !errors.As(err, &probs) || len(probs) != len(tc.want) {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(probs[i].Error(), w) {
				t.Errorf("%s: problem %d is %q, want %q", tc.name, i, probs[i].Error(), w)
			}
		}
	}
	names, claimLevel, paths := billing.CSVColumns()
	if len(names) != len(claimLevel) || len(names) != len(paths) || names[0] != "patient_control_number" {
		t.Error("CSVColumns")
	}
}

// TestSchemaDocumented checks that SCHEMA.md names every JSON field and CSV column.
func TestSchemaDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("SCHEMA.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] || ty.PkgPath() != reflect.TypeFor[billing.Claim]().PkgPath() {
			return
		}
		seen[ty] = true
		for i := 0; i < ty.NumField(); i++ {
			f := ty.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && !strings.Contains(string(doc), "`"+name+"`") && !strings.Contains(string(doc), `"`+name+`"`) {
				t.Errorf("SCHEMA.md does not document %s.%s (%q)", ty.Name(), f.Name, name)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[billing.Claim]())
	names, _, _ := billing.CSVColumns()
	for _, n := range names {
		if !strings.Contains(string(doc), "| `"+n+"` |") {
			t.Errorf("SCHEMA.md does not list the CSV column %s", n)
		}
	}
}
