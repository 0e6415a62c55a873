package x837p

import (
	"github.com/claimflow/claimflow/billing"
)

// Result is what Build wrote: where each claim went, and what each segment of each
// transaction set belongs to.
type Result struct {
	// Claims[i] traces claims[i] of the Build call.
	Claims []Trace
	// Transactions are the transaction sets written, in file order.
	Transactions []Transaction
}

// Trace says where a claim went: the control numbers of its interchange, group and
// transaction set, and the ordinals (ST = 1, as a 999 IK302 counts) of its CLM and of
// the LX of each of its lines. 277CA and 835 answers find the claim by its patient
// control number; a 999 by these numbers.
type Trace struct {
	PatientControlNumber string // CLM01
	ISA13                string
	GS06                 string
	ST02                 string
	CLM                  int   // ordinal of the CLM segment in its transaction set
	Lines                []int // ordinal of each line's LX segment
}

// Transaction is one transaction set written.
type Transaction struct {
	ISA13, GS06, ST02 string
	// BatchID is BHT03 (ISA13 followed by ST02), which a 277CA echoes in 2200B TRN02.
	BatchID string
	// Claims are the indexes of the claims in the set, in file order.
	Claims []int
	// Segments[k] says what the segment of ordinal k+1 belongs to (ST is ordinal 1).
	Segments []SegmentRef
}

// SegmentRef says what one segment of a transaction set belongs to.
type SegmentRef struct {
	Claim int32   // index of the claim; -1 for the transaction set's header and trailer
	Line  int16   // index of the line in the claim's Lines; -1 outside loop 2400
	Adj   int16   // in loop 2430: index in the coverage's Adjudication.Lines
	Other int8    // index in Coverages of the coverage of loops 2000B, 2320-2330 and 2430; -1 otherwise
	Loop  Loop    // the loop holding the segment
	Item  int8    // for CAS: index of the segment's first adjustment
	field fieldID // for qualified segments (DTP, REF, AMT, NTE): which field
}

// Location is a segment (and element) of a built file traced back to the claims.
type Location struct {
	Claim int          // index of the claim; -1 when the segment belongs to no claim
	Line  int          // index of the line; -1 when not a line's
	Loop  string       // the loop id, as a 999 IK303 names it ("2400"); "" for the header
	Path  billing.Path // the field: "claims[3].lines[1].procedure.modifiers[0]", or the nearest record
}

// Transaction returns the transaction set with the group and transaction set control
// numbers (999 AK102 and AK202), or nil.
func (r *Result) Transaction(gs06, st02 string) *Transaction {
	for i := range r.Transactions {
		t := &r.Transactions[i]
		if t.GS06 == gs06 && t.ST02 == st02 {
			return t
		}
	}
	return nil
}

// Locate traces a 999 error back to the claims: gs06 and st02 from AK102 and AK202,
// ordinal, segmentID and loop from IK302 and IK301, element and component from IK401
// (0 when the error is about the whole segment). Segments of loop 2000A, which all
// the claims of the transaction set share, are traced to the first of them. It
// reports false when the file has no such segment.
func (r *Result) Locate(gs06, st02 string, ordinal int, segmentID string, element, component int) (Location, bool) {
	t := r.Transaction(gs06, st02)
	if t == nil || ordinal < 1 || ordinal > len(t.Segments) {
		return Location{}, false
	}
	ref := t.Segments[ordinal-1]
	loc := Location{Claim: int(ref.Claim), Line: int(ref.Line), Loop: ref.Loop.String()}
	if ref.Claim >= 0 {
		loc.Path = ref.path(segmentID, element, component)
	}
	return loc, true
}

// Loop is a loop of the 837P.
type Loop uint8

// The loops Build writes.
const (
	LoopHeader Loop = iota // ST, BHT, SE
	Loop1000A
	Loop1000B
	Loop2000A
	Loop2010AA
	Loop2010AB
	Loop2000B
	Loop2010BA
	Loop2010BB
	Loop2000C
	Loop2010CA
	Loop2300
	Loop2310A
	Loop2310B
	Loop2310C
	Loop2310D
	Loop2320
	Loop2330A
	Loop2330B
	Loop2400
	Loop2410
	Loop2420A
	Loop2430
)

var loopIDs = [...]string{"", "1000A", "1000B", "2000A", "2010AA", "2010AB", "2000B", "2010BA", "2010BB",
	"2000C", "2010CA", "2300", "2310A", "2310B", "2310C", "2310D", "2320", "2330A", "2330B", "2400",
	"2410", "2420A", "2430"}

