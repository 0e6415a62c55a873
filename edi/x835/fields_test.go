package x835

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/x12"
)

// TestFieldsAsSegment checks that fields reads every element, component, amount and date
// as the segment's own methods do: empty and missing elements, repetitions,
// components, dates, no repetition separator, and segments longer than fields splits.
func TestFieldsAsSegment(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 835))
	parts := []string{"", "A", "12.5", "-3", "HC:99213:25", "HC:99213^AD:x", "::", "^", "1:2:3:4:5:6:7:8", "x^y:z", "20250120", "20250230"}
	delims := []x12.Delimiters{x12.DefaultDelimiters, {Element: '*', Component: ':', Segment: '~'}}
	for n := range 2000 {
		d := delims[n%len(delims)]
		count := rng.IntN(40)
		els := make([]string, count)
		for i := range els {
			els[i] = parts[rng.IntN(len(parts))]
			if d.Repetition == 0 {
				els[i] = strings.ReplaceAll(els[i], "^", "")
			}
		}
		id := []string{"SVC", "CAS", "ISA", "NM1"}[rng.IntN(4)]
		seg := x12.NewSegment(d, id, els...)
		var f fields
		f.load(seg)
		for i := -1; i <= count+2; i++ {
			if got, want := f.value(i), seg.Value(i); got != want {
				t.Fatalf("%s: value(%d) %q, want %q", seg, i, got, want)
			}
			if got, want := string(f.raw(i)), string(seg.Element(i)); got != want {
				t.Fatalf("%s: raw(%d) %q, want %q", seg, i, got, want)
			}
			if f.has(i) != seg.Has(i) {
				t.Fatalf("%s: has(%d)", seg, i)
			}
			for j := 0; j <= 8; j++ {
				if got, want := f.component(i, j), string(seg.Component(i, j)); got != want {
					t.Fatalf("%s: component(%d, %d) %q, want %q", seg, i, j, got, want)
				}
			}
			var p, q reader
			p.origin, q.origin = &Origin{}, &Origin{}
			if got, want := p.fcents(&f, i), q.cents(seg, i); got != want || len(p.origin.Unread) != len(q.origin.Unread) {
				t.Fatalf("%s: fcents(%d) %d %v, want %d %v", seg, i, got, p.origin.Unread, want, q.origin.Unread)
			}
			if got, want := p.fdate(&f, i), q.date(seg, i); !got.Equal(want) || got.Location() != want.Location() ||
				len(p.origin.Unread) != len(q.origin.Unread) {
				t.Fatalf("%s: fdate(%d) %v, want %v", seg, i, got, want)
			}
		}
	}
}
