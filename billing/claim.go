package billing

// Claim is one professional claim: what an 837P loop 2300, with the provider,
// subscriber, patient and payer loops around it, carries. The claim is billed to the
// first coverage that has no Adjudication (2000B SBR and 2010BB); every other
// coverage is an other payer (2320/2330), with what it decided when it has already
// adjudicated the claim.
type Claim struct {
	// PatientControlNumber is our id of the claim (CLM01): unique per claim, at most
	// 20 characters (17 is safer: some payers truncate), echoed in the 835 CLP01.
	PatientControlNumber string `json:"patient_control_number"`
	// Frequency is CLM05-3: original (1, the default), replacement (7) or void (8).
	Frequency Frequency `json:"frequency,omitzero"`
	// OriginalPayerClaimNumber is the payer's claim control number (835 CLP07) of the
	// claim a replacement or void replaces: 2300 REF*F8, required for frequency 7 and
	// 8, and sent only with them.
	OriginalPayerClaimNumber string `json:"original_payer_claim_number,omitempty"`
	// Charge is the total claim charge (CLM02); it must equal the sum of the lines'
	// charges. Normalize fills it when zero.
	Charge Money `json:"charge"`
	// PlaceOfService is the CMS place of service code (CLM05-1), "11" office.
	PlaceOfService string `json:"place_of_service"`
	// ProviderSignature is CLM06: Y (default) or N.
	ProviderSignature string `json:"provider_signature,omitempty"`
	// Assignment is CLM07, assignment or plan participation: A (default), B or C.
	Assignment string `json:"assignment,omitempty"`
	// BenefitsAssignment is CLM08, benefits assignment certification: Y (default), N or W.
	BenefitsAssignment string `json:"benefits_assignment,omitempty"`
	// ReleaseOfInformation is CLM09: Y (default) or I (informed consent).
	ReleaseOfInformation string `json:"release_of_information,omitempty"`
	// PatientSignatureSource is CLM10: P when the patient's signature is on file.
	PatientSignatureSource string `json:"patient_signature_source,omitempty"`
	// RelatedCauses are CLM11-1 and CLM11-2: AA auto accident, EM employment, OA other accident.
	RelatedCauses []string `json:"related_causes,omitempty"`
	// AccidentState is CLM11-4, the state of an auto accident.
	AccidentState string `json:"accident_state,omitempty"`
	// AccidentCountry is CLM11-5, when the accident was outside the United States.
	AccidentCountry string `json:"accident_country,omitempty"`
	// SpecialProgram is CLM12 (02, 03, 05, 09).
	SpecialProgram string `json:"special_program,omitempty"`
	// DelayReason is CLM20, why the claim is sent late (1-11, 15).
	DelayReason string `json:"delay_reason,omitempty"`
	// Dates are the claim-level dates (2300 DTP); dates of service are per line.
	Dates Dates `json:"dates,omitzero"`
	// PatientPaid is the amount the patient paid (2300 AMT*F5).
	PatientPaid Money `json:"patient_paid,omitzero"`
	// Authorization holds the destination payer's prior authorization (2300 REF*G1)
	// and referral number (REF*9F).
	Authorization Authorization `json:"authorization,omitzero"`
	// CLIANumber is the laboratory's CLIA number (2300 REF*X4).
	CLIANumber string `json:"clia_number,omitempty"`
	// MedicalRecordNumber is 2300 REF*EA.
	MedicalRecordNumber string `json:"medical_record_number,omitempty"`
	// Note is the claim note (2300 NTE).
	Note Note `json:"note,omitzero"`
	// Diagnoses are the ICD-10-CM codes (2300 HI), principal first, at most 12. Lines
	// point at them by position (1-12).
	Diagnoses []Diagnosis `json:"diagnoses"`

	// Patient is the person treated (2010CA, or 2010BA when the patient is the subscriber).
	Patient Person `json:"patient"`
	// Coverages are the patient's insurances in order: primary, secondary, tertiary.
	Coverages []Coverage `json:"coverages"`

	// BillingProvider is 2000A PRV*BI and 2010AA.
	BillingProvider Provider `json:"billing_provider"`
	// PayToAddress is 2010AB, only when payments go elsewhere than the billing address.
	PayToAddress *Address `json:"pay_to_address,omitempty"`
	// ReferringProvider is 2310A (NM1*DN): always a person (NM102 1).
	ReferringProvider *Provider `json:"referring_provider,omitempty"`
	// RenderingProvider is 2310B (NM1*82, PRV*PE), when not the billing provider.
	RenderingProvider *Provider `json:"rendering_provider,omitempty"`
	// ServiceFacility is 2310C (NM1*77), when services were not at the billing address.
	ServiceFacility *Provider `json:"service_facility,omitempty"`
	// SupervisingProvider is 2310D (NM1*DQ): always a person (NM102 1).
	SupervisingProvider *Provider `json:"supervising_provider,omitempty"`

	// Lines are the service lines (loop 2400), 1 to 50.
	Lines []Line `json:"lines"`
}

