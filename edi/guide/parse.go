package guide

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/claimflow/claimflow/edi/x12"
)

// maxFast is the number of elements the fixed arrays of parsed hold; a segment with
// more takes the slow path (wide).
const maxFast = 64

// maxShort is the longest segment whose bytes parse also describes in bit masks.
const maxShort = 64

// parsed is a segment split into elements. A short segment (at most maxShort bytes, the
// usual case) is described by two bit masks over its bytes (bit i for raw[i]): where
// the element separators are, and the bytes the fast check must look at. The fast
// check walks the separators' mask; the offsets of the elements are written out, into
// fixed arrays rather than slices so that nothing is allocated, only when something
// asks for an element by its position (split).
type parsed struct {
	raw     []byte
	ct      *classTable
	split   bool            // n, start, end and present are valid
	n       int             // number of elements, the segment id included
	start   [maxFast]uint32 // element i is raw[start[i]:end[i]]
	end     [maxFast]uint32 //
	present uint64          // bit i set when element i is not empty
	wide    bool            // more than maxFast elements: use more
	more    [][]byte        // all elements, only when wide
	moreF   []uint8         // their flags, only when wide

	short   bool   // sep, special and text are valid
	sep     uint64 // element separators
	special uint64 // component and repetition separators, bytes outside 0x20-0x7e
	// text holds a short segment's bytes from textAt, with room around them, so that
	// any value can be read as one word (shortWord) wherever it is.
	text [textSize]byte
}

// textAt is where a short segment's copy starts in parsed.text, and textSize the
// size of text: room for the sixteen bytes maskSplit may write before the segment and
// for a word read at any of its bytes.
const (
	textAt   = 16
	textSize = textAt + maxShort + 16
)

// shortWord returns the n (1 to 8) bytes of a short segment from a as a
// little-endian word, with zeros above.
func (p *parsed) shortWord(a, n int) uint64 {
	return binary.LittleEndian.Uint64(p.text[textAt+a&(maxShort-1):]) & byteMasks[n&7]
}

// ensure writes out the offsets of the elements of a short segment.
func (p *parsed) ensure() {
	if p.split {
		return
	}
	k := 0
	from := uint32(0)
	var present uint64
	for m := p.sep; m != 0; m &= m - 1 {
		at := uint32(bits.TrailingZeros64(m))
		p.start[k], p.end[k] = from, at
		present |= uint64(b2u(at > from)) << uint(k)
		from = at + 1
		k++
	}
	at := uint32(len(p.raw))
	p.start[k], p.end[k] = from, at
	present |= uint64(b2u(at > from)) << uint(k)
	p.n = k + 1
	p.present = present
	p.split = true
}

// span returns the bounds of element i (1-based; 0 < i < maxFast) of a segment that is
// not wide, and false when the segment has fewer elements.
func (p *parsed) span(i int) (a, b int, ok bool) {
	if p.split {
		if i >= p.n {
			return 0, 0, false
		}
		return int(p.start[i]), int(p.end[i]), true
	}
	m := p.sep
	for k := 1; k < i && m != 0; k++ {
		m &= m - 1
	}
	if m == 0 {
		return 0, 0, false
	}
	a = bits.TrailingZeros64(m) + 1
	b = len(p.raw)
	if m &= m - 1; m != 0 {
		b = bits.TrailingZeros64(m)
	}
	return a, b, true
}

// count is the number of elements, not counting the segment id.
func (p *parsed) count() int {
	if p.wide {
		return len(p.more) - 1
	}
	p.ensure()
	return p.n - 1
}

// element returns element i (1-based) or nil.
func (p *parsed) element(i int) []byte {
	p.ensure()
	if p.wide {
		if i < 1 || i >= len(p.more) {
			return nil
		}
		return p.more[i]
	}
	if i < 1 || i >= p.n {
		return nil
	}
	return p.raw[p.start[i]:p.end[i]:p.end[i]]
}

// flag returns the byte classes of element i, ORed.
func (p *parsed) flag(i int) uint8 {
	if p.wide {
		if i < len(p.moreF) {
			return p.moreF[i]
		}
		return 0
	}
	return p.ct.flags(p.element(i))
}

// component returns component j of the first repetition of element i.
func (p *parsed) component(i, j int, d x12.Delimiters) []byte {
	v := p.element(i)
	if d.Repetition != 0 {
		if k := bytes.IndexByte(v, d.Repetition); k >= 0 {
			v = v[:k]
		}
	}
	for n := 1; ; n++ {
		k := bytes.IndexByte(v, d.Component)
		if n == j {
			if k < 0 {
				return v
			}
			return v[:k]
		}
		if k < 0 {
			return nil
		}
		v = v[k+1:]
	}
}

// Word-at-a-time constants: a byte repeated in each byte of a word.
const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
	x7f = 0x7f7f7f7f7f7f7f7f
	// gather moves the high bit of byte i of a word to bit 56+i.
	gather = 0x0102040810204080
)

// eqMask has the high bit of each byte of x equal to the byte repeated in c.
func eqMask(x, c uint64) uint64 {
	t := x ^ c
	return ^((t&x7f + x7f) | t) & hi8
}

// bitsOf turns a mask of high bits (one per byte) into eight bits, bit i for byte i.
func bitsOf(m uint64) uint64 { return (m >> 7) * gather >> 56 }

// tailWord returns the n (1 to 7) bytes of b from i, the last of b, as a little-endian
// word with zeros above.
func tailWord(b []byte, i, n int) uint64 {
	if len(b) >= 8 {
		return binary.LittleEndian.Uint64(b[len(b)-8:]) >> (8 * uint(8-n))
	}
	var x uint64
	for k := n - 1; k >= 0; k-- {
		x = x<<8 | uint64(b[i+k])
	}
	return x
}

