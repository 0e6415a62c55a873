package scrub

import (
	"regexp"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/codes"
)

// ruleCase is one table test of a rule: an edit of goodClaim (or secondaryClaim) and
// the finding the rule must make, or none (want.field empty: the passing case).
type ruleCase struct {
	rule      string
	name      string
	secondary bool       // start from secondaryClaim
	batch     bool       // check [goodClaim, edited]: the finding is on claims[1]
	payer     *PayerRule // rules of the billed payer
	auth      *Authorization
	edit      func(c *billing.Claim)
	want      want
}

type want struct {
	field billing.Path // "" for the passing case
	line  int
	sev   Severity
	x12   string
	stc   string
	msg   string // a part of the message, when it matters
}

func fail(field string, line int, sev Severity, x12, stc string) want {
	return want{field: billing.Path(field), line: line, sev: sev, x12: x12, stc: stc}
}

func setDOS(d billing.Date) func(c *billing.Claim) {
	return func(c *billing.Claim) {
		for j := range c.Lines {
			c.Lines[j].ServiceDates = billing.Period{From: d}
		}
	}
}

// formatCases are the table tests that need no code set.
func formatCases() []ruleCase {
	long := strings.Repeat("X", 31)
	auth := &Authorization{Number: "PA778899", Visits: 10, UsedVisits: 9, Units: billing.Units(12), UsedUnits: billing.Units(10)}
	needsG0439 := &PayerRule{PriorAuthorization: []string{"G0439", "97110"}}
	return []ruleCase{
		{rule: "pcn-format", name: "17 characters"},
		{rule: "pcn-format", name: "missing", edit: func(c *billing.Claim) { c.PatientControlNumber = "" },
			want: fail("claims[0].patient_control_number", -1, Error, "2300 CLM01", "A6:478")},
		{rule: "pcn-format", name: "21 characters", edit: func(c *billing.Claim) { c.PatientControlNumber = strings.Repeat("7", 21) },
			want: fail("claims[0].patient_control_number", -1, Error, "2300 CLM01", "A7:478")},
		{rule: "pcn-format", name: "18 characters warns", edit: func(c *billing.Claim) { c.PatientControlNumber = strings.Repeat("7", 18) },
			want: fail("claims[0].patient_control_number", -1, Warning, "2300 CLM01", "")},

		{rule: "pcn-unique", name: "different in batch", batch: true, edit: func(c *billing.Claim) { c.PatientControlNumber = "CF-000002" }},
		{rule: "pcn-unique", name: "same in batch", batch: true,
			want: fail("claims[1].patient_control_number", -1, Error, "2300 CLM01", "A7:54")},

		{rule: "claim-frequency", name: "replacement with payer claim number", edit: func(c *billing.Claim) {
			c.Frequency, c.OriginalPayerClaimNumber = billing.FrequencyReplacement, "ICN-20251101-77"
		}},
		{rule: "claim-frequency", name: "void without payer claim number", edit: func(c *billing.Claim) { c.Frequency = billing.FrequencyVoid },
			want: fail("claims[0].original_payer_claim_number", -1, Error, "2300 REF*F8 REF02", "A6:464")},
		{rule: "claim-frequency", name: "frequency 3", edit: func(c *billing.Claim) { c.Frequency = "3" },
			want: fail("claims[0].frequency", -1, Error, "2300 CLM05-3", "A7:535")},

		{rule: "billed-coverage", name: "secondary billed", secondary: true},
		{rule: "billed-coverage", name: "every coverage adjudicated", edit: func(c *billing.Claim) {
			c.Coverages[0].Adjudication = &billing.OtherPayerAdjudication{PaidAmount: c.Charge}
		}, want: fail("claims[0].coverages", -1, Error, "2010BB NM109", "")},
		{rule: "billed-coverage", name: "no coverage", edit: func(c *billing.Claim) { c.Coverages = nil },
			want: fail("claims[0].coverages", -1, Error, "2010BB NM109", "")},

		{rule: "member-id", name: "payer format matches", payer: &PayerRule{MemberID: MemberIDRule{Pattern: regexp.MustCompile(`[A-Z]{3}\d{9}`), MaxLength: 12}}},
		{rule: "member-id", name: "missing", edit: func(c *billing.Claim) { c.Coverages[0].MemberID = "" },
			want: fail("claims[0].coverages[0].member_id", -1, Error, "2010BA NM109", "A6:164:IL")},
		{rule: "member-id", name: "space inside", edit: func(c *billing.Claim) { c.Coverages[0].MemberID = "ZQX 900112233" },
			want: fail("claims[0].coverages[0].member_id", -1, Error, "2010BA NM109", "A7:164:IL")},
		{rule: "member-id", name: "not the payer's format",
			payer: &PayerRule{MemberID: MemberIDRule{Pattern: regexp.MustCompile(`[A-Z]{3}\d{9}`), Description: "3 letters then 9 digits"}},
			edit:  func(c *billing.Claim) { c.Coverages[0].MemberID = "ZQX9001122" },
			want:  want{field: "claims[0].coverages[0].member_id", line: -1, sev: Error, x12: "2010BA NM109", stc: "A7:164:IL", msg: "3 letters then 9 digits"}},
		{rule: "member-id", name: "payer length and alphanumeric", payer: &PayerRule{MemberID: MemberIDRule{MinLength: 6, MaxLength: 10, Alphanumeric: true}},
			edit: func(c *billing.Claim) { c.Coverages[0].MemberID = "ZQX-9001" },
			want: fail("claims[0].coverages[0].member_id", -1, Error, "2010BA NM109", "A7:164:IL")},
		{rule: "member-id", name: "earlier payer's missing", secondary: true, edit: func(c *billing.Claim) { c.Coverages[0].MemberID = "" },
			want: fail("claims[0].coverages[0].member_id", -1, Error, "2330A NM109", "A6:164:IL")},

		{rule: "birth-date", name: "dependent with both birth dates", edit: func(c *billing.Claim) {
			c.Coverages[0].Relationship = billing.RelationshipChild
			c.Coverages[0].Subscriber = billing.Person{LastName: "TESTPARENT", FirstName: "SAM", BirthDate: billing.NewDate(1960, 2, 29)}
		}},
		{rule: "birth-date", name: "missing", edit: func(c *billing.Claim) { c.Patient.BirthDate = billing.Date{} },
			want: fail("claims[0].patient.birth_date", -1, Error, "2010BA DMG02", "A6:158:IL")},
		{rule: "birth-date", name: "after the date of service", edit: func(c *billing.Claim) { c.Patient.BirthDate = billing.NewDate(2025, 11, 10) },
			want: fail("claims[0].patient.birth_date", -1, Error, "2010BA DMG02", "A7:158:IL")},
		{rule: "birth-date", name: "in the future", edit: func(c *billing.Claim) { c.Patient.BirthDate = billing.NewDate(2026, 1, 10) },
			want: fail("claims[0].patient.birth_date", -1, Error, "2010BA DMG02", "A7:158:IL")},
		{rule: "birth-date", name: "not a date", edit: func(c *billing.Claim) { c.Patient.BirthDate = billing.NewDate(1961, 2, 30) },
			want: fail("claims[0].patient.birth_date", -1, Error, "2010BA DMG02", "A7:158:IL")},
		{rule: "birth-date", name: "dependent patient missing", edit: func(c *billing.Claim) {
			c.Coverages[0].Relationship = billing.RelationshipChild
			c.Coverages[0].Subscriber = billing.Person{LastName: "TESTPARENT", FirstName: "SAM"}
			c.Patient.BirthDate = billing.Date{}
		}, want: fail("claims[0].patient.birth_date", -1, Error, "2010CA DMG02", "A6:158:QC")},
		{rule: "birth-date", name: "subscriber in the future", edit: func(c *billing.Claim) {
			c.Coverages[0].Relationship = billing.RelationshipChild
			c.Coverages[0].Subscriber = billing.Person{LastName: "TESTPARENT", FirstName: "SAM", BirthDate: billing.NewDate(2030, 1, 1)}
		}, want: fail("claims[0].coverages[0].subscriber.birth_date", -1, Error, "2010BA DMG02", "A7:158:IL")},

		{rule: "npi-check-digit", name: "valid referring, facility without NPI", edit: func(c *billing.Claim) {
			c.ReferringProvider = &billing.Provider{NPI: "1234567893", Name: "TESTREF", FirstName: "PAT"}
			c.ServiceFacility = &billing.Provider{Name: "TEST ANNEX", Address: billing.Address{Line1: "5 OAK AVE", City: "SPRINGFIELD"}}
		}},
		{rule: "npi-check-digit", name: "billing check digit", edit: func(c *billing.Claim) { c.BillingProvider.NPI = "1234567890" },
			want: fail("claims[0].billing_provider.npi", -1, Error, "2010AA NM109", "A7:562:85")},
		{rule: "npi-check-digit", name: "billing missing", edit: func(c *billing.Claim) { c.BillingProvider.NPI = "" },
			want: fail("claims[0].billing_provider.npi", -1, Error, "2010AA NM109", "A6:562:85")},
		{rule: "npi-check-digit", name: "rendering 9 digits", edit: func(c *billing.Claim) { c.RenderingProvider.NPI = "123456789" },
			want: fail("claims[0].rendering_provider.npi", -1, Error, "2310B NM109", "A7:562:82")},
		{rule: "npi-check-digit", name: "referring", edit: func(c *billing.Claim) {
			c.ReferringProvider = &billing.Provider{NPI: "1234567894", Name: "TESTREF", FirstName: "PAT"}
		}, want: fail("claims[0].referring_provider.npi", -1, Error, "2310A NM109", "A7:562:DN")},
		{rule: "npi-check-digit", name: "facility", edit: func(c *billing.Claim) {
			c.ServiceFacility = &billing.Provider{NPI: "1932104099", Name: "TEST ANNEX"}
		}, want: fail("claims[0].service_facility.npi", -1, Error, "2310C NM109", "A7:562:77")},
		{rule: "npi-check-digit", name: "supervising", edit: func(c *billing.Claim) {
			c.SupervisingProvider = &billing.Provider{NPI: "193210409X", Name: "TESTSUP", FirstName: "LEE"}
		}, want: fail("claims[0].supervising_provider.npi", -1, Error, "2310D NM109", "A7:562:DQ")},
		{rule: "npi-check-digit", name: "line rendering", edit: func(c *billing.Claim) {
			c.Lines[1].RenderingProvider = &billing.Provider{NPI: "1111111111", Name: "TESTNP", FirstName: "RAY"}
		}, want: fail("claims[0].lines[1].rendering_provider.npi", 1, Error, "2420A NM109", "A7:562:82")},

		{rule: "taxonomy-format", name: "no taxonomy is not this rule's business", edit: func(c *billing.Claim) { c.BillingProvider.Taxonomy = "" }},
		{rule: "taxonomy-format", name: "billing 9 characters", edit: func(c *billing.Claim) { c.BillingProvider.Taxonomy = "207Q0000X" },
			want: fail("claims[0].billing_provider.taxonomy", -1, Error, "2000A PRV03", "A7:145:85")},
		{rule: "taxonomy-format", name: "rendering lower case", edit: func(c *billing.Claim) { c.RenderingProvider.Taxonomy = "207q00000x" },
			want: fail("claims[0].rendering_provider.taxonomy", -1, Error, "2310B PRV03", "A7:145:82")},
		{rule: "taxonomy-format", name: "line rendering", edit: func(c *billing.Claim) {
			c.Lines[0].RenderingProvider = &billing.Provider{NPI: "1234567893", Name: "TESTNP", FirstName: "RAY", Taxonomy: "363LF0000"}
		}, want: fail("claims[0].lines[0].rendering_provider.taxonomy", 0, Error, "2420A PRV03", "A7:145:82")},

		{rule: "billing-address", name: "Box Elder Road is a street", edit: func(c *billing.Claim) { c.BillingProvider.Address.Line1 = "1 BOX ELDER RD" }},
		{rule: "billing-address", name: "PO box", edit: func(c *billing.Claim) { c.BillingProvider.Address.Line1 = "PO BOX 4471" },
			want: fail("claims[0].billing_provider.address.line1", -1, Error, "2010AA N301", "A7:503:85")},
		{rule: "billing-address", name: "P.O. box in line 2", edit: func(c *billing.Claim) { c.BillingProvider.Address.Line2 = "P.O. Box 77" },
			want: fail("claims[0].billing_provider.address.line2", -1, Error, "2010AA N302", "A7:503:85")},
		{rule: "billing-address", name: "missing", edit: func(c *billing.Claim) { c.BillingProvider.Address.Line1 = "" },
			want: fail("claims[0].billing_provider.address.line1", -1, Error, "2010AA N301", "A6:503:85")},

		{rule: "billing-zip", name: "foreign postal code", edit: func(c *billing.Claim) {
			c.BillingProvider.Address.Country, c.BillingProvider.Address.PostalCode = "CA", "K1A0B1"
		}},
		{rule: "billing-zip", name: "5 digits warns", edit: func(c *billing.Claim) { c.BillingProvider.Address.PostalCode = "62701" },
			want: fail("claims[0].billing_provider.address.postal_code", -1, Warning, "2010AA N403", "A7:500:85")},
		{rule: "billing-zip", name: "with a dash", edit: func(c *billing.Claim) { c.BillingProvider.Address.PostalCode = "62701-0002" },
			want: fail("claims[0].billing_provider.address.postal_code", -1, Error, "2010AA N403", "A7:500:85")},

		{rule: "tax-id-format", name: "social security number", edit: func(c *billing.Claim) {
			c.BillingProvider.TaxIDType, c.BillingProvider.TaxID = "SY", "123456789"
		}},
		{rule: "tax-id-format", name: "missing", edit: func(c *billing.Claim) { c.BillingProvider.TaxID = "" },
			want: fail("claims[0].billing_provider.tax_id", -1, Error, "2010AA REF02", "A6:128:85")},
		{rule: "tax-id-format", name: "EIN with a hyphen", edit: func(c *billing.Claim) { c.BillingProvider.TaxID = "99-0000001" },
			want: fail("claims[0].billing_provider.tax_id", -1, Error, "2010AA REF02", "A7:128:85")},
		{rule: "tax-id-format", name: "SSN with hyphens", edit: func(c *billing.Claim) {
			c.BillingProvider.TaxIDType, c.BillingProvider.TaxID = "SY", "123-45-6789"
		}, want: fail("claims[0].billing_provider.tax_id", -1, Error, "2010AA REF02", "A7:128:85")},
		{rule: "tax-id-format", name: "5 digits", edit: func(c *billing.Claim) { c.BillingProvider.TaxID = "12345" },
			want: fail("claims[0].billing_provider.tax_id", -1, Error, "2010AA REF02", "A7:128:85")},
		{rule: "tax-id-format", name: "letters", edit: func(c *billing.Claim) { c.BillingProvider.TaxID = "ABCDEFGHI" },
			want: fail("claims[0].billing_provider.tax_id", -1, Error, "2010AA REF02", "A7:128:85")},
		{rule: "tax-id-format", name: "type XX", edit: func(c *billing.Claim) { c.BillingProvider.TaxIDType = "XX" },
			want: fail("claims[0].billing_provider.tax_id_type", -1, Error, "2010AA REF01", "A7:128:85")},

		{rule: "address", name: "foreign subscriber, facility with a 5-digit ZIP", edit: func(c *billing.Claim) {
			c.Coverages[0].Relationship = billing.RelationshipChild
			c.Coverages[0].Subscriber = billing.Person{LastName: "TESTPARENT", FirstName: "SAM",
				Address: billing.Address{Line1: "1 RUE TEST", City: "OTTAWA", PostalCode: "K1A0B1", Country: "CA"}}
			c.ServiceFacility = &billing.Provider{Name: "TEST ANNEX", Address: billing.Address{Line1: "9 LAKE ST", City: "SPRINGFIELD", State: "IL", PostalCode: "62704"}}
		}},
		{rule: "address", name: "patient who is the subscriber without an address", edit: func(c *billing.Claim) { c.Patient.Address = billing.Address{} },
			want: fail("claims[0].patient.address.line1", -1, Error, "2010BA N301", "A6:503:IL")},
		{rule: "address", name: "dependent patient without a state", edit: func(c *billing.Claim) {
			c.Coverages[0].Relationship = billing.RelationshipChild
			c.Coverages[0].Subscriber = billing.Person{LastName: "TESTPARENT", FirstName: "SAM"}
			c.Patient.Address.State = ""
		}, want: fail("claims[0].patient.address.state", -1, Error, "2010CA N402", "A6:501:QC")},
		{rule: "address", name: "patient ZIP with a dash", edit: func(c *billing.Claim) { c.Patient.Address.PostalCode = "62701-0001" },
			want: fail("claims[0].patient.address.postal_code", -1, Error, "2010BA N403", "A7:500:IL")},
		{rule: "address", name: "subscriber without a ZIP", edit: func(c *billing.Claim) {
			c.Coverages[0].Relationship = billing.RelationshipChild
			c.Coverages[0].Subscriber = billing.Person{LastName: "TESTPARENT", FirstName: "SAM",
				Address: billing.Address{Line1: "12 ELM ST", City: "SPRINGFIELD", State: "IL"}}
		}, want: fail("claims[0].coverages[0].subscriber.address.postal_code", -1, Error, "2010BA N403", "A6:500:IL")},
		{rule: "address", name: "earlier payer's subscriber with a 4-digit ZIP", secondary: true, edit: func(c *billing.Claim) {
			c.Coverages[0].Relationship = billing.RelationshipSpouse
			c.Coverages[0].Subscriber = billing.Person{LastName: "TESTSPOUSE", FirstName: "SAM",
				Address: billing.Address{Line1: "12 ELM ST", City: "SPRINGFIELD", State: "IL", PostalCode: "6270"}}
		}, want: fail("claims[0].coverages[0].subscriber.address.postal_code", -1, Error, "2330A N403", "A7:500:IL")},
		{rule: "address", name: "facility ZIP with a dash", edit: func(c *billing.Claim) {
			c.ServiceFacility = &billing.Provider{Name: "TEST ANNEX", Address: billing.Address{Line1: "9 LAKE ST", City: "SPRINGFIELD", State: "IL", PostalCode: "62704-0009"}}
		}, want: fail("claims[0].service_facility.address.postal_code", -1, Error, "2310C N403", "A7:500:77")},

		{rule: "place-of-service", name: "line telehealth", edit: func(c *billing.Claim) { c.Lines[0].PlaceOfService = "02" }},
		{rule: "place-of-service", name: "missing", edit: func(c *billing.Claim) { c.PlaceOfService = "" },
			want: fail("claims[0].place_of_service", -1, Error, "2300 CLM05-1", "A6:249")},
		{rule: "place-of-service", name: "one digit", edit: func(c *billing.Claim) { c.PlaceOfService = "1" },
			want: fail("claims[0].place_of_service", -1, Error, "2300 CLM05-1", "A7:249")},
		{rule: "place-of-service", name: "line letters", edit: func(c *billing.Claim) { c.Lines[1].PlaceOfService = "OF" },
			want: fail("claims[0].lines[1].place_of_service", 1, Error, "2400 SV105", "A7:249")},

		{rule: "diagnosis-count", name: "twelve", edit: func(c *billing.Claim) {
			for len(c.Diagnoses) < 12 {
				c.Diagnoses = append(c.Diagnoses, billing.Diagnosis{Code: "Z7982"})
			}
		}},
		{rule: "diagnosis-count", name: "none", edit: func(c *billing.Claim) { c.Diagnoses = nil },
			want: fail("claims[0].diagnoses", -1, Error, "2300 HI01-2", "A6:254")},
		{rule: "diagnosis-count", name: "thirteen", edit: func(c *billing.Claim) {
			for len(c.Diagnoses) < 13 {
				c.Diagnoses = append(c.Diagnoses, billing.Diagnosis{Code: "Z7982"})
			}
		}, want: fail("claims[0].diagnoses", -1, Error, "2300 HI", "A7:255")},

		{rule: "line-count", name: "fifty", edit: func(c *billing.Claim) { setLines(c, 50) }},
		{rule: "line-count", name: "none", edit: func(c *billing.Claim) { c.Lines, c.Charge = nil, 1 },
			want: fail("claims[0].lines", -1, Error, "2400 LX01", "")},
		{rule: "line-count", name: "fifty-one", edit: func(c *billing.Claim) { setLines(c, 51) },
			want: fail("claims[0].lines", -1, Error, "2400 LX01", "A7:121")},

		{rule: "charge-balance", name: "cents add up", edit: func(c *billing.Claim) {
			c.Lines[0].Charge, c.Lines[1].Charge, c.Charge = billing.Dollars(0, 1), billing.Dollars(99, 99), billing.Dollars(100, 0)
		}},
		{rule: "charge-balance", name: "total off by a cent", edit: func(c *billing.Claim) { c.Charge++ },
			want: fail("claims[0].charge", -1, Error, "2300 CLM02", "A7:400")},

		{rule: "charge-positive", name: "one cent", edit: func(c *billing.Claim) { c.Lines[1].Charge, c.Charge = 1, c.Lines[0].Charge+1 }},
		{rule: "charge-positive", name: "negative line", edit: func(c *billing.Claim) {
			c.Lines[1].Charge = -billing.Dollars(10, 0)
			c.Charge = c.LineTotal()
		}, want: fail("claims[0].lines[1].charge", 1, Error, "2400 SV102", "A7:402")},
		{rule: "charge-positive", name: "zero line warns", edit: func(c *billing.Claim) {
			c.Lines[1].Charge = 0
			c.Charge = c.LineTotal()
		}, want: fail("claims[0].lines[1].charge", 1, Warning, "2400 SV102", "")},
		{rule: "charge-positive", name: "zero total", edit: func(c *billing.Claim) {
			c.Lines = c.Lines[:1]
			c.Lines[0].Charge, c.Charge = 1, 0
		}, want: fail("claims[0].charge", -1, Error, "2300 CLM02", "A7:402")},

		{rule: "units-positive", name: "anesthesia minutes", edit: func(c *billing.Claim) { c.Lines[0].Unit, c.Lines[0].Units = "MJ", billing.Units(45) }},
		{rule: "units-positive", name: "negative", edit: func(c *billing.Claim) { c.Lines[0].Units = -billing.Units(1) },
			want: fail("claims[0].lines[0].units", 0, Error, "2400 SV104", "A7:476")},
		{rule: "units-positive", name: "unit code", edit: func(c *billing.Claim) { c.Lines[1].Unit = "DA" },
			want: fail("claims[0].lines[1].unit", 1, Error, "2400 SV103", "A7:476")},

		{rule: "service-date", name: "range ending today", edit: func(c *billing.Claim) {
			c.Lines[0].ServiceDates = billing.Period{From: billing.NewDate(2025, 11, 17), To: billing.NewDate(2025, 11, 20)}
		}},
		{rule: "service-date", name: "missing", edit: func(c *billing.Claim) { c.Lines[0].ServiceDates = billing.Period{} },
			want: fail("claims[0].lines[0].service_dates.from", 0, Error, "2400 DTP*472 DTP03", "A6:187")},
		{rule: "service-date", name: "tomorrow", edit: func(c *billing.Claim) { c.Lines[1].ServiceDates.From = billing.NewDate(2025, 11, 21) },
			want: fail("claims[0].lines[1].service_dates.from", 1, Error, "2400 DTP*472 DTP03", "A7:187")},
		{rule: "service-date", name: "not a date", edit: func(c *billing.Claim) { c.Lines[1].ServiceDates.From = billing.NewDate(2025, 13, 1) },
			want: fail("claims[0].lines[1].service_dates.from", 1, Error, "2400 DTP*472 DTP03", "A7:187")},
		{rule: "service-date", name: "range backwards", edit: func(c *billing.Claim) { c.Lines[0].ServiceDates.To = billing.NewDate(2025, 11, 1) },
			want: fail("claims[0].lines[0].service_dates.to", 0, Error, "2400 DTP*472 DTP03", "A7:187")},
		{rule: "service-date", name: "range into the future", edit: func(c *billing.Claim) { c.Lines[0].ServiceDates.To = billing.NewDate(2025, 12, 1) },
			want: fail("claims[0].lines[0].service_dates.to", 0, Error, "2400 DTP*472 DTP03", "A7:187")},

		{rule: "diagnosis-pointer", name: "no pointer means 1", edit: func(c *billing.Claim) { c.Lines[1].DiagnosisPointers = nil }},
		{rule: "diagnosis-pointer", name: "empty HI slot", edit: func(c *billing.Claim) { c.Lines[0].DiagnosisPointers = []int{1, 3} },
			want: fail("claims[0].lines[0].diagnosis_pointers[1]", 0, Error, "2400 SV107-2", "A7:477")},
		{rule: "diagnosis-pointer", name: "twice", edit: func(c *billing.Claim) { c.Lines[1].DiagnosisPointers = []int{2, 1, 2} },
			want: fail("claims[0].lines[1].diagnosis_pointers[2]", 1, Error, "2400 SV107-3", "A7:477")},
		{rule: "diagnosis-pointer", name: "five", edit: func(c *billing.Claim) {
			c.Diagnoses = append(c.Diagnoses, billing.Diagnosis{Code: "E785"}, billing.Diagnosis{Code: "Z7982"}, billing.Diagnosis{Code: "R739"})
			c.Lines[0].DiagnosisPointers = []int{1, 2, 3, 4, 5}
		}, want: fail("claims[0].lines[0].diagnosis_pointers", 0, Error, "2400 SV107", "A7:477")},

		{rule: "line-control-number", name: "thirty characters", edit: func(c *billing.Claim) { c.Lines[0].ControlNumber = long[:30] }},
		{rule: "line-control-number", name: "thirty-one characters", edit: func(c *billing.Claim) { c.Lines[0].ControlNumber = long },
			want: fail("claims[0].lines[0].control_number", 0, Error, "2400 REF*6R REF02", "A7:584")},
		{rule: "line-control-number", name: "twice", edit: func(c *billing.Claim) { c.Lines[1].ControlNumber = c.Lines[0].ControlNumber },
			want: fail("claims[0].lines[1].control_number", 1, Error, "2400 REF*6R REF02", "A7:584")},

		{rule: "procedure-format", name: "CPT category II and III", edit: func(c *billing.Claim) {
			c.Lines[0].Procedure.Code, c.Lines[1].Procedure.Code = "3074F", "0042T"
		}},
		{rule: "procedure-format", name: "CPT of 4 digits", edit: func(c *billing.Claim) { c.Lines[0].Procedure.Code = "9921" },
			want: fail("claims[0].lines[0].procedure.code", 0, Error, "2400 SV101-2", "A7:454")},
		{rule: "procedure-format", name: "HCPCS of 6 characters", edit: func(c *billing.Claim) { c.Lines[1].Procedure.Code = "G04390" },
			want: fail("claims[0].lines[1].procedure.code", 1, Error, "2400 SV101-2", "A7:454")},
		{rule: "procedure-format", name: "missing", edit: func(c *billing.Claim) { c.Lines[1].Procedure.Code = "" },
			want: fail("claims[0].lines[1].procedure.code", 1, Error, "2400 SV101-2", "A6:454")},

		{rule: "modifier-format", name: "four", edit: func(c *billing.Claim) { c.Lines[1].Procedure.Modifiers = []string{"GT", "KX", "59", "Q6"} }},
		{rule: "modifier-format", name: "one character", edit: func(c *billing.Claim) { c.Lines[0].Procedure.Modifiers = []string{"2"} },
			want: fail("claims[0].lines[0].procedure.modifiers[0]", 0, Error, "2400 SV101-3", "A7:453")},
		{rule: "modifier-format", name: "lower case second", edit: func(c *billing.Claim) { c.Lines[1].Procedure.Modifiers = []string{"KX", "lt"} },
			want: fail("claims[0].lines[1].procedure.modifiers[1]", 1, Error, "2400 SV101-4", "A7:453")},
		{rule: "modifier-format", name: "five", edit: func(c *billing.Claim) { c.Lines[1].Procedure.Modifiers = []string{"GT", "KX", "59", "Q6", "LT"} },
			want: fail("claims[0].lines[1].procedure.modifiers", 1, Error, "2400 SV101-3", "A7:453")},

		{rule: "icd10-format", name: "seven characters", edit: func(c *billing.Claim) { c.Diagnoses[1].Code = "S72001A" }},
		{rule: "icd10-format", name: "principal with a dot", edit: func(c *billing.Claim) { c.Diagnoses[0].Code = "E11.9" },
			want: fail("claims[0].diagnoses[0].code", -1, Error, "2300 HI01-2", "A7:254")},
		{rule: "icd10-format", name: "second all digits", edit: func(c *billing.Claim) { c.Diagnoses[1].Code = "4019" },
			want: fail("claims[0].diagnoses[1].code", -1, Error, "2300 HI02-2", "A7:255")},
		{rule: "icd10-format", name: "ICD-9", edit: func(c *billing.Claim) { c.Diagnoses[1] = billing.Diagnosis{Code: "4019", ICD9: true} },
			want: fail("claims[0].diagnoses[1].icd9", -1, Error, "2300 HI02-2", "A7:255")},

		{rule: "cob-payer-id", name: "earlier payer with id", secondary: true},
		{rule: "cob-payer-id", name: "earlier payer without id", secondary: true, edit: func(c *billing.Claim) { c.Coverages[0].Payer.ID = "" },
			want: fail("claims[0].coverages[0].payer.id", -1, Error, "2330B NM109", "A7:479")},

		{rule: "cob-balance", name: "balanced", secondary: true},
		{rule: "cob-balance", name: "claim paid off", secondary: true, edit: func(c *billing.Claim) { c.Coverages[0].Adjudication.PaidAmount -= 1000 },
			want: fail("claims[0].coverages[0].adjudication.paid_amount", -1, Error, "2320 AMT*D AMT02", "A7:400")},
		{rule: "cob-balance", name: "line paid off", secondary: true, edit: func(c *billing.Claim) { c.Coverages[0].Adjudication.Lines[1].PaidAmount += 500 },
			want: fail("claims[0].coverages[0].adjudication.lines[1].paid_amount", 1, Error, "2430 SVD02", "A7:400")},
		{rule: "cob-balance", name: "adjustment reported twice", secondary: true, edit: func(c *billing.Claim) {
			a := c.Coverages[0].Adjudication
			a.Adjustments = append(a.Adjustments, billing.Adjustment{Group: "CO", Reason: "45", Amount: billing.Dollars(70, 0)})
		}, want: want{field: "claims[0].coverages[0].adjudication.paid_amount", line: -1, sev: Error, x12: "2320 AMT*D AMT02", stc: "A7:400", msg: "CO-45 adjustment seems reported both"}},
		{rule: "cob-balance", name: "no such line", secondary: true, edit: func(c *billing.Claim) { c.Coverages[0].Adjudication.Lines[1].Line = 3 },
			want: fail("claims[0].coverages[0].adjudication.lines[1].line", -1, Error, "2430 SVD", "A7:400")},
		{rule: "cob-balance", name: "cost avoidance", secondary: true, edit: func(c *billing.Claim) {
			c.Coverages[0].Adjudication = &billing.OtherPayerAdjudication{NonCoveredAmount: c.Charge}
		}},
		{rule: "cob-balance", name: "cost avoidance below the claim total", secondary: true, edit: func(c *billing.Claim) {
			c.Coverages[0].Adjudication = &billing.OtherPayerAdjudication{NonCoveredAmount: c.Charge - 1000}
		}, want: fail("claims[0].coverages[0].adjudication.non_covered_amount", -1, Error, "2320 AMT*A8 AMT02", "A7:400")},

		{rule: "taxonomy-required", name: "given", payer: &PayerRule{RequireTaxonomy: true}},
		{rule: "taxonomy-required", name: "payer does not ask", edit: func(c *billing.Claim) { c.BillingProvider.Taxonomy = "" }},
		{rule: "taxonomy-required", name: "billing missing", payer: &PayerRule{RequireTaxonomy: true}, edit: func(c *billing.Claim) { c.BillingProvider.Taxonomy = "" },
			want: fail("claims[0].billing_provider.taxonomy", -1, Error, "2000A PRV03", "A6:145:85")},
		{rule: "taxonomy-required", name: "rendering missing", payer: &PayerRule{RequireTaxonomy: true}, edit: func(c *billing.Claim) { c.RenderingProvider.Taxonomy = "" },
			want: fail("claims[0].rendering_provider.taxonomy", -1, Error, "2310B PRV03", "A6:145:82")},
		{rule: "taxonomy-required", name: "line rendering missing", payer: &PayerRule{RequireTaxonomy: true}, edit: func(c *billing.Claim) {
			c.Lines[1].RenderingProvider = &billing.Provider{NPI: "1234567893", Name: "TESTNP", FirstName: "RAY"}
		}, want: fail("claims[0].lines[1].rendering_provider.taxonomy", 1, Error, "2420A PRV03", "A6:145:82")},

		{rule: "prior-auth-missing", name: "on the claim", payer: needsG0439, edit: func(c *billing.Claim) { c.Authorization.PriorAuthorization = "PA778899" }},
		{rule: "prior-auth-missing", name: "on the line", payer: needsG0439, edit: func(c *billing.Claim) { c.Lines[1].Authorization.PriorAuthorization = "PA778899" }},
		{rule: "prior-auth-missing", name: "missing", payer: needsG0439,
			want: fail("claims[0].lines[1].authorization.prior_authorization", 1, Error, "2300 REF*G1 REF02", "A6:252")},

		{rule: "prior-auth-usage", name: "last visit left", payer: needsG0439, auth: auth, edit: func(c *billing.Claim) { c.Authorization.PriorAuthorization = "PA778899" }},
		{rule: "prior-auth-usage", name: "visits used up", payer: needsG0439, auth: &Authorization{Number: "PA778899", Visits: 10, UsedVisits: 10},
			edit: func(c *billing.Claim) { c.Authorization.PriorAuthorization = "PA778899" },
			want: want{field: "claims[0].authorization.prior_authorization", line: 0, sev: Error, x12: "2300 REF*G1 REF02", stc: "A7:674", msg: "has 0 of its 10 visits left, and this claim bills 1 visit"}},
		{rule: "prior-auth-usage", name: "units used up", payer: needsG0439, auth: &Authorization{Number: "PA778899", Units: billing.Units(12), UsedUnits: billing.Units(11)},
			edit: func(c *billing.Claim) {
				c.Lines[1].Authorization.PriorAuthorization = "PA778899"
				c.Lines[1].Units = billing.Units(2)
			},
			want: want{field: "claims[0].lines[1].authorization.prior_authorization", line: 1, sev: Error, x12: "2400 REF*G1 REF02", stc: "A7:674", msg: "has 1 of its 12 units left, and this claim bills 2"}},
		{rule: "prior-auth-usage", name: "outside its dates", payer: needsG0439,
			auth: &Authorization{Number: "PA778899", From: billing.NewDate(2025, 1, 1), Through: billing.NewDate(2025, 10, 31)},
			edit: func(c *billing.Claim) { c.Lines[1].Authorization.PriorAuthorization = "PA778899" },
			want: fail("claims[0].lines[1].authorization.prior_authorization", 1, Error, "2400 REF*G1 REF02", "A7:252")},
		{rule: "prior-auth-usage", name: "does not cover the code", payer: needsG0439,
			auth: &Authorization{Number: "PA778899", Procedures: []string{"97110"}},
			edit: func(c *billing.Claim) { c.Authorization.PriorAuthorization = "PA778899" },
			want: fail("claims[0].authorization.prior_authorization", 1, Error, "2300 REF*G1 REF02", "A7:252")},
		{rule: "prior-auth-usage", name: "not on file warns", payer: needsG0439, auth: auth,
			edit: func(c *billing.Claim) { c.Authorization.PriorAuthorization = "PA000001" },
			want: fail("claims[0].authorization.prior_authorization", 0, Warning, "2300 REF*G1 REF02", "")},

		{rule: "837p-build", name: "referring provider without a first name", edit: func(c *billing.Claim) {
			c.ReferringProvider = &billing.Provider{NPI: "1234567893", Name: "TESTREF"} // NM102 1 all the same
		}},
		{rule: "837p-build", name: "accented name", edit: func(c *billing.Claim) { c.Patient.LastName = "MUÑOZ" },
			want: fail("claims[0].patient.last_name", -1, Error, "2010BA NM103", "")},
		{rule: "837p-build", name: "line feed in an address", edit: func(c *billing.Claim) { c.Patient.Address.Line1 = "12 ELM ST\nAPT 4" },
			want: fail("claims[0].patient.address.line1", -1, Error, "2010BA N301", "")},
		{rule: "837p-build", name: "delimiter in a line note", edit: func(c *billing.Claim) { c.Lines[1].Note = "SEE 2*3" },
			want: fail("claims[0].lines[1].note", 1, Error, "2400 NTE02", "")},
		{rule: "837p-build", name: "dependent without a subscriber", edit: func(c *billing.Claim) { c.Coverages[0].Relationship = billing.RelationshipChild },
			want: fail("claims[0].coverages[0].subscriber", -1, Error, "2010BA NM1", "")},
		{rule: "837p-build", name: "PAT01 03", edit: func(c *billing.Claim) {
			c.Coverages[0].Relationship = "03"
			c.Coverages[0].Subscriber = billing.Person{LastName: "TESTPARENT", FirstName: "SAM"}
		}, want: fail("claims[0].coverages[0].relationship", -1, Error, "2000C PAT01", "")},
		{rule: "837p-build", name: "DMG03 X", edit: func(c *billing.Claim) { c.Patient.Gender = "X" },
			want: fail("claims[0].patient.gender", -1, Error, "2010BA DMG03", "")},
		{rule: "837p-build", name: "accident state without a related cause", edit: func(c *billing.Claim) { c.AccidentState = "IL" },
			want: fail("claims[0].related_causes", -1, Error, "2300 CLM11-1", "")},
		{rule: "837p-build", name: "units of 9 digits", edit: func(c *billing.Claim) { c.Lines[0].Units = billing.Units(123456789) },
			want: fail("claims[0].lines[0].units", 0, Error, "2400 SV104", "")},

		{rule: "timely-filing", name: "within 90 days", payer: &PayerRule{TimelyFilingDays: 90}},
		{rule: "timely-filing", name: "late with a delay reason", payer: &PayerRule{TimelyFilingDays: 90}, edit: func(c *billing.Claim) {
			setDOS(billing.NewDate(2025, 6, 2))(c)
			c.DelayReason = "11"
		}},
		{rule: "timely-filing", name: "secondary counts from the primary's adjudication", secondary: true, payer: &PayerRule{TimelyFilingDays: 90},
			edit: setDOS(billing.NewDate(2025, 6, 2))},
		{rule: "timely-filing", name: "late", payer: &PayerRule{TimelyFilingDays: 90}, edit: setDOS(billing.NewDate(2025, 8, 21)),
			want: fail("claims[0].delay_reason", -1, Error, "2300 CLM20", "A3:718")},
	}
}

