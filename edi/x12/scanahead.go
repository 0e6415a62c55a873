package x12

import (
	"encoding/binary"
	"math/bits"
)

// aheadMax is about the most flagged bytes one scanAhead queues.
const aheadMax = 1024

const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
	swar7f = 0x7f7f7f7f7f7f7f7f
)

// scanAhead queues the positions of the bytes after r.pos in the buffer that may end or
// break a segment, about aheadMax of them, for pop; it reports whether it found any.
//
// A flagged byte is one below 0x20 (control bytes, line breaks, tabs), 0x7f, the
// segment terminator, or sometimes a byte above 0x7f (which pop passes over as data).
// The buffer is read once, eight bytes at a time, with a few word operations and no
// branch per byte or per segment; pop then makes sense of the flagged bytes (most are
// terminators), so the bytes inside segments are never looked at one by one.
func (r *Reader) scanAhead() bool {
	if r.q == nil {
		r.q = new(flagQueue)
	}
	term := r.d.Segment
	var n int
	switch {
	case term < 0x20 || term == 0x7f:
		// A control character as terminator is flagged with the other control bytes.
		n = r.q.scan(r.buf[:r.end], r.pos, swarLo*0x01, 0, false)
	case term == 0x7e:
		// "~": flagging 0x7e and 0x7f together costs nothing more.
		n = r.q.scan(r.buf[:r.end], r.pos, swarLo*0x02, 0, false)
	default:
		n = r.q.scan(r.buf[:r.end], r.pos, swarLo*0x01, swarLo*uint64(term), true)
	}
	r.qi, r.qn = 0, n
	return n > 0
}

// flagQueue holds the buffer positions of flagged bytes. Its size is a power of two
// above aheadMax plus the most sixteen bytes can add, so that indexes masked with
// flagMask need no bounds check.
type flagQueue [2 * aheadMax]int

const flagMask = 2*aheadMax - 1

// gather moves the high bit of each byte of a word to bit 56+i for byte i.
const gather = 0x0102040810204080

// scanWords is scan in portable Go, eight bytes at a time with word operations (and
// the reference the assembly version is tested against).
func (q *flagQueue) scanWords(b []byte, j int, hiAdd, tm uint64, exact bool) int {
	n := 0
	for ; len(b)-j >= 16 && n < aheadMax; j += 16 {
		x1 := binary.LittleEndian.Uint64(b[j:])
		x2 := binary.LittleEndian.Uint64(b[j+8:])
		y1, y2 := x1&swar7f, x2&swar7f // no carry between bytes below
		m1 := ((y1 + hiAdd) | ^(y1 + swarLo*0x60)) & swarHi
		m2 := ((y2 + hiAdd) | ^(y2 + swarLo*0x60)) & swarHi
		if exact {
			t1, t2 := x1^tm, x2^tm
			m1 |= ^((t1&swar7f + swar7f) | t1) & swarHi
			m2 |= ^((t2&swar7f + swar7f) | t2) & swarHi
		}
		// Store two positions whatever the count (a position past the sixteen bytes
		// when absent, never counted), so that the usual case costs no branch.
		m := (m1>>7)*gather>>56 | (m2>>7)*gather>>56<<8 // bit i: byte j+i is flagged
		m0 := m & (m - 1)
		q[n&flagMask] = j + bits.TrailingZeros64(m)
		q[(n+1)&flagMask] = j + bits.TrailingZeros64(m0)
		if m0&(m0-1) != 0 {
			q.addRest(n, j, m0)
		}
		n += int((m1>>7 + m2>>7) * swarLo >> 56)
	}
	return n
}

// addRest stores from q[n+2] on the positions of the bytes flagged in m but its lowest,
// m being the mask of the sixteen bytes at j without their first flagged byte.
func (q *flagQueue) addRest(n, j int, m uint64) {
	for i := n + 2; ; i++ {
		m &= m - 1
		if m == 0 {
			return
		}
		q[i&flagMask] = j + bits.TrailingZeros64(m)
	}
}

// blank reports whether b holds only spaces and tabs.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// pop returns the segment that ends at the next queued terminator, following next's
// rules exactly: line breaks and blank space between segments are passed over
// (counting lines), and flagged bytes that are data (tabs, delimiters that are control
// characters, bytes above 0x7f) do not end a segment. What next must do itself (an ISA,
// whose delimiters may differ; a segment longer than MaxSegmentLen; a control byte
// inside a segment; the end of the queue) makes pop return nil, with r.pos and r.line at
// the start of the segment, and the queue where it was.
func (r *Reader) pop() *Segment {
	b := r.buf[:r.end]
	term := r.d.Segment
	s, line := r.pos, r.line
	for ; r.qi < r.qn; r.qi++ {
		e := r.q[r.qi]
		c := b[e]
		if c != term {
			// A line break where a segment would start is white space between
			// segments, even when it is also a delimiter (next passes it over too).
			if (c == '\n' || c == '\r') && blank(b[s:e]) {
				if c == '\n' {
					line++
				}
				s = e + 1
				continue
			}
			if r.class[c] != clsControl {
				continue // data
			}
			break // a control byte inside the segment
		}
		for s < e && (b[s] == ' ' || b[s] == '\t') {
			s++
		}
		if s == e && (term == '\n' || term == '\r') {
			// A terminator that is a line break, where a segment would start: next
			// passes it as white space.
			if c == '\n' {
				line++
			}
			s = e + 1
			continue
		}
		if e-s > r.MaxSegmentLen || b[s] == 'I' && e-s >= 3 && b[s+1] == 'S' && b[s+2] == 'A' && !isAlnum(b[s+3]) {
			break
		}
		r.qi++
		r.pos = e + 1
		return r.emit(s, e, line)
	}
	r.pos, r.line = s, line
	return nil
}
