package x12

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// Sequence hands out control numbers. ISA13 must be unique per sender for ever, so
// the caller owns the interchange sequence (storage keeps it); an in-memory Counter
// serves tests and the group and transaction numbers inside one interchange.
type Sequence interface {
	Next() (uint64, error)
}

// Counter is an in-memory Sequence starting after N.
type Counter struct {
	mu sync.Mutex
	N  uint64
}

// Next returns the next number.
func (c *Counter) Next() (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.N++
	return c.N, nil
}

// InterchangeHeader holds the ISA fields a sender chooses. The Writer pads ISA02/04 to
// 10 and ISA06/08 to 15 characters.
type InterchangeHeader struct {
	AuthQualifier     string // ISA01, "00" when empty
	Auth              string // ISA02
	SecurityQualifier string // ISA03, "00" when empty
	Security          string // ISA04
	SenderQualifier   string // ISA05, e.g. "ZZ"
	SenderID          string // ISA06
	ReceiverQualifier string // ISA07
	ReceiverID        string // ISA08
	Time              time.Time
	Version           string // ISA12, "00501" when empty
	AckRequested      bool   // ISA14: 1 asks for a TA1
	Test              bool   // ISA15: T for test, P otherwise
}

// GroupHeader holds the GS fields.
type GroupHeader struct {
	FunctionalID string // GS01, e.g. HC for claims, FA for acknowledgments
	SenderCode   string // GS02
	ReceiverCode string // GS03
	Time         time.Time
	Version      string // GS08, e.g. 005010X222A1
}

// Control identifies where the Writer is: the control numbers of the open envelopes.
type Control struct {
	ISA13 string
	GS06  string
	ST02  string
}

// envelope levels
const (
	levelNone = iota
	levelInterchange
	levelGroup
	levelTransaction
)

// Writer writes X12 segments with chosen delimiters. Data containing a delimiter is
// refused with ErrDelimiterInData, never written; after RefuseNonASCII, so is data
// holding a byte outside printable ASCII (0x20-0x7E: control characters, line
// breaks, tabs, UTF-8), with ErrCharacterInData. Trailing empty elements and
// components are dropped, as X12 requires. Errors are sticky: after the first, every
// call returns it. Call Flush at the end.
type Writer struct {
	// Interchanges gives ISA13 numbers; it must be set before BeginInterchange.
	Interchanges Sequence
	// Groups gives GS06 numbers; by default 1, 2, ... in each interchange.
	Groups Sequence
	// Transactions gives ST02 numbers; by default 0001, 0002, ... in each group.
	Transactions Sequence
	// Newline writes a line feed after each segment terminator.
	Newline bool

	w      *bufio.Writer
	d      Delimiters
	forbid [256]bool  // the delimiters: never in data, even copied by WriteSegment
	refuse [256]uint8 // what data given element by element may not hold: refusedChar, refusedDelim

	seg    []byte
	segID  string
	elem   int
	comp   int // the component being written by Comp, 0 otherwise
	keep   int
	inSeg  bool
	level  int
	nseg   int // segments in the open transaction set, ST included
	nst    int
	ngs    int
	ctl    Control
	groups Counter
	txns   Counter
	err    error
}

// NewWriter returns a Writer to w using delimiters d.
func NewWriter(w io.Writer, d Delimiters) (*Writer, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	wr := &Writer{w: bufio.NewWriterSize(w, 64<<10), d: d, seg: make([]byte, 0, 256)}
	for _, c := range []byte{d.Element, d.Component, d.Segment, d.Repetition} {
		if c != 0 {
			wr.forbid[c] = true
			wr.refuse[c] = refusedDelim
		}
	}
	return wr, nil
}

// Delimiters returns the writer's delimiters.
func (w *Writer) Delimiters() Delimiters { return w.d }

// Control returns the control numbers of the open interchange, group and transaction set.
func (w *Writer) Control() Control { return w.ctl }

// STOrdinal is the ordinal, inside the open transaction set, that the next segment
// written will have (ST = 1). It is what a 999 IK302 names.
func (w *Writer) STOrdinal() int { return w.nseg + 1 }

// Err returns the first error the Writer met.
func (w *Writer) Err() error { return w.err }

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// Begin starts a segment.
func (w *Writer) Begin(id string) {
	if w.err != nil {
		return
	}
	if w.inSeg {
		w.fail(&WriteError{SegmentID: w.segID, Err: errors.New("segment not ended before the next")})
		return
	}
	w.inSeg = true
	w.segID = id
	w.elem = 0
	w.seg = w.appendData(w.seg[:0], id)
	w.keep = len(w.seg)
}

