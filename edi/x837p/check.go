package x837p

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
)

// Errors of claims that Build cannot write as a valid 837P (returned inside
// billing.Problems, which name the field). A value holding a character the 837P
// cannot carry wraps x12.ErrCharacterInData or x12.ErrDelimiterInData too.
var (
	ErrRequired = errors.New("required by the 837P and empty")
	ErrTooMany  = errors.New("more than the 837P allows")
	ErrInvalid  = errors.New("cannot be written as 837P")
)

// Checker tells what keeps claims from becoming valid 837P files written with given
// delimiters: what Build refuses a claim for (SNIP 1-2 and the TR3's situational
// requirements that Build would otherwise break), each problem naming its field and,
// in Problem.Where, its 837P position ("2010BA N301"). The scrubber holds the claims
// it finds, so that Build never has to refuse one. A Checker is safe for concurrent
// use.
type Checker struct {
	allowed [256]bool // bytes text fields may hold: printable ASCII but the delimiters
}

// NewChecker returns a Checker for files written with delimiters d
// (x12.DefaultDelimiters when zero).
func NewChecker(d x12.Delimiters) (*Checker, error) {
	if d == (x12.Delimiters{}) {
		d = x12.DefaultDelimiters
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	k := &Checker{}
	for c := 0x20; c <= 0x7e; c++ {
		k.allowed[c] = true
	}
	for _, c := range []byte{d.Element, d.Component, d.Segment, d.Repetition} {
		k.allowed[c] = false
	}
	return k, nil
}

// Check appends to probs what keeps claim c, the claim at index i of its batch (its
// paths start "claims[i]"), from becoming a valid 837P: required fields, the limits
// and the code values of the guide, and text fields holding a character outside the
// X12 character set (printable ASCII), a delimiter or surrounding spaces (Normalize
// removes them). A good claim costs no allocation.
func (k *Checker) Check(probs billing.Problems, c *billing.Claim, i int) billing.Problems {
	cc := claimCheck{k: k, c: c, i: i, probs: probs, rules: guideRules()}
	cc.claim()
	cc.walkTexts()
	return cc.probs
}

// claimCheck is the state of one Check.
type claimCheck struct {
	k     *Checker
	c     *billing.Claim
	i     int
	pp    billing.Path // claims[i], made at the first problem
	probs billing.Problems
	rules *limits

	// The text walk (walkTexts): where it is, to name a bad value's field.
	loop   string  // the loop of the fields being walked
	steps  [6]step // the path below the claim of the record being walked
	nsteps int     // of steps in use
}

// step is one part of a path: a field (index < 0) or an element of a list.
type step struct {
	name  string
	index int
}

// path returns the claim's path, claims[i].
func (cc *claimCheck) path() billing.Path {
	if cc.pp == "" {
		cc.pp = billing.ClaimPath(cc.i)
	}
	return cc.pp
}

func (cc *claimCheck) bad(path billing.Path, where string, err error, format string, args ...any) {
	cc.probs = append(cc.probs, &billing.Problem{Path: path, Where: where, Err: fmt.Errorf("%w: %s", err, fmt.Sprintf(format, args...))})
}

// patientLoop is the loop of the patient's name: 2010BA when the patient is the
// subscriber of the billed coverage, 2010CA otherwise.
func (cc *claimCheck) patientLoop() string {
	if k, ok := cc.c.BilledCoverage(); ok && !cc.c.PatientIsSubscriber(k) {
		return "2010CA"
	}
	return "2010BA"
}

// claim checks everything but the text of the fields (walkTexts).
func (cc *claimCheck) claim() {
	c := cc.c
	if c.PatientControlNumber == "" {
		cc.bad(cc.path().Field("patient_control_number"), "2300 CLM01", ErrRequired, "the patient control number (CLM01)")
	}
	if c.PlaceOfService == "" {
		cc.bad(cc.path().Field("place_of_service"), "2300 CLM05-1", ErrRequired, "the place of service (CLM05-1)")
	}
	if c.Frequency.ReplacesClaim() && c.OriginalPayerClaimNumber == "" {
		cc.bad(cc.path().Field("original_payer_claim_number"), "2300 REF*F8 REF02", ErrRequired,
			"the payer's claim number of the claim replaced or voided (REF*F8, required with frequency 7 or 8)")
	}
	cc.relatedCauses()
	if c.Dates != (billing.Dates{}) {
		for f := fieldOnset; f <= fieldDischarge; f++ {
			if d := *claimDate(&c.Dates, f); !d.IsZero() && !d.Valid() {
				cc.bad(cc.path().Field(fieldPath[f]), "2300 DTP*"+fieldQualifier[f]+" DTP03", ErrInvalid, "not a date")
			}
		}
	}
	switch n := len(c.Diagnoses); {
	case n == 0:
		cc.bad(cc.path().Field("diagnoses"), "2300 HI01-2", ErrRequired, "at least one diagnosis (HI)")
	case n > 12:
		cc.bad(cc.path().Field("diagnoses"), "2300 HI", ErrTooMany, "at most 12 diagnoses, not %d", n)
	}
	for n, d := range c.Diagnoses {
		if d.Code == "" {
			cc.bad(cc.path().At("diagnoses", n).Field("code"), fmt.Sprintf("2300 HI%02d-2", n+1), ErrRequired, "the diagnosis code")
		}
	}

	bp := &c.BillingProvider
	if bp.Name == "" {
		cc.bad(cc.path().Field("billing_provider.name"), "2010AA NM103", ErrRequired, "the billing provider's name (2010AA NM103)")
	}
	if bp.TaxID == "" {
		cc.bad(cc.path().Field("billing_provider.tax_id"), "2010AA REF02", ErrRequired, "the billing provider's tax id (2010AA REF*EI)")
	}
	if bp.Address.Line1 == "" || bp.Address.City == "" {
		cc.bad(cc.path().Field("billing_provider.address"), "2010AA N301", ErrRequired, "the billing provider's street address and city (2010AA N3, N4)")
	}
	if a := c.PayToAddress; a != nil && (a.Line1 == "" || a.City == "") {
		cc.bad(cc.path().Field("pay_to_address"), "2010AB N301", ErrRequired, "the pay-to address and city (2010AB N3, N4)")
	}
	for _, pr := range []struct {
		name, loop string
		p          *billing.Provider
	}{{"referring_provider", "2310A", c.ReferringProvider}, {"rendering_provider", "2310B", c.RenderingProvider},
		{"service_facility", "2310C", c.ServiceFacility}, {"supervising_provider", "2310D", c.SupervisingProvider}} {
		if pr.p != nil && pr.p.Name == "" {
			cc.bad(cc.path().Field(pr.name).Field("name"), pr.loop+" NM103", ErrRequired, "the provider's name or last name (NM103)")
		}
	}
	for _, pr := range []struct {
		name, loop string
		p          *billing.Provider
	}{{"billing_provider", "2010AA", bp}, {"rendering_provider", "2310B", c.RenderingProvider}} {
		if pr.p != nil && !validEntity(pr.p) {
			cc.bad(cc.path().Field(pr.name).Field("entity_type"), pr.loop+" NM102", ErrInvalid, "a provider is a person or an organization (NM102 1 or 2)")
		}
	}
	if f := c.ServiceFacility; f != nil && (f.Address.Line1 == "" || f.Address.City == "") {
		cc.bad(cc.path().Field("service_facility.address"), "2310C N301", ErrRequired, "the service facility's street address and city (2310C N3, N4)")
	}

	cc.patient()
	if len(c.Coverages) > 11 {
		cc.bad(cc.path().Field("coverages"), "2320 SBR", ErrTooMany, "at most 10 other payers (2320)")
	}
	billed, _ := c.BilledCoverage()
	for k := range c.Coverages {
		cc.coverage(k, k == billed)
	}

	switch n := len(c.Lines); {
	case n == 0:
		cc.bad(cc.path().Field("lines"), "2400 LX01", ErrRequired, "at least one service line")
	case n > 50:
		cc.bad(cc.path().Field("lines"), "2400 LX01", ErrTooMany, "at most 50 service lines, not %d", n)
	}
	for j := range c.Lines {
		cc.line(j)
	}
}

// validEntity reports whether the provider's NM102 (Provider.Code) is 1 or 2.
func validEntity(p *billing.Provider) bool {
	c := p.Code()
	return c == string(billing.EntityPerson) || c == string(billing.EntityOrganization)
}

// relatedCauses checks CLM11: at most two related causes from the guide's list, and
// an accident state or country only with a related cause (CLM11-1 is required when
// CLM11 is sent).
func (cc *claimCheck) relatedCauses() {
	c := cc.c
	if len(c.RelatedCauses) > 2 {
		cc.bad(cc.path().Field("related_causes"), "2300 CLM11", ErrTooMany, "at most 2 related causes (CLM11)")
	}
	for n, rc := range c.RelatedCauses[:min(len(c.RelatedCauses), 2)] {
		if !slices.Contains(cc.rules.relatedCause.Codes, rc) {
			cc.bad(cc.path().At("related_causes", n), "2300 CLM11-"+strconv.Itoa(n+1), ErrInvalid,
				"a related cause is AA (auto accident), EM (employment) or OA (other accident)")
		}
	}
	if len(c.RelatedCauses) == 0 && (c.AccidentState != "" || c.AccidentCountry != "") {
		cc.bad(cc.path().Field("related_causes"), "2300 CLM11-1", ErrRequired,
			"a related cause (CLM11-1: AA, EM or OA) for the accident state or country (CLM11-4, CLM11-5)")
	}
}

// patient checks the patient: a last name, a valid birth date and gender code, and,
// as 2010BA (the patient is the subscriber) or 2010CA requires, an address and a
// birth date.
func (cc *claimCheck) patient() {
	c := cc.c
	p := &c.Patient
	loop := cc.patientLoop()
	if p.LastName == "" {
		cc.bad(cc.path().Field("patient.last_name"), loop+" NM103", ErrRequired, "the patient's last name")
	}
	if d := p.BirthDate; !d.IsZero() && !d.Valid() {
		cc.bad(cc.path().Field("patient.birth_date"), loop+" DMG02", ErrInvalid, "not a date")
	}
	if !p.BirthDate.IsZero() && !cc.validGender(p) {
		cc.bad(cc.path().Field("patient.gender"), loop+" DMG03", ErrInvalid, "the gender code is F, M or U (DMG03)")
	}
	if _, ok := c.BilledCoverage(); !ok {
		cc.bad(cc.path().Field("coverages"), "2000B SBR", ErrRequired, "a coverage without adjudication to bill the claim to")
		return
	}
	why := "required when the patient is not the subscriber"
	if loop == "2010BA" {
		why = "required when the patient is the subscriber"
	}
	a := &p.Address
	if a.Line1 == "" || a.City == "" {
		cc.bad(cc.path().Field("patient.address"), loop+" N301", ErrRequired, "the patient's address and city (%s N3, N4: %s)", loop, why)
	} else if a.IsUS() {
		if a.State == "" {
			cc.bad(cc.path().Field("patient.address.state"), loop+" N402", ErrRequired, "the state of the patient's address (%s N402: required for a US address)", loop)
		}
		if a.PostalCode == "" {
			cc.bad(cc.path().Field("patient.address.postal_code"), loop+" N403", ErrRequired, "the ZIP code of the patient's address (%s N403: required for a US address)", loop)
		}
	}
	if p.BirthDate.IsZero() {
		cc.bad(cc.path().Field("patient.birth_date"), loop+" DMG02", ErrRequired, "the patient's birth date (%s DMG: %s)", loop, why)
	}
}

// validGender reports whether the person's gender is empty (Build writes U) or one
// of the guide's DMG03 codes (F, M, U).
func (cc *claimCheck) validGender(p *billing.Person) bool {
	return p.Gender == "" || slices.Contains(cc.rules.gender.Codes, p.Gender)
}

// coverage checks coverage k: the billed one (2000B, 2010BA, 2010BB, and 2000C when
// the patient is not the subscriber) or another payer's (2320, 2330A, 2330B).
func (cc *claimCheck) coverage(k int, billed bool) {
	c := cc.c
	cov := &c.Coverages[k]
	subLoop, payerLoop, relWhere := "2330A", "2330B", "2320 SBR02"
	rel := cc.rules.otherRelationship
	if billed {
		subLoop, payerLoop, relWhere = "2010BA", "2010BB", "2000C PAT01"
		rel = cc.rules.patientRelationship
	}
	at := func() billing.Path { return cc.path().At("coverages", k) }
	if cov.Payer.Name == "" || cov.Payer.ID == "" {
		cc.bad(at().Field("payer"), payerLoop+" NM103", ErrRequired, "the payer's name and id")
	}
	if cov.MemberID == "" {
		cc.bad(at().Field("member_id"), subLoop+" NM109", ErrRequired, "the subscriber's member id")
	}
	switch {
	case !cov.Subscriber.IsZero():
		if cov.Subscriber.LastName == "" {
			cc.bad(at().Field("subscriber.last_name"), subLoop+" NM103", ErrRequired, "the subscriber's last name")
		}
		if cov.Relationship == "" {
			cc.bad(at().Field("relationship"), relWhere, ErrRequired, "the patient's relationship to the subscriber")
		}
		if d := cov.Subscriber.BirthDate; !d.IsZero() && !d.Valid() {
			cc.bad(at().Field("subscriber.birth_date"), subLoop+" DMG02", ErrInvalid, "not a date")
		}
		if cov.Relationship == billing.RelationshipSelf && cov.Subscriber != c.Patient {
			cc.bad(at().Field("subscriber"), subLoop+" NM1", ErrInvalid, "relationship 18 (self) with a subscriber who is not the patient")
		}
		if billed && cov.Relationship != billing.RelationshipSelf && !cov.Subscriber.BirthDate.IsZero() && !cc.validGender(&cov.Subscriber) {
			cc.bad(at().Field("subscriber.gender"), subLoop+" DMG03", ErrInvalid, "the gender code is F, M or U (DMG03)")
		}
	case cov.Relationship != "" && cov.Relationship != billing.RelationshipSelf:
		// The patient is someone else's dependent, and that someone is not given:
		// the 837P would name the patient as her own subscriber.
		cc.bad(at().Field("subscriber"), subLoop+" NM1", ErrRequired,
			"the subscriber: the relationship %s says the patient is not the subscriber", relationshipCode(cov.Relationship))
	}
	if r := cov.Relationship; r != "" && r != billing.RelationshipSelf && !slices.Contains(rel.Codes, r) {
		cc.bad(at().Field("relationship"), relWhere, ErrInvalid,
			"the relationship is 18 (self), 01 (spouse), 19 (child), 20 (employee), 21 (unknown), 39 (organ donor), 40 (cadaver donor), 53 (life partner) or G8 (other), not %s",
			relationshipCode(r))
	}
	if a := cov.Adjudication; a != nil {
		cc.adjudication(a, k)
		if e := sharedPayerID(c, k); e >= 0 {
			cc.bad(at().Field("payer").Field("id"), "2330B NM109", ErrInvalid,
				"earlier payers %d and %d share the payer id %s (2330B NM109), and a line adjudication (2430 SVD01) must name its payer unambiguously: give each payer its own id",
				e+1, k+1, cov.Payer.ID)
		}
	}
}

// relationshipCode quotes a relationship code for a message when it is short and
// printable (a code, not a name put in the wrong field).
func relationshipCode(r string) string {
	if len(r) <= 3 {
		return strconv.Quote(r)
	}
	return "given"
}

// line checks line j.
func (cc *claimCheck) line(j int) {
	c := cc.c
	l := &c.Lines[j]
	at := func() billing.Path { return cc.path().At("lines", j) }
	if l.Procedure.Code == "" {
		cc.bad(at().Field("procedure.code"), "2400 SV101-2", ErrRequired, "the procedure code (SV101-2)")
	}
	if len(l.Procedure.Modifiers) > 4 {
		cc.bad(at().Field("procedure.modifiers"), "2400 SV101-3", ErrTooMany, "at most 4 modifiers")
	}
	if !cc.fits(l.Units, cc.rules.units) {
		cc.bad(at().Field("units"), "2400 SV104", ErrInvalid, "a service unit count has at most %d digits (SV104)", cc.rules.units.Max)
	}
	if len(l.DiagnosisPointers) > 4 {
		cc.bad(at().Field("diagnosis_pointers"), "2400 SV107", ErrTooMany, "at most 4 diagnosis pointers")
	}
	for n, v := range l.DiagnosisPointers {
		if v < 1 || v > 12 {
			cc.bad(at().At("diagnosis_pointers", n), "2400 SV107-"+strconv.Itoa(n+1), ErrInvalid, "a diagnosis pointer is 1-12, not %d", v)
		}
	}
	sd := l.ServiceDates
	switch {
	case sd.From.IsZero():
		cc.bad(at().Field("service_dates.from"), "2400 DTP*472 DTP03", ErrRequired, "the date of service (DTP*472)")
	case !sd.From.Valid():
		cc.bad(at().Field("service_dates.from"), "2400 DTP*472 DTP03", ErrInvalid, "not a date")
	case !sd.To.IsZero() && !sd.To.Valid():
		cc.bad(at().Field("service_dates.to"), "2400 DTP*472 DTP03", ErrInvalid, "not a date")
	case sd.To.Before(sd.From) && !sd.To.IsZero():
		cc.bad(at().Field("service_dates.to"), "2400 DTP*472 DTP03", ErrInvalid, "the last date of service is before the first")
	}
	if id := l.ControlNumber; id != "" {
		if len(id) > 30 {
			cc.bad(at().Field("control_number"), "2400 REF*6R REF02", ErrInvalid, "a line item control number has at most 30 characters")
		}
		for _, o := range c.Lines[:j] {
			if o.ControlNumber == id {
				cc.bad(at().Field("control_number"), "2400 REF*6R REF02", ErrInvalid, "line item control numbers must be unique within the claim")
				break
			}
		}
	}
	if d := l.Drug; d != nil {
		if d.NDC == "" {
			cc.bad(at().Field("drug.ndc"), "2410 LIN03", ErrRequired, "the national drug code (LIN03)")
		}
		switch {
		case d.Quantity <= 0:
			cc.bad(at().Field("drug.quantity"), "2410 CTP04", ErrRequired, "the drug quantity (CTP04)")
		case !cc.fits(d.Quantity, cc.rules.drugQuantity):
			cc.bad(at().Field("drug.quantity"), "2410 CTP04", ErrInvalid, "a drug quantity has at most %d digits (CTP04)", cc.rules.drugQuantity.Max)
		}
	}
	if r := l.RenderingProvider; r != nil && r.Name == "" {
		cc.bad(at().Field("rendering_provider.name"), "2420A NM103", ErrRequired, "the provider's name or last name (NM103)")
	}
	if r := l.RenderingProvider; r != nil && !validEntity(r) {
		cc.bad(at().Field("rendering_provider.entity_type"), "2420A NM102", ErrInvalid, "a provider is a person or an organization (NM102 1 or 2)")
	}
}

// fits reports whether a quantity has no more digits than the element allows (X12
// counts the digits of a decimal, not its sign or point).
func (cc *claimCheck) fits(q billing.Quantity, el *guide.Element) bool {
	var buf [24]byte
	n := 0
	for _, b := range q.AppendText(buf[:0]) {
		if b >= '0' && b <= '9' {
			n++
		}
	}
	return n <= el.Max
}

// adjudication checks what an earlier payer (coverage k) decided.
func (cc *claimCheck) adjudication(a *billing.OtherPayerAdjudication, k int) {
	c := cc.c
	at := func() billing.Path { return cc.path().At("coverages", k).Field("adjudication") }
	if n := casSegments(a.Adjustments); n > 5 {
		cc.bad(at().Field("adjustments"), "2320 CAS", ErrTooMany, "the adjustments need %d CAS segments; at most 5", n)
	}
	for _, r := range a.Adjustments {
		if r.Group == "" || r.Reason == "" {
			cc.bad(at().Field("adjustments"), "2320 CAS", ErrRequired, "an adjustment needs a group and a reason")
			break
		}
	}
	if len(a.RemarkCodes) > 5 {
		cc.bad(at().Field("remark_codes"), "2320 MOA", ErrTooMany, "at most 5 remark codes (MOA03-07)")
	}
	switch d := a.Date; {
	case !d.IsZero() && !d.Valid():
		cc.bad(at().Field("date"), "2330B DTP*573 DTP03", ErrInvalid, "not a date")
	case d.IsZero() && len(a.Lines) == 0 && a.NonCoveredAmount == 0:
		cc.bad(at().Field("date"), "2330B DTP*573 DTP03", ErrRequired, "the adjudication date (2330B DTP*573: required when the payer adjudicated the claim and no line adjudication (2430) is sent)")
	}
	if a.NonCoveredAmount != 0 {
		cc.costAvoidance(a, at)
	}
	for n := range a.Lines {
		la := &a.Lines[n]
		lat := func() billing.Path { return at().At("lines", n) }
		if la.Line < 1 || la.Line > len(c.Lines) {
			cc.bad(lat().Field("line"), "2430 SVD", ErrInvalid, "no line %d in the claim", la.Line)
		}
		switch d := la.Date; {
		case d.IsZero() && a.Date.IsZero():
			cc.bad(lat().Field("date"), "2430 DTP*573 DTP03", ErrRequired, "the adjudication date (2430 DTP*573)")
		case !d.IsZero() && !d.Valid():
			cc.bad(lat().Field("date"), "2430 DTP*573 DTP03", ErrInvalid, "not a date")
		}
		if cnt := casSegments(la.Adjustments); cnt > 5 {
			cc.bad(lat().Field("adjustments"), "2430 CAS", ErrTooMany, "the adjustments need %d CAS segments; at most 5", cnt)
		}
		if len(la.Procedure.Modifiers) > 4 {
			cc.bad(lat().Field("procedure.modifiers"), "2430 SVD03-3", ErrTooMany, "at most 4 modifiers")
		}
		if !cc.fits(la.Units, cc.rules.paidUnits) {
			cc.bad(lat().Field("units"), "2430 SVD05", ErrInvalid, "a paid unit count has at most %d digits (SVD05)", cc.rules.paidUnits.Max)
		}
	}
}

// costAvoidance checks a payer bypassed under cost-avoidance rules: 2320 AMT*A8
// equals CLM02 and stands alone, without AMT*D, CAS, AMT*EAF or 2430 (the payer
// adjudicated nothing).
func (cc *claimCheck) costAvoidance(a *billing.OtherPayerAdjudication, at func() billing.Path) {
	c := cc.c
	bad := func(field, where string, format string, args ...any) {
		cc.bad(at().Field(field), where, ErrInvalid, format, args...)
	}
	charge := c.Charge
	if charge == 0 {
		charge = c.LineTotal()
	}
	if a.NonCoveredAmount != charge {
		bad("non_covered_amount", "2320 AMT*A8 AMT02", "the total non-covered amount (2320 AMT*A8) %s of a payer bypassed under cost avoidance must equal the claim charge (CLM02) %s",
			a.NonCoveredAmount, charge)
	}
	const why = "not sent for a payer bypassed under cost avoidance (2320 AMT*A8)"
	if a.PaidAmount != 0 {
		bad("paid_amount", "2320 AMT*D AMT02", "a paid amount (AMT*D) is %s", why)
	}
	if len(a.Adjustments) > 0 {
		bad("adjustments", "2320 CAS", "adjustments (CAS) are %s", why)
	}
	if a.RemainingPatientLiability != nil {
		bad("remaining_patient_liability", "2320 AMT*EAF AMT02", "the remaining patient liability (AMT*EAF) is %s", why)
	}
	if len(a.Lines) > 0 {
		bad("lines", "2430 SVD", "line adjudications (2430) are %s", why)
	}
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

// limits are the code lists and lengths of the 837P guide (edi/guide) that Check
// holds claim values to.
type limits struct {
	patientRelationship *guide.Element // 2000C PAT01
	otherRelationship   *guide.Element // 2320 SBR02
	gender              *guide.Element // DMG03 (2010BA and 2010CA)
	relatedCause        *guide.Element // CLM11-1
	units               *guide.Element // SV104
	paidUnits           *guide.Element // SVD05
	drugQuantity        *guide.Element // CTP04
}

// guideRules reads the limits from the 837P guide, once.
var guideRules = sync.OnceValue(func() *limits {
	g := guide.MustDefault().ByName("837P")
	if g == nil {
		panic("x837p: the guide registry has no 837P guide")
	}
	return &limits{
		patientRelationship: guideElement(g, "2000C", "PAT", 1, 0),
		otherRelationship:   guideElement(g, "2320", "SBR", 2, 0),
		gender:              guideElement(g, "2010CA", "DMG", 3, 0),
		relatedCause:        guideElement(g, "2300", "CLM", 11, 1),
		units:               guideElement(g, "2400", "SV1", 4, 0),
		paidUnits:           guideElement(g, "2430", "SVD", 5, 0),
		drugQuantity:        guideElement(g, "2410", "CTP", 4, 0),
	}
})

// guideElement returns element pos (component comp when not 0) of the first segment
// segID of the loop. The guide is embedded: a missing element is a programming error.
func guideElement(g *guide.Guide, loopID, segID string, pos, comp int) *guide.Element {
	if l := g.LoopByID(loopID); l != nil {
		for _, it := range l.Items {
			if s := it.Segment; s != nil && s.ID == segID && pos <= len(s.Elements) {
				e := s.Elements[pos-1]
				if comp > 0 {
					e = e.Components[comp-1]
				}
				return e
			}
		}
	}
	panic(fmt.Sprintf("x837p: the 837P guide has no %s %s%02d in loop %s", segID, segID, pos, loopID))
}
