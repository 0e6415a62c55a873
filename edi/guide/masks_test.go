package guide

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/claimflow/claimflow/edi/x12"
)

// maskSplitBytes is maskSplit by definition, one byte at a time.
func maskSplitBytes(raw []byte, d x12.Delimiters) (sep, special uint64) {
	for i, c := range raw {
		switch {
		case c == d.Element:
			sep |= 1 << uint(i)
		case c == d.Component || c == d.Repetition && d.Repetition != 0 || c < 0x20 || c > 0x7e:
			special |= 1 << uint(i)
		}
	}
	return sep, special
}

// checkMaskSplit compares maskSplit (the assembly version where there is one) and
// maskSplitWords with the definition, for raw; special is compared without the
// element separators, as parse keeps it.
func checkMaskSplit(t *testing.T, raw []byte, d x12.Delimiters) {
	t.Helper()
	ct := classesFor(nil, d)
	wantSep, wantSpecial := maskSplitBytes(raw, d)
	var text [textSize]byte
	for i := range text {
		text[i] = byte(i) ^ 0x5a // what was there before: only text[textAt:textAt+len(raw)] must change
	}
	for name, split := range map[string]func() (uint64, uint64){
		"maskSplit":      func() (uint64, uint64) { return ct.maskSplit(raw, &text) },
		"maskSplitWords": func() (uint64, uint64) { return maskSplitWords(raw, d) },
	} {
		sep, special := split()
		if sep != wantSep || special&^sep != wantSpecial {
			t.Fatalf("%s(%q, %q): sep %b special %b, want %b %b", name, raw, []byte{d.Element, d.Component, d.Repetition}, sep, special&^sep, wantSep, wantSpecial)
		}
	}
	if got := text[textAt : textAt+len(raw)]; !bytes.Equal(got, raw) {
		t.Fatalf("maskSplit(%q) copied %q", raw, got)
	}
	var p parsed
	p.short = true
	p.text = text
	for a := 0; a < len(raw); a++ {
		for n := 1; n <= 8 && a+n <= len(raw); n++ {
			var want uint64
			for i := n - 1; i >= 0; i-- {
				want = want<<8 | uint64(raw[a+i])
			}
			if got := p.shortWord(a, n); got != want {
				t.Fatalf("shortWord(%d, %d) of %q = %#x, want %#x", a, n, raw, got, want)
			}
		}
	}
}

// TestMaskSplit holds the mask split against its definition: every length from 1 to
// maxShort, bytes drawn mostly from the delimiters and the edges of the X12 character
// set, segments placed at every offset near the end of a memory page (where the
// assembly reads the sixteen bytes that end a short segment instead of those that
// start it) and anywhere else.
func TestMaskSplit(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(2, 9))
	delims := []x12.Delimiters{
		x12.DefaultDelimiters,
		{Element: '|', Repetition: 0, Component: '>', Segment: '\n'},
		{Element: 0x1d, Repetition: 0x1f, Component: 0x1c, Segment: 0x1e},
		{Element: '~', Repetition: '!', Component: '^', Segment: '\''},
	}
	// A buffer of three pages, and the offset of its second page's start.
	buf := make([]byte, 3<<12)
	page := (1 << 12) - int(uintptrOf(buf)&(1<<12-1))
	for iter := 0; iter < 20000; iter++ {
		d := delims[iter%len(delims)]
		palette := []byte{d.Element, d.Component, d.Repetition, 0, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0x9f, 0xa0, 0xfe, 0xff, '\t', '\n', 'A', '0', '.', '-', ' ', ':', '*', '^'}
		n := 1 + iter%maxShort
		var at int
		switch iter % 3 {
		case 0: // ending at or near a page end
			at = page + (1 << 12) - n - rnd.IntN(4)
		case 1: // starting in the last sixteen bytes of a page
			at = page + (1 << 12) - 1 - rnd.IntN(16)
		default:
			at = rnd.IntN(len(buf) - maxShort)
		}
		for i := range buf {
			buf[i] = byte(rnd.Uint32()) // garbage around the segment must not show
		}
		raw := buf[at : at+n : at+n]
		for i := range raw {
			if rnd.IntN(3) == 0 {
				raw[i] = byte(rnd.Uint32())
			} else {
				raw[i] = palette[rnd.IntN(len(palette))]
			}
		}
		checkMaskSplit(t, raw, d)
	}
}

// FuzzMaskSplit holds the mask split against its definition on any bytes.
func FuzzMaskSplit(f *testing.F) {
	f.Add([]byte("NM1*IL*1*WHITE*NANCY****MI*ZKU624837909"), byte('*'), byte(':'), byte('^'))
	f.Add([]byte("HI*ABK:J029*ABF:I10"), byte('*'), byte(':'), byte(0))
	f.Add([]byte("LX*1"), byte('|'), byte('>'), byte('^'))
	f.Fuzz(func(t *testing.T, raw []byte, el, comp, rep byte) {
		if len(raw) == 0 || len(raw) > maxShort {
			return
		}
		checkMaskSplit(t, raw, x12.Delimiters{Element: el, Component: comp, Repetition: rep, Segment: '~'})
	})
}

// uintptrOf is the address of b's first byte, to place test segments at page ends.
func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
