package x835

import (
	"fmt"
	"io"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
)

// Reader reads the 835 transaction sets of a stream one at a time: Next returns
// each remittance in file order, then io.EOF. It checks every transaction set
// against the implementation guide as ParseEach does (the same Origin.Errors), but
// reads the model straight from the segments, with no loop tree: a transaction
// set's text is copied once, and its values are parts of that copy. Memory holds
// one transaction set, whatever the size of the input.
//
// For a transaction set the guide finds no fault with (Origin.Errors empty) the
// Remittance is the one ParseEach gives. For one it finds fault with, a segment is
// read in the loop the last loop-opening segment (N1, LX, CLP, SVC, PLB) opened,
// which may not be where the guide's walker places it: ParseEach reads such a file
// as leniently as the guide allows, to show what it holds.
//
//	rd := x835.NewReader(f)
//	for {
//		rem, err := rd.Next()
//		if err == io.EOF {
//			break
//		}
//		if err != nil {
//			return err
//		}
//		if len(rem.Origin.Errors) > 0 {
//			return refuse(rem)
//		}
//		...
//	}
//
// Transaction sets other than 835 are skipped; a stream without any gives
// ErrNot835 (wrapped) rather than io.EOF. A syntax error ends the reading: Next
// returns it, wrapped, after the transaction set it cut short.
type Reader struct {
	// ReuseRemittance lets Next return the same Remittance each time, overwritten,
	// its claims and lines in arrays that are reused too: for a caller that is done
	// with a remittance before it asks for the next (a check of the file), which then
	// allocates less. Set it before the first call to Next.
	ReuseRemittance bool

	rd    *x12.Reader
	check *guide.Checker
	err   error         // returned once the remittances read are handed out
	n     int           // 835 transaction sets read
	ready []*Remittance // read and not handed out yet

	// The 835 transaction set being read: its segments' text, copied.
	open   bool
	d      x12.Delimiters
	text   []byte
	segs   []segSpan
	claims []int // the SVC count of each CLP
	lines  int   // SVC segments after a CLP

	last      *Remittance      // the one handed out last, with ReuseRemittance
	lineArena []ServicePayment // its lines, with ReuseRemittance

	// body reads the loops of the transaction sets; its slabs go on from one set to
	// the next, so that a part of their arrays may hold the lists of two sets.
	body reader
}

// segSpan is one segment of the transaction set being read.
type segSpan struct {
	id       string
	ord      int // STOrdinal
	from, to int // its text is Reader.text[from:to]
}

// NewReader returns a Reader that reads from r.
func NewReader(r io.Reader) *Reader {
	x := &Reader{rd: x12.NewReader(r)}
	reg, err := guide.Default()
	if err != nil {
		x.err = fmt.Errorf("parsing 835: %w", err)
		return x
	}
	x.check = guide.NewChecker(reg)
	x.check.NoTrees = true
	x.check.OnTransaction = x.end
	return x
}

// Next returns the next 835 transaction set of the stream; io.EOF after the last.
func (r *Reader) Next() (*Remittance, error) {
	for len(r.ready) == 0 {
		if r.err != nil {
			return nil, r.err
		}
		r.step()
	}
	rem := r.ready[0]
	r.ready[0] = nil
	r.ready = r.ready[1:]
	return rem, nil
}

// step reads one segment: the checker sees it first, and ends the transaction set
// being read when it closes it (at SE, or at the segment that interrupts it).
func (r *Reader) step() {
	seg, err := r.rd.Next()
	if err != nil {
		r.check.Finish()
		switch {
		case err != io.EOF:
			r.err = fmt.Errorf("parsing 835: %w", err)
		case r.n == 0:
			r.err = fmt.Errorf("parsing 835: %w", ErrNot835)
		default:
			r.err = io.EOF
		}
		return
	}
	r.check.Segment(seg)
	r.keep(seg)
}

// keep copies a segment of an 835 transaction set.
func (r *Reader) keep(seg *x12.Segment) {
	if seg.ID == "ST" {
		r.open = string(seg.Element(1)) == "835"
		r.d = seg.Delims
		r.text, r.segs, r.claims, r.lines = r.text[:0], r.segs[:0], r.claims[:0], 0
	}
	if !r.open {
		return
	}
	from := len(r.text)
	r.text = append(r.text, seg.Raw()...)
	r.segs = append(r.segs, segSpan{id: seg.ID, ord: seg.STOrdinal, from: from, to: len(r.text)})
	switch seg.ID {
	case "CLP":
		r.claims = append(r.claims, 0)
	case "SVC":
		if len(r.claims) > 0 {
			r.claims[len(r.claims)-1]++
			r.lines++
		}
	}
}

