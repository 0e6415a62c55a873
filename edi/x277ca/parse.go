package x277ca

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
)

// ErrNot277CA is returned, wrapped, when the input holds no 277CA transaction set.
var ErrNot277CA = errors.New("no 277CA (005010X214) transaction set")

// Parse reads every 277CA of the input, in file order: one Ack per information
// source and receiver (a transaction set normally holds one of each). Parsing is
// lenient: a 277CA that breaks the guide still gives what it says (the guide's
// findings are in each Ack's Origin.Errors; values that cannot be read in
// Origin.Unread). Transaction sets other than 277CA are skipped; a file without any
// gives ErrNot277CA. A syntax error stops the reading and is returned with the
// acknowledgments read before it.
func Parse(r io.Reader) ([]Ack, error) {
	reg, err := guide.Default()
	if err != nil {
		return nil, fmt.Errorf("parsing 277CA: %w", err)
	}
	var acks []Ack
	_, err = guide.ReadTransactions(r, reg, func(t *guide.Transaction) error {
		if t.ST01 != "277" || t.Guide == nil || t.Guide.Name != "277CA" || t.Root == nil {
			return nil
		}
		acks = append(acks, readTransaction(t)...)
		return nil
	})
	if err != nil {
		return acks, fmt.Errorf("parsing 277CA: %w", err)
	}
	if len(acks) == 0 {
		return nil, fmt.Errorf("parsing 277CA: %w", ErrNot277CA)
	}
	return acks, nil
}

type reader struct {
	origin *Origin
}

func (p *reader) unread(seg *x12.Segment, el int, err error) {
	p.origin.Unread = append(p.origin.Unread, fmt.Sprintf("segment %d %s%02d: %v", seg.STOrdinal, seg.ID, el, err))
}

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

func (p *reader) date(seg *x12.Segment, el int, v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	d, err := time.Parse("20060102", v)
	if err != nil {
		p.unread(seg, el, fmt.Errorf("%q is not a date CCYYMMDD", v))
	}
	return d
}

