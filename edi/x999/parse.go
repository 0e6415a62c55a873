package x999

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
)

// ErrNot999 is returned, wrapped, when the input holds no 999 transaction set.
var ErrNot999 = errors.New("no 999 transaction set")

// Parse reads every 999 transaction set of the input, in file order. Parsing is
// lenient: a 999 that breaks the guide still gives what it says (the guide's findings
// are in each Ack's Origin.Errors). Transaction sets other than 999 are skipped; a
// file without any gives ErrNot999. A syntax error stops the reading and is returned
// with the acknowledgments read before it.
func Parse(r io.Reader) ([]Ack, error) {
	reg, err := guide.Default()
	if err != nil {
		return nil, fmt.Errorf("parsing 999: %w", err)
	}
	var acks []Ack
	_, err = guide.ReadTransactions(r, reg, func(t *guide.Transaction) error {
		if t.ST01 != "999" || t.Root == nil {
			return nil
		}
		acks = append(acks, readAck(t))
		return nil
	})
	if err != nil {
		return acks, fmt.Errorf("parsing 999: %w", err)
	}
	if len(acks) == 0 {
		return nil, fmt.Errorf("parsing 999: %w", ErrNot999)
	}
	return acks, nil
}

type reader struct {
	src *Origin
}

// num reads an integer element ("" is 0); a bad one is recorded.
func (p *reader) num(seg *x12.Segment, el int, v []byte) int {
	if len(v) == 0 {
		return 0
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		p.src.Unread = append(p.src.Unread, fmt.Sprintf("segment %d %s%02d: %q is not a number", seg.STOrdinal, seg.ID, el, v))
	}
	return n
}

func readAck(t *guide.Transaction) Ack {
	a := Ack{Origin: originOf(t.Interchange, t.Group, t.ST02)}
	a.Origin.Errors = t.Errors
	p := &reader{src: &a.Origin}
	if ak1 := t.Root.Segment("AK1", 0); ak1 != nil {
		a.Group = Group{FunctionalID: ak1.Value(1), Control: ak1.Value(2), Version: ak1.Value(3)}
	}
	for _, n := range t.Root.Loops("2000") {
		a.Sets = append(a.Sets, p.set(n))
	}
	if ak9 := t.Root.Segment("AK9", 0); ak9 != nil {
		a.Status = ak9.Value(1)
		a.Included = p.num(ak9, 2, ak9.Element(2))
		a.Received = p.num(ak9, 3, ak9.Element(3))
		a.Accepted = p.num(ak9, 4, ak9.Element(4))
		a.Codes = codes(ak9, 5, 9)
	}
	return a
}

// codes returns the non-empty elements from..to.
func codes(seg *x12.Segment, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		if v := seg.Value(i); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (p *reader) set(n *guide.Node) SetResponse {
	var s SetResponse
	if ak2 := n.Segment("AK2", 0); ak2 != nil {
		s.ID, s.Control, s.Version = ak2.Value(1), ak2.Value(2), ak2.Value(3)
	}
	for _, e := range n.Loops("2100") {
		s.Segments = append(s.Segments, p.segmentError(e))
	}
	if ik5 := n.Segment("IK5", 0); ik5 != nil {
		s.Status = ik5.Value(1)
		s.Codes = codes(ik5, 2, 6)
	}
	return s
}

func (p *reader) segmentError(n *guide.Node) SegmentError {
	var e SegmentError
	if ik3 := n.Segment("IK3", 0); ik3 != nil {
		e.ID = ik3.Value(1)
		e.Position = p.num(ik3, 2, ik3.Element(2))
		e.Loop = ik3.Value(3)
		e.Code = ik3.Value(4)
	}
	e.Context = p.contexts(n)
	for _, el := range n.Loops("2110") {
		var x ElementError
		if ik4 := el.Segment("IK4", 0); ik4 != nil {
			x.Position = p.num(ik4, 1, ik4.Component(1, 1))
			x.Component = p.num(ik4, 1, ik4.Component(1, 2))
			x.Repetition = p.num(ik4, 1, ik4.Component(1, 3))
			x.Ref = ik4.Value(2)
			x.Code = ik4.Value(3)
			x.Value = ik4.Value(4)
		}
		x.Context = p.contexts(el)
		e.Elements = append(e.Elements, x)
	}
	return e
}

func (p *reader) contexts(n *guide.Node) []Context {
	var out []Context
	for _, seg := range n.Segments("CTX") {
		c := Context{
			Name:      string(seg.Component(1, 1)),
			Reference: string(seg.Component(1, 2)),
			SegmentID: seg.Value(2),
			Position:  p.num(seg, 3, seg.Element(3)),
			Loop:      seg.Value(4),
		}
		c.Element = p.num(seg, 5, seg.Component(5, 1))
		c.Component = p.num(seg, 5, seg.Component(5, 2))
		c.Repetition = p.num(seg, 5, seg.Component(5, 3))
		out = append(out, c)
	}
	return out
}