// setLines gives the claim n copies of its first line, with their own control numbers.
func setLines(c *billing.Claim, n int) {
	l := c.Lines[0]
	c.Lines = make([]billing.Line, n)
	for j := range c.Lines {
		c.Lines[j] = l
		c.Lines[j].ControlNumber = ""
	}
	c.Normalize()
	c.Charge = c.LineTotal()
}

// codeSetCases are the table tests that need the shared code sets.
func codeSetCases() []ruleCase {
	return []ruleCase{
		{rule: "icd10-valid", name: "FY2026 code on a FY2026 date", edit: func(c *billing.Claim) { c.Diagnoses[1].Code = "E11A" }},
		{rule: "icd10-valid", name: "FY2026 code on a FY2025 date", edit: func(c *billing.Claim) {
			c.Diagnoses[1].Code = "E11A"
			setDOS(billing.NewDate(2025, 3, 14))(c)
		}, want: want{field: "claims[0].diagnoses[1].code", line: -1, sev: Error, x12: "2300 HI02-2", stc: "A7:255", msg: "ICD-10-CM FY2025"}},
		{rule: "icd10-valid", name: "header code", edit: func(c *billing.Claim) { c.Diagnoses[0].Code = "E11" },
			want: want{field: "claims[0].diagnoses[0].code", line: -1, sev: Error, x12: "2300 HI01-2", stc: "A7:772", msg: "E11 is a category heading in ICD-10-CM FY2026"}},
		{rule: "icd10-valid", name: "deleted in FY2026, pointed at by a FY2026 line", edit: func(c *billing.Claim) {
			c.Diagnoses = append(c.Diagnoses, billing.Diagnosis{Code: "S301XXA"})
			c.Lines[0].ServiceDates.From = billing.NewDate(2025, 9, 30)
			c.Lines[1].DiagnosisPointers = []int{3}
		}, want: fail("claims[0].diagnoses[2].code", -1, Error, "2300 HI03-2", "A7:255")},
		{rule: "icd10-valid", name: "deleted in FY2026, pointed at by a FY2025 line", edit: func(c *billing.Claim) {
			c.Diagnoses = append(c.Diagnoses, billing.Diagnosis{Code: "S301XXA"})
			c.Lines[0].ServiceDates.From = billing.NewDate(2025, 9, 30)
			c.Lines[0].DiagnosisPointers = []int{3}
		}},

		{rule: "hcpcs-valid", name: "last day before termination", edit: func(c *billing.Claim) {
			c.Lines[1].Procedure.Code = "J2150"
			c.Lines[1].ServiceDates.From = billing.NewDate(2025, 9, 30)
		}},
		{rule: "hcpcs-valid", name: "after termination", edit: func(c *billing.Claim) { c.Lines[1].Procedure.Code = "J2150" },
			want: want{field: "claims[0].lines[1].procedure.code", line: 1, sev: Error, x12: "2400 SV101-2", stc: "A7:454", msg: "discontinued after 2025-09-30"}},
		{rule: "hcpcs-valid", name: "before it was added", edit: func(c *billing.Claim) { setDOS(billing.NewDate(2010, 6, 1))(c) },
			want: fail("claims[0].lines[1].procedure.code", 1, Error, "2400 SV101-2", "A7:454")},
		{rule: "hcpcs-valid", name: "unknown", edit: func(c *billing.Claim) { c.Lines[1].Procedure.Code = "G0000" },
			want: fail("claims[0].lines[1].procedure.code", 1, Error, "2400 SV101-2", "A7:454")},
		{rule: "hcpcs-valid", name: "range ending after termination", edit: func(c *billing.Claim) {
			c.Lines[1].Procedure.Code = "J2150"
			c.Lines[1].ServiceDates = billing.Period{From: billing.NewDate(2025, 9, 29), To: billing.NewDate(2025, 10, 2)}
		}, want: fail("claims[0].lines[1].procedure.code", 1, Error, "2400 SV101-2", "A7:454")},

		{rule: "modifier-valid", name: "HCPCS and CPT modifiers", edit: func(c *billing.Claim) { c.Lines[1].Procedure.Modifiers = []string{"LT", "59"} }},
		{rule: "modifier-valid", name: "unknown", edit: func(c *billing.Claim) { c.Lines[1].Procedure.Modifiers = []string{"KX", "ZZ"} },
			want: fail("claims[0].lines[1].procedure.modifiers[1]", 1, Error, "2400 SV101-4", "A7:453")},
		{rule: "modifier-valid", name: "terminated", edit: func(c *billing.Claim) {
			c.Lines[1].Procedure.Modifiers = []string{"JG"}
			setDOS(billing.NewDate(2025, 1, 2))(c)
		}, want: fail("claims[0].lines[1].procedure.modifiers[0]", 1, Error, "2400 SV101-3", "A7:453")},

		{rule: "taxonomy-format", name: "in the NUCC list", edit: func(c *billing.Claim) { c.RenderingProvider.Taxonomy = "207R00000X" }},
		{rule: "taxonomy-format", name: "not in the NUCC list", edit: func(c *billing.Claim) { c.RenderingProvider.Taxonomy = "207Q00001X" },
			want: fail("claims[0].rendering_provider.taxonomy", -1, Error, "2310B PRV03", "A7:145:82")},

		{rule: "place-of-service", name: "assigned", edit: func(c *billing.Claim) { c.PlaceOfService = "27" }},
		{rule: "place-of-service", name: "unassigned", edit: func(c *billing.Claim) { c.PlaceOfService = "30" },
			want: fail("claims[0].place_of_service", -1, Error, "2300 CLM05-1", "A7:249")},
	}
}

