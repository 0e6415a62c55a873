package x837p

import (
	"errors"
	"fmt"

	"github.com/claimflow/claimflow/billing"
)

// Errors of claims that Build cannot write as a valid 837P (returned inside
// billing.Problems, which name the field).
var (
	ErrRequired = errors.New("required by the 837P and empty")
	ErrTooMany  = errors.New("more than the 837P allows")
	ErrInvalid  = errors.New("cannot be written as 837P")
)

// checkClaim reports what keeps the claim from becoming a valid 837P: what the guide
// requires (SNIP 1-2), not the business rules of the scrubber. Paths are made only for
// problems found: a good claim costs no allocation.
func checkClaim(probs billing.Problems, c *billing.Claim, i int) billing.Problems {
	var pp billing.Path
	path := func() billing.Path {
		if pp == "" {
			pp = billing.ClaimPath(i)
		}
		return pp
	}
	bad := func(path billing.Path, err error, format string, args ...any) {
		probs = append(probs, &billing.Problem{Path: path, Err: fmt.Errorf("%w: %s", err, fmt.Sprintf(format, args...))})
	}
	if c.PatientControlNumber == "" {
		bad(path().Field("patient_control_number"), ErrRequired, "the patient control number (CLM01)")
	}
	if c.PlaceOfService == "" {
		bad(path().Field("place_of_service"), ErrRequired, "the place of service (CLM05-1)")
	}
	if c.Frequency.ReplacesClaim() && c.OriginalPayerClaimNumber == "" {
		bad(path().Field("original_payer_claim_number"), ErrRequired,
			"the payer's claim number of the claim replaced or voided (REF*F8, required with frequency 7 or 8)")
	}
	if len(c.RelatedCauses) > 2 {
		bad(path().Field("related_causes"), ErrTooMany, "at most 2 related causes (CLM11)")
	}
	if c.Dates != (billing.Dates{}) {
		for f := fieldOnset; f <= fieldDischarge; f++ {
			if d := *claimDate(&c.Dates, f); !d.IsZero() && !d.Valid() {
				bad(path().Field(fieldPath[f]), ErrInvalid, "not a date")
			}
		}
	}
	switch n := len(c.Diagnoses); {
	case n == 0:
		bad(path().Field("diagnoses"), ErrRequired, "at least one diagnosis (HI)")
	case n > 12:
		bad(path().Field("diagnoses"), ErrTooMany, "at most 12 diagnoses, not %d", n)
	}
	for i, d := range c.Diagnoses {
		if d.Code == "" {
			bad(path().At("diagnoses", i).Field("code"), ErrRequired, "the diagnosis code")
		}
	}

	bp := &c.BillingProvider
	if bp.Name == "" {
		bad(path().Field("billing_provider.name"), ErrRequired, "the billing provider's name (2010AA NM103)")
	}
	if bp.TaxID == "" {
		bad(path().Field("billing_provider.tax_id"), ErrRequired, "the billing provider's tax id (2010AA REF*EI)")
	}
	if bp.Address.Line1 == "" || bp.Address.City == "" {
		bad(path().Field("billing_provider.address"), ErrRequired, "the billing provider's street address and city (2010AA N3, N4)")
	}
	if a := c.PayToAddress; a != nil && (a.Line1 == "" || a.City == "") {
		bad(path().Field("pay_to_address"), ErrRequired, "the pay-to address and city (2010AB N3, N4)")
	}
	for _, pr := range []struct {
		name string
		p    *billing.Provider
	}{{"referring_provider", c.ReferringProvider}, {"rendering_provider", c.RenderingProvider},
		{"service_facility", c.ServiceFacility}, {"supervising_provider", c.SupervisingProvider}} {
		if pr.p != nil && pr.p.Name == "" {
			bad(path().Field(pr.name).Field("name"), ErrRequired, "the provider's name or last name (NM103)")
		}
	}
	if f := c.ServiceFacility; f != nil && (f.Address.Line1 == "" || f.Address.City == "") {
		bad(path().Field("service_facility.address"), ErrRequired, "the service facility's street address and city (2310C N3, N4)")
	}

	if c.Patient.LastName == "" {
		bad(path().Field("patient.last_name"), ErrRequired, "the patient's last name")
	}
	if d := c.Patient.BirthDate; !d.IsZero() && !d.Valid() {
		bad(path().Field("patient.birth_date"), ErrInvalid, "not a date")
	}
	billed, ok := c.BilledCoverage()
	switch {
	case !ok:
		bad(path().Field("coverages"), ErrRequired, "a coverage without adjudication to bill the claim to")
	case !c.PatientIsSubscriber(billed):
		if a := &c.Patient.Address; a.Line1 == "" || a.City == "" {
			bad(path().Field("patient.address"), ErrRequired, "the patient's address (2010CA N3, N4: required when the patient is not the subscriber)")
		}
		if c.Patient.BirthDate.IsZero() {
			bad(path().Field("patient.birth_date"), ErrRequired, "the patient's birth date (2010CA DMG: required when the patient is not the subscriber)")
		}
	}
	if len(c.Coverages) > 11 {
		bad(path().Field("coverages"), ErrTooMany, "at most 10 other payers (2320)")
	}
	for k := range c.Coverages {
		cov := &c.Coverages[k]
		if cov.Payer.Name == "" || cov.Payer.ID == "" {
			bad(path().At("coverages", k).Field("payer"), ErrRequired, "the payer's name and id")
		}
		if cov.MemberID == "" {
			bad(path().At("coverages", k).Field("member_id"), ErrRequired, "the subscriber's member id")
		}
		if !cov.Subscriber.IsZero() {
			if cov.Subscriber.LastName == "" {
				bad(path().At("coverages", k).Field("subscriber.last_name"), ErrRequired, "the subscriber's last name")
			}
			if cov.Relationship == "" {
				bad(path().At("coverages", k).Field("relationship"), ErrRequired, "the patient's relationship to the subscriber")
			}
			if d := cov.Subscriber.BirthDate; !d.IsZero() && !d.Valid() {
				bad(path().At("coverages", k).Field("subscriber.birth_date"), ErrInvalid, "not a date")
			}
			if cov.Relationship == billing.RelationshipSelf && cov.Subscriber != c.Patient {
				bad(path().At("coverages", k).Field("subscriber"), ErrInvalid, "relationship 18 (self) with a subscriber who is not the patient")
			}
		}
		if a := cov.Adjudication; a != nil {
			probs = checkAdjudication(probs, c, a, path, k)
			if e := sharedPayerID(c, k); e >= 0 {
				bad(path().At("coverages", k).Field("payer").Field("id"), ErrInvalid,
					"earlier payers %d and %d share the payer id %s (2330B NM109), and a line adjudication (2430 SVD01) must name its payer unambiguously: give each payer its own id",
					e+1, k+1, cov.Payer.ID)
			}
		}
	}

	switch n := len(c.Lines); {
	case n == 0:
		bad(path().Field("lines"), ErrRequired, "at least one service line")
	case n > 50:
		bad(path().Field("lines"), ErrTooMany, "at most 50 service lines, not %d", n)
	}
	for j := range c.Lines {
		l := &c.Lines[j]
		if l.Procedure.Code == "" {
			bad(path().At("lines", j).Field("procedure.code"), ErrRequired, "the procedure code (SV101-2)")
		}
		if len(l.Procedure.Modifiers) > 4 {
			bad(path().At("lines", j).Field("procedure.modifiers"), ErrTooMany, "at most 4 modifiers")
		}
		if len(l.DiagnosisPointers) > 4 {
			bad(path().At("lines", j).Field("diagnosis_pointers"), ErrTooMany, "at most 4 diagnosis pointers")
		}
		for n, v := range l.DiagnosisPointers {
			if v < 1 || v > 12 {
				bad(path().At("lines", j).At("diagnosis_pointers", n), ErrInvalid, "a diagnosis pointer is 1-12, not %d", v)
			}
		}
		sd := l.ServiceDates
		switch {
		case sd.From.IsZero():
			bad(path().At("lines", j).Field("service_dates.from"), ErrRequired, "the date of service (DTP*472)")
		case !sd.From.Valid():
			bad(path().At("lines", j).Field("service_dates.from"), ErrInvalid, "not a date")
		case !sd.To.IsZero() && !sd.To.Valid():
			bad(path().At("lines", j).Field("service_dates.to"), ErrInvalid, "not a date")
		case sd.To.Before(sd.From) && !sd.To.IsZero():
			bad(path().At("lines", j).Field("service_dates.to"), ErrInvalid, "the last date of service is before the first")
		}
		if id := l.ControlNumber; id != "" {
			if len(id) > 30 {
				bad(path().At("lines", j).Field("control_number"), ErrInvalid, "a line item control number has at most 30 characters")
			}
			for _, o := range c.Lines[:j] {
				if o.ControlNumber == id {
					bad(path().At("lines", j).Field("control_number"), ErrInvalid, "line item control numbers must be unique within the claim")
					break
				}
			}
		}
		if d := l.Drug; d != nil {
			if d.NDC == "" {
				bad(path().At("lines", j).Field("drug.ndc"), ErrRequired, "the national drug code (LIN03)")
			}
			if d.Quantity <= 0 {
				bad(path().At("lines", j).Field("drug.quantity"), ErrRequired, "the drug quantity (CTP04)")
			}
		}
		if r := l.RenderingProvider; r != nil && r.Name == "" {
			bad(path().At("lines", j).Field("rendering_provider.name"), ErrRequired, "the provider's name or last name (NM103)")
		}
	}
	return probs
}

