package x837p_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
)

// segmentAt finds the ordinal in its transaction set of the n-th (0-based) segment
// of the file whose text starts with prefix, with its GS06 and ST02.
func segmentAt(t *testing.T, data []byte, prefix string, n int) (gs06, st02 string, ord int) {
	t.Helper()
	r := x12.NewReader(bytes.NewReader(data))
	for {
		seg, err := r.Next()
		if err == io.EOF {
			t.Fatalf("no segment %q number %d", prefix, n)
		}
		if err != nil {
			t.Fatal(err)
		}
		switch seg.ID {
		case "GS":
			gs06 = seg.Value(6)
		case "ST":
			st02 = seg.Value(2)
		}
		if strings.HasPrefix(seg.String(), prefix) {
			if n == 0 {
				return gs06, st02, seg.STOrdinal
			}
			n--
		}
	}
}

// TestLocate traces segments and elements of the feature file back to claim fields,
// as a 999's AK102, AK202, IK302 and IK4 would name them.
func TestLocate(t *testing.T) {
	t.Parallel()
	claims := featureClaims()
	o := goldenOptions()
	o.ClaimsPerST = 3
	data, res := build(t, claims, o, 1000)
	tests := []struct {
		prefix    string
		n         int
		seg       string
		el, comp  int
		wantClaim int
		wantLine  int
		wantLoop  string
		wantPath  billing.Path
	}{
		{"DMG*D8*19771102", 0, "DMG", 2, 0, 1, -1, "2010CA", "claims[1].patient.birth_date"},
		{"DMG*D8*19750520", 0, "DMG", 3, 0, 1, -1, "2010BA", "claims[1].coverages[0].subscriber.gender"},
		{"NM1*IL*1*SAMPLE", 0, "NM1", 9, 0, 0, -1, "2010BA", "claims[0].coverages[0].member_id"},
		{"NM1*IL*1*SAMPLE", 0, "NM1", 4, 0, 0, -1, "2010BA", "claims[0].patient.first_name"},
		{"SV1*HC:99285", 0, "SV1", 1, 5, 0, 0, "2400", "claims[0].lines[0].procedure.modifiers[2]"},
		{"SV1*HC:99285", 0, "SV1", 7, 4, 0, 0, "2400", "claims[0].lines[0].diagnosis_pointers[3]"},
		{"DTP*472*RD8", 0, "DTP", 3, 0, 0, 1, "2400", "claims[0].lines[1].service_dates"},
		{"REF*G1*PA20250002", 0, "REF", 2, 0, 0, 1, "2400", "claims[0].lines[1].authorization.prior_authorization"},
		{"REF*6R*GF01-PT", 0, "REF", 2, 0, 0, 1, "2400", "claims[0].lines[1].control_number"},
		{"HI*ABK:S134XXA", 0, "HI", 12, 2, 0, -1, "2300", "claims[0].diagnoses[11]"},
		{"DTP*314", 0, "DTP", 3, 0, 0, -1, "2300", "claims[0].dates.disability_from"},
		{"CLM*GF04R", 0, "CLM", 5, 3, 4, -1, "2300", "claims[4].frequency"},
		{"REF*F8*ICN2025000789", 0, "REF", 2, 0, 6, -1, "2300", "claims[6].original_payer_claim_number"},
		{"N3*400 LAKE ST", 0, "N3", 1, 0, 0, -1, "2310C", "claims[0].service_facility.address.line1"},
		{"NM1*85*2*EXAMPLE", 0, "NM1", 9, 0, 0, -1, "2010AA", "claims[0].billing_provider.npi"},
		{"REF*SY*123456789", 0, "REF", 2, 0, 5, -1, "2010AA", "claims[5].billing_provider.tax_id"},
		{"CAS*CO*237", 0, "CAS", 3, 0, 2, -1, "2320", "claims[2].coverages[0].adjudication.adjustments[6].amount"},
		{"CAS*CO*45*20", 0, "CAS", 18, 0, 2, -1, "2320", "claims[2].coverages[0].adjudication.adjustments[5].amount"},
		{"CAS*PR*1", 0, "CAS", 5, 0, 2, -1, "2320", "claims[2].coverages[0].adjudication.adjustments[8].reason"},
		{"MOA", 0, "MOA", 4, 0, 2, -1, "2320", "claims[2].coverages[0].adjudication.remark_codes[1]"},
		{"NM1*IL*1*EXAMPLE*JORDAN****MI*1EG", 0, "NM1", 3, 0, 2, -1, "2330A", "claims[2].coverages[0].subscriber.last_name"},
		{"DTP*573*D8*20250320", 0, "DTP", 3, 0, 2, -1, "2330B", "claims[2].coverages[0].adjudication.date"},
		{"SVD*MGP01*10", 0, "SVD", 2, 0, 5, 1, "2430", "claims[5].coverages[1].adjudication.lines[1].paid_amount"},
		{"CAS*PR*3*10", 1, "CAS", 3, 0, 5, 1, "2430", "claims[5].coverages[1].adjudication.lines[1].adjustments[1].amount"},
		{"AMT*EAF*20", 0, "AMT", 2, 0, 5, 1, "2430", "claims[5].coverages[0].adjudication.lines[1].remaining_patient_liability"},
		{"CTP", 0, "CTP", 4, 0, 5, 1, "2410", "claims[5].lines[1].drug.quantity"},
		{"PRV*PE*PXC*207RC0000X", 0, "PRV", 3, 0, 0, 2, "2420A", "claims[0].lines[2].rendering_provider.taxonomy"},
		{"N3*PO BOX 9900", 0, "N3", 1, 0, 7, -1, "2010AB", "claims[7].pay_to_address.line1"},
		{"PAT*19", 1, "PAT", 1, 0, 2, -1, "2000C", "claims[2].coverages[1].relationship"},
		{"BHT", 0, "BHT", 3, 0, -1, -1, "", ""},
	}
	for _, tc := range tests {
		gs, st, ord := segmentAt(t, data, tc.prefix, tc.n)
		loc, ok := res.Locate(gs, st, ord, tc.seg, tc.el, tc.comp)
		if !ok {
			t.Errorf("%s: not found", tc.prefix)
			continue
		}
		if loc.Claim != tc.wantClaim || loc.Line != tc.wantLine || loc.Loop != tc.wantLoop || loc.Path != tc.wantPath {
			t.Errorf("%s %s%02d-%d: got claim %d line %d loop %q path %q; want %d %d %q %q", tc.prefix, tc.seg, tc.el, tc.comp,
				loc.Claim, loc.Line, loc.Loop, loc.Path, tc.wantClaim, tc.wantLine, tc.wantLoop, tc.wantPath)
		}
	}
	if _, ok := res.Locate("1000", "0009", 1, "ST", 0, 0); ok {
		t.Error("Locate found a transaction set that was not written")
	}
	if _, ok := res.Locate("1000", "0001", 9999, "LX", 0, 0); ok {
		t.Error("Locate found a segment past the end")
	}
}

