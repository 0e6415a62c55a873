package scrub

import (
	"fmt"
	"strconv"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/codes"
)

// hiX12 is the position of diagnosis n: HI01-2 to HI12-2.
func hiX12(n int) string {
	if n >= 12 {
		return "2300 HI"
	}
	return fmt.Sprintf("2300 HI%02d-2", n+1)
}

// diagnosisSTC is the 277CA status of a bad diagnosis code: 254 for the principal,
// 255 for the others.
func diagnosisSTC(n int) string {
	if n == 0 {
		return "A7:254"
	}
	return "A7:255"
}

// checkICD10Format: each diagnosis code (HI) has the shape of an ICD-10-CM code sent in
// X12, without the dot; ICD-9-CM codes are refused.
func checkICD10Format(ck *checker, c *billing.Claim) {
	for n := range c.Diagnoses {
		d := &c.Diagnoses[n]
		switch {
		case d.ICD9:
			ck.add(-1, ck.path().At("diagnoses", n).Field("icd9"), hiX12(n), Error, diagnosisSTC(n),
				"ICD-9-CM diagnosis codes are not accepted for services since 2015-10-01: use the ICD-10-CM code.")
		case d.Code == "":
			ck.add(-1, ck.path().At("diagnoses", n).Field("code"), hiX12(n), Error, "A6:255",
				"The diagnosis code is missing.")
		case !codes.ICD10CMFormat(d.Code):
			ck.add(-1, ck.path().At("diagnoses", n).Field("code"), hiX12(n), Error, diagnosisSTC(n),
				"The diagnosis code "+strconv.Quote(d.Code)+" is not an ICD-10-CM code: those are a letter and 2 to 6 letters or digits, written without the dot (E11.9 is sent as E119).")
		}
	}
}

// checkICD10Valid: each diagnosis code is valid and billable in the ICD-10-CM release
// that covers the dates of service of the lines pointing at it (a diagnosis no line
// points at: the first date of service). A header code (E11) is not billable. A date
// of service no loaded release covers is not checked, and the report says so.
func checkICD10Valid(ck *checker, c *billing.Claim) {
	if !ck.s.has.icd {
		return
	}
	nd := min(len(c.Diagnoses), 12)
	var last [12]billing.Date // the last date each diagnosis was checked on
	var bad, pointed uint16
	one := [1]int{1}
	for j := range c.Lines {
		l := &c.Lines[j]
		dos := l.ServiceDates.From
		if !dos.Valid() {
			continue
		}
		ptrs := l.DiagnosisPointers
		if len(ptrs) == 0 {
			ptrs = one[:]
		}
		for _, p := range ptrs {
			n := p - 1
			if n < 0 || n >= nd {
				continue
			}
			pointed |= 1 << n
			if bad&(1<<n) != 0 || last[n] == dos {
				continue
			}
			last[n] = dos
			if !ck.icd10(n, dos) {
				bad |= 1 << n
			}
		}
	}
	if ck.firstDOS.IsZero() {
		return
	}
	for n := range nd {
		if pointed&(1<<n) == 0 {
			ck.icd10(n, ck.firstDOS)
		}
	}
}

// icd10 checks diagnosis n on dos; it reports false when it added a finding.
func (ck *checker) icd10(n int, dos billing.Date) bool {
	d := &ck.c.Diagnoses[n]
	if d.ICD9 || !codes.ICD10CMFormat(d.Code) {
		return true // icd10-format reports it
	}
	r := ck.s.codes.ICD10(d.Code, dosTime(dos))
	switch r.Status {
	case codes.NotChecked:
		ck.icdGap.add(ck.i)
		return true
	case codes.Valid:
		release(&ck.rep.Releases[ck.i].ICD10CM, r.Release)
		return true
	case codes.NotBillable:
		release(&ck.rep.Releases[ck.i].ICD10CM, r.Release)
		ck.add(-1, ck.path().At("diagnoses", n).Field("code"), hiX12(n), Error, "A7:772",
			d.Code+" is a category heading in "+r.Release+", not a billable code: use a more specific code under it.")
	default:
		release(&ck.rep.Releases[ck.i].ICD10CM, r.Release)
		ck.add(-1, ck.path().At("diagnoses", n).Field("code"), hiX12(n), Error, diagnosisSTC(n),
			d.Code+" is not a valid ICD-10-CM code on the date of service ("+r.Release+"): check the code, or whether it was added or deleted that year.")
	}
	return false
}

