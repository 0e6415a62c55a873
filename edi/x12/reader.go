package x12

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// DefaultMaxSegmentLen is the longest segment a Reader accepts unless told otherwise.
const DefaultMaxSegmentLen = 64 << 10

// readChunk is how much a Reader asks of its source at a time.
const readChunk = 256 << 10

// byte classes inside a segment
const (
	clsData = iota
	clsElement
	clsControl
)

// Reader reads segments from an X12 stream. It takes the delimiters from each ISA
// segment, so one stream may hold several interchanges with different delimiters. It
// tolerates a UTF-8 byte-order mark at the start and carriage returns, line feeds,
// tabs and spaces between segments. Memory use is bounded by MaxSegmentLen plus a
// fixed read buffer, whatever the size of the input.
//
// Set options before the first call to Next.
type Reader struct {
	// MaxSegmentLen is the longest segment accepted, in bytes, without its terminator.
	MaxSegmentLen int

	// MissingTerminator is set when the input ended with an IEA that had no segment
	// terminator; the reader accepts it, a strict validator reports it.
	MissingTerminator bool

	r    io.Reader
	buf  []byte
	pos  int   // next unread byte in buf
	end  int   // end of valid data in buf
	base int64 // stream offset of buf[0]
	line int
	rerr error // error from r (io.EOF at the end)

	d       Delimiters
	haveISA bool
	class   [256]uint8

	seg     Segment
	ord     int64
	stOrd   int
	started bool
	ids     idTable
	err     error

	// Segment terminators found ahead by scanAhead: q[qi:qn] are the buffer indexes of
	// those not yet passed.
	q      *flagQueue
	qi, qn int

	el4       uint32 // the element separator in each byte
	termLines int    // 1 when the segment terminator is a line feed, else 0
}

// NewReader returns a Reader that reads from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, MaxSegmentLen: DefaultMaxSegmentLen, line: 1}
}

// Delimiters returns the delimiters of the interchange being read (zero before the first ISA).
func (r *Reader) Delimiters() Delimiters { return r.d }

// InputOffset returns the stream offset just after the last segment returned.
func (r *Reader) InputOffset() int64 { return r.base + int64(r.pos) }

// Line returns the line of the next unread byte.
func (r *Reader) Line() int { return r.line }

