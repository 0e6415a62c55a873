package scrub

import (
	"fmt"
	"strconv"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/codes"
)

// checkChargePositive: the total charge (CLM02) is more than zero and no line charge
// (SV102) is negative; a zero line charge is a warning, since many payers reject it
// (quality-reporting codes are usually sent at 0.01).
func checkChargePositive(ck *checker, c *billing.Claim) {
	if c.Charge <= 0 {
		ck.add(-1, ck.path().Field("charge"), "2300 CLM02", Error, "A7:402",
			"The claim total must be more than zero. To take back a claim, void it (frequency 8) instead of sending negative charges.")
	}
	for j := range c.Lines {
		switch ch := c.Lines[j].Charge; {
		case ch < 0:
			ck.add(j, ck.linePath(j).Field("charge"), "2400 SV102", Error, "A7:402",
				"The line charge "+ch.String()+" is negative: to correct a claim, send a replacement (frequency 7) instead.")
		case ch == 0:
			ck.add(j, ck.linePath(j).Field("charge"), "2400 SV102", Warning, "",
				"The line charge is zero: many payers reject it; quality-reporting codes are usually billed at 0.01.")
		}
	}
}

// checkUnits: service units (SV104) are not negative (zero is the default, 1) and the
// unit code (SV103) is UN (units) or MJ (anesthesia minutes).
func checkUnits(ck *checker, c *billing.Claim) {
	for j := range c.Lines {
		l := &c.Lines[j]
		if l.Units < 0 {
			ck.add(j, ck.linePath(j).Field("units"), "2400 SV104", Error, "A7:476",
				"The number of units "+l.Units.String()+" is negative: it must be at least 1.")
		}
		switch l.Unit {
		case "", "UN", "MJ":
		default:
			ck.add(j, ck.linePath(j).Field("unit"), "2400 SV103", Error, "A7:476",
				"The unit "+strconv.Quote(l.Unit)+" is not allowed: use UN (units) or MJ (anesthesia minutes).")
		}
	}
}

// checkServiceDates: each line has a date of service (DTP*472), real dates, none in
// the future, and the last date not before the first.
func checkServiceDates(ck *checker, c *billing.Claim) {
	for j := range c.Lines {
		sd := &c.Lines[j].ServiceDates
		field, msg, stc := "from", "", "A7:187"
		switch {
		case sd.From.IsZero():
			msg, stc = "The date of service is missing.", "A6:187"
		case !sd.From.Valid():
			msg = "The date of service is not a calendar date."
		case sd.From.After(ck.today):
			msg = "The date of service is in the future: send the claim after the service."
		case sd.To.IsZero():
			continue
		case !sd.To.Valid():
			field, msg = "to", "The last date of service is not a calendar date."
		case sd.To.Before(sd.From):
			field, msg = "to", "The last date of service is before the first."
		case sd.To.After(ck.today):
			field, msg = "to", "The last date of service is in the future: send the claim after the service."
		default:
			continue
		}
		ck.add(j, ck.linePath(j).Field("service_dates").Field(field), "2400 DTP*472 DTP03", Error, stc, msg)
	}
}