func checkAdjudication(probs billing.Problems, c *billing.Claim, a *billing.OtherPayerAdjudication, claimPath func() billing.Path, k int) billing.Problems {
	path := func() billing.Path { return claimPath().At("coverages", k).Field("adjudication") }
	bad := func(path billing.Path, err error, format string, args ...any) {
		probs = append(probs, &billing.Problem{Path: path, Err: fmt.Errorf("%w: %s", err, fmt.Sprintf(format, args...))})
	}
	if n := casSegments(a.Adjustments); n > 5 {
		bad(path().Field("adjustments"), ErrTooMany, "the adjustments need %d CAS segments; at most 5", n)
	}
	for _, r := range a.Adjustments {
		if r.Group == "" || r.Reason == "" {
			bad(path().Field("adjustments"), ErrRequired, "an adjustment needs a group and a reason")
			break
		}
	}
	if len(a.RemarkCodes) > 5 {
		bad(path().Field("remark_codes"), ErrTooMany, "at most 5 remark codes (MOA03-07)")
	}
	switch d := a.Date; {
	case !d.IsZero() && !d.Valid():
		bad(path().Field("date"), ErrInvalid, "not a date")
	case d.IsZero() && len(a.Lines) == 0 && a.NonCoveredAmount == 0:
		bad(path().Field("date"), ErrRequired, "the adjudication date (2330B DTP*573: required when the payer adjudicated the claim and no line adjudication (2430) is sent)")
	}
	if a.NonCoveredAmount != 0 {
		probs = checkCostAvoidance(probs, c, a, path)
	}
	for n := range a.Lines {
		la := &a.Lines[n]
		if la.Line < 1 || la.Line > len(c.Lines) {
			bad(path().At("lines", n).Field("line"), ErrInvalid, "no line %d in the claim", la.Line)
		}
		switch d := la.Date; {
		case d.IsZero() && a.Date.IsZero():
			bad(path().At("lines", n).Field("date"), ErrRequired, "the adjudication date (2430 DTP*573)")
		case !d.IsZero() && !d.Valid():
			bad(path().At("lines", n).Field("date"), ErrInvalid, "not a date")
		}
		if cnt := casSegments(la.Adjustments); cnt > 5 {
			bad(path().At("lines", n).Field("adjustments"), ErrTooMany, "the adjustments need %d CAS segments; at most 5", cnt)
		}
		if len(la.Procedure.Modifiers) > 4 {
			bad(path().At("lines", n).Field("procedure.modifiers"), ErrTooMany, "at most 4 modifiers")
		}
	}
	return probs
}