// RefuseNonASCII makes the writer refuse, from now on, data holding a byte outside
// printable ASCII, as a file we originate must not carry (an 837P). Writers that
// echo what others sent (an 835 read and written back) keep those bytes.
func (w *Writer) RefuseNonASCII() {
	for c := range w.refuse {
		if (c < 0x20 || c > 0x7e) && w.refuse[c] == 0 {
			w.refuse[c] = refusedChar
		}
	}
}

// Why Writer.refuse refuses a byte in data.
const (
	refusedChar  = 1 // outside printable ASCII
	refusedDelim = 2 // a delimiter
)

// appendData appends v, refusing delimiters and bytes outside printable ASCII.
func (w *Writer) appendData(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if why := w.refuse[v[i]]; why != 0 {
			err := ErrCharacterInData
			if why == refusedDelim {
				err = ErrDelimiterInData
			}
			w.fail(&WriteError{SegmentID: w.segID, Element: w.elem, Component: w.comp, Err: fmt.Errorf("%w: %q", err, v[i])})
			return dst
		}
	}
	return append(dst, v...)
}

// Elem adds a simple element.
func (w *Writer) Elem(v string) {
	if w.err != nil {
		return
	}
	w.elem++
	w.seg = append(w.seg, w.d.Element)
	w.seg = w.appendData(w.seg, v)
	if len(v) > 0 {
		w.keep = len(w.seg)
	}
}

// Cents adds a monetary amount element (type R) from cents.
func (w *Writer) Cents(c int64) {
	if w.err != nil {
		return
	}
	w.elem++
	w.seg = append(w.seg, w.d.Element)
	w.seg = AppendCents(w.seg, c)
	w.keep = len(w.seg)
}

// Int adds an integer element.
func (w *Writer) Int(n int64) {
	if w.err != nil {
		return
	}
	w.elem++
	w.seg = append(w.seg, w.d.Element)
	w.seg = strconv.AppendInt(w.seg, n, 10)
	w.keep = len(w.seg)
}

// Comp adds a composite element made of the given components; trailing empty
// components are dropped.
func (w *Writer) Comp(parts ...string) {
	if w.err != nil {
		return
	}
	last := len(parts)
	for last > 0 && parts[last-1] == "" {
		last--
	}
	w.elem++
	w.seg = append(w.seg, w.d.Element)
	for i, p := range parts[:last] {
		if i > 0 {
			w.seg = append(w.seg, w.d.Component)
		}
		w.comp = i + 1
		w.seg = w.appendData(w.seg, p)
	}
	w.comp = 0
	if last > 0 {
		w.keep = len(w.seg)
	}
}

// Reps adds an element made of repetitions of simple values.
func (w *Writer) Reps(values ...string) {
	if w.err != nil {
		return
	}
	if len(values) > 1 && w.d.Repetition == 0 {
		w.fail(&WriteError{SegmentID: w.segID, Element: w.elem + 1, Err: errors.New("repetitions without a repetition separator")})
		return
	}
	w.elem++
	w.seg = append(w.seg, w.d.Element)
	for i, v := range values {
		if i > 0 {
			w.seg = append(w.seg, w.d.Repetition)
		}
		w.seg = w.appendData(w.seg, v)
	}
	if len(values) > 0 {
		w.keep = len(w.seg)
	}
}

// End finishes the segment and writes it.
func (w *Writer) End() error {
	if w.err != nil {
		return w.err
	}
	if !w.inSeg {
		return w.fail(&WriteError{SegmentID: w.segID, Err: errors.New("End without Begin")})
	}
	w.inSeg = false
	w.seg = append(w.seg[:w.keep], w.d.Segment)
	if w.Newline {
		w.seg = append(w.seg, '\n')
	}
	if _, err := w.w.Write(w.seg); err != nil {
		return w.fail(fmt.Errorf("x12: writing %s: %w", w.segID, err))
	}
	if w.level == levelTransaction {
		w.nseg++
	}
	return nil
}

// Segment writes a segment of simple elements.
func (w *Writer) Segment(id string, elements ...string) error {
	w.Begin(id)
	for _, e := range elements {
		w.Elem(e)
	}
	return w.End()
}

