package guide

import (
	"errors"
	"fmt"
	"io"

	"github.com/claimflow/claimflow/edi/x12"
)

// DefaultMaxErrors bounds the errors one validation collects, so that a file of garbage
// cannot exhaust memory; the last error then says how many more were found.
const DefaultMaxErrors = 10000

// Checker validates a stream of segments (SNIP types 1 and 2): the envelopes, and each
// transaction set against its implementation guide. Feed it every segment with Segment
// and call Finish at the end. It keeps only the open loops of the current transaction
// set, so memory does not grow with the file.
type Checker struct {
	// MaxErrors bounds the errors kept (DefaultMaxErrors when 0).
	MaxErrors int
	// OnTransaction, when set, receives each transaction set as a loop tree when its SE
	// arrives (or when the set ends without one). Building trees costs a copy of each
	// segment of the set; plain validation does not need it.
	OnTransaction func(*Transaction) error
	// NoTrees hands OnTransaction each transaction set without its loop tree (Root
	// nil): its envelope and errors only, for a caller that reads the segments
	// itself as they come (x835.Reader). Validation then costs what it costs alone.
	NoTrees bool

	reg     *Registry
	env     x12.EnvelopeChecker
	envSeen int
	errs    List
	dropped int

	isa, gs *x12.Segment // the open envelopes (copies)
	walker  *walker
	walkers map[*Guide]*walker
	inST    bool
	txn     *Transaction
	builder *treeBuilder
	txnErrs int // index in errs of the first error of the open set
	ct      *classTable
	cbErr   error

	verifyFast    bool // tests: hold every fast verdict against the full check (panics)
	carefulAccept bool // tests: the walker takes every placed segment with accept
}

// NewChecker returns a Checker using the guides of reg.
func NewChecker(reg *Registry) *Checker {
	return &Checker{reg: reg, walkers: map[*Guide]*walker{}}
}

// Errors returns the errors found so far, in file order.
func (c *Checker) Errors() List { return c.errs }

func (c *Checker) report(e *Error) {
	max := c.MaxErrors
	if max == 0 {
		max = DefaultMaxErrors
	}
	if len(c.errs) >= max {
		c.dropped++
		return
	}
	if c.isa != nil {
		e.Interchange = c.isa.Value(13)
	}
	if c.gs != nil {
		e.Group = c.gs.Value(6)
	}
	if c.txn != nil && c.inST {
		e.Transaction = c.txn.ST02
		e.TxnSetID = c.txn.ST01
	}
	c.errs = append(c.errs, e)
}

// Segment checks the next segment of the stream.
func (c *Checker) Segment(seg *x12.Segment) error {
	if c.inST && c.walker != nil && !envelopeID(seg.ID) {
		// The usual segment, inside a transaction set: count it, place and check it.
		if !c.env.CheckUsual(seg) {
			c.env.Check(seg)
			c.drainEnvelope()
		}
		c.walker.segment(seg)
		return c.cbErr
	}
	if seg.ID == "ISA" {
		// A new interchange: what the checks find in its ISA belongs to it.
		c.endTransaction(seg)
		c.isa, c.gs = seg.Clone(), nil
	}
	c.env.Check(seg)
	c.drainEnvelope()
	switch seg.ID {
	case "ISA":
		c.checkControl(seg)
	case "IEA", "TA1":
		c.endTransaction(seg)
		c.checkControl(seg)
		if seg.ID == "IEA" {
			c.isa, c.gs = nil, nil
		}
	case "GS", "GE":
		c.endTransaction(seg)
		c.checkControl(seg)
		if seg.ID == "GS" {
			c.gs = seg.Clone()
		} else {
			c.gs = nil
		}
	case "ST":
		c.endTransaction(seg)
		c.beginTransaction(seg)
	default:
		if c.inST && c.walker != nil {
			c.walker.segment(seg)
		}
		if seg.ID == "SE" {
			c.endTransaction(seg)
		}
	}
	return c.cbErr
}

// envelopeID reports whether id is an envelope segment (ISA, IEA, TA1, GS, GE, ST, SE),
// one that Segment does more with than place in the open transaction set.
func envelopeID(id string) bool {
	if len(id) < 2 {
		return false
	}
	switch id[0] {
	case 'I', 'T', 'G', 'S':
		switch id {
		case "ISA", "IEA", "TA1", "GS", "GE", "ST", "SE":
			return true
		}
	}
	return false
}

// drainEnvelope turns the envelope checker's new findings into errors.
func (c *Checker) drainEnvelope() {
	all := c.env.Errors()
	if len(all) == c.envSeen {
		return
	}
	for _, ee := range all[c.envSeen:] {
		e := &Error{
			Offset: ee.Offset, Line: ee.Line, Ordinal: ee.Ordinal, STOrdinal: ee.STOrdinal,
			SegmentID: ee.SegmentID, Element: ee.Element,
			EnvelopeCode: ee.Code, Outcome: "R", Msg: ee.Msg,
		}
		switch ee.Level {
		case x12.LevelInterchange:
			e.Level = LevelInterchange
		case x12.LevelGroup:
			e.Level = LevelGroup
		default:
			e.Level = LevelTransaction
		}
		c.report(e)
	}
	c.envSeen = len(all)
}

