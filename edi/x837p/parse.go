package x837p

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
)

// ErrNot837P is returned, wrapped, when the input holds no 837P transaction set.
var ErrNot837P = errors.New("no 837P (005010X222) transaction set")

// Parse reads the claims of an 837P file, ours or another system's: every claim of
// every transaction set, in file order, normalized (billing.Claim.Normalize; CLM02 is
// kept as the file gives it). Parsing is lenient: a file that breaks the guide
// (validate it with guide.Validate) still gives its claims. Values that cannot be
// read (an amount or a date that is not one) are left empty and reported as
// billing.Problems with the claims; a syntax error that stops the reading is
// returned with the claims read before it. Transaction sets other than 837P are
// skipped; a file without any gives ErrNot837P.
func Parse(r io.Reader) ([]billing.Claim, error) {
	reg, err := guide.Default()
	if err != nil {
		return nil, fmt.Errorf("parsing 837P: %w", err)
	}
	p := &parser{}
	_, err = guide.ReadTransactions(r, reg, func(t *guide.Transaction) error {
		p.transaction(t)
		return nil
	})
	if err != nil {
		return p.claims, fmt.Errorf("parsing 837P: %w", err)
	}
	if p.sets == 0 {
		if p.others > 0 {
			return nil, fmt.Errorf("parsing 837P: %w: the file holds %s", ErrNot837P, p.otherDesc)
		}
		return nil, fmt.Errorf("parsing 837P: %w", ErrNot837P)
	}
	return p.claims, p.probs.Err()
}

type parser struct {
	claims    []billing.Claim
	probs     billing.Problems
	sets      int
	others    int
	otherDesc string
	st02      string
	ref       SegmentRef // the context of the segment being read, for problem paths
}

// problem records a value that could not be read.
func (p *parser) problem(seg *x12.Segment, el, comp int, err error) {
	var path billing.Path
	if p.ref.Claim >= 0 {
		path = p.ref.path(seg.ID, el, comp)
	}
	pos := fmt.Sprintf("%s%02d", seg.ID, el)
	if comp > 0 {
		pos += "-" + strconv.Itoa(comp)
	}
	p.probs = append(p.probs, &billing.Problem{Path: path,
		Where: fmt.Sprintf("ST %s segment %d, %s", p.st02, seg.STOrdinal, pos), Err: err})
}

func (p *parser) cents(seg *x12.Segment, el int) billing.Money {
	v := seg.Element(el)
	if len(v) == 0 {
		return 0
	}
	c, err := x12.ParseCents(v)
	if err != nil {
		p.problem(seg, el, 0, err)
	}
	return billing.Money(c)
}

func (p *parser) quantity(seg *x12.Segment, el int) billing.Quantity {
	v := seg.Value(el)
	if v == "" {
		return 0
	}
	q, err := billing.ParseQuantity(v)
	if err != nil {
		p.problem(seg, el, 0, err)
	}
	return q
}

func (p *parser) date(seg *x12.Segment, el int, v string) billing.Date {
	if v == "" {
		return billing.Date{}
	}
	d, err := billing.ParseX12Date(v)
	if err != nil {
		p.problem(seg, el, 0, err)
	}
	return d
}

// period reads a DTP's date: D8 or RD8 (CCYYMMDD-CCYYMMDD).
func (p *parser) period(seg *x12.Segment) billing.Period {
	v := seg.Value(3)
	if seg.Value(2) == "RD8" && len(v) == 17 && v[8] == '-' {
		return billing.Period{From: p.date(seg, 3, v[:8]), To: p.date(seg, 3, v[9:])}
	}
	return billing.Period{From: p.date(seg, 3, v)}
}

func (p *parser) transaction(t *guide.Transaction) {
	if t.ST01 != "837" || t.Guide == nil || t.Guide.Name != "837P" || t.Root == nil {
		p.others++
		if p.otherDesc == "" {
			p.otherDesc = fmt.Sprintf("transaction set %s version %s", t.ST01, t.Version)
		}
		return
	}
	p.sets++
	p.st02 = t.ST02
	for _, a := range t.Root.Loops("2000A") {
		p.billingLevel(a)
	}
}