// TestBuildRejects checks that claims the 837P cannot carry are refused, each problem
// naming its field, and that nothing is written.
func TestBuildRejects(t *testing.T) {
	t.Parallel()
	claims := featureClaims()
	claims[1].Lines = nil
	claims[2].Diagnoses = nil
	claims[3].Lines[0].Procedure.Modifiers = []string{"1", "2", "3", "4", "5"}
	claims[4].OriginalPayerClaimNumber = ""
	claims[5].Coverages[2].Adjudication = &billing.OtherPayerAdjudication{} // nobody left to bill
	claims[6].Lines[0].ServiceDates = billing.Period{}
	claims[7].BillingProvider.TaxID = ""
	claims[0].Lines[1].ControlNumber = "GF01-1"
	claims[0].Patient.BirthDate = billing.NewDate(2025, 2, 30)
	var buf bytes.Buffer
	_, err := x837p.Build(claims, goldenOptions(), &buf, &x12.Counter{})
	var probs billing.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("Build: %v, want billing.Problems", err)
	}
	want := map[billing.Path]error{
		"claims[1].lines":                              x837p.ErrRequired,
		"claims[2].diagnoses":                          x837p.ErrRequired,
		"claims[3].lines[0].procedure.modifiers":       x837p.ErrTooMany,
		"claims[4].original_payer_claim_number":        x837p.ErrRequired,
		"claims[5].coverages":                          x837p.ErrRequired,
		"claims[5].coverages[2].adjudication.date":     x837p.ErrRequired, // claim level: 2330B DTP*573
		"claims[6].lines[0].service_dates.from":        x837p.ErrRequired,
		"claims[7].billing_provider.tax_id":            x837p.ErrRequired,
		"claims[0].patient.birth_date":                 x837p.ErrInvalid,
		"claims[0].lines[2].control_number":            nil, // generated GF01-3: no clash
		"claims[0].lines[1].control_number (no clash)": nil,
	}
	got := map[billing.Path]bool{}
	for _, p := range probs {
		got[p.Path] = true
		if w, ok := want[p.Path]; !ok || w == nil || !errors.Is(p, w) {
			t.Errorf("unexpected problem %v", p)
		}
	}
	for path, w := range want {
		if w != nil && !got[path] {
			t.Errorf("no problem reported for %s", path)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("Build wrote %d bytes despite the problems", buf.Len())
	}
	// A duplicate line control number is refused.
	claims = featureClaims()[:1]
	claims[0].Lines[0].ControlNumber = "GF01-PT-0304"
	if _, err := x837p.Build(claims, goldenOptions(), io.Discard, &x12.Counter{}); err == nil || !strings.Contains(err.Error(), "claims[0].lines[1].control_number") {
		t.Errorf("duplicate line control number: %v", err)
	}
}

