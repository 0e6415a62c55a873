package x835

import (
	"fmt"
	"strings"
	"time"

	"github.com/claimflow/claimflow/edi/x12"
)

// maxFields is how many elements (the id included) fields splits itself; a longer
// segment is read through its own methods.
const maxFields = 32

// fields reads one segment's elements as substrings of a single string: one
// allocation per segment, where Segment.Value makes one per element read and the
// split of a kept segment one more. Claim payments are most of an 835, and their
// segments are read once each. The values are those Segment.Value and
// Segment.Component return.
type fields struct {
	seg  *x12.Segment
	text string
	end  [maxFields]int32 // element i is text[end[i-1]+1 : end[i]]
	n    int              // elements, the id included; 0 when the segment has more than maxFields
}

// load makes f read seg.
func (f *fields) load(seg *x12.Segment) {
	f.seg = seg
	raw := seg.Raw()
	f.text = string(raw)
	sep := seg.Delims.Element
	n := 0
	for i := 0; i <= len(raw); i++ {
		if i < len(raw) && raw[i] != sep {
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

// value returns element i ("" when absent), as Segment.Value.
func (f *fields) value(i int) string {
	if f.n == 0 {
		return f.seg.Value(i)
	}
	if i < 1 || i >= f.n {
		return ""
	}
	return f.text[f.end[i-1]+1 : f.end[i]]
}

// raw returns element i's bytes in the segment (nil when absent), as
// Segment.Element.
func (f *fields) raw(i int) []byte {
	if f.n == 0 {
		return f.seg.Element(i)
	}
	if i < 1 || i >= f.n {
		return nil
	}
	return f.seg.Raw()[f.end[i-1]+1 : f.end[i]]
}

// has reports whether element i is present and not empty, as Segment.Has.
func (f *fields) has(i int) bool { return f.value(i) != "" }

// component returns component j (1-based) of the first repetition of element i,
// as Segment.Component.
func (f *fields) component(i, j int) string {
	if f.n == 0 {
		return string(f.seg.Component(i, j))
	}
	e := f.value(i)
	d := f.seg.Delims
	if d.Repetition != 0 && f.seg.ID != "ISA" {
		e = nthField(e, d.Repetition, 1)
	}
	return nthField(e, d.Component, j)
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

// fcents reads an optional amount ("" is 0), as reader.cents.
func (p *reader) fcents(f *fields, el int) int64 {
	v := f.raw(el)
	if len(v) == 0 {
		return 0
	}
	c, err := x12.ParseCents(v)
	if err != nil {
		p.unread(f.seg, el, err)
	}
	return c
}

// fdate reads an optional date CCYYMMDD, as reader.date.
func (p *reader) fdate(f *fields, el int) time.Time {
	v := f.value(el)
	if v == "" {
		return time.Time{}
	}
	d, err := time.Parse("20060102", v)
	if err != nil {
		p.unread(f.seg, el, fmt.Errorf("%q is not a date CCYYMMDD", v))
	}
	return d
}