func TestRulesFormat(t *testing.T) {
	t.Parallel()
	runCases(t, formatCases(), nil)
}

func TestRulesCodeSets(t *testing.T) {
	t.Parallel()
	set := sharedCodes(t)
	runCases(t, codeSetCases(), set)
	// The format cases hold with the code sets loaded too.
	runCases(t, formatCases(), set)
}

// TestEveryRuleHasCases checks that the tables hold a passing and a failing case for
// every rule.
func TestEveryRuleHasCases(t *testing.T) {
	t.Parallel()
	pass, failing := map[string]int{}, map[string]int{}
	for _, tc := range append(formatCases(), codeSetCases()...) {
		if tc.want.field == "" {
			pass[tc.rule]++
		} else {
			failing[tc.rule]++
		}
	}
	ids := map[string]bool{}
	for _, r := range Rules() {
		if ids[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		ids[r.ID] = true
		if pass[r.ID] == 0 || failing[r.ID] == 0 {
			t.Errorf("rule %s: %d passing and %d failing cases; want at least one of each", r.ID, pass[r.ID], failing[r.ID])
		}
		if r.SNIP < 2 || r.SNIP > 7 || r.Description == "" {
			t.Errorf("rule %s: SNIP %d, description %q", r.ID, r.SNIP, r.Description)
		}
	}
	for id := range pass {
		if !ids[id] {
			t.Errorf("cases for unknown rule %s", id)
		}
	}
}

func runCases(t *testing.T, cases []ruleCase, set *codes.Set) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			c := goodClaim(t)
			if tc.secondary {
				c = secondaryClaim(t)
			}
			if tc.edit != nil {
				tc.edit(&c)
			}
			opts := []Option{WithCodes(set)}
			if tc.payer != nil {
				opts = append(opts, WithPayerRules(PayerRules{testPayerID: *tc.payer}))
			}
			if tc.auth != nil {
				store := NewMemoryAuthorizations()
				store.Put(testPayerID, *tc.auth)
				opts = append(opts, WithAuthorizations(store))
			}
			claims := []billing.Claim{c}
			claimIdx := 0
			if tc.batch {
				claims = []billing.Claim{goodClaim(t), c}
				claimIdx = 1
			}
			rep := check(t, newScrubber(t, opts...), claims...)
			checkSane(t, rep, claims)
			got := ofRule(rep, tc.rule)
			if tc.want.field == "" {
				if len(got) > 0 {
					t.Fatalf("want no %s finding, got %v", tc.rule, findingStrings(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want 1 %s finding, got %d: %v", tc.rule, len(got), findingStrings(got))
			}
			f, w := got[0], tc.want
			if f.Claim != claimIdx || f.Field != w.field || f.Line != w.line || f.Severity != w.sev || f.X12 != w.x12 || f.STC != w.stc {
				t.Errorf("got claim %d %s line %d %s %q STC %q,\nwant claim %d %s line %d %s %q STC %q",
					f.Claim, f.Field, f.Line, f.Severity, f.X12, f.STC, claimIdx, w.field, w.line, w.sev, w.x12, w.stc)
			}
			if !strings.Contains(f.Message, w.msg) {
				t.Errorf("message %q does not say %q", f.Message, w.msg)
			}
			if held := rep.IsHeld(claimIdx); held != (w.sev == Error) {
				t.Errorf("held = %v with a finding of severity %s", held, w.sev)
			}
		})
	}
}