// billingLevel reads a 2000A loop and everything under it.
func (p *parser) billingLevel(a *guide.Node) {
	var bp billing.Provider
	var payTo *billing.Address
	p.ref = SegmentRef{Claim: int32(len(p.claims)), Line: -1, Other: -1, Loop: Loop2010AA}
	if prv := a.Segment("PRV", 1, "BI"); prv != nil {
		bp.Taxonomy = prv.Value(3)
	}
	if n := first(a.Loops("2010AA")); n != nil {
		p.provider(&bp, n)
		if ref := n.Segment("REF", 1, "EI", "SY"); ref != nil {
			bp.TaxIDType, bp.TaxID = ref.Value(1), ref.Value(2)
		}
		if per := n.Segment("PER", 0); per != nil {
			bp.Contact = contact(per)
		}
	}
	if n := first(a.Loops("2010AB")); n != nil {
		addr := address(n)
		payTo = &addr
	}
	for _, b := range a.Loops("2000B") {
		p.subscriberLevel(b, &bp, payTo)
	}
}

// subscriber is what a 2000B loop says about the billed coverage.
type subscriber struct {
	cov    billing.Coverage
	person billing.Person
}

func (p *parser) subscriberLevel(b *guide.Node, bp *billing.Provider, payTo *billing.Address) {
	var s subscriber
	p.ref = SegmentRef{Claim: int32(len(p.claims)), Line: -1, Other: 0, Loop: Loop2010BA}
	if sbr := b.Segment("SBR", 0); sbr != nil {
		s.cov = coverageFromSBR(sbr)
	}
	if len(b.Loops("2300")) > 0 {
		p.ref.field = fieldIsPatient // the subscriber is the patient of these claims
	}
	if n := first(b.Loops("2010BA")); n != nil {
		if nm1 := n.Segment("NM1", 0); nm1 != nil {
			s.cov.MemberID = nm1.Value(9)
		}
		s.person = p.person(n)
	}
	p.ref.field = 0
	if n := first(b.Loops("2010BB")); n != nil {
		s.cov.Payer = payer(n)
		s.cov.Payer.Address = address(n)
	}
	for _, c := range b.Loops("2300") {
		cov := s.cov
		cov.Relationship = billing.RelationshipSelf
		p.claim(c, bp, payTo, s.person, cov)
	}
	for _, pl := range b.Loops("2000C") {
		cov := s.cov
		cov.Subscriber = s.person
		p.ref.Loop = Loop2010CA
		var patient billing.Person
		if pat := pl.Segment("PAT", 0); pat != nil {
			cov.Relationship = pat.Value(1)
		}
		if n := first(pl.Loops("2010CA")); n != nil {
			patient = p.person(n)
		}
		for _, c := range pl.Loops("2300") {
			p.claim(c, bp, payTo, patient, cov)
		}
	}
}

func coverageFromSBR(sbr *x12.Segment) billing.Coverage {
	return billing.Coverage{
		Responsibility: sbr.Value(1), Relationship: sbr.Value(2), GroupNumber: sbr.Value(3),
		GroupName: sbr.Value(4), InsuranceType: sbr.Value(5), FilingIndicator: sbr.Value(9),
	}
}

func first(ns []*guide.Node) *guide.Node {
	if len(ns) == 0 {
		return nil
	}
	return ns[0]
}

// address reads the N3 and N4 of a loop.
func address(n *guide.Node) billing.Address {
	var a billing.Address
	if n3 := n.Segment("N3", 0); n3 != nil {
		a.Line1, a.Line2 = n3.Value(1), n3.Value(2)
	}
	if n4 := n.Segment("N4", 0); n4 != nil {
		a.City, a.State, a.PostalCode, a.Country, a.CountrySubdivision = n4.Value(1), n4.Value(2), n4.Value(3), n4.Value(4), n4.Value(7)
	}
	return a
}

func contact(per *x12.Segment) billing.Contact {
	c := billing.Contact{Name: per.Value(2)}
	for i := 3; i <= 7; i += 2 {
		switch per.Value(i) {
		case "TE":
			if c.Phone == "" {
				c.Phone = per.Value(i + 1)
			}
		case "EM":
			if c.Email == "" {
				c.Email = per.Value(i + 1)
			}
		}
	}
	return c
}

func payer(n *guide.Node) billing.Payer {
	var py billing.Payer
	if nm1 := n.Segment("NM1", 0); nm1 != nil {
		py.Name, py.IDQualifier, py.ID = nm1.Value(3), nm1.Value(8), nm1.Value(9)
	}
	return py
}

