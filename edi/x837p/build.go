package x837p

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x12"
)

// Version is the implementation guide of the 837P files built and parsed here.
const Version = "005010X222A1"

// Transaction set size limits.
const (
	DefaultClaimsPerST = 100
	// MaxClaimsPerST is the TR3's recommended maximum of CLM segments per ST-SE.
	MaxClaimsPerST = 5000
)

// ErrOptions is returned, wrapped, for BuildOptions that cannot be honoured.
var ErrOptions = errors.New("invalid 837P build options")

// Party is the submitter (1000A) or the receiver (1000B) of the files.
type Party struct {
	// Name is NM103 of 1000A or 1000B.
	Name string
	// ID is the electronic transmitter identification number (NM109, qualifier 46),
	// and by default also ISA06/ISA08 and GS02/GS03.
	ID string
	// InterchangeQualifier is ISA05/ISA07, "ZZ" (mutually defined) when empty.
	InterchangeQualifier string
	// InterchangeID is ISA06/ISA08 when it differs from ID (at most 15 characters).
	InterchangeID string
	// ApplicationCode is GS02/GS03 when it differs from the interchange id.
	ApplicationCode string
	// Contact is the submitter's EDI contact (1000A PER, required: a phone or an
	// e-mail address). Unused for the receiver.
	Contact billing.Contact
}

func (p Party) interchangeID() string {
	if p.InterchangeID != "" {
		return p.InterchangeID
	}
	return p.ID
}

func (p Party) applicationCode() string {
	if p.ApplicationCode != "" {
		return p.ApplicationCode
	}
	return p.interchangeID()
}

// BuildOptions choose the envelopes of the files Build writes.
type BuildOptions struct {
	Submitter Party // 1000A, ISA06, GS02
	Receiver  Party // 1000B, ISA08, GS03
	// ReceiverFor, when set, routes each claim to a receiver: Build then writes one
	// interchange per receiver, in the order the receivers first appear. Leave it nil
	// to send every claim to Receiver, in one interchange (one file).
	ReceiverFor func(*billing.Claim) Party
	// Test marks the interchanges as test data (ISA15 T); otherwise production (P).
	Test bool
	// AckRequested asks for a TA1 (ISA14 1).
	AckRequested bool
	// ClaimsPerST caps the claims in one transaction set: DefaultClaimsPerST when 0,
	// at most MaxClaimsPerST. A 999 rejects whole transaction sets, so smaller sets
	// make rejections claim-specific.
	ClaimsPerST int
	// Newline writes a line feed after each segment terminator.
	Newline bool
	// Delimiters default to x12.DefaultDelimiters (* ^ : ~).
	Delimiters x12.Delimiters
	// Now gives the time written in ISA09/10, GS04/05 and BHT04/05; time.Now when nil.
	Now func() time.Time
}