func (p *reader) count(seg *x12.Segment, el int) int {
	v := seg.Value(el)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
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

func readTransaction(t *guide.Transaction) []Ack {
	var head Ack
	head.Origin = originOf(t.Interchange, t.Group, t.ST02)
	head.Origin.Errors = t.Errors
	if bht := t.Root.Segment("BHT", 0); bht != nil {
		head.BatchID = bht.Value(3)
		p := &reader{origin: &head.Origin}
		head.Created = p.date(bht, 4, bht.Value(4))
		if tm := bht.Value(5); !head.Created.IsZero() && (len(tm) == 4 || len(tm) == 6) {
			layout := "150405"[:len(tm)]
			if hm, err := time.Parse(layout, tm); err == nil {
				head.Created = head.Created.Add(time.Duration(hm.Hour())*time.Hour +
					time.Duration(hm.Minute())*time.Minute + time.Duration(hm.Second())*time.Second)
			} else {
				p.unread(bht, 5, fmt.Errorf("%q is not a time HHMM[SS]", tm))
			}
		}
	}
	head.Origin.Unread = slices.Clip(head.Origin.Unread) // each Ack appends to its own copy
	var acks []Ack
	for _, a := range t.Root.Loops("2000A") {
		src := head
		p := &reader{origin: &src.Origin}
		if n := first(a.Loops("2100A")); n != nil {
			src.InformationSource = entity(n)
		}
		if n := first(a.Loops("2200A")); n != nil {
			if trn := n.Segment("TRN", 0); trn != nil {
				src.Receipt.Trace = trn.Value(2)
			}
			if d := n.Segment("DTP", 1, "050"); d != nil {
				src.Receipt.Received = p.date(d, 3, d.Value(3))
			}
			if d := n.Segment("DTP", 1, "009"); d != nil {
				src.Receipt.Processed = p.date(d, 3, d.Value(3))
			}
		}
		receivers := a.Loops("2000B")
		if len(receivers) == 0 {
			acks = append(acks, src)
			continue
		}
		for _, b := range receivers {
			ack := src
			ack.Origin.Unread = slices.Clip(src.Origin.Unread)
			p := &reader{origin: &ack.Origin}
			p.receiver(&ack, b)
			acks = append(acks, ack)
		}
	}
	return acks
}

func (p *reader) receiver(a *Ack, b *guide.Node) {
	s := &a.Submitter
	if n := first(b.Loops("2100B")); n != nil {
		s.Entity = entity(n)
	}
	if n := first(b.Loops("2200B")); n != nil {
		if trn := n.Segment("TRN", 0); trn != nil {
			s.Trace = trn.Value(2)
		}
		s.Statuses = p.statuses(n)
		s.Totals = p.totals(n, "90", "AA")
	}
	for _, c := range b.Loops("2000C") {
		a.Providers = append(a.Providers, p.provider(c))
	}
}

func (p *reader) provider(c *guide.Node) Provider {
	var pr Provider
	if n := first(c.Loops("2100C")); n != nil {
		pr.Entity = entity(n)
	}
	if n := first(c.Loops("2200C")); n != nil {
		if trn := n.Segment("TRN", 0); trn != nil {
			pr.Trace = trn.Value(2)
		}
		pr.Statuses = p.statuses(n)
		for _, r := range n.Segments("REF") {
			pr.References = append(pr.References, Reference{Qualifier: r.Value(1), Value: r.Value(2)})
		}
		pr.Totals = p.totals(n, "QA", "QC")
	}
	for _, d := range c.Loops("2000D") {
		var patient Entity
		if n := first(d.Loops("2100D")); n != nil {
			patient = entity(n)
		}
		for _, n := range d.Loops("2200D") {
			pr.Claims = append(pr.Claims, p.claim(n, patient))
		}
	}
	return pr
}

func (p *reader) claim(n *guide.Node, patient Entity) Claim {
	c := Claim{Patient: patient}
	if trn := n.Segment("TRN", 0); trn != nil {
		c.PCN = trn.Value(2)
	}
	c.Statuses = p.statuses(n)
	c.PayerClaimNumber = refValue(n, "1K")
	c.ClearinghouseID = refValue(n, "D9")
	c.BillType = refValue(n, "BLT")
	if d := n.Segment("DTP", 1, "472"); d != nil {
		c.ServiceDates = p.period(d)
	}
	for _, ln := range n.Loops("2220D") {
		var l Line
		if svc := ln.Segment("SVC", 0); svc != nil {
			l.Procedure = procedureOf(svc, 1)
			l.Charge = p.cents(svc, 2)
			l.RevenueCode = svc.Value(4)
			l.Units = svc.Value(7)
		}
		l.Statuses = p.statuses(ln)
		l.LineControlNumber = refValue(ln, "FJ")
		l.PrescriptionNumber = refValue(ln, "XZ")
		if d := ln.Segment("DTP", 1, "472"); d != nil {
			l.ServiceDates = p.period(d)
		}
		c.Lines = append(c.Lines, l)
	}
	return c
}

func refValue(n *guide.Node, qual string) string {
	if r := n.Segment("REF", 1, qual); r != nil {
		return r.Value(2)
	}
	return ""
}

func procedureOf(seg *x12.Segment, el int) Procedure {
	pr := Procedure{Qualifier: string(seg.Component(el, 1)), Code: string(seg.Component(el, 2))}
	for k := 3; k <= 6; k++ {
		if m := seg.Component(el, k); len(m) > 0 {
			pr.Modifiers = append(pr.Modifiers, string(m))
		}
	}
	return pr
}

func (p *reader) period(d *x12.Segment) Period {
	v := d.Value(3)
	if d.Value(2) == "RD8" && len(v) == 17 && v[8] == '-' {
		return Period{From: p.date(d, 3, v[:8]), To: p.date(d, 3, v[9:])}
	}
	return Period{From: p.date(d, 3, v)}
}

func entity(n *guide.Node) Entity {
	nm1 := n.Segment("NM1", 0)
	if nm1 == nil {
		return Entity{}
	}
	return Entity{
		Code: nm1.Value(1), Type: nm1.Value(2), Name: nm1.Value(3), First: nm1.Value(4),
		Middle: nm1.Value(5), Suffix: nm1.Value(7), IDQualifier: nm1.Value(8), ID: nm1.Value(9),
	}
}

func statusCode(seg *x12.Segment, el int) StatusCode {
	return StatusCode{
		Category: string(seg.Component(el, 1)), Code: string(seg.Component(el, 2)),
		Entity: string(seg.Component(el, 3)), Qualifier: string(seg.Component(el, 4)),
	}
}

func (p *reader) statuses(n *guide.Node) []Status {
	var out []Status
	for _, stc := range n.Segments("STC") {
		s := Status{
			StatusCode: statusCode(stc, 1),
			Date:       p.date(stc, 2, stc.Value(2)),
			Action:     stc.Value(3),
			Charge:     p.cents(stc, 4),
			FreeText:   stc.Value(12),
		}
		for _, el := range []int{10, 11} {
			if stc.Has(el) {
				s.More = append(s.More, statusCode(stc, el))
			}
		}
		out = append(out, s)
	}
	return out
}

func (p *reader) totals(n *guide.Node, accepted, rejected string) Totals {
	var t Totals
	if q := n.Segment("QTY", 1, accepted); q != nil {
		t.AcceptedCount = p.count(q, 2)
	}
	if q := n.Segment("QTY", 1, rejected); q != nil {
		t.RejectedCount = p.count(q, 2)
	}
	if a := n.Segment("AMT", 1, "YU"); a != nil {
		t.AcceptedAmount = p.cents(a, 2)
	}
	if a := n.Segment("AMT", 1, "YY"); a != nil {
		t.RejectedAmount = p.cents(a, 2)
	}
	return t
}