// WriteSegment writes a segment read from another stream, translating its component
// and repetition separators to the writer's, and keeping every element it has (even
// trailing empty ones) so that read -> write gives the input back. ISA, IEA, GS, GE, ST and SE are written
// as they are: they do not update the writer's envelope state or counts.
func (w *Writer) WriteSegment(s *Segment) error {
	if s.ID == "ISA" {
		return w.writeISARaw(s)
	}
	if w.err != nil {
		return w.err
	}
	if w.inSeg {
		return w.fail(&WriteError{SegmentID: w.segID, Err: errors.New("segment not ended before the next")})
	}
	w.inSeg = true
	w.segID = s.ID
	w.seg = w.seg[:0]
	for i, e := range s.Elements() {
		w.elem = i
		if i > 0 {
			w.seg = append(w.seg, w.d.Element)
		}
		for _, c := range e {
			switch {
			case c == s.Delims.Component:
				c = w.d.Component
			case c == s.Delims.Repetition && s.Delims.Repetition != 0:
				if w.d.Repetition == 0 {
					return w.fail(&WriteError{SegmentID: s.ID, Element: i, Err: errors.New("repetitions without a repetition separator")})
				}
				c = w.d.Repetition
			case w.forbid[c]:
				return w.fail(&WriteError{SegmentID: s.ID, Element: i, Err: fmt.Errorf("%w: %q", ErrDelimiterInData, c)})
			}
			w.seg = append(w.seg, c)
		}
	}
	// Keep trailing empty elements too: what was read is written back as it was.
	w.keep = len(w.seg)
	return w.End()
}

// writeISARaw copies an ISA, putting this writer's separators into ISA11 and ISA16.
func (w *Writer) writeISARaw(s *Segment) error {
	if w.err != nil {
		return w.err
	}
	if s.Len() != 16 {
		return w.fail(&WriteError{SegmentID: "ISA", Err: fmt.Errorf("ISA has %d elements, want 16", s.Len())})
	}
	w.seg = append(w.seg[:0], "ISA"...)
	for i := 1; i <= 16; i++ {
		w.seg = append(w.seg, w.d.Element)
		switch {
		case i == 11 && w.d.Repetition != 0 && len(s.Element(i)) == 1 && !isAlnum(s.Element(i)[0]):
			w.seg = append(w.seg, w.d.Repetition)
		case i == 16:
			w.seg = append(w.seg, w.d.Component)
		default:
			w.seg = append(w.seg, s.Element(i)...)
		}
	}
	w.seg = append(w.seg, w.d.Segment)
	if w.Newline {
		w.seg = append(w.seg, '\n')
	}
	if _, err := w.w.Write(w.seg); err != nil {
		return w.fail(fmt.Errorf("x12: writing ISA: %w", err))
	}
	return nil
}