// Dates are the claim-level dates of loop 2300 (DTP segments, qualifier in the comment).
type Dates struct {
	Onset               Date `json:"onset,omitzero"`                 // 431 onset of current illness or symptom
	InitialTreatment    Date `json:"initial_treatment,omitzero"`     // 454
	LastSeen            Date `json:"last_seen,omitzero"`             // 304
	AcuteManifestation  Date `json:"acute_manifestation,omitzero"`   // 453
	Accident            Date `json:"accident,omitzero"`              // 439
	LastMenstrualPeriod Date `json:"last_menstrual_period,omitzero"` // 484
	LastXRay            Date `json:"last_x_ray,omitzero"`            // 455
	Prescription        Date `json:"prescription,omitzero"`          // 471 hearing and vision prescription
	DisabilityFrom      Date `json:"disability_from,omitzero"`       // 314 (RD8, with DisabilityTo) or 360
	DisabilityTo        Date `json:"disability_to,omitzero"`         // 314 or 361
	LastWorked          Date `json:"last_worked,omitzero"`           // 297
	ReturnToWork        Date `json:"return_to_work,omitzero"`        // 296 authorized return to work
	Admission           Date `json:"admission,omitzero"`             // 435 related hospitalization
	Discharge           Date `json:"discharge,omitzero"`             // 096
}

// Authorization holds the numbers a payer gave in advance for a claim or a line.
type Authorization struct {
	PriorAuthorization string `json:"prior_authorization,omitempty"` // REF*G1
	Referral           string `json:"referral,omitempty"`            // REF*9F
}

// Note is a free-text note (NTE).
type Note struct {
	Code string `json:"code,omitempty"` // NTE01: ADD (default), CER, DCP, DGN, TPO
	Text string `json:"text"`           // NTE02, at most 80 characters
}

// Diagnosis is one diagnosis code of loop 2300 HI.
type Diagnosis struct {
	// Code is the ICD-10-CM code without its dot ("E119"; Normalize removes a dot).
	Code string `json:"code"`
	// ICD9 marks an ICD-9-CM code (qualifiers BK/BF), found only in old files;
	// otherwise the qualifier is ABK for the principal diagnosis and ABF for the others.
	ICD9 bool `json:"icd9,omitempty"`
}

// Person is a patient or a subscriber.
type Person struct {
	LastName   string  `json:"last_name"`             // NM103
	FirstName  string  `json:"first_name,omitempty"`  // NM104
	MiddleName string  `json:"middle_name,omitempty"` // NM105
	Suffix     string  `json:"suffix,omitempty"`      // NM107
	BirthDate  Date    `json:"birth_date,omitzero"`   // DMG02
	Gender     string  `json:"gender,omitempty"`      // DMG03: F, M or U
	Address    Address `json:"address,omitzero"`      // N3, N4
}