// String returns the loop id ("2300"), "" for the header.
func (l Loop) String() string {
	if int(l) < len(loopIDs) {
		return loopIDs[l]
	}
	return "?"
}

// fieldID tells apart segments whose meaning depends on their qualifier (DTP, REF,
// AMT, NTE), and who a name in 2010BA or 2330A is.
type fieldID uint8

const (
	fieldNone      fieldID = iota
	fieldIsPatient         // 2010BA, 2330A: the subscriber is the patient
	fieldOnset             // claim dates, in the guide's order
	fieldInitialTreatment
	fieldLastSeen
	fieldAcuteManifestation
	fieldAccident
	fieldLMP
	fieldLastXRay
	fieldPrescription
	fieldDisabilityFrom
	fieldDisabilityTo
	fieldLastWorked
	fieldReturnToWork
	fieldAdmission
	fieldDischarge
	fieldPatientPaid
	fieldReferral
	fieldPriorAuth
	fieldOriginalClaim
	fieldCLIA
	fieldMedicalRecord
	fieldNote
	fieldPaidAmount
	fieldNonCoveredAmount
	fieldRemainingLiability
	fieldAdjudicationDate
	fieldOtherClaimNumber
	fieldServiceDates
	fieldLineControl
	numFields
)

// fieldQualifier is the DTP01 of the claim dates.
var fieldQualifier = [numFields]string{
	fieldOnset: "431", fieldInitialTreatment: "454", fieldLastSeen: "304", fieldAcuteManifestation: "453",
	fieldAccident: "439", fieldLMP: "484", fieldLastXRay: "455", fieldPrescription: "471",
	fieldDisabilityFrom: "360", fieldDisabilityTo: "361", fieldLastWorked: "297", fieldReturnToWork: "296",
	fieldAdmission: "435", fieldDischarge: "096",
}

// fieldPath is the path of each field below its record (claim, line, adjudication).
var fieldPath = [numFields]string{
	fieldOnset: "dates.onset", fieldInitialTreatment: "dates.initial_treatment", fieldLastSeen: "dates.last_seen",
	fieldAcuteManifestation: "dates.acute_manifestation", fieldAccident: "dates.accident",
	fieldLMP: "dates.last_menstrual_period", fieldLastXRay: "dates.last_x_ray", fieldPrescription: "dates.prescription",
	fieldDisabilityFrom: "dates.disability_from", fieldDisabilityTo: "dates.disability_to",
	fieldLastWorked: "dates.last_worked", fieldReturnToWork: "dates.return_to_work",
	fieldAdmission: "dates.admission", fieldDischarge: "dates.discharge",
	fieldPatientPaid: "patient_paid", fieldReferral: "authorization.referral",
	fieldPriorAuth: "authorization.prior_authorization", fieldOriginalClaim: "original_payer_claim_number",
	fieldCLIA: "clia_number", fieldMedicalRecord: "medical_record_number", fieldNote: "note",
	fieldPaidAmount: "paid_amount", fieldNonCoveredAmount: "non_covered_amount", fieldRemainingLiability: "remaining_patient_liability",
	fieldAdjudicationDate: "date", fieldOtherClaimNumber: "claim_number",
	fieldServiceDates: "service_dates", fieldLineControl: "control_number",
}

// claimDate returns the claim date a field names, or nil.
func claimDate(d *billing.Dates, f fieldID) *billing.Date {
	switch f {
	case fieldOnset:
		return &d.Onset
	case fieldInitialTreatment:
		return &d.InitialTreatment
	case fieldLastSeen:
		return &d.LastSeen
	case fieldAcuteManifestation:
		return &d.AcuteManifestation
	case fieldAccident:
		return &d.Accident
	case fieldLMP:
		return &d.LastMenstrualPeriod
	case fieldLastXRay:
		return &d.LastXRay
	case fieldPrescription:
		return &d.Prescription
	case fieldDisabilityFrom:
		return &d.DisabilityFrom
	case fieldDisabilityTo:
		return &d.DisabilityTo
	case fieldLastWorked:
		return &d.LastWorked
	case fieldReturnToWork:
		return &d.ReturnToWork
	case fieldAdmission:
		return &d.Admission
	case fieldDischarge:
		return &d.Discharge
	}
	return nil
}