// checkHCPCSValid: each HCPCS Level II procedure code (SV101-2) is in the loaded
// release, effective on the first date of service and not terminated before the last.
// CPT codes are never checked against a code set: their format only. A date of service
// after the newest loaded quarter is not checked, and the report says so.
func checkHCPCSValid(ck *checker, c *billing.Claim) {
	if !ck.s.has.hcpcs {
		return
	}
	for j := range c.Lines {
		l := &c.Lines[j]
		p := &l.Procedure
		if (p.Qualifier != "" && p.Qualifier != billing.DefaultProcedureQualifier) || !codes.HCPCSFormat(p.Code) {
			continue
		}
		ck.hcpcs(j, p.Code, -1, &l.ServiceDates)
	}
}

// checkModifierValid: each HCPCS Level II modifier (SV101-3 to -6) is in the loaded
// release and effective on the dates of service. CPT modifiers (two digits) are
// checked for format only.
func checkModifierValid(ck *checker, c *billing.Claim) {
	if !ck.s.has.hcpcs {
		return
	}
	for j := range c.Lines {
		l := &c.Lines[j]
		for m, mod := range l.Procedure.Modifiers {
			if m >= 4 || !codes.ModifierFormat(mod) {
				continue
			}
			if mod[0] >= '0' && mod[0] <= '9' && mod[1] >= '0' && mod[1] <= '9' {
				ck.sawCPT = true
				continue
			}
			ck.hcpcs(j, mod, m, &l.ServiceDates)
		}
	}
}

// hcpcs checks a HCPCS code (mod < 0) or modifier mod of line j on its first and, for
// a range, last date of service.
func (ck *checker) hcpcs(j int, code string, mod int, sd *billing.Period) {
	if !sd.From.Valid() {
		return
	}
	dates := [2]billing.Date{sd.From, sd.To}
	n := 1
	if sd.IsRange() && sd.To.Valid() {
		n = 2
	}
	for _, dos := range dates[:n] {
		var r codes.Result
		if mod < 0 {
			r = ck.s.codes.HCPCS(code, dosTime(dos))
		} else {
			r = ck.s.codes.Modifier(code, dosTime(dos))
		}
		if r.Status == codes.NotChecked {
			ck.hcpcsGap.add(ck.i)
			continue
		}
		release(&ck.rep.Releases[ck.i].HCPCS, r.Release)
		if !r.Status.Invalid() {
			continue
		}
		what := "HCPCS code"
		field := ck.linePath(j).Field("procedure").Field("code")
		x12, stc := "2400 SV101-2", "A7:454"
		if mod >= 0 {
			what = "modifier"
			field = ck.linePath(j).Field("procedure").At("modifiers", mod)
			x12, stc = modifierX12(mod), "A7:453"
		}
		var msg string
		switch r.Status {
		case codes.NotYetEffective:
			msg = "The " + what + " " + code + " only took effect on " + r.Added.String() + ", after the date of service: use the code valid on that date."
		case codes.Terminated:
			msg = "The " + what + " " + code + " was discontinued after " + r.Terminated.String() + " (" + r.Release + "): use the code that replaced it."
		default:
			msg = "The " + what + " " + code + " is not in " + r.Release + ": check the code."
		}
		ck.add(j, field, x12, Error, stc, msg)
		return
	}
}