// checkSane checks what every report must hold: findings name a known rule, a field of
// their claim, an X12 position and a message without PHI; Held lists exactly the
// claims with errors.
func checkSane(t *testing.T, rep Report, claims []billing.Claim) {
	t.Helper()
	ids := map[string]bool{}
	for _, r := range Rules() {
		ids[r.ID] = true
	}
	if len(rep.Releases) != len(claims) {
		t.Errorf("%d releases for %d claims", len(rep.Releases), len(claims))
	}
	errs := map[int]bool{}
	for _, f := range rep.Findings {
		if !ids[f.Rule] || f.X12 == "" || f.Message == "" || (f.Severity != Error && f.Severity != Warning) {
			t.Errorf("bad finding %+v", f)
		}
		if !strings.HasPrefix(string(f.Field), string(billing.ClaimPath(f.Claim))+".") {
			t.Errorf("finding of claim %d names field %s", f.Claim, f.Field)
		}
		if f.PCN != claims[f.Claim].PatientControlNumber {
			t.Errorf("finding PCN %q, claim's %q", f.PCN, claims[f.Claim].PatientControlNumber)
		}
		for _, phi := range phiOf(&claims[f.Claim]) {
			if strings.Contains(f.Message, phi) {
				t.Errorf("message %q holds PHI %q", f.Message, phi)
			}
		}
		if f.Severity == Error {
			errs[f.Claim] = true
		}
	}
	if len(rep.Held) != len(errs) {
		t.Errorf("held %v, claims with errors %v", rep.Held, errs)
	}
	for _, i := range rep.Held {
		if !errs[i] {
			t.Errorf("claim %d held without an error", i)
		}
	}
}