// IsZero reports whether nothing about the person is given.
func (p *Person) IsZero() bool {
	return p.LastName == "" && p.FirstName == "" && p.MiddleName == "" && p.Suffix == "" &&
		p.BirthDate.IsZero() && p.Gender == "" && p.Address == (Address{})
}

// Address is a postal address (N3, N4).
type Address struct {
	Line1              string `json:"line1"`                         // N301
	Line2              string `json:"line2,omitempty"`               // N302
	City               string `json:"city"`                          // N401
	State              string `json:"state,omitempty"`               // N402
	PostalCode         string `json:"postal_code,omitempty"`         // N403, ZIP+4 without the dash
	Country            string `json:"country,omitempty"`             // N404, outside the United States
	CountrySubdivision string `json:"country_subdivision,omitempty"` // N407
}

// Relationship codes of the patient to the subscriber (SBR02, PAT01).
const (
	RelationshipSelf   = "18"
	RelationshipSpouse = "01"
	RelationshipChild  = "19"
)

// Coverage is one insurance of the patient, with its payer and subscriber.
type Coverage struct {
	// Responsibility is SBR01: P primary, S secondary, T tertiary (A-H, U also allowed).
	// Normalize sets P, S, T by position when empty.
	Responsibility string `json:"responsibility,omitempty"`
	// Payer is 2010BB for the billed coverage, 2330B for another.
	Payer Payer `json:"payer"`
	// MemberID is the subscriber's member id (2010BA or 2330A NM109, qualifier MI).
	MemberID string `json:"member_id"`
	// GroupNumber is SBR03, the group or policy number.
	GroupNumber string `json:"group_number,omitempty"`
	// GroupName is SBR04.
	GroupName string `json:"group_name,omitempty"`
	// InsuranceType is SBR05 (Medicare secondary cases: 12-16, 41-43, 47).
	InsuranceType string `json:"insurance_type,omitempty"`
	// FilingIndicator is SBR09, the claim filing indicator: CI commercial, MB Medicare
	// part B, MC Medicaid, BL Blue Cross, HM HMO, ...
	FilingIndicator string `json:"filing_indicator"`
	// Relationship is the patient's relationship to the subscriber: 18 self (2000B
	// SBR02; then there is no patient loop 2000C), otherwise 2000C PAT01 (01 spouse,
	// 19 child, 20 employee, 21 unknown, 39 organ donor, 40 cadaver donor, 53 life
	// partner, G8 other) and 2320 SBR02, which needs the Subscriber. Normalize sets
	// 18 when Subscriber is empty.
	Relationship string `json:"relationship,omitempty"`
	// Subscriber is the insured person (2010BA, 2330A); empty when the patient is
	// the subscriber.
	Subscriber Person `json:"subscriber,omitzero"`
	// Adjudication is what this payer decided, when it has adjudicated the claim and
	// the claim now goes to a later payer (2320, 2330B, 2430).
	Adjudication *OtherPayerAdjudication `json:"adjudication,omitempty"`
}

// Payer is an insurance company or plan.
type Payer struct {
	Name        string  `json:"name"`                   // NM103
	ID          string  `json:"id"`                     // NM109, the payer id
	IDQualifier string  `json:"id_qualifier,omitempty"` // NM108: PI (default) or XV (CMS plan id)
	Address     Address `json:"address,omitzero"`       // N3, N4 (billed payer only)
}