func TestBuildOptions(t *testing.T) {
	t.Parallel()
	claims := featureClaims()
	for _, tc := range []struct {
		name string
		mod  func(*x837p.BuildOptions)
		ok   bool
	}{
		{"defaults", func(*x837p.BuildOptions) {}, true},
		{"one claim per set", func(o *x837p.BuildOptions) { o.ClaimsPerST = 1 }, true},
		{"5000 per set", func(o *x837p.BuildOptions) { o.ClaimsPerST = 5000 }, true},
		{"5001 per set", func(o *x837p.BuildOptions) { o.ClaimsPerST = 5001 }, false},
		{"negative", func(o *x837p.BuildOptions) { o.ClaimsPerST = -1 }, false},
		{"no submitter contact", func(o *x837p.BuildOptions) { o.Submitter.Contact = billing.Contact{} }, false},
		{"no receiver", func(o *x837p.BuildOptions) { o.Receiver = x837p.Party{} }, false},
		{"receiver id too long", func(o *x837p.BuildOptions) { o.Receiver.ID = "1234567890123456" }, false},
		{"delimiters", func(o *x837p.BuildOptions) {
			o.Delimiters = x12.Delimiters{Element: '|', Repetition: '!', Component: '>', Segment: '\n'}
			o.Newline = false
		}, true},
	} {
		o := goldenOptions()
		tc.mod(&o)
		var buf bytes.Buffer
		res, err := x837p.Build(claims, o, &buf, &x12.Counter{})
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
			continue
		}
		if err != nil {
			if !errors.Is(err, x837p.ErrOptions) {
				t.Errorf("%s: %v is not ErrOptions", tc.name, err)
			}
			continue
		}
		validate(t, tc.name, buf.Bytes())
		if o.ClaimsPerST == 1 && len(res.Transactions) != len(claims) {
			t.Errorf("%s: %d transaction sets for %d claims", tc.name, len(res.Transactions), len(claims))
		}
		back, err := x837p.Parse(bytes.NewReader(buf.Bytes()))
		if err != nil || len(back) != len(claims) {
			t.Errorf("%s: parsed %d claims, %v", tc.name, len(back), err)
		}
	}
	if _, err := x837p.Build(claims, goldenOptions(), io.Discard, nil); !errors.Is(err, x837p.ErrOptions) {
		t.Errorf("no sequence: %v", err)
	}
}

func TestParseNot837P(t *testing.T) {
	t.Parallel()
	_, err := x837p.Parse(strings.NewReader("ISA*00*          *00*          *ZZ*A              *ZZ*B              *250101*0000*^*00501*000000001*0*P*:~" +
		"GS*HP*A*B*20250101*0000*1*X*005010X221A1~ST*835*0001*005010X221A1~SE*2*0001~GE*1*1~IEA*1*000000001~"))
	if !errors.Is(err, x837p.ErrNot837P) {
		t.Errorf("835: %v", err)
	}
	if _, err := x837p.Parse(strings.NewReader("not x12")); err == nil || !x12.IsSyntaxError(err) {
		t.Errorf("garbage: %v", err)
	}
}

