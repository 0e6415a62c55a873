package x835

import (
	"errors"
	"fmt"
	"io"

	"github.com/claimflow/claimflow/edi/guide"
)

// ErrNot835 is returned, wrapped, when the input holds no 835 transaction set.
var ErrNot835 = errors.New("no 835 (005010X221) transaction set")

// ParseEach reads the 835 transaction sets of the input one at a time and hands
// each to fn: memory holds one transaction set, whatever the size of the file. An
// error from fn stops the reading and is returned. Parsing is lenient: a remittance
// that breaks the guide still gives what it says, its segments placed in loops as
// the guide's walker places them (the guide's findings are in Origin.Errors, values
// that cannot be read in Origin.Unread, segments the model does not carry in
// Origin.Unmapped). Transaction sets other than 835 are skipped; a file without any
// gives ErrNot835. A syntax error stops the reading and is returned.
//
// Reader reads the same remittances from a file the guide finds no fault with,
// at a fraction of the cost: use it when a remittance with errors is only refused.
func ParseEach(r io.Reader, fn func(*Remittance) error) error {
	reg, err := guide.Default()
	if err != nil {
		return fmt.Errorf("parsing 835: %w", err)
	}
	n := 0
	var cbErr error
	_, err = guide.ReadTransactions(r, reg, func(t *guide.Transaction) error {
		if !is835(t) || t.Root == nil {
			return nil
		}
		n++
		rem := readRemittance(t)
		if err := fn(rem); err != nil {
			cbErr = err
			return err
		}
		return nil
	})
	if cbErr != nil {
		return cbErr
	}
	if err != nil {
		return fmt.Errorf("parsing 835: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("parsing 835: %w", ErrNot835)
	}
	return nil
}

// is835 reports whether the transaction set is an 835 that the 835 guide read.
func is835(t *guide.Transaction) bool {
	return t.ST01 == "835" && t.Guide != nil && t.Guide.Name == "835"
}

// Parse reads every 835 transaction set of the input, in file order. For large
// files use ParseEach, which holds one at a time.
func Parse(r io.Reader) ([]Remittance, error) {
	var out []Remittance
	err := ParseEach(r, func(rem *Remittance) error {
		out = append(out, *rem)
		return nil
	})
	return out, err
}

// reader reads the segments of one transaction set into a Remittance; the same
// code serves the loop tree (readRemittance) and the stream of segments (Reader).
type reader struct {
	origin *Origin
	f      fields // the segment being read

	// The room of the claims' and lines' short lists.
	adjustmentRoom slab[Adjustment]
	dateRoom       slab[Date]
	amountRoom     slab[Amount]
	referenceRoom  slab[Reference]
}

func (p *reader) unmapped(f *fields) {
	p.origin.Unmapped = append(p.origin.Unmapped, fmt.Sprintf("%d %s", f.ord, f.id))
}

// readRemittance reads the loop tree of a transaction set.
func readRemittance(t *guide.Transaction) *Remittance {
	rem := &Remittance{Origin: originOf(t.Interchange, t.Group, t.ST02)}
	rem.Origin.Errors = t.Errors
	p := &reader{origin: &rem.Origin}
	f := &p.f
	root := t.Root
	for _, c := range root.Children {
		if c.Segment == nil {
			continue
		}
		f.load(c.Segment)
		if c.Schema == nil {
			p.unmapped(f)
			continue
		}
		p.top(rem, f)
	}
	if n := first(root.Loops("1000A")); n != nil {
		p.party(n, payerParty(&rem.Payer))
	}
	if n := first(root.Loops("1000B")); n != nil {
		p.party(n, payeeParty(&rem.Payee))
	}
	hdrs := root.Loops("2000")
	if n := countLoops(hdrs, "2100"); n > 0 {
		rem.Claims = make([]ClaimPayment, 0, n) // a ClaimPayment is large: no doublings
	}
	for _, hdr := range hdrs {
		header := 0
		for _, c := range hdr.Children {
			if c.Segment == nil {
				continue
			}
			f.load(c.Segment)
			switch {
			case f.id == "LX" && c.Schema != nil:
				header = p.fint(f, 1)
			default:
				p.unmapped(f)
			}
		}
		for _, c := range hdr.Children {
			if c.Node != nil && c.Node.Loop.ID == "2100" {
				rem.Claims = append(rem.Claims, ClaimPayment{Header: header})
				p.claim(&rem.Claims[len(rem.Claims)-1], c.Node)
			}
		}
	}
	return rem
}

// top reads a segment of the transaction set's own level (the header and PLB).
func (p *reader) top(rem *Remittance, f *fields) {
	switch f.id {
	case "BPR":
		rem.Payment = p.payment(f)
	case "TRN":
		rem.Trace = Trace{Type: f.value(1), Number: f.value(2), PayerID: f.value(3), Supplemental: f.value(4)}
	case "CUR":
		rem.Currency = f.value(2)
	case "REF":
		switch f.value(1) {
		case "EV":
			rem.ReceiverID = f.value(2)
		case "F2":
			rem.VersionID = f.value(2)
		}
	case "DTM":
		rem.ProductionDate = p.fdate(f, 2)
	case "PLB":
		rem.ProviderAdjustments = append(rem.ProviderAdjustments, p.plb(f))
	}
}

func first(ns []*guide.Node) *guide.Node {
	if len(ns) == 0 {
		return nil
	}
	return ns[0]
}

func (p *reader) payment(f *fields) Payment {
	return Payment{
		Handling: f.value(1), Amount: p.fcents(f, 2), CreditDebit: f.value(3), Method: f.value(4), Format: f.value(5),
		Sender:  BankAccount{DFIQualifier: f.value(6), DFI: f.value(7), AccountQualifier: f.value(8), Account: f.value(9)},
		PayerID: f.value(10), PayerSupplementalCode: f.value(11),
		Receiver: BankAccount{DFIQualifier: f.value(12), DFI: f.value(13), AccountQualifier: f.value(14), Account: f.value(15)},
		Date:     p.fdate(f, 16),
	}
}

// party is where the segments of loop 1000A or 1000B go; contacts and rdm are nil
// where the loop has no such segment.
type party struct {
	name, qual, id *string
	addr           *Address
	refs           *[]Reference
	contacts       *[]Contact
	rdm            **Delivery
}

func payerParty(pr *Payer) party {
	return party{name: &pr.Name, qual: &pr.IDQualifier, id: &pr.ID, addr: &pr.Address, refs: &pr.References, contacts: &pr.Contacts}
}

func payeeParty(pe *Payee) party {
	return party{name: &pe.Name, qual: &pe.IDQualifier, id: &pe.ID, addr: &pe.Address, refs: &pe.References, rdm: &pe.Delivery}
}

// party reads the segments of loop 1000A or 1000B.
func (p *reader) party(n *guide.Node, to party) {
	f := &p.f
	for _, c := range n.Children {
		if c.Segment == nil {
			continue
		}
		f.load(c.Segment)
		if c.Schema == nil {
			p.unmapped(f)
			continue
		}
		partySegment(to, f)
	}
}

// partySegment reads one segment of loop 1000A or 1000B.
func partySegment(to party, f *fields) {
	switch f.id {
	case "N1":
		*to.name, *to.qual, *to.id = f.value(2), f.value(3), f.value(4)
	case "N3":
		to.addr.Line1, to.addr.Line2 = f.value(1), f.value(2)
	case "N4":
		to.addr.City, to.addr.State, to.addr.Zip, to.addr.Country, to.addr.CountrySubdivision = f.value(1), f.value(2), f.value(3), f.value(4), f.value(7)
	case "REF":
		*to.refs = append(*to.refs, Reference{Qualifier: f.value(1), Value: f.value(2)})
	case "PER":
		if to.contacts != nil {
			*to.contacts = append(*to.contacts, contact(f))
		}
	case "RDM":
		if to.rdm != nil {
			*to.rdm = &Delivery{Method: f.value(1), Name: f.value(2), Number: f.value(3)}
		}
	}
}

func contact(f *fields) Contact {
	c := Contact{Function: f.value(1), Name: f.value(2)}
	for el := 3; el <= 7; el += 2 {
		if f.has(el) || f.has(el+1) {
			c.Numbers = append(c.Numbers, Number{Qualifier: f.value(el), Value: f.value(el + 1)})
		}
	}
	return c
}

func name(f *fields) Name {
	return Name{
		Type: f.value(2), Last: f.value(3), First: f.value(4), Middle: f.value(5),
		Suffix: f.value(7), IDQualifier: f.value(8), ID: f.value(9),
	}
}

// newName returns a copy of n on the heap: only the names a claim points to get one.
func newName(n Name) *Name { return &n }

// claim reads loop 2100 into c.
func (p *reader) claim(c *ClaimPayment, n *guide.Node) {
	f := &p.f
	for _, ch := range n.Children {
		if ch.Segment == nil {
			continue
		}
		f.load(ch.Segment)
		if ch.Schema == nil {
			p.unmapped(f)
			continue
		}
		p.claimSegment(c, f)
	}
	if k := countLoops([]*guide.Node{n}, "2110"); k > 0 {
		c.Lines = make([]ServicePayment, 0, k)
		for _, ch := range n.Children {
			if ch.Node != nil && ch.Node.Loop.ID == "2110" {
				c.Lines = append(c.Lines, ServicePayment{})
				p.line(&c.Lines[len(c.Lines)-1], ch.Node)
			}
		}
	}
}

// claimSegment reads one segment of loop 2100 (not of its lines) into c.
func (p *reader) claimSegment(c *ClaimPayment, f *fields) {
	switch f.id {
	case "CLP":
		c.PCN, c.Status = f.value(1), f.value(2)
		c.Charge, c.Paid, c.PatientResponsibility = p.fcents(f, 3), p.fcents(f, 4), p.fcents(f, 5)
		c.FilingIndicator, c.PayerClaimNumber = f.value(6), f.value(7)
		c.FacilityCode, c.Frequency = f.value(8), f.value(9)
		c.DRG, c.DRGWeight, c.DischargeFraction = f.value(11), f.value(12), f.value(13)
	case "CAS":
		c.Adjustments = p.adjustments(c.Adjustments, f)
	case "NM1":
		switch nm := name(f); f.value(1) {
		case "QC":
			c.Patient = nm
		case "IL":
			c.Insured = newName(nm)
		case "74":
			c.Corrected = newName(nm)
		case "82":
			c.RenderingProvider = newName(nm)
		case "TT":
			c.CrossoverCarrier = newName(nm)
		case "PR":
			c.CorrectedPriorityPayer = newName(nm)
		case "GB":
			c.OtherSubscriber = newName(nm)
		}
	case "MIA":
		c.Inpatient = p.inpatient(f)
	case "MOA":
		c.Outpatient = &Outpatient{
			ReimbursementRate: f.value(1), HCPCSPayable: p.fcents(f, 2),
			Remarks:     remarks(f, 3, 4, 5, 6, 7),
			ESRDPayment: p.fcents(f, 8), NonpayableProfessional: p.fcents(f, 9),
		}
	case "REF":
		c.References = append(p.referenceRoom.room(c.References, 1), Reference{Qualifier: f.value(1), Value: f.value(2)})
	case "DTM":
		c.Dates = append(p.dateRoom.room(c.Dates, 1), Date{Qualifier: f.value(1), Date: p.fdate(f, 2)})
	case "PER":
		c.Contacts = append(c.Contacts, contact(f))
	case "AMT":
		c.Amounts = append(p.amountRoom.room(c.Amounts, 1), Amount{Qualifier: f.value(1), Amount: p.fcents(f, 2)})
	case "QTY":
		c.Quantities = append(c.Quantities, Quantity{Qualifier: f.value(1), Value: f.value(2)})
	}
}

// countLoops counts the loops id directly under the nodes.
func countLoops(nodes []*guide.Node, id string) int {
	k := 0
	for _, n := range nodes {
		for _, c := range n.Children {
			if c.Node != nil && c.Node.Loop.ID == id {
				k++
			}
		}
	}
	return k
}

func remarks(f *fields, els ...int) []string {
	var out []string
	for _, el := range els {
		if v := f.value(el); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (p *reader) inpatient(f *fields) *Inpatient {
	return &Inpatient{
		CoveredDays: f.value(1), PPSOperatingOutlier: p.fcents(f, 2), LifetimePsychiatricDays: f.value(3),
		DRGAmount: p.fcents(f, 4), Remarks: remarks(f, 5, 20, 21, 22, 23),
		DisproportionateShare: p.fcents(f, 6), MSPPassThrough: p.fcents(f, 7), PPSCapital: p.fcents(f, 8),
		CapitalFSPDRG: p.fcents(f, 9), CapitalHSPDRG: p.fcents(f, 10), CapitalDSHDRG: p.fcents(f, 11),
		OldCapital: p.fcents(f, 12), CapitalIME: p.fcents(f, 13), OperatingHospitalSpecificDRG: p.fcents(f, 14),
		CostReportDays: f.value(15), OperatingFederalSpecificDRG: p.fcents(f, 16), CapitalOutlier: p.fcents(f, 17),
		IndirectTeaching: p.fcents(f, 18), NonpayableProfessional: p.fcents(f, 19), CapitalException: p.fcents(f, 24),
	}
}

// adjustments appends the reason/amount/quantity trios of a CAS segment.
func (p *reader) adjustments(as []Adjustment, f *fields) []Adjustment {
	g := f.value(1)
	var trios [6]int // CAS02, CAS05 ... of the trios present
	n := 0
	for el := 2; el <= 17; el += 3 {
		if f.has(el) || f.has(el+1) {
			trios[n] = el
			n++
		}
	}
	if n == 0 {
		return as
	}
	as = p.adjustmentRoom.room(as, n)
	for _, el := range trios[:n] {
		as = append(as, Adjustment{Group: g, Reason: f.value(el), Amount: p.fcents(f, el+1), Quantity: f.value(el + 2)})
	}
	return as
}

func procedureOf(f *fields, el int) Procedure {
	var c [7]string
	f.components(el, c[:])
	pr := Procedure{Qualifier: c[0], Code: c[1], Description: c[6]}
	for _, m := range c[2:6] {
		if m != "" {
			pr.Modifiers = append(pr.Modifiers, m)
		}
	}
	return pr
}

// line reads loop 2110 into l.
func (p *reader) line(l *ServicePayment, n *guide.Node) {
	f := &p.f
	for _, ch := range n.Children {
		if ch.Segment == nil {
			continue
		}
		f.load(ch.Segment)
		if ch.Schema == nil {
			p.unmapped(f)
			continue
		}
		p.lineSegment(l, f)
	}
}

// lineSegment reads one segment of loop 2110 into l.
func (p *reader) lineSegment(l *ServicePayment, f *fields) {
	switch f.id {
	case "SVC":
		l.Procedure = procedureOf(f, 1)
		l.Charge, l.Paid = p.fcents(f, 2), p.fcents(f, 3)
		l.RevenueCode, l.Units = f.value(4), f.value(5)
		if f.has(6) {
			op := procedureOf(f, 6)
			l.OriginalProcedure = &op
		}
		l.OriginalUnits = f.value(7)
	case "DTM":
		l.Dates = append(p.dateRoom.room(l.Dates, 1), Date{Qualifier: f.value(1), Date: p.fdate(f, 2)})
	case "CAS":
		l.Adjustments = p.adjustments(l.Adjustments, f)
	case "REF":
		if f.value(1) == "6R" && l.LineControlNumber == "" {
			l.LineControlNumber = f.value(2)
		} else {
			l.References = append(p.referenceRoom.room(l.References, 1), Reference{Qualifier: f.value(1), Value: f.value(2)})
		}
	case "AMT":
		l.Amounts = append(p.amountRoom.room(l.Amounts, 1), Amount{Qualifier: f.value(1), Amount: p.fcents(f, 2)})
	case "QTY":
		l.Quantities = append(l.Quantities, Quantity{Qualifier: f.value(1), Value: f.value(2)})
	case "LQ":
		l.Remarks = append(l.Remarks, Remark{Qualifier: f.value(1), Code: f.value(2)})
	}
}

// plb reads a PLB segment.
func (p *reader) plb(f *fields) ProviderAdjustment {
	pa := ProviderAdjustment{ProviderID: f.value(1), FiscalPeriod: p.fdate(f, 2)}
	for el := 3; el <= 13; el += 2 {
		if !f.has(el) && !f.has(el+1) {
			continue
		}
		pa.Adjustments = append(pa.Adjustments, PLBAdjustment{
			Reason: f.component(el, 1), Reference: f.component(el, 2), Amount: p.fcents(f, el+1),
		})
	}
	return pa
}