// OtherPayerAdjudication is what an earlier payer decided about the claim (from its
// 835), sent to a later payer: 2320 CAS/AMT/MOA, 2330B DTP*573 and REF*F8, and per
// line 2430. Balancing: for each line, charge - Σ line adjustments = line paid; for
// the claim, CLM02 - Σ claim adjustments - Σ line adjustments = PaidAmount. Report
// each adjustment once, at claim or at line level. A payer bypassed under
// cost-avoidance rules carries only NonCoveredAmount (= CLM02) and is not balanced.
type OtherPayerAdjudication struct {
	// PaidAmount is what the payer paid (2320 AMT*D; 835 CLP04), zero when nothing.
	PaidAmount Money `json:"paid_amount"`
	// NonCoveredAmount is 2320 AMT*A8, the total non-covered amount, set only when
	// the payer was bypassed under cost-avoidance rules (it did not adjudicate the
	// claim): it then equals the claim's Charge (CLM02), and AMT*A8 replaces AMT*D,
	// with no adjustments, remaining liability or lines.
	NonCoveredAmount Money `json:"non_covered_amount,omitzero"`
	// RemainingPatientLiability is 2320 AMT*EAF, when known at claim level only
	// (nil: not sent; a zero amount is sent: X12 RFI 1515).
	RemainingPatientLiability *Money `json:"remaining_patient_liability,omitempty"`
	// Adjustments are the claim-level adjustments (2320 CAS; 835 2100 CAS).
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	// Date is the adjudication or payment date (2330B DTP*573; sent there only when
	// no line carries adjudication, otherwise each line's DTP*573).
	Date Date `json:"date,omitzero"`
	// ClaimNumber is the payer's claim control number (2330B REF*F8; 835 CLP07).
	ClaimNumber string `json:"claim_number,omitempty"`
	// RemarkCodes are the claim-level remark codes (2320 MOA03-MOA07).
	RemarkCodes []string `json:"remark_codes,omitempty"`
	// Lines are the line-level adjudications (2430).
	Lines []LineAdjudication `json:"lines,omitempty"`
}

// Adjustment is one CAS trio: a group, a claim adjustment reason code and an amount.
type Adjustment struct {
	Group    string   `json:"group"`             // CAS01: CO, CR, OA, PI, PR
	Reason   string   `json:"reason"`            // CAS02, a CARC
	Amount   Money    `json:"amount"`            // CAS03
	Quantity Quantity `json:"quantity,omitzero"` // CAS04
}

// LineAdjudication is what an earlier payer decided about one service line (2430).
type LineAdjudication struct {
	// Line is the 1-based number of the claim's line (LX01) adjudicated.
	Line int `json:"line"`
	// PaidAmount is SVD02 (835 SVC03).
	PaidAmount Money `json:"paid_amount"`
	// Procedure is SVD03, the procedure as adjudicated (default: the line's).
	Procedure Procedure `json:"procedure,omitzero"`
	// Units is SVD05, the paid units (default: the line's).
	Units Quantity `json:"units,omitzero"`
	// BundledLine is SVD06, the line this one was bundled into.
	BundledLine int `json:"bundled_line,omitempty"`
	// Adjustments are the line's adjustments (2430 CAS; 835 2110 CAS).
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	// Date is the adjudication date (2430 DTP*573; default: the claim-level Date).
	Date Date `json:"date,omitzero"`
	// RemainingPatientLiability is 2430 AMT*EAF, zero included.
	RemainingPatientLiability *Money `json:"remaining_patient_liability,omitempty"`
}

// Provider is a billing, rendering, referring or supervising provider, or a service
// facility.
type Provider struct {
	// EntityType is NM102: person or organization (default: person when FirstName is given).
	EntityType EntityType `json:"entity_type,omitzero"`
	// NPI is the National Provider Identifier (NM109, qualifier XX).
	NPI string `json:"npi,omitempty"`
	// Name is the organization's name or the person's last name (NM103).
	Name       string `json:"name"`
	FirstName  string `json:"first_name,omitempty"`  // NM104
	MiddleName string `json:"middle_name,omitempty"` // NM105
	Suffix     string `json:"suffix,omitempty"`      // NM107
	// Taxonomy is the NUCC provider taxonomy code (PRV03: PRV*BI billing, PRV*PE rendering).
	Taxonomy string `json:"taxonomy,omitempty"`
	// TaxID is the billing provider's tax id (2010AA REF02): 9 digits, an EIN or an
	// SSN (Normalize removes hyphens).
	TaxID string `json:"tax_id,omitempty"`
	// TaxIDType is REF01: EI employer id (default) or SY social security number.
	TaxIDType string `json:"tax_id_type,omitempty"`
	// Address is N3/N4 (billing provider: a street address, never a PO box).
	Address Address `json:"address,omitzero"`
	// Contact is the billing provider's contact (2010AA PER).
	Contact Contact `json:"contact,omitzero"`
}

