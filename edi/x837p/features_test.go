package x837p_test

import (
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x837p"
)

// Synthetic parties of the golden files. NPIs pass their check digit.
var (
	practice = billing.Provider{
		NPI: "1234567893", Name: "EXAMPLE FAMILY MEDICINE", Taxonomy: "207Q00000X", TaxID: "991234567",
		Address: billing.Address{Line1: "123 MAIN ST", City: "SPRINGFIELD", State: "IL", PostalCode: "627011234"},
		Contact: billing.Contact{Name: "BILLING OFFICE", Phone: "5555550123", Email: "billing@example.com"},
	}
	soloDoctor = billing.Provider{
		NPI: "3333333334", Name: "SOLO", FirstName: "ROBIN", MiddleName: "Q", Suffix: "JR", Taxonomy: "208D00000X",
		TaxID: "123456789", TaxIDType: "SY",
		Address: billing.Address{Line1: "77 RIVER RD", Line2: "SUITE 2", City: "SHELBYVILLE", State: "IL", PostalCode: "625650077"},
	}
	renderer   = billing.Provider{NPI: "1932104098", Name: "DEMO", FirstName: "CASEY", Taxonomy: "207Q00000X"}
	referrer   = billing.Provider{NPI: "1111111112", Name: "REFERRER", FirstName: "MORGAN"}
	supervisor = billing.Provider{NPI: "4444444440", Name: "SUPERVISOR", FirstName: "DANA"}
	lineDoctor = billing.Provider{NPI: "5555555551", Name: "LINEDOC", FirstName: "SAM", Taxonomy: "207RC0000X"}
	walkIn     = billing.Provider{NPI: "2222222228", Name: "SPRINGFIELD WALK-IN CLINIC", Address: billing.Address{Line1: "400 LAKE ST", City: "SPRINGFIELD", State: "IL", PostalCode: "627040400"}}
	acme       = billing.Payer{Name: "ACME HEALTH PLAN", ID: "AHP01"}
	medicare   = billing.Payer{Name: "EXAMPLE MEDICARE CONTRACTOR", ID: "MCR01"}
	medigap    = billing.Payer{Name: "EXAMPLE MEDIGAP PLAN", ID: "MGP01"}
	stateAid   = billing.Payer{Name: "EXAMPLE STATE MEDICAID", ID: "SMC01", Address: billing.Address{Line1: "1 CAPITOL SQ", City: "SPRINGFIELD", State: "IL", PostalCode: "627060001"}}
	alex       = billing.Person{LastName: "SAMPLE", FirstName: "ALEX", MiddleName: "J", BirthDate: day(1980, 1, 15), Gender: "F", Address: billing.Address{Line1: "45 OAK AVE", City: "SPRINGFIELD", State: "IL", PostalCode: "627025678"}}
	jordan     = billing.Person{LastName: "EXAMPLE", FirstName: "JORDAN", BirthDate: day(1975, 5, 20), Gender: "M", Address: billing.Address{Line1: "9 ELM ST", City: "SPRINGFIELD", State: "IL", PostalCode: "627031111"}}
	taylor     = billing.Person{LastName: "EXAMPLE", FirstName: "TAYLOR", BirthDate: day(2015, 8, 8), Gender: "F", Address: jordan.Address}
	riley      = billing.Person{LastName: "EXAMPLE", FirstName: "RILEY", Suffix: "III", BirthDate: day(1977, 11, 2), Gender: "U", Address: jordan.Address}
	pat        = billing.Person{LastName: "SENIOR", FirstName: "PAT", BirthDate: day(1950, 2, 28), Gender: "M", Address: billing.Address{Line1: "12 PINE RD", City: "SPRINGFIELD", State: "IL", PostalCode: "627050012"}}
	fixedTime  = time.Date(2025, time.March, 10, 9, 30, 0, 0, time.UTC)
)

func day(y int, m time.Month, d int) billing.Date { return billing.NewDate(y, m, d) }

func money(dollars float64) billing.Money { return billing.Money(int64(dollars*100 + 0.5)) }

func ptr[T any](v T) *T { return &v }

func line(code string, charge float64, date billing.Date, mods ...string) billing.Line {
	return billing.Line{Procedure: billing.Procedure{Code: code, Modifiers: mods}, Charge: money(charge),
		ServiceDates: billing.Period{From: date}}
}