// wordMasks returns, for the eight bytes of x, bit i set when byte i is an element
// separator (sep), and when it is a component or repetition separator or a byte outside
// 0x20-0x7e (special).
func wordMasks(x, sepW, compW, repW uint64) (sep, special uint64) {
	y := x & x7f // no carry between bytes below
	ctl := ^(y + lo8*0x60) | (y + lo8*0x01) | x
	return bitsOf(eqMask(x, sepW)), bitsOf(ctl&hi8 | eqMask(x, compW) | eqMask(x, repW))
}

// maskSplitWords is maskSplit in portable Go, eight bytes a step: word operations find
// the element separators and the special bytes, with no branch per byte. It is the
// reference the assembly version is tested against.
func maskSplitWords(raw []byte, d x12.Delimiters) (sep, special uint64) {
	sepW := lo8 * uint64(d.Element)
	compW := lo8 * uint64(d.Component)
	repW := lo8 * uint64(d.Repetition) // zero when none: the zero bytes it finds are special anyway
	if len(raw) < 8 {
		s, sp := wordMasks(tailWord(raw, 0, len(raw)), sepW, compW, repW)
		valid := uint64(1)<<uint(len(raw)) - 1
		return s & valid, sp & valid
	}
	// Words at 0, 8, 16 ... and the last one ending with the segment, which may
	// overlap the one before it: ORing the same bits twice changes nothing.
	last := len(raw) - 8
	for i := 0; ; i += 8 {
		if i > last {
			i = last
		}
		x := binary.LittleEndian.Uint64(raw[i:])
		y := x & x7f // no carry between bytes below
		t, c, r := x^sepW, x^compW, x^repW
		ms := ^((t&x7f + x7f) | t)
		mc := ^((c&x7f + x7f) | c) | ^((r&x7f + x7f) | r) | ^(y + lo8*0x60) | (y + lo8*0x01) | x
		sep |= bitsOf(ms&hi8) << uint(i)
		special |= bitsOf(mc&hi8) << uint(i)
		if i == last {
			return sep, special
		}
	}
}

// word returns the n (1 to 8) bytes of the segment from a as a little-endian word,
// with zeros above.
func (p *parsed) word(a, n int) uint64 {
	if p.short {
		return p.shortWord(a, n)
	}
	if a+8 <= len(p.raw) {
		return binary.LittleEndian.Uint64(p.raw[a:a+8]) & byteMasks[n&7]
	}
	return p.tailWord(a, n)
}

// byteMasks[n] keeps the low n bytes of a word (all eight for n = 0, that is 8&7).
var byteMasks = [8]uint64{^uint64(0), 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffff, 0xffffffffffff, 0xffffffffffffff}

// tailWord is word for bytes near the end of the segment.
func (p *parsed) tailWord(a, n int) uint64 {
	if raw := p.raw; len(raw) >= 8 {
		// The last eight bytes of the segment, shifted down to byte a.
		return binary.LittleEndian.Uint64(raw[len(raw)-8:]) >> (8 * uint(a+8-len(raw)) & 63) & byteMasks[n&7]
	}
	return tailWord(p.raw[:a+n], a, n)
}

// nonDigits returns bit i set for each byte i of x (n bytes) that is not 0-9.
func nonDigits(x uint64, n int) uint64 {
	y := x & x7f
	digit := (y + lo8*0x50) &^ (y + lo8*0x46) &^ x // 0x30 to 0x39
	return bitsOf(^digit&hi8) & (1<<uint(n) - 1)
}

// parse splits seg into p and notes which elements are present (not empty). A short
// segment is described by the masks of maskSplit, found with no branch per byte.
func (p *parsed) parse(ct *classTable, seg *x12.Segment) {
	raw := seg.Raw()
	p.raw, p.ct = raw, ct
	p.wide = false
	if len(raw) > maxShort || len(raw) == 0 {
		p.short = false
		p.split = true
		p.parseBytes(seg)
		return
	}
	sep, special := ct.maskSplit(raw, &p.text)
	p.sep = sep
	p.special = special &^ sep
	p.short = true
	p.split = false
	if bits.OnesCount64(sep) >= maxFast {
		p.parseWide(seg)
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// parseBytes is parse for a long segment, one byte at a time.
func (p *parsed) parseBytes(seg *x12.Segment) {
	raw := p.raw
	sep := seg.Delims.Element
	var present uint64
	n := len(raw)
	k := 0
	for i := 0; ; {
		j := n
		if x := bytes.IndexByte(raw[i:], sep); x >= 0 {
			j = i + x
		}
		if k == maxFast {
			p.parseWide(seg)
			return
		}
		p.start[k], p.end[k] = uint32(i), uint32(j)
		if j > i {
			present |= 1 << uint(k)
		}
		k++
		if j >= n {
			break
		}
		i = j + 1
	}
	p.n = k
	p.present = present
}

// parseWide is parse for a segment of more than maxFast elements.
func (p *parsed) parseWide(seg *x12.Segment) {
	p.wide = true
	p.short = false
	p.split = true
	p.more = p.more[:0]
	p.moreF = p.moreF[:0]
	p.present = 0
	for i, e := range seg.Elements() {
		p.more = append(p.more, e)
		p.moreF = append(p.moreF, p.ct.flags(e))
		if len(e) > 0 && i < 64 {
			p.present |= 1 << uint(i)
		}
	}
	p.n = len(p.more)
}