func pad(v string, n int, field string) (string, error) {
	if len(v) > n {
		return "", fmt.Errorf("%s %q is longer than %d characters", field, v, n)
	}
	for len(v) < n {
		v += " "
	}
	return v, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// BeginInterchange writes an ISA segment with the next interchange control number.
func (w *Writer) BeginInterchange(h InterchangeHeader) error {
	if w.err != nil {
		return w.err
	}
	if w.level != levelNone {
		return w.fail(fmt.Errorf("x12: ISA inside an open interchange: %w", ErrEnvelope))
	}
	if w.Interchanges == nil {
		return w.fail(errors.New("x12: Writer.Interchanges is not set: ISA13 needs a caller-supplied sequence"))
	}
	n, err := w.Interchanges.Next()
	if err != nil {
		return w.fail(fmt.Errorf("x12: next interchange control number: %w", err))
	}
	if n == 0 || n > 999999999 {
		return w.fail(fmt.Errorf("x12: interchange control number %d out of range 1-999999999", n))
	}
	fields := []struct {
		v     string
		width int
		name  string
	}{
		{orDefault(h.AuthQualifier, "00"), 2, "ISA01"},
		{h.Auth, 10, "ISA02"},
		{orDefault(h.SecurityQualifier, "00"), 2, "ISA03"},
		{h.Security, 10, "ISA04"},
		{h.SenderQualifier, 2, "ISA05"},
		{h.SenderID, 15, "ISA06"},
		{h.ReceiverQualifier, 2, "ISA07"},
		{h.ReceiverID, 15, "ISA08"},
	}
	w.Begin("ISA")
	for _, f := range fields {
		v, err := pad(f.v, f.width, f.name)
		if err != nil {
			return w.fail(&WriteError{SegmentID: "ISA", Element: w.elem + 1, Err: err})
		}
		w.Elem(v)
	}
	w.Elem(h.Time.Format("060102"))
	w.Elem(h.Time.Format("1504"))
	// ISA11 and ISA16 are the separators themselves: append them without the data check.
	w.elem++
	w.seg = append(w.seg, w.d.Element)
	if w.d.Repetition != 0 {
		w.seg = append(w.seg, w.d.Repetition)
	} else {
		w.seg = append(w.seg, 'U')
	}
	w.Elem(orDefault(h.Version, "00501"))
	w.ctl = Control{ISA13: fmt.Sprintf("%09d", n)}
	w.Elem(w.ctl.ISA13)
	if h.AckRequested {
		w.Elem("1")
	} else {
		w.Elem("0")
	}
	if h.Test {
		w.Elem("T")
	} else {
		w.Elem("P")
	}
	w.elem++
	w.seg = append(w.seg, w.d.Element, w.d.Component)
	w.keep = len(w.seg)
	if err := w.End(); err != nil {
		return err
	}
	w.level = levelInterchange
	w.ngs = 0
	w.groups = Counter{}
	return nil
}

// EndInterchange writes the IEA with the count of groups.
func (w *Writer) EndInterchange() error {
	if w.err != nil {
		return w.err
	}
	if w.level != levelInterchange {
		return w.fail(fmt.Errorf("x12: IEA with a group or transaction set open, or no interchange: %w", ErrEnvelope))
	}
	w.Begin("IEA")
	w.Int(int64(w.ngs))
	w.Elem(w.ctl.ISA13)
	err := w.End()
	w.level = levelNone
	return err
}

// BeginGroup writes a GS segment with the next group control number.
func (w *Writer) BeginGroup(h GroupHeader) error {
	if w.err != nil {
		return w.err
	}
	if w.level != levelInterchange {
		return w.fail(fmt.Errorf("x12: GS outside an interchange: %w", ErrEnvelope))
	}
	seq := w.Groups
	if seq == nil {
		seq = &w.groups
	}
	n, err := seq.Next()
	if err != nil {
		return w.fail(fmt.Errorf("x12: next group control number: %w", err))
	}
	if n == 0 || n > 999999999 {
		return w.fail(fmt.Errorf("x12: group control number %d out of range 1-999999999", n))
	}
	w.ctl.GS06 = strconv.FormatUint(n, 10)
	w.Begin("GS")
	w.Elem(h.FunctionalID)
	w.Elem(h.SenderCode)
	w.Elem(h.ReceiverCode)
	w.Elem(h.Time.Format("20060102"))
	w.Elem(h.Time.Format("1504"))
	w.Elem(w.ctl.GS06)
	w.Elem("X")
	w.Elem(h.Version)
	if err := w.End(); err != nil {
		return err
	}
	w.level = levelGroup
	w.ngs++
	w.nst = 0
	w.txns = Counter{}
	return nil
}

// EndGroup writes the GE with the count of transaction sets.
func (w *Writer) EndGroup() error {
	if w.err != nil {
		return w.err
	}
	if w.level != levelGroup {
		return w.fail(fmt.Errorf("x12: GE outside a group or with a transaction set open: %w", ErrEnvelope))
	}
	w.Begin("GE")
	w.Int(int64(w.nst))
	w.Elem(w.ctl.GS06)
	err := w.End()
	w.level = levelInterchange
	w.ctl.GS06 = ""
	return err
}

// BeginTransaction writes ST*id*ST02*version with the next transaction control
// number and returns the control numbers in force.
func (w *Writer) BeginTransaction(id, version string) (Control, error) {
	if w.err != nil {
		return Control{}, w.err
	}
	if w.level != levelGroup {
		return Control{}, w.fail(fmt.Errorf("x12: ST outside a group: %w", ErrEnvelope))
	}
	seq := w.Transactions
	if seq == nil {
		seq = &w.txns
	}
	n, err := seq.Next()
	if err != nil {
		return Control{}, w.fail(fmt.Errorf("x12: next transaction set control number: %w", err))
	}
	if n == 0 || n > 999999999 {
		return Control{}, w.fail(fmt.Errorf("x12: transaction set control number %d out of range", n))
	}
	w.ctl.ST02 = fmt.Sprintf("%04d", n)
	w.level = levelTransaction
	w.nseg = 0
	w.Begin("ST")
	w.Elem(id)
	w.Elem(w.ctl.ST02)
	w.Elem(version)
	if err := w.End(); err != nil {
		return Control{}, err
	}
	w.nst++
	return w.ctl, nil
}

// EndTransaction writes the SE with the count of segments from ST to SE.
func (w *Writer) EndTransaction() error {
	if w.err != nil {
		return w.err
	}
	if w.level != levelTransaction {
		return w.fail(fmt.Errorf("x12: SE outside a transaction set: %w", ErrEnvelope))
	}
	w.Begin("SE")
	w.Int(int64(w.nseg + 1))
	w.Elem(w.ctl.ST02)
	err := w.End()
	w.level = levelGroup
	w.ctl.ST02 = ""
	return err
}

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		return w.fail(fmt.Errorf("x12: flushing: %w", err))
	}
	return nil
}