// path names the field at element el, component comp (0 for the whole segment) of a
// segment with this reference.
func (ref SegmentRef) path(seg string, el, comp int) billing.Path {
	c := billing.ClaimPath(int(ref.Claim))
	if ref.field > fieldIsPatient && seg != "CAS" {
		p := fieldPath[ref.field]
		switch ref.Loop {
		case Loop2400:
			c = c.At("lines", int(ref.Line))
			if ref.field == fieldNote {
				return c.Field("note")
			}
		case Loop2320, Loop2330B:
			c = c.At("coverages", int(ref.Other)).Field("adjudication")
		case Loop2430:
			c = c.At("coverages", int(ref.Other)).Field("adjudication").At("lines", int(ref.Adj))
		}
		if ref.field == fieldNote && el == 1 {
			return c.Field("note.code")
		}
		if ref.field == fieldNote && el == 2 {
			return c.Field("note.text")
		}
		return c.Field(p)
	}
	switch ref.Loop {
	case Loop2000A:
		if seg == "PRV" {
			return c.Field("billing_provider.taxonomy")
		}
		return c.Field("billing_provider")
	case Loop2010AA:
		return providerPath(c.Field("billing_provider"), seg, el)
	case Loop2010AB:
		return addressPath(c.Field("pay_to_address"), seg, el)
	case Loop2000B, Loop2320:
		cov := c.At("coverages", int(ref.Other))
		switch seg {
		case "SBR":
			return sbrPath(cov, el)
		case "CAS":
			return casPath(cov.Field("adjudication.adjustments"), int(ref.Item), el)
		case "OI":
			switch el {
			case 3:
				return c.Field("benefits_assignment")
			case 6:
				return c.Field("release_of_information")
			}
			return c
		case "MOA":
			if el >= 3 && el <= 7 {
				return cov.Field("adjudication.remark_codes").Index(el - 3)
			}
			return cov.Field("adjudication.remark_codes")
		}
		return cov
	case Loop2010BA, Loop2330A:
		cov := c.At("coverages", int(ref.Other))
		if seg == "NM1" && (el == 8 || el == 9) {
			return cov.Field("member_id")
		}
		person := cov.Field("subscriber")
		if ref.field == fieldIsPatient {
			person = c.Field("patient")
		}
		return personPath(person, seg, el)
	case Loop2010BB, Loop2330B:
		p := c.At("coverages", int(ref.Other)).Field("payer")
		if seg == "NM1" {
			switch el {
			case 3:
				return p.Field("name")
			case 8:
				return p.Field("id_qualifier")
			case 9:
				return p.Field("id")
			}
			return p
		}
		return addressPath(p.Field("address"), seg, el)
	case Loop2000C:
		if seg == "PAT" {
			return c.At("coverages", int(ref.Other)).Field("relationship")
		}
		return c.Field("patient")
	case Loop2010CA:
		return personPath(c.Field("patient"), seg, el)
	case Loop2300:
		switch seg {
		case "CLM":
			return clmPath(c, el, comp)
		case "HI":
			if el >= 1 {
				return c.At("diagnoses", el-1)
			}
			return c.Field("diagnoses")
		}
		return c
	case Loop2310A:
		return providerPath(c.Field("referring_provider"), seg, el)
	case Loop2310B:
		return providerPath(c.Field("rendering_provider"), seg, el)
	case Loop2310C:
		return providerPath(c.Field("service_facility"), seg, el)
	case Loop2310D:
		return providerPath(c.Field("supervising_provider"), seg, el)
	case Loop2400:
		return sv1Path(c.At("lines", int(ref.Line)), seg, el, comp)
	case Loop2410:
		d := c.At("lines", int(ref.Line)).Field("drug")
		switch {
		case seg == "LIN" && el == 3:
			return d.Field("ndc")
		case seg == "CTP" && el == 4:
			return d.Field("quantity")
		case seg == "CTP" && el == 5:
			return d.Field("unit")
		case seg == "REF":
			return d.Field("prescription_number")
		}
		return d
	case Loop2420A:
		return providerPath(c.At("lines", int(ref.Line)).Field("rendering_provider"), seg, el)
	case Loop2430:
		la := c.At("coverages", int(ref.Other)).Field("adjudication").At("lines", int(ref.Adj))
		switch seg {
		case "CAS":
			return casPath(la.Field("adjustments"), int(ref.Item), el)
		case "SVD":
			switch el {
			case 2:
				return la.Field("paid_amount")
			case 3:
				return procedurePath(la.Field("procedure"), comp)
			case 5:
				return la.Field("units")
			case 6:
				return la.Field("bundled_line")
			}
		}
		return la
	}
	return c
}