func (o *BuildOptions) normalized() (BuildOptions, error) {
	opt := *o
	if opt.ClaimsPerST == 0 {
		opt.ClaimsPerST = DefaultClaimsPerST
	}
	if opt.ClaimsPerST < 0 || opt.ClaimsPerST > MaxClaimsPerST {
		return opt, fmt.Errorf("%w: ClaimsPerST %d is outside 1-%d", ErrOptions, opt.ClaimsPerST, MaxClaimsPerST)
	}
	if opt.Delimiters == (x12.Delimiters{}) {
		opt.Delimiters = x12.DefaultDelimiters
	}
	if err := opt.Delimiters.Validate(); err != nil {
		return opt, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if err := checkParty("Submitter", opt.Submitter); err != nil {
		return opt, err
	}
	if opt.Submitter.Contact.Phone == "" && opt.Submitter.Contact.Email == "" {
		return opt, fmt.Errorf("%w: the submitter needs a contact phone or e-mail address (1000A PER)", ErrOptions)
	}
	if opt.ReceiverFor == nil {
		if err := checkParty("Receiver", opt.Receiver); err != nil {
			return opt, err
		}
	}
	return opt, nil
}

func checkParty(role string, p Party) error {
	switch {
	case p.Name == "" || p.ID == "":
		return fmt.Errorf("%w: %s needs a name and an id", ErrOptions, role)
	case len(p.interchangeID()) > 15:
		return fmt.Errorf("%w: %s interchange id %q is longer than 15 characters", ErrOptions, role, p.interchangeID())
	}
	return nil
}

// Build writes the claims as 837P to w: one interchange per receiver, one group per
// interchange (GS06 = the ISA13 number), transaction sets of claims sharing a billing
// provider and a payer, at most opt.ClaimsPerST each. seq gives the ISA13 numbers
// (storage owns the real sequence: ISA13 must never repeat for a sender).
//
// No claims, no output: Build then writes nothing at all. Claims are written as
// given, with the defaults of billing.Claim.Normalize for empty fields; what the
// 837P sends only when it differs is left out when it does not (SV105 equal to
// CLM05-1, 2310B repeating the billing provider, 2420A repeating the claim's
// rendering provider, 2310C at the billing address, REF*F8 on an original claim,
// N404 US). Claims that cannot be written as a valid 837P (no lines, no diagnosis,
// no coverage to bill, a required field empty, a code the guide does not allow, a
// character outside the X12 character set or a delimiter in a value: see Checker)
// are all reported in one billing.Problems error, every problem naming its field,
// and nothing is written. Should the writer still refuse a value, Build stops with a
// billing.Problems naming that one field, and w may hold part of a file.
func Build(claims []billing.Claim, opt BuildOptions, w io.Writer, seq x12.Sequence) (*Result, error) {
	opt, err := opt.normalized()
	if err != nil {
		return nil, err
	}
	if seq == nil {
		return nil, fmt.Errorf("%w: no interchange control number sequence", ErrOptions)
	}
	ck, err := NewChecker(opt.Delimiters)
	if err != nil {
		return nil, err
	}
	groups, probs := group(claims, &opt, ck)
	if len(probs) > 0 {
		return nil, probs
	}
	xw, err := x12.NewWriter(w, opt.Delimiters)
	if err != nil {
		return nil, fmt.Errorf("building 837P: %w", err)
	}
	xw.RefuseNonASCII() // the check names the field first; this is the net under it
	isa := &lastNumber{seq: seq}
	xw.Interchanges = isa
	xw.Groups = isa.same()
	xw.Newline = opt.Newline

	b := &builder{w: xw, opt: &opt, claims: claims, now: opt.Now()}
	b.res = &Result{Claims: make([]Trace, len(claims))}
	nlines := 0
	for i := range claims {
		nlines += len(claims[i].Lines)
	}
	b.lineOrds = make([]int, 0, nlines)
	for _, rg := range groups {
		if err := b.interchange(rg); err != nil {
			var we *x12.WriteError
			if b.failed && b.failRef.Claim >= 0 && errors.As(err, &we) {
				// Data the 837P cannot carry (a delimiter in a name): name the field.
				return b.res, billing.Problems{{Path: b.failRef.path(we.SegmentID, we.Element, we.Component), Err: err}}
			}
			return b.res, fmt.Errorf("building 837P: %w", err)
		}
	}
	if err := xw.Flush(); err != nil {
		return b.res, fmt.Errorf("building 837P: %w", err)
	}
	return b.res, nil
}

// lastNumber is the interchange sequence, remembering the last number it gave so that
// GS06 can repeat it.
type lastNumber struct {
	seq  x12.Sequence
	last uint64
}

// Next gives the next interchange control number and remembers it.
func (l *lastNumber) Next() (uint64, error) {
	n, err := l.seq.Next()
	l.last = n
	return n, err
}

type sameNumber struct{ l *lastNumber }

// Next repeats the interchange control number: GS06 = ISA13.
func (s sameNumber) Next() (uint64, error) { return s.l.last, nil }

func (l *lastNumber) same() x12.Sequence { return sameNumber{l} }

// billingKey is what one loop 2000A holds: the billing provider and pay-to address.
type billingKey struct {
	provider billing.Provider
	payTo    billing.Address
	hasPayTo bool
}

type stKey struct {
	billing billingKey
	payer   billing.Payer
}

// receiverGroup is the claims of one interchange, in transaction-set groups.
type receiverGroup struct {
	receiver Party
	keys     []stKey
	claims   [][]int
}

// quickKey picks the candidates for a claim's transaction-set group cheaply; the
// full key then decides.
type quickKey struct{ npi, taxID, payerID string }

// group checks the claims (Checker.Check) and orders them into interchanges (receivers)
// and, inside them, groups of claims with the same billing provider and payer, each
// in the order of first appearance. One pass does both: claims are large, and a
// batch of them does not fit in a processor's cache.
func group(claims []billing.Claim, opt *BuildOptions, ck *Checker) ([]*receiverGroup, billing.Problems) {
	var out []*receiverGroup
	var probs billing.Problems
	byRecv := map[Party]*receiverGroup{}
	index := map[*receiverGroup]map[quickKey][]int{}
	var lastRG *receiverGroup
	var key stKey
	lastIdx := -1
	for i := range claims {
		c := &claims[i]
		n := len(probs)
		if probs = ck.Check(probs, c, i); len(probs) > n {
			continue
		}
		rg := lastRG
		if rg == nil || opt.ReceiverFor != nil {
			recv := opt.Receiver
			if opt.ReceiverFor != nil {
				recv = opt.ReceiverFor(c)
			}
			rg = byRecv[recv]
			if rg == nil {
				rg = &receiverGroup{receiver: recv}
				byRecv[recv] = rg
				index[rg] = map[quickKey][]int{}
				out = append(out, rg)
			}
		}
		k, _ := c.BilledCoverage()
		payer := &c.Coverages[k].Payer
		// The claims of a batch often share the billing provider and payer of the
		// claim before them: compare in place before building a key.
		if rg == lastRG && lastIdx >= 0 && sameGroup(&rg.keys[lastIdx], c, payer) {
			rg.claims[lastIdx] = append(rg.claims[lastIdx], i)
			continue
		}
		key = stKey{billing: billingKey{provider: c.BillingProvider}, payer: *payer}
		if c.PayToAddress != nil {
			key.billing.payTo, key.billing.hasPayTo = *c.PayToAddress, true
		}
		qk := quickKey{c.BillingProvider.NPI, c.BillingProvider.TaxID, payer.ID}
		g := -1
		for _, cand := range index[rg][qk] {
			if rg.keys[cand] == key {
				g = cand
				break
			}
		}
		if g < 0 {
			g = len(rg.keys)
			index[rg][qk] = append(index[rg][qk], g)
			rg.keys = append(rg.keys, key)
			rg.claims = append(rg.claims, nil)
		}
		rg.claims[g] = append(rg.claims[g], i)
		lastRG, lastIdx = rg, g
	}
	return out, probs
}

// sameGroup reports whether the claim belongs to the group with key k.
func sameGroup(k *stKey, c *billing.Claim, payer *billing.Payer) bool {
	if k.payer != *payer || k.billing.provider != c.BillingProvider {
		return false
	}
	if c.PayToAddress == nil {
		return !k.billing.hasPayTo
	}
	return k.billing.hasPayTo && k.billing.payTo == *c.PayToAddress
}

// builder writes the segments and records where each went.
type builder struct {
	w      *x12.Writer
	opt    *BuildOptions
	claims []billing.Claim
	now    time.Time
	res    *Result

	failed   bool       // a segment failed to write
	failRef  SegmentRef // what it belonged to
	ctl      x12.Control
	txn      *Transaction
	ref      SegmentRef // what the next segment belongs to
	hl       int
	buf      []byte
	ids      []string
	lineOrds []int
}

func (b *builder) interchange(rg *receiverGroup) error {
	if opt := b.opt; opt.ReceiverFor != nil {
		if err := checkParty("Receiver", rg.receiver); err != nil {
			return err
		}
	}
	sub, recv := b.opt.Submitter, rg.receiver
	err := b.w.BeginInterchange(x12.InterchangeHeader{
		SenderQualifier: or(sub.InterchangeQualifier, "ZZ"), SenderID: sub.interchangeID(),
		ReceiverQualifier: or(recv.InterchangeQualifier, "ZZ"), ReceiverID: recv.interchangeID(),
		Time: b.now, AckRequested: b.opt.AckRequested, Test: b.opt.Test,
	})
	if err != nil {
		return err
	}
	if err := b.w.BeginGroup(x12.GroupHeader{
		FunctionalID: "HC", SenderCode: sub.applicationCode(), ReceiverCode: recv.applicationCode(),
		Time: b.now, Version: Version,
	}); err != nil {
		return err
	}
	for g, idx := range rg.claims {
		for len(idx) > 0 {
			n := min(len(idx), b.opt.ClaimsPerST)
			if err := b.transaction(rg, rg.keys[g], idx[:n]); err != nil {
				return err
			}
			idx = idx[n:]
		}
	}
	if err := b.w.EndGroup(); err != nil {
		return err
	}
	return b.w.EndInterchange()
}

// transaction writes one ST-SE of the claims idx.
func (b *builder) transaction(rg *receiverGroup, key stKey, idx []int) error {
	ctl, err := b.w.BeginTransaction("837", Version)
	if err != nil {
		return err
	}
	b.ctl = ctl
	b.res.Transactions = append(b.res.Transactions, Transaction{
		ISA13: ctl.ISA13, GS06: ctl.GS06, ST02: ctl.ST02, BatchID: ctl.ISA13 + ctl.ST02,
		Claims: idx, Segments: make([]SegmentRef, 0, 16+len(idx)*24),
	})
	b.txn = &b.res.Transactions[len(b.res.Transactions)-1]
	b.ref = SegmentRef{Claim: -1, Line: -1, Other: -1, Loop: LoopHeader}
	b.txn.Segments = append(b.txn.Segments, b.ref) // ST
	b.header(rg)
	b.ref = SegmentRef{Claim: int32(idx[0]), Line: -1, Other: -1, Loop: Loop2000A}
	b.billingProvider(&key)
	for _, i := range idx {
		b.claim(i)
	}
	b.ref = SegmentRef{Claim: -1, Line: -1, Other: -1, Loop: LoopHeader}
	b.txn.Segments = append(b.txn.Segments, b.ref) // SE
	return b.w.EndTransaction()
}

// begin starts a segment, recording what it belongs to.
func (b *builder) begin(id string) {
	b.txn.Segments = append(b.txn.Segments, b.ref)
	b.w.Begin(id)
}

// end finishes a segment, remembering what the first segment that failed belonged to.
func (b *builder) end() {
	if err := b.w.End(); err != nil && !b.failed {
		b.failed, b.failRef = true, b.ref
	}
}

func (b *builder) elems(vs ...string) {
	for _, v := range vs {
		b.w.Elem(v)
	}
}

func (b *builder) segment(id string, vs ...string) {
	b.begin(id)
	b.elems(vs...)
	b.end()
}

func (b *builder) date(d billing.Date) {
	b.buf = d.AppendX12(b.buf[:0])
	b.w.Elem(string(b.buf))
}

func (b *builder) qty(q billing.Quantity) {
	b.buf = q.AppendText(b.buf[:0])
	b.w.Elem(string(b.buf))
}

func (b *builder) header(rg *receiverGroup) {
	sub := &b.opt.Submitter
	b.begin("BHT")
	b.elems("0019", "00", b.txn.BatchID)
	b.buf = billing.DateOf(b.now).AppendX12(b.buf[:0])
	b.w.Elem(string(b.buf))
	b.buf = b.now.AppendFormat(b.buf[:0], "1504")
	b.w.Elem(string(b.buf))
	b.w.Elem("CH")
	b.end()
	b.ref.Loop = Loop1000A
	b.segment("NM1", "41", "2", sub.Name, "", "", "", "", "46", sub.ID)
	b.per(sub.Contact)
	b.ref.Loop = Loop1000B
	b.segment("NM1", "40", "2", rg.receiver.Name, "", "", "", "", "46", rg.receiver.ID)
}

// per writes PER*IC*name*TE*phone*EM*email, or nothing without phone and e-mail.
func (b *builder) per(c billing.Contact) {
	if c.Phone == "" && c.Email == "" {
		return
	}
	b.begin("PER")
	b.elems("IC", c.Name)
	if c.Phone != "" {
		b.elems("TE", c.Phone)
	}
	if c.Email != "" {
		b.elems("EM", c.Email)
	}
	b.end()
}

func (b *builder) billingProvider(key *stKey) {
	p := &key.billing.provider
	b.hl = 1
	b.segment("HL", "1", "", "20", "1")
	if p.Taxonomy != "" {
		b.segment("PRV", "BI", "PXC", p.Taxonomy)
	}
	b.ref.Loop = Loop2010AA
	b.providerName("85", p)
	b.address(&p.Address)
	b.segment("REF", or(p.TaxIDType, billing.DefaultTaxIDType), p.TaxID)
	b.per(p.Contact)
	if key.billing.hasPayTo {
		b.ref.Loop = Loop2010AB
		b.segment("NM1", "87", "2")
		b.address(&key.billing.payTo)
	}
}

// providerName writes NM1*id*1*last*first*middle**suffix*XX*npi for a person,
// NM1*id*2*name*****XX*npi for an organization.
func (b *builder) providerName(id string, p *billing.Provider) {
	b.providerNM1(id, p.Code(), p)
}

// personProviderName writes the NM1 of a provider the guide allows only as a person
// (2310A referring, 2310D supervising: NM102 1).
func (b *builder) personProviderName(id string, p *billing.Provider) {
	b.providerNM1(id, string(billing.EntityPerson), p)
}

func (b *builder) providerNM1(id, entity string, p *billing.Provider) {
	b.begin("NM1")
	if entity == string(billing.EntityPerson) {
		b.elems(id, entity, p.Name, p.FirstName, p.MiddleName, "", p.Suffix)
	} else {
		b.elems(id, entity, p.Name, "", "", "", "") // NM104-NM107 are a person's
	}
	if p.NPI != "" {
		b.elems("XX", p.NPI)
	}
	b.end()
}

// personName writes NM1*id*1*last*first*middle**suffix*qual*idcode.
func (b *builder) personName(id string, p *billing.Person, qual, code string) {
	b.begin("NM1")
	b.elems(id, "1", p.LastName, p.FirstName, p.MiddleName, "", p.Suffix)
	if code != "" {
		b.elems(qual, code)
	}
	b.end()
}

// address writes N3 and N4 when the address has a first line; N404 only for an
// address outside the United States.
func (b *builder) address(a *billing.Address) {
	if a.Line1 == "" {
		return
	}
	b.segment("N3", a.Line1, a.Line2)
	country := a.Country
	if a.IsUS() {
		country = ""
	}
	b.segment("N4", a.City, a.State, a.PostalCode, country, "", "", a.CountrySubdivision)
}

// demographics writes DMG*D8*birth*gender when the birth date is known.
func (b *builder) demographics(p *billing.Person) {
	if p.BirthDate.IsZero() {
		return
	}
	b.begin("DMG")
	b.w.Elem("D8")
	b.date(p.BirthDate)
	b.w.Elem(or(p.Gender, "U"))
	b.end()
}

// subscriberOf returns the person who holds coverage k.
func subscriberOf(c *billing.Claim, k int) *billing.Person {
	if c.Coverages[k].Subscriber.IsZero() {
		return &c.Patient
	}
	return &c.Coverages[k].Subscriber
}

func relationship(c *billing.Claim, k int) string {
	if r := c.Coverages[k].Relationship; r != "" {
		return r
	}
	return billing.RelationshipSelf
}

// sbr writes SBR for coverage k; rel is SBR02.
func (b *builder) sbr(cov *billing.Coverage, resp, rel string) {
	b.segment("SBR", resp, rel, cov.GroupNumber, cov.GroupName, cov.InsuranceType, "", "", "", cov.FilingIndicator)
}

// claim writes 2000B, 2000C when the patient is not the subscriber, and the claim.
func (b *builder) claim(i int) {
	c := &b.claims[i]
	k, _ := c.BilledCoverage()
	cov := &c.Coverages[k]
	self := c.PatientIsSubscriber(k)
	b.ref = SegmentRef{Claim: int32(i), Line: -1, Other: int8(k), Loop: Loop2000B}
	b.hl++
	sub := b.hl
	b.begin("HL")
	b.w.Int(int64(sub))
	b.w.Elem("1")
	b.w.Elem("22")
	if self {
		b.w.Elem("0")
	} else {
		b.w.Elem("1")
	}
	b.end()
	rel := ""
	if self {
		rel = billing.RelationshipSelf
	}
	b.sbr(cov, or(cov.Responsibility, billing.ResponsibilityAt(k)), rel)
	b.ref.Loop = Loop2010BA
	if self {
		b.ref.field = fieldIsPatient
	}
	s := subscriberOf(c, k)
	b.personName("IL", s, "MI", cov.MemberID)
	b.address(&s.Address)
	b.demographics(s)
	b.ref.field = 0
	b.ref.Loop = Loop2010BB
	b.payer(&cov.Payer)
	if !self {
		b.ref.Loop = Loop2000C
		b.hl++
		b.begin("HL")
		b.w.Int(int64(b.hl))
		b.w.Int(int64(sub))
		b.w.Elem("23")
		b.w.Elem("0")
		b.end()
		b.segment("PAT", cov.Relationship)
		b.ref.Loop = Loop2010CA
		b.personName("QC", &c.Patient, "", "")
		b.address(&c.Patient.Address)
		b.demographics(&c.Patient)
	}
	b.ref.Other = -1
	b.claimInfo(i, c)
}

func (b *builder) payer(p *billing.Payer) {
	b.segment("NM1", "PR", "2", p.Name, "", "", "", "", or(p.IDQualifier, billing.DefaultPayerIDQualifier), p.ID)
	b.address(&p.Address)
}

// claimInfo writes loop 2300 and what it holds.
func (b *builder) claimInfo(i int, c *billing.Claim) {
	w := b.w
	b.ref.Loop = Loop2300
	tr := &b.res.Claims[i]
	tr.PatientControlNumber = c.PatientControlNumber
	tr.ISA13, tr.GS06, tr.ST02 = b.ctl.ISA13, b.ctl.GS06, b.ctl.ST02
	tr.CLM = w.STOrdinal()

	b.begin("CLM")
	w.Elem(c.PatientControlNumber)
	charge := c.Charge
	if charge == 0 {
		charge = c.LineTotal()
	}
	w.Cents(int64(charge))
	w.Elem("")
	w.Elem("")
	w.Comp(c.PlaceOfService, "B", c.Frequency.Code())
	w.Elem(or(c.ProviderSignature, billing.DefaultProviderSignature))
	w.Elem(or(c.Assignment, billing.DefaultAssignment))
	w.Elem(or(c.BenefitsAssignment, billing.DefaultBenefitsAssignment))
	w.Elem(or(c.ReleaseOfInformation, billing.DefaultReleaseOfInformation))
	w.Elem(c.PatientSignatureSource)
	if len(c.RelatedCauses) > 0 || c.AccidentState != "" || c.AccidentCountry != "" {
		var rc [2]string
		copy(rc[:], c.RelatedCauses)
		w.Comp(rc[0], rc[1], "", c.AccidentState, c.AccidentCountry)
	} else {
		w.Elem("")
	}
	w.Elem(c.SpecialProgram)
	if c.DelayReason != "" {
		b.elems("", "", "", "", "", "", "", c.DelayReason)
	}
	b.end()

	for f := fieldOnset; f <= fieldDischarge && c.Dates != (billing.Dates{}); f++ {
		switch f {
		case fieldDisabilityFrom:
			b.disability(&c.Dates)
			continue
		case fieldDisabilityTo:
			continue
		}
		d := claimDate(&c.Dates, f)
		if d == nil || d.IsZero() {
			continue
		}
		b.ref.field = f
		b.begin("DTP")
		w.Elem(fieldQualifier[f])
		w.Elem("D8")
		b.date(*d)
		b.end()
	}
	if c.PatientPaid != 0 {
		b.ref.field = fieldPatientPaid
		b.begin("AMT")
		w.Elem("F5")
		w.Cents(int64(c.PatientPaid))
		b.end()
	}
	b.ref2("9F", c.Authorization.Referral, fieldReferral)
	b.ref2("G1", c.Authorization.PriorAuthorization, fieldPriorAuth)
	if c.Frequency.ReplacesClaim() { // REF*F8 is for replacements and voids only
		b.ref2("F8", c.OriginalPayerClaimNumber, fieldOriginalClaim)
	}
	b.ref2("X4", c.CLIANumber, fieldCLIA)
	b.ref2("EA", c.MedicalRecordNumber, fieldMedicalRecord)
	if c.Note.Text != "" {
		b.ref.field = fieldNote
		b.segment("NTE", or(c.Note.Code, billing.DefaultNoteCode), c.Note.Text)
	}
	b.ref.field = 0
	b.begin("HI")
	for n, d := range c.Diagnoses {
		q := "ABF"
		switch {
		case n == 0 && d.ICD9:
			q = "BK"
		case n == 0:
			q = "ABK"
		case d.ICD9:
			q = "BF"
		}
		w.Comp(q, billing.DiagnosisCode(d.Code))
	}
	b.end()

	if p := c.ReferringProvider; p != nil {
		b.ref.Loop = Loop2310A
		b.personProviderName("DN", p)
	}
	if p := sentRendering(c); p != nil {
		b.ref.Loop = Loop2310B
		b.providerName("82", p)
		if p.Taxonomy != "" {
			b.segment("PRV", "PE", "PXC", p.Taxonomy)
		}
	}
	if p := sentFacility(c); p != nil {
		b.ref.Loop = Loop2310C
		b.begin("NM1")
		b.elems("77", "2", p.Name, "", "", "", "")
		if p.NPI != "" {
			b.elems("XX", p.NPI)
		}
		b.end()
		b.address(&p.Address)
	}
	if p := c.SupervisingProvider; p != nil {
		b.ref.Loop = Loop2310D
		b.personProviderName("DQ", p)
	}
	billed, _ := c.BilledCoverage()
	for k := range c.Coverages {
		if k != billed {
			b.otherPayer(c, k)
		}
	}
	b.ref.Other = -1

	b.ids = c.LineControlNumbers(b.ids[:0])
	start := len(b.lineOrds)
	for j := range c.Lines {
		b.lineOrds = append(b.lineOrds, w.STOrdinal())
		b.line(c, j)
	}
	tr.Lines = b.lineOrds[start:len(b.lineOrds):len(b.lineOrds)]
	b.ref.Line = -1
}

// ref2 writes REF*qual*value when value is not empty.
func (b *builder) ref2(qual, value string, f fieldID) {
	if value == "" {
		return
	}
	b.ref.field = f
	b.segment("REF", qual, value)
	b.ref.field = 0
}

// disability writes the disability dates: 314 RD8 for a period, 360 or 361 for one end.
func (b *builder) disability(d *billing.Dates) {
	from, to := d.DisabilityFrom, d.DisabilityTo
	switch {
	case from.IsZero() && to.IsZero():
		return
	case !from.IsZero() && !to.IsZero():
		b.ref.field = fieldDisabilityFrom
		b.begin("DTP")
		b.w.Elem("314")
		b.w.Elem("RD8")
		b.buf = from.AppendX12(b.buf[:0])
		b.buf = append(b.buf, '-')
		b.buf = to.AppendX12(b.buf)
		b.w.Elem(string(b.buf))
	case !from.IsZero():
		b.ref.field = fieldDisabilityFrom
		b.begin("DTP")
		b.elems("360", "D8")
		b.date(from)
	default:
		b.ref.field = fieldDisabilityTo
		b.begin("DTP")
		b.elems("361", "D8")
		b.date(to)
	}
	b.end()
	b.ref.field = 0
}

// cas writes the adjustments as CAS segments, one group per segment and at most six
// reasons per segment, recording in the segment map the index of each segment's first
// adjustment.
func (b *builder) cas(adj []billing.Adjustment) {
	w := b.w
	for s := 0; s < len(adj); {
		e := s + 1
		for e < len(adj) && e-s < 6 && adj[e].Group == adj[s].Group {
			e++
		}
		b.ref.Item = int8(s)
		b.begin("CAS")
		w.Elem(adj[s].Group)
		for _, a := range adj[s:e] {
			w.Elem(a.Reason)
			w.Cents(int64(a.Amount))
			if a.Quantity != 0 {
				b.qty(a.Quantity)
			} else {
				w.Elem("")
			}
		}
		b.end()
		s = e
	}
	b.ref.Item = 0
}

// otherPayer writes loop 2320 and its 2330A/B for coverage k.
func (b *builder) otherPayer(c *billing.Claim, k int) {
	w := b.w
	cov := &c.Coverages[k]
	a := cov.Adjudication
	b.ref.Loop = Loop2320
	b.ref.Other = int8(k)
	b.sbr(cov, or(cov.Responsibility, billing.ResponsibilityAt(k)), relationship(c, k))
	if a != nil {
		b.cas(billing.GroupAdjustments(a.Adjustments))
		if a.NonCoveredAmount != 0 {
			// Bypassed under cost-avoidance rules: AMT*A8 instead of AMT*D.
			b.ref.field = fieldNonCoveredAmount
			b.begin("AMT")
			w.Elem("A8")
			w.Cents(int64(a.NonCoveredAmount))
		} else {
			b.ref.field = fieldPaidAmount
			b.begin("AMT")
			w.Elem("D")
			w.Cents(int64(a.PaidAmount))
		}
		b.end()
		if a.RemainingPatientLiability != nil {
			b.ref.field = fieldRemainingLiability
			b.begin("AMT")
			w.Elem("EAF")
			w.Cents(int64(*a.RemainingPatientLiability))
			b.end()
		}
		b.ref.field = 0
	}
	b.segment("OI", "", "", or(c.BenefitsAssignment, billing.DefaultBenefitsAssignment), "", "",
		or(c.ReleaseOfInformation, billing.DefaultReleaseOfInformation))
	if a != nil && len(a.RemarkCodes) > 0 {
		b.begin("MOA")
		b.elems("", "")
		b.elems(a.RemarkCodes...)
		b.end()
	}
	b.ref.Loop = Loop2330A
	s := subscriberOf(c, k)
	if cov.Subscriber.IsZero() {
		b.ref.field = fieldIsPatient
	}
	b.personName("IL", s, "MI", cov.MemberID)
	b.address(&s.Address)
	b.ref.field = 0
	b.ref.Loop = Loop2330B
	b.payer(&cov.Payer)
	if a != nil {
		if !a.Date.IsZero() && len(a.Lines) == 0 {
			b.ref.field = fieldAdjudicationDate
			b.begin("DTP")
			b.elems("573", "D8")
			b.date(a.Date)
			b.end()
		}
		b.ref2("F8", a.ClaimNumber, fieldOtherClaimNumber)
	}
}

// line writes loop 2400 for line j and its 2410, 2420A and 2430 loops.
func (b *builder) line(c *billing.Claim, j int) {
	w := b.w
	l := &c.Lines[j]
	b.ref = SegmentRef{Claim: b.ref.Claim, Line: int16(j), Other: -1, Loop: Loop2400}
	b.begin("LX")
	w.Int(int64(j + 1))
	b.end()
	b.begin("SV1")
	b.procedure(&l.Procedure)
	w.Cents(int64(l.Charge))
	w.Elem(or(l.Unit, billing.DefaultUnit))
	units := l.Units
	if units == 0 {
		units = billing.Units(1)
	}
	b.qty(units)
	w.Elem(sentLinePOS(c, l))
	w.Elem("")
	ptrs := l.DiagnosisPointers
	switch len(ptrs) {
	case 0:
		w.Elem("1")
	case 1:
		w.Int(int64(ptrs[0]))
	default:
		var p [4]string
		for n, v := range ptrs[:min(len(ptrs), 4)] {
			p[n] = strconv.Itoa(v)
		}
		w.Comp(p[:]...)
	}
	if l.Emergency || l.EPSDT || l.FamilyPlanning {
		w.Elem("")
		w.Elem(yes(l.Emergency))
		w.Elem("")
		w.Elem(yes(l.EPSDT))
		w.Elem(yes(l.FamilyPlanning))
	}
	b.end()

	b.ref.field = fieldServiceDates
	b.begin("DTP")
	w.Elem("472")
	if sd := l.ServiceDates; sd.IsRange() {
		w.Elem("RD8")
		b.buf = sd.From.AppendX12(b.buf[:0])
		b.buf = append(b.buf, '-')
		b.buf = sd.To.AppendX12(b.buf)
		w.Elem(string(b.buf))
	} else {
		w.Elem("D8")
		b.date(sd.From)
	}
	b.end()
	b.ref2("G1", l.Authorization.PriorAuthorization, fieldPriorAuth)
	b.ref2("6R", b.ids[j], fieldLineControl)
	b.ref2("9F", l.Authorization.Referral, fieldReferral)
	if l.Note != "" {
		b.ref.field = fieldNote
		b.segment("NTE", billing.DefaultNoteCode, l.Note)
		b.ref.field = 0
	}
	if d := l.Drug; d != nil {
		b.ref.Loop = Loop2410
		b.segment("LIN", "", "N4", d.NDC)
		b.begin("CTP")
		b.elems("", "", "")
		b.qty(d.Quantity)
		w.Elem(or(d.Unit, billing.DefaultUnit))
		b.end()
		if d.PrescriptionNumber != "" {
			b.segment("REF", "XZ", d.PrescriptionNumber)
		}
	}
	if p := sentLineRendering(c, l); p != nil {
		b.ref.Loop = Loop2420A
		b.providerName("82", p)
		if p.Taxonomy != "" {
			b.segment("PRV", "PE", "PXC", p.Taxonomy)
		}
	}
	for k := range c.Coverages {
		a := c.Coverages[k].Adjudication
		if a == nil {
			continue
		}
		for n := range a.Lines {
			la := &a.Lines[n]
			if la.Line != j+1 {
				continue
			}
			b.ref.Loop, b.ref.Other, b.ref.Adj = Loop2430, int8(k), int16(n)
			b.lineAdjudication(c, &c.Coverages[k], la, l)
		}
	}
	b.ref.Other, b.ref.Adj = -1, 0
}

func (b *builder) lineAdjudication(c *billing.Claim, cov *billing.Coverage, la *billing.LineAdjudication, l *billing.Line) {
	w := b.w
	b.begin("SVD")
	w.Elem(cov.Payer.ID)
	w.Cents(int64(la.PaidAmount))
	p := &la.Procedure
	if p.IsZero() {
		p = &l.Procedure
	}
	b.procedure(p)
	w.Elem("")
	units := la.Units
	if units == 0 {
		units = l.Units
	}
	if units == 0 {
		units = billing.Units(1)
	}
	b.qty(units)
	if la.BundledLine != 0 {
		w.Int(int64(la.BundledLine))
	}
	b.end()
	b.cas(billing.GroupAdjustments(la.Adjustments))
	date := la.Date
	if date.IsZero() {
		date = cov.Adjudication.Date
	}
	b.ref.field = fieldAdjudicationDate
	b.begin("DTP")
	b.elems("573", "D8")
	b.date(date)
	b.end()
	if la.RemainingPatientLiability != nil {
		b.ref.field = fieldRemainingLiability
		b.begin("AMT")
		w.Elem("EAF")
		w.Cents(int64(*la.RemainingPatientLiability))
		b.end()
	}
	b.ref.field = 0
}

// procedure writes the composite HC:code:mod1:mod2:mod3:mod4:description.
func (b *builder) procedure(p *billing.Procedure) {
	var parts [7]string
	parts[0] = or(p.Qualifier, billing.DefaultProcedureQualifier)
	parts[1] = p.Code
	copy(parts[2:6], p.Modifiers)
	parts[6] = p.Description
	b.w.Comp(parts[:]...)
}

func yes(v bool) string {
	if v {
		return "Y"
	}
	return ""
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
