package x835

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/edi/x12"
)

// segCents and segDate read an amount and a date through the segment's own methods,
// as the reader did before fields: the reference fields is held to.
func segCents(p *reader, seg *x12.Segment, el int) int64 {
	v := seg.Element(el)
	if len(v) == 0 {
		return 0
	}
	c, err := x12.ParseCents(v)
	if err != nil {
		p.origin.Unread = append(p.origin.Unread, fmt.Sprintf("segment %d %s%02d: %v", seg.STOrdinal, seg.ID, el, err))
	}
	return c
}

func segDate(p *reader, seg *x12.Segment, el int) time.Time {
	v := seg.Value(el)
	if v == "" {
		return time.Time{}
	}
	d, err := time.Parse("20060102", v)
	if err != nil {
		p.origin.Unread = append(p.origin.Unread, fmt.Sprintf("segment %d %s%02d: %v", seg.STOrdinal, seg.ID, el, fmt.Errorf("%q is not a date CCYYMMDD", v)))
	}
	return d
}

// TestFieldsAsSegment checks that fields reads every element, component, amount and date
// as the segment's own methods do: empty and missing elements, repetitions,
// components, dates, no repetition separator, and segments longer than fields splits;
// both when it copies the segment (load) and when it reads a part of a larger text
// (loadText, as Reader does).
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
		var loaded, within fields
		loaded.load(seg)
		// The segment inside a text holding others around it.
		text := "ST*835*1~" + string(seg.Raw()) + "~SE*2*1"
		at := len("ST*835*1~")
		within.loadText(seg.ID, seg.STOrdinal, d, text[at:at+len(seg.Raw())], []byte(text)[at:at+len(seg.Raw())])
		for _, f := range []*fields{&loaded, &within} {
			checkFields(t, f, seg, count)
		}
	}
}

func checkFields(t *testing.T, f *fields, seg *x12.Segment, count int) {
	t.Helper()
	for i := -1; i <= count+2; i++ {
		if got, want := f.value(i), seg.Value(i); got != want {
			t.Fatalf("%s: value(%d) %q, want %q", seg, i, got, want)
		}
		if got, want := f.bytes(i), seg.Element(i); string(got) != string(want) || (got == nil) != (want == nil) {
			t.Fatalf("%s: bytes(%d) %q, want %q", seg, i, got, want)
		}
		if f.has(i) != seg.Has(i) {
			t.Fatalf("%s: has(%d)", seg, i)
		}
		var comps [7]string
		f.components(i, comps[:])
		for j := 0; j <= 8; j++ {
			want := string(seg.Component(i, j))
			if got := f.component(i, j); got != want {
				t.Fatalf("%s: component(%d, %d) %q, want %q", seg, i, j, got, want)
			}
			if j >= 1 && j <= len(comps) && comps[j-1] != want {
				t.Fatalf("%s: components(%d)[%d] %q, want %q", seg, i, j-1, comps[j-1], want)
			}
		}
		var p, q reader
		p.origin, q.origin = &Origin{}, &Origin{}
		if got, want := p.fcents(f, i), segCents(&q, seg, i); got != want || !reflect.DeepEqual(p.origin.Unread, q.origin.Unread) {
			t.Fatalf("%s: fcents(%d) %d %v, want %d %v", seg, i, got, p.origin.Unread, want, q.origin.Unread)
		}
		if got, want := p.fdate(f, i), segDate(&q, seg, i); !got.Equal(want) || got.Location() != want.Location() ||
			!reflect.DeepEqual(p.origin.Unread, q.origin.Unread) {
			t.Fatalf("%s: fdate(%d) %v, want %v", seg, i, got, want)
		}
	}
}

// TestYMDAsTimeParse checks that every date ymd reads is the one time.Parse reads,
// and that it reads every real day of years around now and of leap-year edges.
func TestYMDAsTimeParse(t *testing.T) {
	t.Parallel()
	check := func(v string) {
		got, ok := ymd(v)
		want, err := time.Parse("20060102", v)
		if ok && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Fatalf("%q: ymd %v, time.Parse %v %v", v, got, want, err)
		}
		if !ok && err == nil && len(v) == 8 && strings.Trim(v, "0123456789") == "" {
			t.Fatalf("%q: time.Parse reads %v, ymd does not", v, want)
		}
	}
	for _, y := range []int{0, 1, 4, 100, 1600, 1899, 1900, 1999, 2000, 2023, 2024, 2025, 2100, 2400, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				check(fmt.Sprintf("%04d%02d%02d", y, m, d))
			}
		}
	}
	for _, v := range []string{"", "2025011", "202501011", "2025-1-1", "+2025011", "20250101 ", " 2025010", "２０２５"} {
		check(v)
	}
	rng := rand.New(rand.NewPCG(8, 35))
	for range 20000 {
		check(fmt.Sprintf("%08d", rng.IntN(100000000)))
	}
}