// Contact is a PER segment: a name and a phone number or e-mail address.
type Contact struct {
	Name  string `json:"name,omitempty"`  // PER02
	Phone string `json:"phone,omitempty"` // PER04 with PER03 TE, digits only
	Email string `json:"email,omitempty"` // with EM
}

// Line is one service line (loop 2400).
type Line struct {
	// ControlNumber is the line item control number (REF*6R): unique within the
	// claim, at most 30 characters, echoed by the payer in the 835. Normalize makes
	// one from the patient control number when empty.
	ControlNumber string `json:"control_number,omitempty"`
	// Procedure is SV101: the CPT/HCPCS code and its modifiers.
	Procedure Procedure `json:"procedure"`
	// Charge is the line charge (SV102).
	Charge Money `json:"charge"`
	// Unit is SV103: UN units (default) or MJ minutes (anesthesia).
	Unit string `json:"unit,omitempty"`
	// Units is the service unit count (SV104), default 1.
	Units Quantity `json:"units,omitzero"`
	// PlaceOfService is SV105, only when it differs from the claim's.
	PlaceOfService string `json:"place_of_service,omitempty"`
	// DiagnosisPointers are SV107: up to 4 positions (1-12) in the claim's
	// Diagnoses, default [1].
	DiagnosisPointers []int `json:"diagnosis_pointers,omitempty"`
	Emergency         bool  `json:"emergency,omitempty"`       // SV109 Y
	EPSDT             bool  `json:"epsdt,omitempty"`           // SV111 Y
	FamilyPlanning    bool  `json:"family_planning,omitempty"` // SV112 Y
	// ServiceDates are the dates of service (DTP*472, D8 or RD8).
	ServiceDates Period `json:"service_dates"`
	// Authorization is the line's prior authorization (2400 REF*G1) or referral
	// (REF*9F), only when it differs from the claim's.
	Authorization Authorization `json:"authorization,omitzero"`
	// Note is the line note (2400 NTE*ADD).
	Note string `json:"note,omitempty"`
	// Drug is the drug administered or supplied (2410), for lines billing a drug.
	Drug *Drug `json:"drug,omitempty"`
	// RenderingProvider is 2420A, when this line's differs from the claim's.
	RenderingProvider *Provider `json:"rendering_provider,omitempty"`
}

// Procedure is a procedure code with its modifiers (SV101, SVD03).
type Procedure struct {
	// Qualifier is SV101-1: HC (CPT/HCPCS, the default), ER, IV or WK.
	Qualifier string `json:"qualifier,omitempty"`
	// Code is the CPT or HCPCS code (SV101-2).
	Code string `json:"code"`
	// Modifiers are SV101-3 to SV101-6, at most 4.
	Modifiers []string `json:"modifiers,omitempty"`
	// Description is SV101-7, for not-otherwise-classified codes.
	Description string `json:"description,omitempty"`
}

// IsZero reports whether no procedure is given.
func (p Procedure) IsZero() bool {
	return p.Qualifier == "" && p.Code == "" && len(p.Modifiers) == 0 && p.Description == ""
}

