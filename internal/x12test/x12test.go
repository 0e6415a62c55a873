// Package x12test holds helpers for tests that compare X12 files by their content: the
// segments of their transaction sets rendered in one canonical form, whatever the
// delimiters, envelopes or number formatting of the files.
package x12test

import (
	"bytes"
	"strings"

	"github.com/claimflow/claimflow/edi/x12"
)

// Render writes a segment with * ^ : as delimiters, each value passed through norm
// (nil keeps it as is), without trailing empty elements or components.
func Render(seg *x12.Segment, norm func(string) string) string {
	var sb strings.Builder
	sb.WriteString(seg.ID)
	for i := 1; i <= seg.Len(); i++ {
		sb.WriteByte('*')
		for r := 1; r <= max(seg.Repetitions(i), 1); r++ {
			if r > 1 {
				sb.WriteByte('^')
			}
			for c := 1; c <= max(seg.Components(i, r), 1); c++ {
				if c > 1 {
					sb.WriteByte(':')
				}
				v := string(seg.RepComponent(i, r, c))
				if norm != nil {
					v = norm(v)
				}
				sb.WriteString(v)
			}
		}
	}
	return strings.TrimRight(sb.String(), "*:")
}

// Body renders the segments of the transaction sets of data, envelopes (ISA, GS, ST
// and their trailers) left out. expand, when not nil, may render a segment as several
// lines of its own choosing; a nil result renders it with Render.
func Body(data []byte, norm func(string) string, expand func(*x12.Segment) []string) []string {
	var out []string
	rd := x12.NewReader(bytes.NewReader(data))
	for {
		seg, err := rd.Next()
		if err != nil {
			return out
		}
		switch seg.ID {
		case "ISA", "IEA", "GS", "GE", "ST", "SE":
			continue
		}
		if expand != nil {
			if lines := expand(seg); lines != nil {
				out = append(out, lines...)
				continue
			}
		}
		out = append(out, Render(seg, norm))
	}
}

// Lost returns the lines of x that y does not have in the same order.
func Lost(x, y []string) []string {
	var lost []string
	j := 0
	for _, s := range x {
		k := j
		for k < len(y) && y[k] != s {
			k++
		}
		if k == len(y) {
			lost = append(lost, s)
			continue
		}
		j = k + 1
	}
	return lost
}

// Number writes a decimal number in its shortest form ("125.0" is "125"), so that a
// comparison looks at values, not at how they were written.
func Number(v string) string {
	if strings.Count(v, ".") != 1 || strings.Trim(v, "-0123456789.") != "" {
		return v
	}
	return strings.TrimSuffix(strings.TrimRight(v, "0"), ".")
}
