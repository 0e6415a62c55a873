package x835

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
)

// ErrNot835 is returned, wrapped, when the input holds no 835 transaction set.
var ErrNot835 = errors.New("no 835 (005010X221) transaction set")

// ParseEach reads the 835 transaction sets of the input one at a time and hands
// each to fn: memory holds one transaction set, whatever the size of the file. An
// error from fn stops the reading and is returned. Parsing is lenient: a remittance
// that breaks the guide still gives what it says (the guide's findings are in
// Origin.Errors, values that cannot be read in Origin.Unread, segments the model does
// not carry in Origin.Unmapped). Transaction sets other than 835 are skipped; a file
// without any gives ErrNot835. A syntax error stops the reading and is returned.
func ParseEach(r io.Reader, fn func(*Remittance) error) error {
	reg, err := guide.Default()
	if err != nil {
		return fmt.Errorf("parsing 835: %w", err)
	}
	n := 0
	var cbErr error
	_, err = guide.ReadTransactions(r, reg, func(t *guide.Transaction) error {
		if t.ST01 != "835" || t.Guide == nil || t.Guide.Name != "835" || t.Root == nil {
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

type reader struct {
	origin *Origin
	f      fields // the segment of a claim payment being read
}

func (p *reader) unread(seg *x12.Segment, el int, err error) {
	p.origin.Unread = append(p.origin.Unread, fmt.Sprintf("segment %d %s%02d: %v", seg.STOrdinal, seg.ID, el, err))
}

// cents reads an optional amount ("" is 0).
func (p *reader) cents(seg *x12.Segment, el int) int64 {
	v := seg.Element(el)
	if len(v) == 0 {
		return 0
	}
	c, err := x12.ParseCents(v)
	if err != nil {
		p.unread(seg, el, err)
	}
	return c
}

func (p *reader) date(seg *x12.Segment, el int) time.Time {
	v := seg.Value(el)
	if v == "" {
		return time.Time{}
	}
	d, err := time.Parse("20060102", v)
	if err != nil {
		p.unread(seg, el, fmt.Errorf("%q is not a date CCYYMMDD", v))
	}
	return d
}

func readRemittance(t *guide.Transaction) *Remittance {
	rem := &Remittance{Origin: originOf(t.Interchange, t.Group, t.ST02)}
	rem.Origin.Errors = t.Errors
	p := &reader{origin: &rem.Origin}
	root := t.Root
	for _, c := range root.Children {
		if c.Segment == nil {
			continue
		}
		seg := c.Segment
		switch {
		case c.Schema == nil:
			rem.Origin.Unmapped = append(rem.Origin.Unmapped, fmt.Sprintf("%d %s", seg.STOrdinal, seg.ID))
		case seg.ID == "BPR":
			rem.Payment = p.payment(seg)
		case seg.ID == "TRN":
			rem.Trace = Trace{Type: seg.Value(1), Number: seg.Value(2), PayerID: seg.Value(3), Supplemental: seg.Value(4)}
		case seg.ID == "CUR":
			rem.Currency = seg.Value(2)
		case seg.ID == "REF" && seg.Value(1) == "EV":
			rem.ReceiverID = seg.Value(2)
		case seg.ID == "REF" && seg.Value(1) == "F2":
			rem.VersionID = seg.Value(2)
		case seg.ID == "DTM":
			rem.ProductionDate = p.date(seg, 2)
		case seg.ID == "PLB":
			rem.ProviderAdjustments = append(rem.ProviderAdjustments, p.plb(seg))
		}
	}
	if n := first(root.Loops("1000A")); n != nil {
		rem.Payer = p.payer(n)
	}
	if n := first(root.Loops("1000B")); n != nil {
		rem.Payee = p.payee(n)
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
			switch {
			case c.Segment.ID == "LX" && c.Schema != nil:
				header = p.int(c.Segment, 1)
			default:
				p.unmapped(c.Segment)
			}
		}
		for _, c := range hdr.Children {
			if c.Node != nil && c.Node.Loop.ID == "2100" {
				cp := p.claim(c.Node)
				cp.Header = header
				rem.Claims = append(rem.Claims, cp)
			}
		}
	}
	return rem
}

func (p *reader) unmapped(seg *x12.Segment) {
	p.origin.Unmapped = append(p.origin.Unmapped, fmt.Sprintf("%d %s", seg.STOrdinal, seg.ID))
}

func (p *reader) int(seg *x12.Segment, el int) int {
	v := seg.Value(el)
	n, err := strconv.Atoi(v)
	if err != nil && v != "" {
		p.unread(seg, el, fmt.Errorf("%q is not a whole number", v))
	}
	return n
}

func first(ns []*guide.Node) *guide.Node {
	if len(ns) == 0 {
		return nil
	}
	return ns[0]
}

func (p *reader) payment(seg *x12.Segment) Payment {
	return Payment{
		Handling: seg.Value(1), Amount: p.cents(seg, 2), CreditDebit: seg.Value(3), Method: seg.Value(4), Format: seg.Value(5),
		Sender:  BankAccount{DFIQualifier: seg.Value(6), DFI: seg.Value(7), AccountQualifier: seg.Value(8), Account: seg.Value(9)},
		PayerID: seg.Value(10), PayerSupplementalCode: seg.Value(11),
		Receiver: BankAccount{DFIQualifier: seg.Value(12), DFI: seg.Value(13), AccountQualifier: seg.Value(14), Account: seg.Value(15)},
		Date:     p.date(seg, 16),
	}
}

// party reads the segments of loop 1000A or 1000B.
func (p *reader) party(n *guide.Node, name, qual, id *string, addr *Address, refs *[]Reference, contacts *[]Contact, rdm **Delivery) {
	for _, c := range n.Children {
		seg := c.Segment
		if seg == nil {
			continue
		}
		if c.Schema == nil {
			p.unmapped(seg)
			continue
		}
		switch seg.ID {
		case "N1":
			*name, *qual, *id = seg.Value(2), seg.Value(3), seg.Value(4)
		case "N3":
			addr.Line1, addr.Line2 = seg.Value(1), seg.Value(2)
		case "N4":
			addr.City, addr.State, addr.Zip, addr.Country, addr.CountrySubdivision = seg.Value(1), seg.Value(2), seg.Value(3), seg.Value(4), seg.Value(7)
		case "REF":
			*refs = append(*refs, reference(seg))
		case "PER":
			if contacts != nil {
				*contacts = append(*contacts, contact(seg))
			}
		case "RDM":
			if rdm != nil {
				*rdm = &Delivery{Method: seg.Value(1), Name: seg.Value(2), Number: seg.Value(3)}
			}
		}
	}
}

func (p *reader) payer(n *guide.Node) Payer {
	var pr Payer
	p.party(n, &pr.Name, &pr.IDQualifier, &pr.ID, &pr.Address, &pr.References, &pr.Contacts, nil)
	return pr
}

func (p *reader) payee(n *guide.Node) Payee {
	var pe Payee
	p.party(n, &pe.Name, &pe.IDQualifier, &pe.ID, &pe.Address, &pe.References, nil, &pe.Delivery)
	return pe
}

func reference(seg *x12.Segment) Reference {
	return Reference{Qualifier: seg.Value(1), Value: seg.Value(2)}
}

func contact(seg *x12.Segment) Contact {
	c := Contact{Function: seg.Value(1), Name: seg.Value(2)}
	for el := 3; el <= 7; el += 2 {
		if seg.Has(el) || seg.Has(el+1) {
			c.Numbers = append(c.Numbers, Number{Qualifier: seg.Value(el), Value: seg.Value(el + 1)})
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

func (p *reader) claim(n *guide.Node) ClaimPayment {
	var c ClaimPayment
	f := &p.f
	for _, ch := range n.Children {
		seg := ch.Segment
		if seg == nil {
			continue
		}
		if ch.Schema == nil {
			p.unmapped(seg)
			continue
		}
		f.load(seg)
		switch seg.ID {
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
			c.References = append(c.References, Reference{Qualifier: f.value(1), Value: f.value(2)})
		case "DTM":
			c.Dates = append(c.Dates, Date{Qualifier: f.value(1), Date: p.fdate(f, 2)})
		case "PER":
			c.Contacts = append(c.Contacts, contact(seg))
		case "AMT":
			c.Amounts = append(c.Amounts, Amount{Qualifier: f.value(1), Amount: p.fcents(f, 2)})
		case "QTY":
			c.Quantities = append(c.Quantities, Quantity{Qualifier: f.value(1), Value: f.value(2)})
		}
	}
	if k := countLoops([]*guide.Node{n}, "2110"); k > 0 {
		c.Lines = make([]ServicePayment, 0, k)
		for _, ch := range n.Children {
			if ch.Node != nil && ch.Node.Loop.ID == "2110" {
				c.Lines = append(c.Lines, p.line(ch.Node))
			}
		}
	}
	return c
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
	for el := 2; el <= 17; el += 3 {
		if !f.has(el) && !f.has(el+1) {
			continue
		}
		as = append(as, Adjustment{Group: g, Reason: f.value(el), Amount: p.fcents(f, el+1), Quantity: f.value(el + 2)})
	}
	return as
}

func procedureOf(f *fields, el int) Procedure {
	pr := Procedure{Qualifier: f.component(el, 1), Code: f.component(el, 2), Description: f.component(el, 7)}
	for k := 3; k <= 6; k++ {
		if m := f.component(el, k); m != "" {
			pr.Modifiers = append(pr.Modifiers, m)
		}
	}
	return pr
}

func (p *reader) line(n *guide.Node) ServicePayment {
	var l ServicePayment
	f := &p.f
	for _, ch := range n.Children {
		seg := ch.Segment
		if seg == nil {
			continue
		}
		if ch.Schema == nil {
			p.unmapped(seg)
			continue
		}
		f.load(seg)
		switch seg.ID {
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
			l.Dates = append(l.Dates, Date{Qualifier: f.value(1), Date: p.fdate(f, 2)})
		case "CAS":
			l.Adjustments = p.adjustments(l.Adjustments, f)
		case "REF":
			if f.value(1) == "6R" && l.LineControlNumber == "" {
				l.LineControlNumber = f.value(2)
			} else {
				l.References = append(l.References, Reference{Qualifier: f.value(1), Value: f.value(2)})
			}
		case "AMT":
			l.Amounts = append(l.Amounts, Amount{Qualifier: f.value(1), Amount: p.fcents(f, 2)})
		case "QTY":
			l.Quantities = append(l.Quantities, Quantity{Qualifier: f.value(1), Value: f.value(2)})
		case "LQ":
			l.Remarks = append(l.Remarks, Remark{Qualifier: f.value(1), Code: f.value(2)})
		}
	}
	return l
}

func (p *reader) plb(seg *x12.Segment) ProviderAdjustment {
	pa := ProviderAdjustment{ProviderID: seg.Value(1), FiscalPeriod: p.date(seg, 2)}
	for el := 3; el <= 13; el += 2 {
		if !seg.Has(el) && !seg.Has(el+1) {
			continue
		}
		pa.Adjustments = append(pa.Adjustments, PLBAdjustment{
			Reason: string(seg.Component(el, 1)), Reference: string(seg.Component(el, 2)), Amount: p.cents(seg, el+1),
		})
	}
	return pa
}