// Drug identifies a drug by its National Drug Code (2410).
type Drug struct {
	// NDC is the 11-digit National Drug Code without dashes (LIN03, qualifier N4).
	NDC string `json:"ndc"`
	// Quantity is the national drug unit count (CTP04).
	Quantity Quantity `json:"quantity"`
	// Unit is CTP05-1: UN unit (default), F2 international unit, GR gram, ME
	// milligram, ML milliliter.
	Unit string `json:"unit,omitempty"`
	// PrescriptionNumber is REF*XZ.
	PrescriptionNumber string `json:"prescription_number,omitempty"`
}

// Frequency is the claim frequency code (CLM05-3). JSON carries the name
// ("original", "replacement", "void") or the code.
type Frequency string

// The claim frequencies of an 837P.
const (
	FrequencyOriginal    Frequency = "1"
	FrequencyReplacement Frequency = "7"
	FrequencyVoid        Frequency = "8"
)

// Code is the X12 code: "1" when unset.
func (f Frequency) Code() string {
	if f == "" {
		return string(FrequencyOriginal)
	}
	return string(f)
}

// ReplacesClaim reports whether the claim replaces or voids an earlier one (7 or 8),
// which needs the payer's claim number of that claim.
func (f Frequency) ReplacesClaim() bool { return f == FrequencyReplacement || f == FrequencyVoid }

var frequencyNames = map[Frequency]string{FrequencyOriginal: "original", FrequencyReplacement: "replacement", FrequencyVoid: "void"}

// MarshalText renders the frequency's name, or its code when it has none.
func (f Frequency) MarshalText() ([]byte, error) {
	if n, ok := frequencyNames[f]; ok {
		return []byte(n), nil
	}
	return []byte(f), nil
}

// UnmarshalText reads a name or a code.
func (f *Frequency) UnmarshalText(b []byte) error {
	for k, n := range frequencyNames {
		if string(b) == n {
			*f = k
			return nil
		}
	}
	*f = Frequency(b)
	return nil
}

// EntityType says whether a provider is a person or an organization (NM102). JSON
// carries "person" or "organization" (or the codes 1 and 2).
type EntityType string

// The entity types.
const (
	EntityPerson       EntityType = "1"
	EntityOrganization EntityType = "2"
)

// MarshalText renders "person" or "organization".
func (e EntityType) MarshalText() ([]byte, error) {
	switch e {
	case EntityPerson:
		return []byte("person"), nil
	case EntityOrganization:
		return []byte("organization"), nil
	}
	return []byte(e), nil
}

// UnmarshalText reads a name or a code.
func (e *EntityType) UnmarshalText(b []byte) error {
	switch string(b) {
	case "person":
		*e = EntityPerson
	case "organization", "organisation":
		*e = EntityOrganization
	default:
		*e = EntityType(b)
	}
	return nil
}

// Code is the NM102 code: 1 for a person, 2 for an organization; when unset, 1 if
// the provider has a first name.
func (p *Provider) Code() string {
	switch {
	case p.EntityType != "":
		return string(p.EntityType)
	case p.FirstName != "":
		return string(EntityPerson)
	}
	return string(EntityOrganization)
}

// BilledCoverage returns the index in Coverages of the coverage the claim is billed
// to: the first without an Adjudication. It reports false when there is none.
func (c *Claim) BilledCoverage() (int, bool) {
	for i := range c.Coverages {
		if c.Coverages[i].Adjudication == nil {
			return i, true
		}
	}
	return -1, false
}

// PatientIsSubscriber reports whether the patient is the subscriber of coverage k
// (relationship 18, or no subscriber given).
func (c *Claim) PatientIsSubscriber(k int) bool {
	cov := &c.Coverages[k]
	if cov.Relationship == "" {
		return cov.Subscriber.IsZero()
	}
	return cov.Relationship == RelationshipSelf
}

// LineTotal returns the sum of the lines' charges.
func (c *Claim) LineTotal() Money {
	var t Money
	for i := range c.Lines {
		t += c.Lines[i].Charge
	}
	return t
}