// person reads a name loop: NM1, N3, N4, DMG.
func (p *parser) person(n *guide.Node) billing.Person {
	var ps billing.Person
	if nm1 := n.Segment("NM1", 0); nm1 != nil {
		ps.LastName, ps.FirstName, ps.MiddleName, ps.Suffix = nm1.Value(3), nm1.Value(4), nm1.Value(5), nm1.Value(7)
	}
	ps.Address = address(n)
	if dmg := n.Segment("DMG", 0); dmg != nil {
		ps.BirthDate = p.date(dmg, 2, dmg.Value(2))
		ps.Gender = dmg.Value(3)
	}
	return ps
}

// provider reads a provider's NM1, PRV, N3 and N4.
func (p *parser) provider(pr *billing.Provider, n *guide.Node) {
	if nm1 := n.Segment("NM1", 0); nm1 != nil {
		pr.EntityType = billing.EntityType(nm1.Value(2))
		pr.Name, pr.FirstName, pr.MiddleName, pr.Suffix = nm1.Value(3), nm1.Value(4), nm1.Value(5), nm1.Value(7)
		if nm1.Value(8) == "XX" {
			pr.NPI = nm1.Value(9)
		}
	}
	if prv := n.Segment("PRV", 0); prv != nil {
		pr.Taxonomy = prv.Value(3)
	}
	pr.Address = address(n)
}

func (p *parser) providerLoop(n *guide.Node, loop Loop) *billing.Provider {
	if n == nil {
		return nil
	}
	p.ref.Loop = loop
	pr := &billing.Provider{}
	p.provider(pr, n)
	return pr
}

// responsibilityRank orders coverages by SBR01: P, S, T, A-H, U.
func responsibilityRank(r string) int {
	switch r {
	case "P":
		return 0
	case "S":
		return 1
	case "T":
		return 2
	case "U":
		return 11
	}
	if len(r) == 1 && r[0] >= 'A' && r[0] <= 'H' {
		return 3 + int(r[0]-'A')
	}
	return 12
}

// otherPayer is a 2320 loop being read, with its position before sorting.
type otherPayer struct {
	cov    billing.Coverage
	billed bool
}