// goldenOptions are the envelope choices of the golden files.
func goldenOptions() x837p.BuildOptions {
	return x837p.BuildOptions{
		Submitter: x837p.Party{Name: "CLAIMFLOW DEMO SUBMITTER", ID: "CLAIMFLOWDEMO",
			Contact: billing.Contact{Name: "EDI DESK", Phone: "5555550100", Email: "edi@example.com"}},
		Receiver:     x837p.Party{Name: "DEMO CLEARINGHOUSE", ID: "DEMOCH"},
		Test:         true,
		AckRequested: true,
		Newline:      true,
		Now:          func() time.Time { return fixedTime },
	}
}

// featureClaims covers every feature of the 837P builder: patients who are and who
// are not the subscriber, every claim-level field, prior authorization at claim and
// line level, replacement and void, the 2310A-D providers, a pay-to address,
// secondary and tertiary claims with claim- and line-level adjudication, drug lines,
// line-level rendering providers and a second billing provider and payer (so that
// claims are grouped into several transaction sets).
func featureClaims() []billing.Claim {
	dos := day(2025, 3, 3)
	full := billing.Claim{
		PatientControlNumber: "GF01", PlaceOfService: "11",
		PatientSignatureSource: "P", RelatedCauses: []string{"AA", "OA"}, AccidentState: "IL",
		SpecialProgram: "03", DelayReason: "7",
		Dates: billing.Dates{
			Onset: day(2025, 2, 20), InitialTreatment: day(2025, 2, 21), LastSeen: day(2025, 1, 5),
			Accident: day(2025, 2, 20), LastXRay: day(2025, 2, 22), DisabilityFrom: day(2025, 2, 20),
			DisabilityTo: day(2025, 3, 20), LastWorked: day(2025, 2, 19), ReturnToWork: day(2025, 3, 21),
			Admission: day(2025, 2, 20), Discharge: day(2025, 2, 22),
		},
		PatientPaid:   money(20),
		Authorization: billing.Authorization{PriorAuthorization: "PA20250001", Referral: "RF778899"},
		CLIANumber:    "12D4567890", MedicalRecordNumber: "MRN000123",
		Note: billing.Note{Text: "PATIENT SEEN AFTER MOTOR VEHICLE ACCIDENT"},
		Diagnoses: []billing.Diagnosis{{Code: "S13.4XXA"}, {Code: "V43.52XA"}, {Code: "M54.2"}, {Code: "G44.309"},
			{Code: "R51.9"}, {Code: "M79.1"}, {Code: "S16.1XXA"}, {Code: "M62.830"}, {Code: "R42"}, {Code: "F43.0"},
			{Code: "Z04.1"}, {Code: "Y92.410"}},
		Patient:             alex,
		Coverages:           []billing.Coverage{{Payer: acme, MemberID: "XYZ100000001", GroupNumber: "GRP12345", GroupName: "ACME EMPLOYER GROUP", FilingIndicator: "CI"}},
		BillingProvider:     practice,
		ReferringProvider:   &referrer,
		RenderingProvider:   &renderer,
		ServiceFacility:     &walkIn,
		SupervisingProvider: &supervisor,
		Lines: []billing.Line{
			func() billing.Line {
				l := line("99285", 450, dos, "25", "57", "59", "GC")
				l.DiagnosisPointers = []int{1, 2, 3, 12}
				l.Emergency = true
				l.PlaceOfService = "23"
				l.Note = "SEEN IN EMERGENCY DEPARTMENT"
				return l
			}(),
			func() billing.Line {
				l := line("97140", 240, day(2025, 3, 4), "GP")
				l.ServiceDates.To = day(2025, 3, 7)
				l.Units = billing.Units(4)
				l.DiagnosisPointers = []int{3}
				l.Authorization = billing.Authorization{PriorAuthorization: "PA20250002", Referral: "RF778900"}
				l.ControlNumber = "GF01-PT-0304"
				return l
			}(),
			func() billing.Line {
				l := line("00300", 600, dos)
				l.Unit = "MJ"
				l.Units = billing.Units(45)
				l.DiagnosisPointers = []int{1}
				l.EPSDT, l.FamilyPlanning = true, true
				l.Procedure.Description = "ANESTHESIA FOR NECK PROCEDURE"
				l.RenderingProvider = &lineDoctor
				return l
			}(),
		},
	}
	spouse := billing.Claim{
		PatientControlNumber: "GF02", PlaceOfService: "11",
		Diagnoses: []billing.Diagnosis{{Code: "J06.9"}},
		Patient:   riley,
		Coverages: []billing.Coverage{{Payer: acme, MemberID: "XYZ200000002", GroupNumber: "GRP67890", FilingIndicator: "CI",
			Relationship: billing.RelationshipSpouse, Subscriber: jordan}},
		BillingProvider: practice,
		Lines:           []billing.Line{line("99213", 125, dos)},
	}
	child := spouse
	child.PatientControlNumber, child.Patient = "GF03", taylor
	child.Coverages = []billing.Coverage{spouse.Coverages[0]}
	child.Coverages[0].Relationship = billing.RelationshipChild
	child.Lines = []billing.Line{line("99392", 160, dos), line("90460", 25, dos), line("90700", 45.5, dos)}
	child.Lines[2].Units = billing.Quantity(500)

	replacement := billing.Claim{
		PatientControlNumber: "GF04R", Frequency: billing.FrequencyReplacement, OriginalPayerClaimNumber: "ICN2025000456",
		PlaceOfService: "11", Diagnoses: []billing.Diagnosis{{Code: "M54.50"}}, Patient: alex,
		Coverages:       []billing.Coverage{{Payer: acme, MemberID: "XYZ100000001", GroupNumber: "GRP12345", FilingIndicator: "CI"}},
		BillingProvider: practice,
		Note:            billing.Note{Code: "ADD", Text: "CORRECTED UNITS ON LINE 1"},
		Lines:           []billing.Line{{Procedure: billing.Procedure{Code: "97110", Modifiers: []string{"GP"}}, Charge: money(120), Units: billing.Units(3), ServiceDates: billing.Period{From: day(2025, 3, 6)}, ControlNumber: "GF04-1"}},
	}
	void := replacement
	void.PatientControlNumber, void.Frequency, void.OriginalPayerClaimNumber = "GF05V", billing.FrequencyVoid, "ICN2025000789"
	void.Note = billing.Note{}
	void.Lines = append([]billing.Line(nil), replacement.Lines...)
	void.Diagnoses = append([]billing.Diagnosis(nil), replacement.Diagnoses...)
	void.Coverages = append([]billing.Coverage(nil), replacement.Coverages...)

	// A secondary claim: Medicare adjudicated at claim level only (2320 CAS, AMT*D,
	// AMT*EAF, MOA, 2330B DTP*573 and REF*F8), with more than six CO reasons.
	secondary := billing.Claim{
		PatientControlNumber: "GF06S", PlaceOfService: "11", Diagnoses: []billing.Diagnosis{{Code: "M17.11"}, {Code: "E78.5"}},
		Patient: taylor,
		Coverages: []billing.Coverage{
			{Payer: medicare, MemberID: "1EG4TE5MK72", FilingIndicator: "MB", InsuranceType: "12", Relationship: billing.RelationshipChild, Subscriber: jordan,
				Adjudication: &billing.OtherPayerAdjudication{
					PaidAmount: money(100), RemainingPatientLiability: ptr(money(30)),
					Adjustments: []billing.Adjustment{
						{Group: "CO", Reason: "45", Amount: money(20)}, {Group: "PR", Reason: "1", Amount: money(10)},
						{Group: "CO", Reason: "253", Amount: money(2)}, {Group: "CO", Reason: "97", Amount: money(3)},
						{Group: "CO", Reason: "59", Amount: money(4)}, {Group: "CO", Reason: "94", Amount: money(5)},
						{Group: "CO", Reason: "144", Amount: money(6)}, {Group: "CO", Reason: "237", Amount: money(7), Quantity: billing.Units(1)},
						{Group: "PR", Reason: "2", Amount: money(20)},
					},
					Date: day(2025, 3, 20), ClaimNumber: "ICN2025000123", RemarkCodes: []string{"MA01", "N130"},
				}},
			{Payer: medigap, MemberID: "MG300000003", FilingIndicator: "CI", Relationship: billing.RelationshipChild, Subscriber: jordan},
		},
		BillingProvider: practice,
		Lines:           []billing.Line{line("20610", 150, day(2025, 3, 5), "RT"), line("73562", 27, day(2025, 3, 5), "RT")},
	}
	// A tertiary claim: primary and secondary adjudicated line by line (2430), one
	// line a drug (2410 with REF*XZ), bundling and remaining liability.
	tertiary := billing.Claim{
		PatientControlNumber: "GF07T", PlaceOfService: "11", Diagnoses: []billing.Diagnosis{{Code: "C50.911"}, {Code: "Z51.11"}},
		Patient: pat,
		Coverages: []billing.Coverage{
			{Payer: medicare, MemberID: "2FG5UF6NL83", FilingIndicator: "MB",
				Adjudication: &billing.OtherPayerAdjudication{PaidAmount: money(240), ClaimNumber: "ICN2025000999",
					Lines: []billing.LineAdjudication{
						{Line: 1, PaidAmount: money(160), Date: day(2025, 3, 21), Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: money(100)}, {Group: "PR", Reason: "2", Amount: money(40)}}},
						{Line: 2, PaidAmount: money(80), Date: day(2025, 3, 21), Units: billing.Units(2), RemainingPatientLiability: ptr(money(20)),
							Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: money(100)}, {Group: "PR", Reason: "2", Amount: money(20)}}},
						{Line: 3, PaidAmount: 0, Date: day(2025, 3, 21), BundledLine: 1, Procedure: billing.Procedure{Qualifier: "HC", Code: "96413"},
							Adjustments: []billing.Adjustment{{Group: "CO", Reason: "97", Amount: money(50)}}},
					}}},
			{Payer: medigap, MemberID: "MG400000004", FilingIndicator: "CI",
				Adjudication: &billing.OtherPayerAdjudication{PaidAmount: money(40),
					Adjustments: []billing.Adjustment{{Group: "OA", Reason: "23", Amount: money(50)}},
					Lines: []billing.LineAdjudication{
						{Line: 1, PaidAmount: money(30), Date: day(2025, 4, 2), Adjustments: []billing.Adjustment{{Group: "OA", Reason: "23", Amount: money(260)}, {Group: "PR", Reason: "3", Amount: money(10)}}},
						{Line: 2, PaidAmount: money(10), Date: day(2025, 4, 2), Adjustments: []billing.Adjustment{{Group: "OA", Reason: "23", Amount: money(180)}, {Group: "PR", Reason: "3", Amount: money(10)}}},
					}}},
			{Payer: stateAid, MemberID: "SMC500000005", FilingIndicator: "MC"},
		},
		BillingProvider: soloDoctor,
		Lines: []billing.Line{
			line("96413", 300, day(2025, 3, 12)),
			func() billing.Line {
				l := line("J9355", 200, day(2025, 3, 12))
				l.Units = billing.Units(2)
				l.Drug = &billing.Drug{NDC: "99999012302", Quantity: billing.Quantity(21500), Unit: "ME", PrescriptionNumber: "RX445566"}
				return l
			}(),
			line("96415", 50, day(2025, 3, 12)),
		},
	}
	// A primary claim that names the secondary payer (2320 without adjudication) and
	// pays to a lock box (2010AB).
	withPayTo := billing.Claim{
		PatientControlNumber: "GF08", PlaceOfService: "11", Diagnoses: []billing.Diagnosis{{Code: "I10"}}, Patient: pat,
		Coverages: []billing.Coverage{
			{Payer: medicare, MemberID: "2FG5UF6NL83", FilingIndicator: "MB"},
			{Payer: medigap, MemberID: "MG400000004", FilingIndicator: "CI"},
		},
		BillingProvider: soloDoctor,
		PayToAddress:    &billing.Address{Line1: "PO BOX 9900", City: "SHELBYVILLE", State: "IL", PostalCode: "625659900"},
		Lines: []billing.Line{func() billing.Line {
			l := line("J1100", 12, day(2025, 3, 14))
			l.Units = billing.Units(10)
			l.Drug = &billing.Drug{NDC: "99999012303", Quantity: billing.Units(1)}
			return l
		}(), line("96372", 30, day(2025, 3, 14))},
	}
	return []billing.Claim{full, spouse, secondary, child, replacement, tertiary, void, withPayTo}
}