// end is the checker's OnTransaction: the transaction set whose segments were kept
// has ended.
func (r *Reader) end(t *guide.Transaction) error {
	kept := r.open
	r.open = false
	if !kept || !is835(t) {
		return nil
	}
	r.n++
	r.ready = append(r.ready, r.remittance(t))
	return nil
}

// The loops a segment of the stream is read in.
const (
	inHeader       = iota // the transaction set's own level: header and PLB
	inPayer               // 1000A
	inPayee               // 1000B
	inSkip                // a second 1000A or 1000B: ParseEach reads the first only
	inHeaderNumber        // 2000
	inClaim               // 2100
	inLine                // 2110
)

// newRemittance returns the Remittance to read the kept segments into, with room
// for their claims, and the room for their lines: new, or with ReuseRemittance the
// last one's, cleared.
func (r *Reader) newRemittance() (*Remittance, []ServicePayment) {
	if !r.ReuseRemittance {
		rem := &Remittance{}
		if len(r.claims) > 0 {
			rem.Claims = make([]ClaimPayment, 0, len(r.claims)) // a ClaimPayment is large: no doublings
		}
		return rem, make([]ServicePayment, r.lines)
	}
	if r.last == nil {
		r.last = &Remittance{}
	}
	claims := r.last.Claims[:0]
	*r.last = Remittance{}
	if cap(claims) < len(r.claims) {
		claims = make([]ClaimPayment, 0, len(r.claims))
	}
	if len(r.claims) > 0 {
		r.last.Claims = claims
	}
	if cap(r.lineArena) < r.lines {
		r.lineArena = make([]ServicePayment, r.lines)
	}
	return r.last, r.lineArena[:r.lines]
}

// remittance reads the kept segments of transaction set t. The values that cannot
// be read and the segments not mapped are listed in the order ParseEach lists them:
// those of the transaction set's own level (PLB included) first.
func (r *Reader) remittance(t *guide.Transaction) *Remittance {
	text := string(r.text)
	rem, lines := r.newRemittance()
	rem.Origin = originOf(t.Interchange, t.Group, t.ST02)
	rem.Origin.Errors = t.Errors
	var rest Origin
	top, body := &reader{origin: &rem.Origin}, &r.body
	body.origin = &rest
	defer func() { body.origin = nil }()
	payer, payee := payerParty(&rem.Payer), payeeParty(&rem.Payee)
	var (
		f            fields
		in           = inHeader
		seenPayer    bool
		seenPayee    bool
		header       int
		claim        *ClaimPayment
		line         *ServicePayment
		claimOrdinal int
	)
	for i := range r.segs {
		s := &r.segs[i]
		f.loadText(s.id, s.ord, r.d, text[s.from:s.to], r.text[s.from:s.to])
		switch {
		case s.id == "N1" && f.value(1) == "PR":
			in = inPayer
			if seenPayer {
				in = inSkip
			}
			seenPayer = true
		case s.id == "N1" && f.value(1) == "PE":
			in = inPayee
			if seenPayee {
				in = inSkip
			}
			seenPayee = true
		case s.id == "LX":
			in, header, claim, line = inHeaderNumber, body.fint(&f, 1), nil, nil
			continue
		case s.id == "CLP":
			rem.Claims = append(rem.Claims, ClaimPayment{Header: header})
			claim, line, in = &rem.Claims[len(rem.Claims)-1], nil, inClaim
			if k := r.claims[claimOrdinal]; k > 0 {
				claim.Lines, lines = lines[:0:k], lines[k:]
			}
			claimOrdinal++
		case s.id == "SVC" && claim != nil:
			claim.Lines = append(claim.Lines, ServicePayment{})
			line, in = &claim.Lines[len(claim.Lines)-1], inLine
		case s.id == "PLB":
			in = inHeader
		}
		switch in {
		case inHeader:
			top.top(rem, &f)
		case inPayer:
			partySegment(payer, &f)
		case inPayee:
			partySegment(payee, &f)
		case inHeaderNumber:
			body.unmapped(&f)
		case inClaim:
			body.claimSegment(claim, &f)
		case inLine:
			body.lineSegment(line, &f)
		}
	}
	rem.Origin.Unread = append(rem.Origin.Unread, rest.Unread...)
	rem.Origin.Unmapped = append(rem.Origin.Unmapped, rest.Unmapped...)
	return rem
}
