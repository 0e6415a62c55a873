package x12

import (
	"math/rand/v2"
	"testing"
)

// scanBytes is scan by definition, one byte at a time: the positions from j on, in
// whole steps of sixteen bytes while sixteen remain and fewer than aheadMax are
// queued, of the bytes whose low seven bits are below 0x20 or at least 0x80-hiAdd, or
// that equal tm when exact.
func scanBytes(b []byte, j int, hiAdd, tm byte, exact bool) []int {
	var out []int
	for ; len(b)-j >= 16 && len(out) < aheadMax; j += 16 {
		for i := j; i < j+16; i++ {
			c := b[i] & 0x7f
			if c < 0x20 || c >= 0x80-hiAdd || exact && b[i] == tm {
				out = append(out, i)
			}
		}
	}
	return out
}

// TestScan holds scan (the assembly version where there is one) and scanWords
// against the definition, in the three ways scanAhead calls them, on buffers of
// bytes drawn mostly from those near the limits, from every starting position.
func TestScan(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(7, 3))
	palette := []byte{0, 0x1f, 0x20, 0x7d, 0x7e, 0x7f, 0x80, 0x9f, 0xa0, 0xfd, 0xfe, 0xff, '~', '\n', '\r', '\t', 'A', '*', ':', '^', '\'', 0x1c}
	modes := []struct {
		hiAdd, tm byte
		exact     bool
	}{{0x01, 'A', false}, {0x02, '*', false}, {0x01, '~', true}, {0x01, '\'', true}}
	var q1, q2 flagQueue
	for iter := 0; iter < 3000; iter++ {
		b := make([]byte, rnd.IntN(600))
		dense := rnd.IntN(4) == 0 // many flagged bytes: the queue's limit is reached
		for i := range b {
			switch {
			case dense || rnd.IntN(4) == 0:
				b[i] = palette[rnd.IntN(len(palette))]
			case rnd.IntN(8) == 0:
				b[i] = byte(rnd.Uint32())
			default:
				b[i] = 'A' + byte(rnd.IntN(26))
			}
		}
		if dense && iter%2 == 0 {
			b = make([]byte, 20000) // zero bytes, all flagged
		}
		j := 0
		if len(b) > 0 {
			j = rnd.IntN(len(b) + 1)
		}
		md := modes[iter%len(modes)]
		want := scanBytes(b, j, md.hiAdd, md.tm, md.exact)
		for name, q := range map[string]*flagQueue{"scan": &q1, "scanWords": &q2} {
			var n int
			if name == "scan" {
				n = q.scan(b, j, lo8(md.hiAdd), lo8(md.tm), md.exact)
			} else {
				n = q.scanWords(b, j, lo8(md.hiAdd), lo8(md.tm), md.exact)
			}
			// (Both stop at the first step that starts with aheadMax flags queued.)
			if n != len(want) {
				t.Fatalf("%s: %d bytes from %d, mode %+v: %d flags, want %d", name, len(b), j, md, n, len(want))
			}
			for i, at := range want {
				if q[i&flagMask] != at {
					t.Fatalf("%s: %d bytes from %d, mode %+v: flag %d at %d, want %d", name, len(b), j, md, i, q[i&flagMask], at)
				}
			}
		}
	}
}

// lo8 repeats a byte in the eight bytes of a word.
func lo8(c byte) uint64 { return swarLo * uint64(c) }
