package x835

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/claimflow/claimflow/edi/x12"
)

// maxFields is how many elements (the id included) fields splits itself; the
// elements of a longer segment are found by scanning its text when asked for.
const maxFields = 32

// fields reads one segment's elements as substrings of a single string: one
// allocation per segment (none when the string is a part of the transaction set's
// text, as Reader gives it), where Segment.Value makes one per element read and the
// split of a kept segment one more. The values are those Segment.Value and
// Segment.Component return.
type fields struct {
	id   string // the segment id
	ord  int    // the segment's ordinal in its transaction set (Segment.STOrdinal)
	d    x12.Delimiters
	text string           // the segment's text without its terminator
	raw  []byte           // the same bytes: valid only while the segment is being read
	end  [maxFields]int32 // element i is text[end[i-1]+1 : end[i]]
	n    int              // elements, the id included; 0 when the segment has more than maxFields
}

// load makes f read seg, copying its text.
func (f *fields) load(seg *x12.Segment) {
	f.loadText(seg.ID, seg.STOrdinal, seg.Delims, string(seg.Raw()), seg.Raw())
}

// loadText makes f read the segment id whose text is text, the same bytes as raw.
func (f *fields) loadText(id string, ord int, d x12.Delimiters, text string, raw []byte) {
	f.id, f.ord, f.d, f.text, f.raw = id, ord, d, text, raw
	sep := d.Element
	n := 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) && text[i] != sep {
			continue
		}
		if n == maxFields {
			f.n = 0
			return
		}
		f.end[n] = int32(i)
		n++
	}
	f.n = n
}

// span returns the bounds of element i in the text, false when it is absent, as
// Segment.Element.
func (f *fields) span(i int) (a, b int, ok bool) {
	if i < 1 {
		return 0, 0, false
	}
	if f.n > 0 {
		if i >= f.n {
			return 0, 0, false
		}
		return int(f.end[i-1]) + 1, int(f.end[i]), true
	}
	// A long segment: walk to element i.
	a = 0
	for k := 0; k < i; k++ {
		j := strings.IndexByte(f.text[a:], f.d.Element)
		if j < 0 {
			return 0, 0, false
		}
		a += j + 1
	}
	b = len(f.text)
	if j := strings.IndexByte(f.text[a:], f.d.Element); j >= 0 {
		b = a + j
	}
	return a, b, true
}

// value returns element i ("" when absent), as Segment.Value.
func (f *fields) value(i int) string {
	a, b, ok := f.span(i)
	if !ok {
		return ""
	}
	return f.text[a:b]
}

// bytes returns element i's bytes (nil when absent), as Segment.Element; they are
// valid only while the segment is being read.
func (f *fields) bytes(i int) []byte {
	a, b, ok := f.span(i)
	if !ok {
		return nil
	}
	return f.raw[a:b:b]
}

// has reports whether element i is present and not empty, as Segment.Has.
func (f *fields) has(i int) bool { return f.value(i) != "" }

// component returns component j (1-based) of the first repetition of element i,
// as Segment.Component.
func (f *fields) component(i, j int) string {
	e := f.value(i)
	if f.d.Repetition != 0 && f.id != "ISA" {
		e = nthField(e, f.d.Repetition, 1)
	}
	return nthField(e, f.d.Component, j)
}

// components sets out[j-1] to component j of the first repetition of element i
// for each j up to len(out), as component does, in one pass over the element.
func (f *fields) components(i int, out []string) {
	e := f.value(i)
	if f.d.Repetition != 0 && f.id != "ISA" {
		if k := strings.IndexByte(e, f.d.Repetition); k >= 0 {
			e = e[:k]
		}
	}
	for j := range out {
		k := strings.IndexByte(e, f.d.Component)
		if k < 0 {
			out[j] = e
			clear(out[j+1:])
			return
		}
		out[j], e = e[:k], e[k+1:]
	}
}

// nthField returns the n-th (1-based) part of s cut at sep; "" when there is none.
func nthField(s string, sep byte, n int) string {
	if n < 1 {
		return ""
	}
	for k := 1; ; k++ {
		i := strings.IndexByte(s, sep)
		if k == n {
			if i < 0 {
				return s
			}
			return s[:i]
		}
		if i < 0 {
			return ""
		}
		s = s[i+1:]
	}
}

// unread notes that element el of the segment f reads cannot be read.
func (p *reader) unread(f *fields, el int, err error) {
	p.origin.Unread = append(p.origin.Unread, fmt.Sprintf("segment %d %s%02d: %v", f.ord, f.id, el, err))
}

// fcents reads an optional amount ("" is 0).
func (p *reader) fcents(f *fields, el int) int64 {
	v := f.bytes(el)
	if len(v) == 0 {
		return 0
	}
	c, err := x12.ParseCents(v)
	if err != nil {
		p.unread(f, el, err)
	}
	return c
}

// fdate reads an optional date CCYYMMDD.
func (p *reader) fdate(f *fields, el int) time.Time {
	v := f.value(el)
	if v == "" {
		return time.Time{}
	}
	if d, ok := ymd(v); ok {
		return d
	}
	d, err := time.Parse("20060102", v)
	if err != nil {
		p.unread(f, el, fmt.Errorf("%q is not a date CCYYMMDD", v))
	}
	return d
}

// ymd reads a date CCYYMMDD of eight digits that names a real day as
// time.Parse("20060102", v) does, at a fraction of the cost; false for anything
// else, which time.Parse then reads or refuses.
func ymd(v string) (time.Time, bool) {
	if len(v) != 8 {
		return time.Time{}, false
	}
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		n = n*10 + int(c-'0')
	}
	y, m, d := n/10000, n/100%100, n%100
	if m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), true
}

// daysIn is the number of days of month m (1-12) of year y.
func daysIn(m, y int) int {
	switch {
	case m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0):
		return 29
	case m == 2:
		return 28
	case m == 4 || m == 6 || m == 9 || m == 11:
		return 30
	}
	return 31
}

// fint reads a whole number ("" is 0).
func (p *reader) fint(f *fields, el int) int {
	v := f.value(el)
	n, err := strconv.Atoi(v)
	if err != nil && v != "" {
		p.unread(f, el, fmt.Errorf("%q is not a whole number", v))
	}
	return n
}