// TestParseProblems checks that unreadable values are reported with their field and
// position, and the claim still comes back.
func TestParseProblems(t *testing.T) {
	t.Parallel()
	data, _ := build(t, featureClaims()[:1], goldenOptions(), 1)
	bad := bytes.Replace(data, []byte("SV1*HC:97140:GP*240*"), []byte("SV1*HC:97140:GP*2X0*"), 1)
	bad = bytes.Replace(bad, []byte("DMG*D8*19800115"), []byte("DMG*D8*19801315"), 1)
	claims, err := x837p.Parse(bytes.NewReader(bad))
	var probs billing.Problems
	if !errors.As(err, &probs) || len(probs) != 2 {
		t.Fatalf("Parse: %v", err)
	}
	if probs[0].Path != "claims[0].patient.birth_date" || probs[1].Path != "claims[0].lines[1].charge" {
		t.Errorf("problems: %v; %v", probs[0], probs[1])
	}
	if !strings.Contains(probs[1].Where, "SV102") {
		t.Errorf("where: %s", probs[1].Where)
	}
	if len(claims) != 1 || len(claims[0].Lines) != 3 {
		t.Errorf("claims: %d", len(claims))
	}
}

// TestBuildDelimiterInData checks that data holding a delimiter is refused with the
// path of its field.
func TestBuildDelimiterInData(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		edit func(c *billing.Claim)
		want billing.Path
	}{
		{func(c *billing.Claim) { c.Patient.LastName = "O*BRIEN" }, "claims[0].patient.last_name"},
		{func(c *billing.Claim) { c.Lines[1].Procedure.Modifiers[0] = "G~" }, "claims[0].lines[1].procedure.modifiers[0]"},
		{func(c *billing.Claim) { c.ServiceFacility.Address.City = "A:B" }, "claims[0].service_facility.address.city"},
	} {
		claims := featureClaims()[:1]
		f := *claims[0].ServiceFacility
		claims[0].ServiceFacility = &f
		tc.edit(&claims[0])
		_, err := x837p.Build(claims, goldenOptions(), io.Discard, &x12.Counter{})
		var probs billing.Problems
		if !errors.As(err, &probs) || len(probs) != 1 || probs[0].Path != tc.want || !errors.Is(err, x12.ErrDelimiterInData) {
			t.Errorf("want a problem at %s, got %v", tc.want, err)
		}
	}
}