// claim reads a 2300 loop.
func (p *parser) claim(n *guide.Node, bp *billing.Provider, payTo *billing.Address, patient billing.Person, billed billing.Coverage) {
	ci := len(p.claims)
	c := billing.Claim{BillingProvider: *bp, Patient: patient}
	if payTo != nil {
		a := *payTo
		c.PayToAddress = &a
	}
	p.ref = SegmentRef{Claim: int32(ci), Line: -1, Other: -1, Loop: Loop2300}
	if clm := n.Segment("CLM", 0); clm != nil {
		c.PatientControlNumber = clm.Value(1)
		c.Charge = p.cents(clm, 2)
		c.PlaceOfService = string(clm.Component(5, 1))
		c.Frequency = billing.Frequency(clm.Component(5, 3))
		c.ProviderSignature, c.Assignment = clm.Value(6), clm.Value(7)
		c.BenefitsAssignment, c.ReleaseOfInformation = clm.Value(8), clm.Value(9)
		c.PatientSignatureSource = clm.Value(10)
		for j := 1; j <= 2; j++ {
			if v := clm.Component(11, j); len(v) > 0 {
				c.RelatedCauses = append(c.RelatedCauses, string(v))
			}
		}
		c.AccidentState, c.AccidentCountry = string(clm.Component(11, 4)), string(clm.Component(11, 5))
		c.SpecialProgram, c.DelayReason = clm.Value(12), clm.Value(20)
	}
	for _, dtp := range n.Segments("DTP") {
		p.claimDate(&c.Dates, dtp)
	}
	if amt := n.Segment("AMT", 1, "F5"); amt != nil {
		c.PatientPaid = p.cents(amt, 2)
	}
	for _, ref := range n.Segments("REF") {
		switch ref.Value(1) {
		case "9F":
			c.Authorization.Referral = ref.Value(2)
		case "G1":
			c.Authorization.PriorAuthorization = ref.Value(2)
		case "F8":
			c.OriginalPayerClaimNumber = ref.Value(2)
		case "X4":
			c.CLIANumber = ref.Value(2)
		case "EA":
			c.MedicalRecordNumber = ref.Value(2)
		}
	}
	if nte := n.Segment("NTE", 0); nte != nil {
		c.Note = billing.Note{Code: nte.Value(1), Text: nte.Value(2)}
	}
	for _, hi := range n.Segments("HI") {
		if q := string(hi.Component(1, 1)); q != "ABK" && q != "BK" {
			continue // anesthesia procedures (BP) and condition codes (BG)
		}
		for el := 1; el <= hi.Len(); el++ {
			q, code := string(hi.Component(el, 1)), string(hi.Component(el, 2))
			if code == "" {
				continue
			}
			c.Diagnoses = append(c.Diagnoses, billing.Diagnosis{Code: code, ICD9: q == "BK" || q == "BF"})
		}
		break
	}
	c.ReferringProvider = p.providerLoop(first(n.Loops("2310A")), Loop2310A)
	c.RenderingProvider = p.providerLoop(first(n.Loops("2310B")), Loop2310B)
	c.ServiceFacility = p.providerLoop(first(n.Loops("2310C")), Loop2310C)
	c.SupervisingProvider = p.providerLoop(first(n.Loops("2310D")), Loop2310D)

	covs := []otherPayer{{cov: billed, billed: true}}
	for _, o := range n.Loops("2320") {
		p.ref.Other = int8(len(covs))
		covs = append(covs, otherPayer{cov: p.otherPayer(o, &billed)})
	}
	p.ref.Other = -1
	slices.SortStableFunc(covs, func(a, b otherPayer) int {
		return responsibilityRank(a.cov.Responsibility) - responsibilityRank(b.cov.Responsibility)
	})
	seenBilled := false
	for _, o := range covs {
		if o.billed {
			seenBilled = true
		} else if !seenBilled && o.cov.Adjudication == nil {
			// A payer ahead of the billed one has adjudicated the claim, even when the
			// file says nothing of what it decided.
			o.cov.Adjudication = &billing.OtherPayerAdjudication{}
		}
		c.Coverages = append(c.Coverages, o.cov)
	}

	p.claims = append(p.claims, c) // lines refer to p.claims[ci] from here
	cp := &p.claims[ci]
	for j, l := range n.Loops("2400") {
		p.line(l, cp, j)
	}
	charge := cp.Charge
	cp.Normalize()
	cp.Charge = charge
}

func (p *parser) claimDate(d *billing.Dates, dtp *x12.Segment) {
	q := dtp.Value(1)
	if q == "314" {
		pd := p.period(dtp)
		p.ref.field = fieldDisabilityFrom
		d.DisabilityFrom, d.DisabilityTo = pd.From, pd.To
		p.ref.field = 0
		return
	}
	for f := fieldOnset; f <= fieldDischarge; f++ {
		if fieldQualifier[f] == q {
			p.ref.field = f
			*claimDate(d, f) = p.date(dtp, 3, dtp.Value(3))
			p.ref.field = 0
			return
		}
	}
}