// fill reads more data into the buffer, moving unread bytes to its start first. It
// reports false when no more data can come.
func (r *Reader) fill() bool {
	if r.rerr != nil {
		return false
	}
	if r.buf == nil {
		size := readChunk
		if r.MaxSegmentLen+4096 > size {
			size = r.MaxSegmentLen + 4096
		}
		r.buf = make([]byte, size)
	}
	if r.pos > 0 {
		n := copy(r.buf, r.buf[r.pos:r.end])
		r.base += int64(r.pos)
		r.end = n
		r.pos = 0
	}
	if r.end == len(r.buf) {
		// A segment longer than the buffer: only possible when MaxSegmentLen was
		// raised after the buffer was made.
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for i := 0; i < 100; i++ {
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	r.rerr = io.ErrNoProgress
	return false
}

// ensure makes at least n unread bytes available if the input has them.
func (r *Reader) ensure(n int) bool {
	for r.end-r.pos < n {
		if !r.fill() {
			return false
		}
	}
	return true
}

func (r *Reader) syntaxError(off int64, err error) error {
	return &SyntaxError{Offset: off, Line: r.line, Ordinal: r.ord + 1, STOrdinal: r.nextSTOrdinal(), Err: err}
}

func (r *Reader) nextSTOrdinal() int {
	if r.stOrd > 0 {
		return r.stOrd + 1
	}
	return 0
}

// readErr turns a failure of the underlying reader into the error to return.
func (r *Reader) readErr() error {
	if r.rerr != nil && r.rerr != io.EOF {
		return fmt.Errorf("x12: reading input at offset %d: %w", r.base+int64(r.end), r.rerr)
	}
	return nil
}

// Next returns the next segment, or io.EOF after the last one. Any other error is a
// *SyntaxError (or a wrapped read error) and is returned again by every later call.
// The segment is valid only until the next call.
func (r *Reader) Next() (*Segment, error) {
	if r.qi < r.qn {
		// The usual segment: it ends at the next flagged byte, which is a terminator;
		// it starts with a letter other than I (which may begin an ISA); its id, of two
		// or three bytes, is in the id table.
		b := r.buf
		s, e := r.pos, r.q[r.qi&flagMask]
		if e-s >= 4 && e-s <= r.MaxSegmentLen && b[e] == r.d.Segment && b[s] > ' ' && b[s] != 'I' {
			x := binary.LittleEndian.Uint32(b[s:])
			y := x ^ r.el4
			n := uint32(bits.TrailingZeros32((y-0x01010101)&^y&0x80808080)) >> 3
			key := x&idLowMasks[n&3] | n<<24 // (n is 4 when no separator came: no id has that key)
			h := idHash(key)
			id := &r.ids[h]
			if id.key != key {
				id = &r.ids[h^1]
			}
			if id.key == key && n-2 < 2 {
				r.qi++
				r.pos = e + 1
				r.ord++
				switch {
				case key == keyST:
					r.stOrd = 1
				case r.stOrd > 0:
					r.stOrd++
				}
				seg := &r.seg
				seg.ID = id.id
				seg.key = key
				seg.Delims = r.d
				seg.Offset = r.base + int64(s)
				seg.Line = r.line
				seg.Ordinal = r.ord
				seg.STOrdinal = r.stOrd
				seg.raw = b[s:e:e]
				seg.elems = seg.elems[:0]
				seg.split = false
				if key == keySE {
					r.stOrd = 0
				}
				r.line += r.termLines
				return seg, nil
			}
		}
	}
	return r.nextCareful()
}

// nextCareful is Next for everything but the usual segment: it passes what is queued
// to pop, scans ahead when the queue is empty, and leaves the rest to next.
func (r *Reader) nextCareful() (*Segment, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.qi < r.qn || r.haveISA && r.scanAhead() {
		if seg := r.pop(); seg != nil {
			return seg, nil
		}
	}
	base, d := r.base, r.d
	seg, err := r.next()
	if err != nil {
		r.err = err
		r.qi, r.qn = 0, 0
		return nil, err
	}
	if r.base != base || r.d != d {
		// The buffer moved, or an ISA brought other delimiters: what is queued is void.
		r.qi, r.qn = 0, 0
	}
	for r.qi < r.qn && r.q[r.qi] < r.pos {
		r.qi++
	}
	return seg, nil
}

func (r *Reader) next() (*Segment, error) {
	// Skip the byte-order mark and white space between segments.
	for {
		if r.pos == r.end && !r.fill() {
			if err := r.readErr(); err != nil {
				return nil, err
			}
			if r.ord == 0 {
				return nil, r.syntaxError(r.base+int64(r.pos), ErrEmpty)
			}
			return nil, io.EOF
		}
		if !r.started {
			r.started = true
			r.ensure(3)
			if bytes.HasPrefix(r.buf[r.pos:r.end], []byte{0xEF, 0xBB, 0xBF}) {
				r.pos += 3
			}
			continue
		}
		c := r.buf[r.pos]
		if c == '\n' {
			r.line++
		} else if c != '\r' && c != ' ' && c != '\t' {
			break
		}
		r.pos++
	}

	r.ensure(4)
	if b := r.buf[r.pos:r.end]; len(b) >= 4 && b[0] == 'I' && b[1] == 'S' && b[2] == 'A' && !isAlnum(b[3]) {
		if err := r.readISA(); err != nil {
			return nil, err
		}
	} else if !r.haveISA {
		return nil, r.syntaxError(r.base+int64(r.pos), ErrNoISA)
	}

	// Find the terminator, reading more as needed, and refuse control bytes on the way.
	from := r.pos
	var segEnd int
	for {
		t, c := r.scan(r.buf[from:r.end])
		if c >= 0 {
			if k := r.unterminatedTrailer(); k >= 0 {
				segEnd = k
				break
			}
			return nil, r.controlError(r.pos, from+c)
		}
		if t >= 0 {
			segEnd = from + t
			break
		}
		if r.end-r.pos > r.MaxSegmentLen {
			return nil, r.syntaxError(r.base+int64(r.pos), ErrSegmentTooLong)
		}
		seen := r.end - r.pos
		more := r.fill()
		if !more {
			if err := r.readErr(); err != nil {
				return nil, err
			}
			if k := r.unterminatedTrailer(); k >= 0 {
				segEnd = k
				break
			}
			return nil, r.syntaxError(r.base+int64(r.pos), ErrTruncated)
		}
		from = r.pos + seen
	}
	start := r.pos
	if segEnd-start > r.MaxSegmentLen {
		return nil, r.syntaxError(r.base+int64(start), ErrSegmentTooLong)
	}
	seg := r.emit(start, segEnd, r.line)
	r.pos = segEnd + 1
	if r.pos > r.end {
		r.pos = r.end
	}
	return seg, nil
}

// emit makes the segment buf[start:end], which starts on line, the current one and
// moves the reader's line and ordinals past it.
func (r *Reader) emit(start, end, line int) *Segment {
	raw := r.buf[start:end:end]
	id, key := r.segmentID(raw)
	r.ord++
	switch {
	case key == keyST:
		r.stOrd = 1
	case r.stOrd > 0:
		r.stOrd++
	}
	seg := &r.seg
	seg.ID = id
	seg.key = key
	seg.Delims = r.d
	seg.Offset = r.base + int64(start)
	seg.Line = line
	seg.Ordinal = r.ord
	seg.STOrdinal = r.stOrd
	seg.raw = raw
	seg.elems = seg.elems[:0]
	seg.split = false
	if key == keySE {
		r.stOrd = 0
	}
	if r.d.Segment == '\n' {
		line++
	}
	r.line = line
	return seg
}

// unterminatedTrailer handles input that ends with an IEA lacking its terminator
// (often followed by a line feed): the data is all there, so the IEA is read and
// MissingTerminator records the defect. It reads to the end of the input to make sure
// only white space follows, and returns where the IEA ends, or -1.
func (r *Reader) unterminatedTrailer() int {
	for r.fill() {
		if r.end-r.pos > r.MaxSegmentLen {
			return -1
		}
	}
	if r.rerr != io.EOF {
		return -1
	}
	b := r.buf[r.pos:r.end]
	if len(b) < 4 || string(b[:3]) != "IEA" || b[3] != r.d.Element {
		return -1
	}
	end := len(b)
	for k, c := range b {
		if c == '\r' || c == '\n' {
			end = k
			break
		}
	}
	for _, c := range b[end:] {
		if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
			return -1
		}
	}
	for _, c := range b[:end] {
		if r.class[c] == clsControl {
			return -1
		}
	}
	r.MissingTerminator = true
	return r.pos + end
}

// isaScan is how far into an ISA segment the reader looks for ISA16.
const isaScan = 512

// readISA takes the delimiters from the ISA segment at r.pos. The element separator is
// the byte after "ISA", the component separator is ISA16, the segment terminator the
// byte after it, and ISA11 the repetition separator unless it is alphanumeric (the "U"
// of version 00401). The ISA is found by counting separators, so a non-fixed-width ISA
// still reads; the validator reports its width.
func (r *Reader) readISA() error {
	r.ensure(isaScan)
	b := r.buf[r.pos:r.end]
	if len(b) > isaScan {
		b = b[:isaScan]
	}
	el := b[3]
	seps := 0
	i := 3
	var isa11 []byte
	last := 3
	for ; i < len(b); i++ {
		if b[i] != el {
			continue
		}
		seps++
		if seps == 12 {
			isa11 = b[last+1 : i]
		}
		last = i
		if seps == 16 {
			break
		}
	}
	if seps < 16 || i+2 >= len(b) {
		if len(b) < isaScan && r.rerr != nil {
			return r.syntaxError(r.base+int64(r.pos), fmt.Errorf("%w: the ISA segment is incomplete", ErrTruncated))
		}
		return r.syntaxError(r.base+int64(r.pos), fmt.Errorf("%w: ISA16 not found", ErrDelimiters))
	}
	d := Delimiters{Element: el, Component: b[i+1], Segment: b[i+2]}
	if len(isa11) == 1 && !isAlnum(isa11[0]) && isa11[0] != ' ' {
		d.Repetition = isa11[0]
	}
	if err := d.Validate(); err != nil {
		se := r.syntaxError(r.base+int64(r.pos), err).(*SyntaxError)
		se.SegmentID = "ISA"
		se.Element = 16
		return se
	}
	if bytes.IndexByte(b[:i+1], d.Segment) >= 0 {
		return r.syntaxError(r.base+int64(r.pos), fmt.Errorf("%w: the segment terminator %q appears inside the ISA", ErrDelimiters, d.Segment))
	}
	if d.Segment == ' ' || d.Segment == '\t' {
		return r.syntaxError(r.base+int64(r.pos), fmt.Errorf("%w: white space as segment terminator", ErrDelimiters))
	}
	r.setDelimiters(d)
	return nil
}

func (r *Reader) setDelimiters(d Delimiters) {
	r.d = d
	r.haveISA = true
	r.el4 = uint32(d.Element) * 0x01010101
	r.termLines = 0
	if d.Segment == '\n' {
		r.termLines = 1
	}
	for c := 0; c < 256; c++ {
		cls := uint8(clsData)
		if c < 0x20 && c != '\t' || c == 0x7f {
			cls = clsControl
		}
		r.class[c] = cls
	}
	r.class[d.Element] = clsElement
	r.class[d.Component] = clsData
	if d.Repetition != 0 {
		r.class[d.Repetition] = clsData
	}
}

// IsSyntaxError reports whether err is (or wraps) a *SyntaxError.
func IsSyntaxError(err error) bool {
	var se *SyntaxError
	return errors.As(err, &se)
}

// scan looks through b for the segment terminator and for control bytes (below 0x20
// other than tab, or 0x7f) that are not delimiters, eight bytes at a time. It returns
// the index of the terminator or -1, and the index of a control byte met before it or
// -1. The lowest byte flagged in a word is always a true match, so positions are exact.
func (r *Reader) scan(b []byte) (term, ctrl int) {
	tm := swarLo * uint64(r.d.Segment)
	class := &r.class
	j := 0
	for j+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[j:])
		t := x ^ tm
		z := x ^ (swarLo * 0x7f)
		mt := (t - swarLo) &^ t & swarHi
		mc := (((x - swarLo*0x20) &^ x) | ((z - swarLo) &^ z)) & swarHi
		if mt|mc == 0 {
			j += 8
			continue
		}
		pt, pc := 8, 8
		if mt != 0 {
			pt = bits.TrailingZeros64(mt) >> 3
		}
		if mc != 0 {
			pc = bits.TrailingZeros64(mc) >> 3
		}
		if pt <= pc {
			return j + pt, -1
		}
		if class[b[j+pc]] == clsControl {
			return -1, j + pc
		}
		j += pc + 1 // a tab, or a delimiter that is a control character
	}
	tb := r.d.Segment
	for ; j < len(b); j++ {
		c := b[j]
		if c == tb {
			return j, -1
		}
		if class[c] == clsControl {
			return -1, j
		}
	}
	return -1, -1
}

// controlError reports a control byte at buffer index at, in the segment starting at start.
func (r *Reader) controlError(start, at int) error {
	e := r.syntaxError(r.base+int64(at), fmt.Errorf("%w 0x%02x", ErrControlChar, r.buf[at]))
	se := e.(*SyntaxError)
	head := r.buf[start:at]
	se.Element = bytes.Count(head, []byte{r.d.Element})
	if k := bytes.IndexByte(head, r.d.Element); k > 0 {
		se.SegmentID = string(head[:k])
	}
	return e
}