// checkDiagnosisPointers: each line points (SV107) at 1 to 4 diagnoses of the claim,
// none twice. No pointer means pointer 1. Skipped when the claim has no diagnosis
// (diagnosis-count reports it).
func checkDiagnosisPointers(ck *checker, c *billing.Claim) {
	n := len(c.Diagnoses)
	if n == 0 {
		return
	}
	for j := range c.Lines {
		ptrs := c.Lines[j].DiagnosisPointers
		if len(ptrs) > 4 {
			ck.add(j, ck.linePath(j).Field("diagnosis_pointers"), "2400 SV107", Error, "A7:477",
				fmt.Sprintf("The line points at %d diagnoses; a line can point at 4 at most.", len(ptrs)))
		}
		for k, v := range ptrs {
			switch {
			case v < 1 || v > n:
				ck.add(j, ck.linePath(j).At("diagnosis_pointers", k), "2400 SV107-"+strconv.Itoa(k+1), Error, "A7:477",
					fmt.Sprintf("Diagnosis pointer %d points at no diagnosis: the claim has %d (pointers are 1 to %d).", v, n, min(n, 12)))
			case indexOf(ptrs[:k], v) >= 0:
				ck.add(j, ck.linePath(j).At("diagnosis_pointers", k), "2400 SV107-"+strconv.Itoa(k+1), Error, "A7:477",
					fmt.Sprintf("The line points twice at diagnosis %d: remove one.", v))
			}
		}
	}
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// checkLineControlNumbers: line item control numbers (REF*6R), echoed in the 835 to
// post payments by line, have at most 30 characters and are unique within the claim.
func checkLineControlNumbers(ck *checker, c *billing.Claim) {
	for j := range c.Lines {
		id := c.Lines[j].ControlNumber
		if id == "" {
			continue
		}
		if len(id) > 30 {
			ck.add(j, ck.linePath(j).Field("control_number"), "2400 REF*6R REF02", Error, "A7:584",
				fmt.Sprintf("The line control number has %d characters; at most 30 are allowed.", len(id)))
		}
		for k := range j {
			if c.Lines[k].ControlNumber == id {
				ck.add(j, ck.linePath(j).Field("control_number"), "2400 REF*6R REF02", Error, "A7:584",
					fmt.Sprintf("Line %d has the same line control number: each line of a claim needs its own.", k+1))
				break
			}
		}
	}
}

// checkProcedureFormat: each line's procedure code (SV101-2, qualifier HC) is given
// and is a CPT code of 5 characters (99213, 3074F, 0042T) or a HCPCS Level II code (a
// letter A-V and 4 digits).
func checkProcedureFormat(ck *checker, c *billing.Claim) {
	for j := range c.Lines {
		p := &c.Lines[j].Procedure
		if p.Qualifier != "" && p.Qualifier != billing.DefaultProcedureQualifier {
			continue
		}
		code := p.Code
		switch {
		case code == "":
			ck.add(j, ck.linePath(j).Field("procedure").Field("code"), "2400 SV101-2", Error, "A6:454",
				"The procedure code is missing.")
		case code[0] >= '0' && code[0] <= '9':
			ck.sawCPT = true
			if !codes.CPTFormat(code) {
				ck.add(j, ck.linePath(j).Field("procedure").Field("code"), "2400 SV101-2", Error, "A7:454",
					"The procedure code "+strconv.Quote(code)+" is not a CPT code: CPT codes are 5 characters, as 99213, 3074F or 0042T.")
			}
		case !codes.HCPCSFormat(code):
			ck.add(j, ck.linePath(j).Field("procedure").Field("code"), "2400 SV101-2", Error, "A7:454",
				"The procedure code "+strconv.Quote(code)+" is not a HCPCS code: those are a letter and 4 digits, as G0439 (CPT codes are 5 characters, as 99213).")
		}
	}
}

// checkModifierFormat: each line has at most 4 modifiers (SV101-3 to SV101-6), each 2
// letters or digits.
func checkModifierFormat(ck *checker, c *billing.Claim) {
	for j := range c.Lines {
		mods := c.Lines[j].Procedure.Modifiers
		if len(mods) > 4 {
			ck.add(j, ck.linePath(j).Field("procedure").Field("modifiers"), "2400 SV101-3", Error, "A7:453",
				fmt.Sprintf("The line has %d modifiers; at most 4 are allowed.", len(mods)))
		}
		for m, mod := range mods {
			if !codes.ModifierFormat(mod) {
				ck.add(j, ck.linePath(j).Field("procedure").At("modifiers", m), modifierX12(m), Error, "A7:453",
					"The modifier "+strconv.Quote(mod)+" is not a procedure modifier: those are 2 letters or digits, as 25 or LT.")
			}
		}
	}
}

// modifierX12 is the position of modifier m (SV101-3 to SV101-6).
func modifierX12(m int) string { return "2400 SV101-" + strconv.Itoa(3+m) }