func sbrPath(cov billing.Path, el int) billing.Path {
	switch el {
	case 1:
		return cov.Field("responsibility")
	case 2:
		return cov.Field("relationship")
	case 3:
		return cov.Field("group_number")
	case 4:
		return cov.Field("group_name")
	case 5:
		return cov.Field("insurance_type")
	case 9:
		return cov.Field("filing_indicator")
	}
	return cov
}

func casPath(adj billing.Path, first, el int) billing.Path {
	if el < 2 {
		return adj.Index(first).Field("group")
	}
	a := adj.Index(first + (el-2)/3)
	switch (el - 2) % 3 {
	case 0:
		return a.Field("reason")
	case 1:
		return a.Field("amount")
	}
	return a.Field("quantity")
}

func addressPath(p billing.Path, seg string, el int) billing.Path {
	switch seg {
	case "N3":
		switch el {
		case 1:
			return p.Field("line1")
		case 2:
			return p.Field("line2")
		}
	case "N4":
		switch el {
		case 1:
			return p.Field("city")
		case 2:
			return p.Field("state")
		case 3:
			return p.Field("postal_code")
		case 4:
			return p.Field("country")
		case 7:
			return p.Field("country_subdivision")
		}
	}
	return p
}

func nameElement(p billing.Path, el int, last string) billing.Path {
	switch el {
	case 3:
		return p.Field(last)
	case 4:
		return p.Field("first_name")
	case 5:
		return p.Field("middle_name")
	case 7:
		return p.Field("suffix")
	}
	return p
}

func personPath(p billing.Path, seg string, el int) billing.Path {
	switch seg {
	case "NM1":
		return nameElement(p, el, "last_name")
	case "N3", "N4":
		return addressPath(p.Field("address"), seg, el)
	case "DMG":
		switch el {
		case 2:
			return p.Field("birth_date")
		case 3:
			return p.Field("gender")
		}
	}
	return p
}

func providerPath(p billing.Path, seg string, el int) billing.Path {
	switch seg {
	case "NM1":
		switch el {
		case 2:
			return p.Field("entity_type")
		case 8, 9:
			return p.Field("npi")
		}
		return nameElement(p, el, "name")
	case "N3", "N4":
		return addressPath(p.Field("address"), seg, el)
	case "PRV":
		return p.Field("taxonomy")
	case "REF":
		if el == 1 {
			return p.Field("tax_id_type")
		}
		return p.Field("tax_id")
	case "PER":
		switch el {
		case 2:
			return p.Field("contact.name")
		case 3, 4, 5, 6:
			return p.Field("contact")
		}
	}
	return p
}

func clmPath(c billing.Path, el, comp int) billing.Path {
	switch el {
	case 1:
		return c.Field("patient_control_number")
	case 2:
		return c.Field("charge")
	case 5:
		switch comp {
		case 1:
			return c.Field("place_of_service")
		case 3:
			return c.Field("frequency")
		}
		return c.Field("place_of_service")
	case 6:
		return c.Field("provider_signature")
	case 7:
		return c.Field("assignment")
	case 8:
		return c.Field("benefits_assignment")
	case 9:
		return c.Field("release_of_information")
	case 10:
		return c.Field("patient_signature_source")
	case 11:
		switch comp {
		case 1, 2:
			return c.At("related_causes", comp-1)
		case 4:
			return c.Field("accident_state")
		case 5:
			return c.Field("accident_country")
		}
		return c.Field("related_causes")
	case 12:
		return c.Field("special_program")
	case 20:
		return c.Field("delay_reason")
	}
	return c
}

func procedurePath(p billing.Path, comp int) billing.Path {
	switch {
	case comp == 1:
		return p.Field("qualifier")
	case comp == 2:
		return p.Field("code")
	case comp >= 3 && comp <= 6:
		return p.At("modifiers", comp-3)
	case comp == 7:
		return p.Field("description")
	}
	return p
}

func sv1Path(l billing.Path, seg string, el, comp int) billing.Path {
	if seg != "SV1" {
		return l
	}
	switch el {
	case 1:
		return procedurePath(l.Field("procedure"), comp)
	case 2:
		return l.Field("charge")
	case 3:
		return l.Field("unit")
	case 4:
		return l.Field("units")
	case 5:
		return l.Field("place_of_service")
	case 7:
		if comp >= 1 {
			return l.At("diagnosis_pointers", comp-1)
		}
		return l.Field("diagnosis_pointers")
	case 9:
		return l.Field("emergency")
	case 11:
		return l.Field("epsdt")
	case 12:
		return l.Field("family_planning")
	}
	return l
}