// otherPayer reads a 2320 loop with its 2330A and 2330B.
func (p *parser) otherPayer(n *guide.Node, billed *billing.Coverage) billing.Coverage {
	p.ref.Loop = Loop2320
	var cov billing.Coverage
	if sbr := n.Segment("SBR", 0); sbr != nil {
		cov = coverageFromSBR(sbr)
	}
	var a billing.OtherPayerAdjudication
	adjudicated := false
	if cas := n.Segments("CAS"); len(cas) > 0 {
		a.Adjustments = p.adjustments(cas)
		adjudicated = true
	}
	if amt := n.Segment("AMT", 1, "D"); amt != nil {
		p.ref.field = fieldPaidAmount
		a.PaidAmount = p.cents(amt, 2)
		adjudicated = true
	}
	if amt := n.Segment("AMT", 1, "A8"); amt != nil {
		// Bypassed under cost-avoidance rules: it decided nothing, but it is an
		// earlier payer all the same.
		p.ref.field = fieldNonCoveredAmount
		a.NonCoveredAmount = p.cents(amt, 2)
		adjudicated = true
	}
	if amt := n.Segment("AMT", 1, "EAF"); amt != nil {
		p.ref.field = fieldRemainingLiability
		m := p.cents(amt, 2)
		a.RemainingPatientLiability = &m
		adjudicated = true
	}
	p.ref.field = 0
	if moa := n.Segment("MOA", 0); moa != nil {
		for el := 3; el <= 7; el++ {
			if v := moa.Value(el); v != "" {
				a.RemarkCodes = append(a.RemarkCodes, v)
			}
		}
	}
	if o := first(n.Loops("2330A")); o != nil {
		p.ref.Loop = Loop2330A
		if nm1 := o.Segment("NM1", 0); nm1 != nil {
			cov.MemberID = nm1.Value(9)
		}
		if cov.Relationship != billing.RelationshipSelf {
			cov.Subscriber = p.person(o)
			// 2330A has no DMG: when the other subscriber is the billed coverage's
			// subscriber (one person, two plans), take the birth date and gender there.
			if s := billed.Subscriber; sameName(&s, &cov.Subscriber) && cov.Subscriber.BirthDate.IsZero() {
				cov.Subscriber.BirthDate, cov.Subscriber.Gender = s.BirthDate, s.Gender
			}
		}
	}
	if o := first(n.Loops("2330B")); o != nil {
		p.ref.Loop = Loop2330B
		cov.Payer = payer(o)
		cov.Payer.Address = address(o)
		if dtp := o.Segment("DTP", 1, "573"); dtp != nil {
			a.Date = p.date(dtp, 3, dtp.Value(3))
			adjudicated = true
		}
		if ref := o.Segment("REF", 1, "F8"); ref != nil {
			a.ClaimNumber = ref.Value(2)
		}
	}
	if adjudicated {
		cov.Adjudication = &a
	}
	return cov
}

func (p *parser) adjustments(segs []*x12.Segment) []billing.Adjustment {
	var out []billing.Adjustment
	for _, cas := range segs {
		g := cas.Value(1)
		for el := 2; el+1 <= cas.Len(); el += 3 {
			reason := cas.Value(el)
			if reason == "" {
				continue
			}
			out = append(out, billing.Adjustment{Group: g, Reason: reason, Amount: p.cents(cas, el+1), Quantity: p.quantity(cas, el+2)})
		}
	}
	return out
}

func (p *parser) procedure(seg *x12.Segment, el int) billing.Procedure {
	pr := billing.Procedure{Qualifier: string(seg.Component(el, 1)), Code: string(seg.Component(el, 2)),
		Description: string(seg.Component(el, 7))}
	for j := 3; j <= 6; j++ {
		if m := seg.Component(el, j); len(m) > 0 {
			pr.Modifiers = append(pr.Modifiers, string(m))
		}
	}
	return pr
}

// line reads a 2400 loop into line j of the claim.
func (p *parser) line(n *guide.Node, c *billing.Claim, j int) {
	p.ref = SegmentRef{Claim: p.ref.Claim, Line: int16(j), Other: -1, Loop: Loop2400}
	var l billing.Line
	if sv1 := n.Segment("SV1", 0); sv1 != nil {
		l.Procedure = p.procedure(sv1, 1)
		l.Charge = p.cents(sv1, 2)
		l.Unit = sv1.Value(3)
		l.Units = p.quantity(sv1, 4)
		l.PlaceOfService = sv1.Value(5)
		for k := 1; k <= 4; k++ {
			v := sv1.Component(7, k)
			if len(v) == 0 {
				continue
			}
			ptr, err := strconv.Atoi(string(v))
			if err != nil {
				p.problem(sv1, 7, k, fmt.Errorf("diagnosis pointer %q is not a number", v))
				continue
			}
			l.DiagnosisPointers = append(l.DiagnosisPointers, ptr)
		}
		l.Emergency, l.EPSDT, l.FamilyPlanning = sv1.Value(9) == "Y", sv1.Value(11) == "Y", sv1.Value(12) == "Y"
	}
	if dtp := n.Segment("DTP", 1, "472"); dtp != nil {
		p.ref.field = fieldServiceDates
		l.ServiceDates = p.period(dtp)
		p.ref.field = 0
	}
	for _, ref := range n.Segments("REF") {
		switch ref.Value(1) {
		case "G1":
			if l.Authorization.PriorAuthorization == "" {
				l.Authorization.PriorAuthorization = ref.Value(2)
			}
		case "9F":
			if l.Authorization.Referral == "" {
				l.Authorization.Referral = ref.Value(2)
			}
		case "6R":
			l.ControlNumber = ref.Value(2)
		}
	}
	if nte := n.Segment("NTE", 0); nte != nil {
		l.Note = nte.Value(2)
	}
	if d := first(n.Loops("2410")); d != nil {
		p.ref.Loop = Loop2410
		l.Drug = &billing.Drug{}
		if lin := d.Segment("LIN", 0); lin != nil {
			l.Drug.NDC = lin.Value(3)
		}
		if ctp := d.Segment("CTP", 0); ctp != nil {
			l.Drug.Quantity = p.quantity(ctp, 4)
			l.Drug.Unit = string(ctp.Component(5, 1))
		}
		if ref := d.Segment("REF", 1, "XZ"); ref != nil {
			l.Drug.PrescriptionNumber = ref.Value(2)
		}
	}
	l.RenderingProvider = p.providerLoop(first(n.Loops("2420A")), Loop2420A)
	c.Lines = append(c.Lines, l)
	for _, a := range n.Loops("2430") {
		p.lineAdjudication(a, c, j)
	}
}