// checkCostAvoidance checks a payer bypassed under cost-avoidance rules: 2320 AMT*A8
// equals CLM02 and stands alone, without AMT*D, CAS, AMT*EAF or 2430 (the payer
// adjudicated nothing).
func checkCostAvoidance(probs billing.Problems, c *billing.Claim, a *billing.OtherPayerAdjudication, path func() billing.Path) billing.Problems {
	bad := func(field string, format string, args ...any) {
		probs = append(probs, &billing.Problem{Path: path().Field(field), Err: fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))})
	}
	charge := c.Charge
	if charge == 0 {
		charge = c.LineTotal()
	}
	if a.NonCoveredAmount != charge {
		bad("non_covered_amount", "the total non-covered amount (2320 AMT*A8) %s of a payer bypassed under cost avoidance must equal the claim charge (CLM02) %s",
			a.NonCoveredAmount, charge)
	}
	const why = "not sent for a payer bypassed under cost avoidance (2320 AMT*A8)"
	if a.PaidAmount != 0 {
		bad("paid_amount", "a paid amount (AMT*D) is %s", why)
	}
	if len(a.Adjustments) > 0 {
		bad("adjustments", "adjustments (CAS) are %s", why)
	}
	if a.RemainingPatientLiability != nil {
		bad("remaining_patient_liability", "the remaining patient liability (AMT*EAF) is %s", why)
	}
	if len(a.Lines) > 0 {
		bad("lines", "line adjudications (2430) are %s", why)
	}
	return probs
}

// sharedPayerID returns the index of an earlier payer before coverage k with k's
// payer id when either of them has line adjudications (2430 SVD01 names its payer
// by that id), or -1.
func sharedPayerID(c *billing.Claim, k int) int {
	cov := &c.Coverages[k]
	for e := range c.Coverages[:k] {
		o := &c.Coverages[e]
		if o.Adjudication != nil && o.Payer.ID == cov.Payer.ID && cov.Payer.ID != "" &&
			(len(o.Adjudication.Lines) > 0 || len(cov.Adjudication.Lines) > 0) {
			return e
		}
	}
	return -1
}

// casSegments counts the CAS segments the adjustments need.
func casSegments(adj []billing.Adjustment) int {
	adj = billing.GroupAdjustments(adj)
	n := 0
	for s := 0; s < len(adj); {
		e := s + 1
		for e < len(adj) && e-s < 6 && adj[e].Group == adj[s].Group {
			e++
		}
		n++
		s = e
	}
	return n
}