// TestBuildSendsSituationalOnlyWhenDifferent: what the TR3 says to send only when it
// differs ("if not required by this implementation guide, do not send") is left out
// when it does not differ, and sent when it does; normalized or not.
func TestBuildSendsSituationalOnlyWhenDifferent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		same, diff func(c *billing.Claim)
		sameHas    string // what the file holds when equal
		diffHas    string // what the file holds only when different
	}{
		{"SV105 equal to CLM05-1",
			func(c *billing.Claim) { c.Lines[0].PlaceOfService = "11" },
			func(c *billing.Claim) { c.Lines[0].PlaceOfService = "02" },
			"SV1*HC:99213*100*UN*1***1~", "SV1*HC:99213*100*UN*1*02**1~"},
		{"REF*F8 on an original claim",
			func(c *billing.Claim) { c.OriginalPayerClaimNumber = "ICN2025000456" },
			func(c *billing.Claim) {
				c.OriginalPayerClaimNumber, c.Frequency = "ICN2025000456", billing.FrequencyReplacement
			},
			"CLM*ONE1*100***11:B:1*Y*A*Y*Y~\nHI*", "REF*F8*ICN2025000456~"},
		{"2310B the billing provider",
			func(c *billing.Claim) { c.BillingProvider, c.RenderingProvider = soloDoctor, ptr(soloDoctor) },
			func(c *billing.Claim) { c.BillingProvider, c.RenderingProvider = soloDoctor, ptr(renderer) },
			"HI*ABK:E119~\nLX*1~", "NM1*82*1*DEMO*CASEY****XX*1932104098~"},
		{"2420A the claim's rendering provider",
			func(c *billing.Claim) {
				c.RenderingProvider, c.Lines[0].RenderingProvider = ptr(renderer), ptr(renderer)
			},
			func(c *billing.Claim) {
				c.RenderingProvider, c.Lines[0].RenderingProvider = ptr(renderer), ptr(lineDoctor)
			},
			"REF*6R*ONE1-1~\nSE*", "NM1*82*1*LINEDOC*SAM****XX*5555555551~"},
		{"2420A the billing provider, without 2310B",
			func(c *billing.Claim) { c.BillingProvider, c.Lines[0].RenderingProvider = soloDoctor, ptr(soloDoctor) },
			func(c *billing.Claim) { c.BillingProvider, c.Lines[0].RenderingProvider = soloDoctor, ptr(lineDoctor) },
			"REF*6R*ONE1-1~\nSE*", "NM1*82*1*LINEDOC*SAM****XX*5555555551~"},
		{"2310C at the billing address",
			func(c *billing.Claim) {
				c.ServiceFacility = &billing.Provider{Name: "MAIN OFFICE", Address: practice.Address}
			},
			func(c *billing.Claim) { c.ServiceFacility = ptr(walkIn) },
			"HI*ABK:E119~\nLX*1~", "NM1*77*2*SPRINGFIELD WALK-IN CLINIC*****XX*2222222228~"},
		{"NM104 of an organization",
			func(c *billing.Claim) {
				c.BillingProvider.EntityType, c.BillingProvider.FirstName = billing.EntityOrganization, "OFFICE"
			},
			func(c *billing.Claim) {
				c.BillingProvider.EntityType, c.BillingProvider.FirstName = billing.EntityPerson, "OFFICE"
			},
			"NM1*85*2*EXAMPLE FAMILY MEDICINE*****XX*1234567893~", "NM1*85*1*EXAMPLE FAMILY MEDICINE*OFFICE****XX*1234567893~"},
		{"N404 US",
			func(c *billing.Claim) { c.Patient.Address.Country = "US" },
			func(c *billing.Claim) { c.Patient.Address.Country = "CA" },
			"N4*SPRINGFIELD*IL*627025678~\nDMG", "N4*SPRINGFIELD*IL*627025678*CA~"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, normalize := range []bool{false, true} {
				same, diff := oneClaim(), oneClaim()
				tc.same(&same)
				tc.diff(&diff)
				if normalize {
					same.Normalize()
					diff.Normalize()
				}
				a, _ := build(t, []billing.Claim{same}, goldenOptions(), 1)
				b, _ := build(t, []billing.Claim{diff}, goldenOptions(), 1)
				validate(t, tc.name, a)
				validate(t, tc.name, b)
				if !bytes.Contains(a, []byte(tc.sameHas)) || bytes.Contains(a, []byte(tc.diffHas)) {
					t.Errorf("normalized %v: sent although equal, want %q:\n%s", normalize, tc.sameHas, a)
				}
				if !bytes.Contains(b, []byte(tc.diffHas)) {
					t.Errorf("normalized %v: %q not sent although different:\n%s", normalize, tc.diffHas, b)
				}
			}
		})
	}
}

// TestBuildReferringSupervisingArePersons: 2310A and 2310D name persons only (NM102
// 1): a referring or supervising provider entered with a last name and no first name
// (a CSV with referring_last_name only), which Provider.Code takes for an
// organization, is still written as a person.
func TestBuildReferringSupervisingArePersons(t *testing.T) {
	t.Parallel()
	for _, normalize := range []bool{false, true} {
		c := oneClaim()
		c.ReferringProvider = &billing.Provider{NPI: "1111111112", Name: "REFERRER"}
		c.SupervisingProvider = &billing.Provider{NPI: "4444444440", Name: "SUPERVISOR", FirstName: "DANA", EntityType: billing.EntityOrganization}
		if normalize {
			c.Normalize()
		}
		data, _ := build(t, []billing.Claim{c}, goldenOptions(), 1)
		validate(t, "2310A and 2310D", data)
		if !bytes.Contains(data, []byte("NM1*DN*1*REFERRER*****XX*1111111112~")) || !bytes.Contains(data, []byte("NM1*DQ*1*SUPERVISOR*DANA****XX*4444444440~")) {
			t.Errorf("normalized %v:\n%s", normalize, excerpt(string(data), "HI*", "LX*"))
		}
		// The last name is required.
		c.ReferringProvider.Name = ""
		wantProblem(t, refusal(t, c), "claims[0].referring_provider.name", x837p.ErrRequired, "2310A NM103")
	}
}