// checkControl checks an envelope or TA1 segment against the control guide. The
// fixed-width fields of the ISA are the envelope checker's; here only its codes.
func (c *Checker) checkControl(seg *x12.Segment) {
	s := c.reg.control.ControlSegment(seg.ID)
	if s == nil {
		return
	}
	errAt := func(loopID, segID string) *Error {
		return &Error{Offset: seg.Offset, Line: seg.Line, Ordinal: seg.Ordinal, SegmentID: segID, Outcome: "R", Level: LevelInterchange}
	}
	report := c.report
	if seg.ID == "ISA" {
		report = func(e *Error) {
			if e.ElementCode == ElemBadCode && e.Element != 14 && e.Element != 15 {
				e.EnvelopeCode = isaNoteCode(e.Element)
				e.SegmentCode, e.ElementCode = "", ""
				c.report(e)
			}
		}
	}
	if seg.ID == "GS" || seg.ID == "GE" {
		inner := report
		report = func(e *Error) {
			e.Level = LevelGroup
			inner(e)
		}
	}
	c.ct = classesFor(c.ct, seg.Delims)
	var p parsed
	p.parse(c.ct, seg)
	checkElements(c.ct, s, seg, &p, "", errAt, report)
}

// isaNoteCode is the TA105 code for a bad ISA element.
func isaNoteCode(el int) string {
	codes := [...]string{"", "010", "011", "012", "013", "005", "006", "007", "008", "014", "015", "016", "017", "018", "019", "020", "027"}
	if el > 0 && el < len(codes) {
		return codes[el]
	}
	return "022"
}

func (c *Checker) beginTransaction(st *x12.Segment) {
	version := st.Value(3)
	if version == "" && c.gs != nil {
		version = c.gs.Value(8)
	}
	g := c.reg.Lookup(st.Value(1), version)
	if g == nil && c.gs != nil && version != c.gs.Value(8) {
		g = c.reg.Lookup(st.Value(1), c.gs.Value(8))
	}
	c.inST = true
	c.txn = &Transaction{Guide: g, ST01: st.Value(1), ST02: st.Value(2), Version: version, Interchange: c.isa, Group: c.gs}
	c.txnErrs = len(c.errs)
	if g == nil {
		c.walker = nil
		c.report(&Error{
			Offset: st.Offset, Line: st.Line, Ordinal: st.Ordinal, STOrdinal: st.STOrdinal,
			SegmentID: "ST", Level: LevelTransaction, EnvelopeCode: "1", Outcome: "R",
			Msg: fmt.Sprintf("no implementation guide for transaction set %q version %q: only its envelope was checked", st.Value(1), version),
		})
		return
	}
	w := c.walkers[g]
	if w == nil {
		w = newWalker(g, c.report)
		c.walkers[g] = w
	}
	c.walker = w
	w.verifyFast, w.carefulAccept = c.verifyFast, c.carefulAccept
	w.tree = nil
	if c.OnTransaction != nil && !c.NoTrees {
		c.builder = newTreeBuilder(g)
		w.tree = c.builder
	}
	w.reset()
	w.segment(st)
}

// endTransaction closes the open transaction set, if any, at seg (its SE, or the
// segment that interrupted it).
func (c *Checker) endTransaction(seg *x12.Segment) {
	if !c.inST {
		return
	}
	if c.walker != nil {
		c.walker.finish(seg)
	}
	c.inST = false
	txn := c.txn
	txn.Errors = c.errs[c.txnErrs:len(c.errs):len(c.errs)]
	if c.builder != nil {
		txn.Root = c.builder.root
		c.builder = nil
	}
	if c.OnTransaction != nil && c.cbErr == nil {
		if err := c.OnTransaction(txn); err != nil {
			c.cbErr = err
		}
	}
	c.walker = nil
}

// Finish ends the stream: envelopes or a transaction set still open are reported.
func (c *Checker) Finish() List {
	c.env.Finish()
	c.drainEnvelope()
	if c.inST {
		c.endTransaction(&x12.Segment{ID: "EOF"})
	}
	if c.dropped > 0 {
		c.errs = append(c.errs, &Error{Level: LevelFile, Msg: fmt.Sprintf("%d more errors were not kept", c.dropped)})
	}
	return c.errs
}

// Validate reads an X12 stream and checks it (SNIP types 1 and 2) against the guides of
// reg. The returned list holds every problem found; a syntax error that stops the
// reading is the last entry, with its position, and is also returned as the error.
func Validate(r io.Reader, reg *Registry) (List, error) {
	return NewChecker(reg).Run(r)
}

// Run reads the whole stream through the checker and returns what Finish returns; a
// syntax error that stops the reading is added to the list and returned, and so is an
// error returned by OnTransaction.
func (c *Checker) Run(r io.Reader) (List, error) {
	rd := x12.NewReader(r)
	for {
		seg, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs := c.Finish()
			return append(errs, syntaxToError(err)), err
		}
		if err := c.Segment(seg); err != nil {
			return c.Errors(), err
		}
	}
	errs := c.Finish()
	if rd.MissingTerminator {
		errs = append(errs, &Error{Offset: rd.InputOffset(), Line: rd.Line(), SegmentID: "IEA", Level: LevelInterchange, EnvelopeCode: "023", Outcome: "R", Msg: "the file ends without a terminator after the IEA"})
	}
	return errs, c.cbErr
}

// syntaxToError turns a reader error into a list entry.
func syntaxToError(err error) *Error {
	var se *x12.SyntaxError
	if errors.As(err, &se) {
		return &Error{
			Offset: se.Offset, Line: se.Line, Ordinal: se.Ordinal, STOrdinal: se.STOrdinal,
			SegmentID: se.SegmentID, Element: se.Element, Component: se.Component,
			Level: LevelFile, Outcome: "R", Msg: se.Err.Error(),
		}
	}
	return &Error{Level: LevelFile, Outcome: "R", Msg: err.Error()}
}