// lineAdjudication reads a 2430 loop of line j, for the other payer whose id SVD01
// names (otherPayerOf). A loop whose payer cannot be told is reported and dropped,
// rather than given to a payer that may not have made the decision.
func (p *parser) lineAdjudication(n *guide.Node, c *billing.Claim, j int) {
	svd := n.Segment("SVD", 0)
	if svd == nil {
		return
	}
	k, err := otherPayerOf(c, svd.Value(1))
	if err != nil {
		p.ref.Loop = Loop2400 // nothing was kept: the problem names the line
		p.problem(svd, 1, 0, err)
		return
	}
	cov := &c.Coverages[k]
	if cov.Adjudication == nil {
		cov.Adjudication = &billing.OtherPayerAdjudication{}
	}
	p.ref.Loop, p.ref.Other, p.ref.Adj = Loop2430, int8(k), int16(len(cov.Adjudication.Lines))
	la := billing.LineAdjudication{Line: j + 1, PaidAmount: p.cents(svd, 2), Procedure: p.procedure(svd, 3),
		Units: p.quantity(svd, 5)}
	if v := svd.Value(6); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			la.BundledLine = n
		} else {
			p.problem(svd, 6, 0, fmt.Errorf("bundled line number %q is not a number", v))
		}
	}
	la.Adjustments = p.adjustments(n.Segments("CAS"))
	if dtp := n.Segment("DTP", 1, "573"); dtp != nil {
		la.Date = p.date(dtp, 3, dtp.Value(3))
	}
	if amt := n.Segment("AMT", 1, "EAF"); amt != nil {
		m := p.cents(amt, 2)
		la.RemainingPatientLiability = &m
	}
	cov.Adjudication.Lines = append(cov.Adjudication.Lines, la)
}

// otherPayerOf returns the index of the other payer (2330B NM109) a 2430 SVD01
// names: the one coverage, not the billed one, with that payer id; when several
// have it, the one among them that adjudicated the claim.
func otherPayerOf(c *billing.Claim, id string) (int, error) {
	billed, _ := c.BilledCoverage()
	k, n, adjudicated := -1, 0, 0
	for i := range c.Coverages {
		cov := &c.Coverages[i]
		if i == billed || cov.Payer.ID != id {
			continue
		}
		n++
		if cov.Adjudication != nil {
			adjudicated++
			if adjudicated == 1 {
				k = i
			}
		} else if k < 0 {
			k = i
		}
	}
	switch {
	case n == 0:
		return -1, fmt.Errorf("line adjudication (2430) of payer %q, which is no other payer (2330B NM109) of the claim: dropped", id)
	case adjudicated > 1:
		return -1, fmt.Errorf("line adjudication (2430) of payer %q, the id of %d other payers (2330B NM109) of the claim that adjudicated it: dropped", id, adjudicated)
	case adjudicated == 0 && n > 1:
		return -1, fmt.Errorf("line adjudication (2430) of payer %q, the id of %d other payers (2330B NM109) of the claim: dropped", id, n)
	}
	return k, nil
}

func sameName(a, b *billing.Person) bool {
	return a.LastName != "" && a.LastName == b.LastName && a.FirstName == b.FirstName &&
		a.MiddleName == b.MiddleName && a.Suffix == b.Suffix
}