// phiOf lists the claim's PHI a message must never repeat: names, member ids, birth
// dates and dates of service.
func phiOf(c *billing.Claim) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 3 {
			out = append(out, s)
		}
	}
	person := func(p *billing.Person) {
		add(p.LastName)
		add(p.FirstName)
		add(p.BirthDate.String())
		add(string(p.BirthDate.AppendX12(nil)))
		add(p.Address.Line1)
	}
	person(&c.Patient)
	for k := range c.Coverages {
		add(c.Coverages[k].MemberID)
		person(&c.Coverages[k].Subscriber)
	}
	for j := range c.Lines {
		add(c.Lines[j].ServiceDates.From.String())
		add(c.Lines[j].ServiceDates.To.String())
	}
	return out
}

func findingStrings(fs []Finding) []string {
	out := make([]string, len(fs))
	for i := range fs {
		out[i] = fs[i].String()
	}
	return out
}

func TestGoodClaimsAreClean(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"format only", "code sets"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var set *codes.Set
			if name == "code sets" {
				set = sharedCodes(t)
			}
			s := newScrubber(t, WithCodes(set), WithPayerRules(PayerRules{testPayerID: {
				RequireTaxonomy: true, TimelyFilingDays: 90,
				MemberID: MemberIDRule{Pattern: regexp.MustCompile(`[A-Z]{3}\d{9}`)},
			}}))
			a, b := goodClaim(t), secondaryClaim(t)
			b.PatientControlNumber = "CF-000002"
			rep := check(t, s, a, b)
			checkSane(t, rep, []billing.Claim{a, b})
			if len(rep.Findings) > 0 || len(rep.Held) > 0 {
				t.Fatalf("findings on good claims: %v", findingStrings(rep.Findings))
			}
		})
	}
}
