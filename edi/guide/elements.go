package guide

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/claimflow/claimflow/edi/x12"
)

// Character classes of the bytes of an element, for one set of delimiters.
const (
	cDigit = 1 << iota
	cDot
	cMinus
	cComp
	cRep
	cBad // outside the X12 character set (0x20-0x7e)
	cOther
)

// classTable classifies bytes for the delimiters of one interchange.
type classTable struct {
	d     x12.Delimiters
	class [256]uint8
	// vec holds the element, component and repetition separators, each sixteen
	// times, for the assembly maskSplit.
	vec [48]byte
}

// delimKey is the four delimiters as one integer, to compare them at once.
func delimKey(d x12.Delimiters) uint32 {
	return uint32(d.Element) | uint32(d.Repetition)<<8 | uint32(d.Component)<<16 | uint32(d.Segment)<<24
}

// classesFor returns the class table for d, reusing ct when it was made for d.
func classesFor(ct *classTable, d x12.Delimiters) *classTable {
	if ct != nil && ct.d == d {
		return ct
	}
	ct = &classTable{d: d}
	for c := 0; c < 256; c++ {
		var k uint8
		switch {
		case c >= '0' && c <= '9':
			k = cDigit
		case c == '.':
			k = cDot
		case c == '-':
			k = cMinus
		case c < 0x20 || c > 0x7e:
			k = cBad
		default:
			k = cOther
		}
		ct.class[c] = k
	}
	for i := 0; i < 16; i++ {
		ct.vec[i], ct.vec[16+i], ct.vec[32+i] = d.Element, d.Component, d.Repetition
	}
	ct.class[d.Component] = cComp
	if d.Repetition != 0 {
		ct.class[d.Repetition] = cRep
	}
	return ct
}

// flags ORs the classes of the bytes of v.
func (ct *classTable) flags(v []byte) uint8 {
	var f uint8
	for _, c := range v {
		f |= ct.class[c]
	}
	return f
}

// checkElements checks the elements of a placed segment against its schema: usage,
// repetitions, components, lengths, types and code values. The byte classes of each
// element (from parse) decide most checks at once; the rarer shapes (repetitions,
// composites) take a slower path.
func checkElements(ct *classTable, s *Segment, seg *x12.Segment, p *parsed, loopID string, errAt func(loopID, segID string) *Error, report func(*Error)) {
	bad := func(el *Element, pos, comp, rep int, code string, v []byte, format string, args ...any) {
		e := errAt(loopID, seg.ID)
		e.SegmentCode = SegElementErrors
		e.ElementCode = code
		e.Element, e.Component, e.Repetition = pos, comp, rep
		if el != nil {
			e.ElementRef = el.Ref
		}
		e.Value = string(v)
		e.Msg = fmt.Sprintf(format, args...)
		report(e)
	}
	p.ensure() // the elements' offsets and present, which the checks below read
	n := p.count()
	if n > len(s.Elements) {
		for i := len(s.Elements) + 1; i <= n; i++ {
			if v := p.element(i); len(v) > 0 {
				bad(nil, i, 0, 0, ElemTooMany, v, "%s has %d elements; the guide defines %d", seg.ID, n, len(s.Elements))
				break
			}
		}
	}
	d := seg.Delims
	isISA := seg.ID == "ISA"
	if !p.wide {
		// Required elements that are absent, then only the elements that are present.
		for m := s.requiredMask &^ p.present; m != 0; m &= m - 1 {
			pos := bits.TrailingZeros64(m)
			el := s.Elements[pos-1]
			bad(el, pos, 0, 0, ElemMissing, nil, "%s (%s) is required but missing", el.Label, el.describe())
		}
	}
	limit := len(s.Elements)
	if n < limit {
		limit = n
	}
	next := p.present &^ 1
	for pos := 1; pos <= limit; pos++ {
		if !p.wide {
			// Jump to the next present element.
			m := next >> uint(pos)
			if m == 0 {
				break
			}
			pos += bits.TrailingZeros64(m)
			if pos > limit {
				break
			}
		}
		el := s.Elements[pos-1]
		v := p.element(pos)
		if len(v) == 0 {
			if el.Usage == Required {
				bad(el, pos, 0, 0, ElemMissing, nil, "%s (%s) is required but missing", el.Label, el.describe())
			}
			continue
		}
		if el.Usage == NotUsed {
			bad(el, pos, 0, 0, ElemNotUsedPresent, v, "%s is marked not used in this guide but has a value", el.Label)
			continue
		}
		f := p.flag(pos)
		if isISA {
			f &^= cComp | cRep
		}
		if f&(cComp|cRep) == 0 && !el.IsComposite() {
			// The common case: a simple element with one value. Good values of the
			// usual kinds pass here without a call.
			if len(v) >= el.Min && len(v) <= el.Max {
				switch el.kind {
				case kindAN:
					if f&cBad == 0 {
						continue
					}
				case kindID:
					if el.HasCode(v) {
						continue
					}
				case kindNum, kindR:
					if f == cDigit {
						continue
					}
				}
			}
			if code, msg := checkValueFlags(el, v, f); code != "" {
				bad(el, pos, 0, 0, code, v, "%s %s", el.Label, msg)
			}
			continue
		}
		reps := 1
		if f&cRep != 0 {
			reps = bytes.Count(v, []byte{d.Repetition}) + 1
		}
		if reps > 1 && el.Repeat != Unbounded && reps > el.Repeat {
			bad(el, pos, 0, el.Repeat+1, ElemTooManyReps, v, "%s repeats %d times; the guide allows %d", el.Label, reps, el.Repeat)
			reps = el.Repeat
		}
		for r := 1; r <= reps; r++ {
			rv := v
			if reps > 1 {
				rv = seg.Repetition(pos, r)
			}
			repPos := 0
			if el.Repeat != 1 {
				repPos = r
			}
			if !el.IsComposite() {
				if !isISA && bytes.IndexByte(rv, d.Component) >= 0 {
					bad(el, pos, 0, repPos, ElemTooManyComps, rv, "%s is a simple element but has components", el.Label)
					continue
				}
				if code, msg := checkValueFlags(el, rv, ct.flags(rv)); code != "" {
					bad(el, pos, 0, repPos, code, rv, "%s %s", el.Label, msg)
				}
				continue
			}
			ncomp := bytes.Count(rv, []byte{d.Component}) + 1
			if ncomp > len(el.Components) {
				bad(el, pos, len(el.Components)+1, repPos, ElemTooManyComps, rv, "%s has %d components; the guide defines %d", el.Label, ncomp, len(el.Components))
			}
			rest := rv
			for ci, c := range el.Components {
				var cv []byte
				if rest != nil {
					if k := bytes.IndexByte(rest, d.Component); k >= 0 {
						cv, rest = rest[:k], rest[k+1:]
					} else {
						cv, rest = rest, nil
					}
				}
				if len(cv) == 0 {
					if c.Usage == Required {
						bad(c, pos, ci+1, repPos, ElemMissing, nil, "%s (%s) is required but missing", c.Label, c.describe())
					}
					continue
				}
				if c.Usage == NotUsed {
					bad(c, pos, ci+1, repPos, ElemNotUsedPresent, cv, "%s is marked not used in this guide but has a value", c.Label)
					continue
				}
				if code, msg := checkValueFlags(c, cv, ct.flags(cv)); code != "" {
					bad(c, pos, ci+1, repPos, code, cv, "%s %s", c.Label, msg)
				}
			}
		}
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		if m := p.present & r.mask; !p.wide && !r.violated(m) {
			continue
		}
		checkRule(*r, s, p, seg.ID, bad)
	}
	if s.period != 0 && len(s.Elements) >= 2 {
		checkPeriod(seg.ID, p, s, bad)
	}
}

func (e *Element) describe() string {
	if e.Name != "" {
		return e.Name
	}
	if e.CompositeID != "" {
		return "composite " + e.CompositeID
	}
	return "element " + e.Ref
}

// checkValueFlags checks a non-empty simple value whose byte classes are f: length,
// type and code. It returns the IK403 code and a message, or "" when the value is good.
func checkValueFlags(el *Element, v []byte, f uint8) (string, string) {
	switch el.kind {
	case kindNum:
		if f == cDigit {
			return checkLen(el, len(v))
		}
		digits := v
		if v[0] == '-' {
			digits = v[1:]
		}
		if len(digits) == 0 || !allDigits(digits) {
			return ElemBadChar, "must be a whole number"
		}
		return checkLen(el, len(digits))
	case kindR:
		if f == cDigit {
			return checkLen(el, len(v))
		}
		if f&^(cDigit|cDot|cMinus) != 0 {
			return ElemBadChar, "must be a decimal number"
		}
		n, ok := decimalDigits(v)
		if !ok {
			return ElemBadChar, "must be a decimal number"
		}
		return checkLen(el, n)
	case kindDT:
		if code, msg := checkLen(el, len(v)); code != "" {
			return code, msg
		}
		if !validDate(v) {
			return ElemBadDate, "is not a valid date"
		}
		return "", ""
	case kindTM:
		if code, msg := checkLen(el, len(v)); code != "" {
			return code, msg
		}
		if !validTime(v) {
			return ElemBadTime, "is not a valid time"
		}
		return "", ""
	case kindID:
		if code, msg := checkLen(el, len(v)); code != "" {
			return code, msg
		}
		if !el.HasCode(v) {
			return ElemBadCode, "is not one of the codes the guide allows here"
		}
		return "", ""
	case kindB:
		return "", ""
	}
	if f&cBad != 0 {
		return ElemBadChar, "holds a character outside the X12 character set"
	}
	return checkLen(el, len(v))
}

func checkLen(el *Element, n int) (string, string) {
	switch {
	case n < el.Min:
		return ElemTooShort, fmt.Sprintf("is shorter than its minimum length %d", el.Min)
	case n > el.Max:
		return ElemTooLong, fmt.Sprintf("is longer than its maximum length %d", el.Max)
	}
	return "", ""
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// decimalDigits counts the digits of an X12 decimal (sign and point excluded).
func decimalDigits(v []byte) (int, bool) {
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	n, points := 0, 0
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == '.':
			points++
		default:
			return 0, false
		}
	}
	return n, n > 0 && points <= 1
}

func num(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// validDate checks CCYYMMDD, or YYMMDD for six characters.
func validDate(v []byte) bool {
	if len(v) == 8 {
		// All eight bytes at once: the digits test, then each digit's value.
		x := binary.LittleEndian.Uint64(v)
		if nonDigits(x, 8) != 0 {
			return false
		}
		x -= lo8 * '0'
		dg := func(i uint) int { return int(x >> (8 * i) & 0xff) }
		return validYMD(dg(0)*1000+dg(1)*100+dg(2)*10+dg(3), dg(4)*10+dg(5), dg(6)*10+dg(7))
	}
	if !allDigits(v) {
		return false
	}
	if len(v) != 6 {
		return false
	}
	return validYMD(2000+num(v[:2]), num(v[2:4]), num(v[4:6]))
}

// validYMD reports whether year y has a month m with a day d.
func validYMD(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// validTime checks HHMM[SS[d..]].
func validTime(v []byte) bool {
	if len(v) < 4 || !allDigits(v) {
		return false
	}
	if num(v[:2]) > 23 || num(v[2:4]) > 59 {
		return false
	}
	if len(v) >= 6 && num(v[4:6]) > 59 {
		return false
	}
	return len(v) != 5
}

// checkPeriod checks DTP03, DTM06 and DMG02 against their format qualifier: D8 is a
// date, RD8 a range of two dates, start not after end.
func checkPeriod(id string, p *parsed, s *Segment, bad func(*Element, int, int, int, string, []byte, string, ...any)) {
	var format, value []byte
	var pos int
	switch id {
	case "DTP":
		format, value, pos = p.element(2), p.element(3), 3
	case "DTM":
		if len(s.Elements) < 6 {
			return
		}
		format, value, pos = p.element(5), p.element(6), 6
	case "DMG":
		format, value, pos = p.element(1), p.element(2), 2
	}
	if len(value) == 0 || pos > len(s.Elements) {
		return
	}
	el := s.Elements[pos-1]
	switch string(format) {
	case "D8":
		if len(value) != 8 || !validDate(value) {
			bad(el, pos, 0, 0, ElemBadDate, value, "%s is not a date CCYYMMDD as %s D8 says", el.Label, s.ID)
		}
	case "RD8":
		from, to, ok := bytes.Cut(value, []byte{'-'})
		if !ok || len(from) != 8 || len(to) != 8 || !validDate(from) || !validDate(to) {
			bad(el, pos, 0, 0, ElemBadDate, value, "%s is not a date range CCYYMMDD-CCYYMMDD as %s RD8 says", el.Label, s.ID)
		} else if string(from) > string(to) {
			bad(el, pos, 0, 0, ElemBadDate, value, "%s is a date range that ends before it starts", el.Label)
		}
	}
}

// checkRule checks one syntax note. A missing element the note requires is IK403 2
// (conditional required data element missing); two elements an exclusion forbids
// together are IK403 10.
func checkRule(r Rule, s *Segment, p *parsed, segID string, bad func(*Element, int, int, int, string, []byte, string, ...any)) {
	present := func(pos int) bool { return len(p.element(pos)) > 0 }
	schemaEl := func(pos int) *Element {
		if pos <= len(s.Elements) {
			return s.Elements[pos-1]
		}
		return nil
	}
	label := func(pos int) string { return fmt.Sprintf("%s%02d", segID, pos) }
	n := 0
	for _, pos := range r.Elements {
		if present(pos) {
			n++
		}
	}
	first := r.Elements[0]
	missing := func(why string) {
		for _, pos := range r.Elements {
			if !present(pos) {
				bad(schemaEl(pos), pos, 0, 0, ElemCondMissing, nil, "%s is required %s (X12 syntax note %s)", label(pos), why, r)
				return
			}
		}
	}
	switch r.Kind {
	case 'P':
		if n > 0 && n < len(r.Elements) {
			missing("because the elements it is paired with are present")
		}
	case 'R':
		if n == 0 {
			bad(schemaEl(first), first, 0, 0, ElemCondMissing, nil, "at least one of the elements of X12 syntax note %s is required", r)
		}
	case 'E':
		if n > 1 {
			for _, pos := range r.Elements[1:] {
				if present(pos) {
					bad(schemaEl(pos), pos, 0, 0, ElemExclusion, p.element(pos), "%s may not be sent together with the other elements of X12 syntax note %s", label(pos), r)
					return
				}
			}
		}
	case 'C':
		if present(first) && n < len(r.Elements) {
			for _, pos := range r.Elements[1:] {
				if !present(pos) {
					bad(schemaEl(pos), pos, 0, 0, ElemCondMissing, nil, "%s is required because %s is present (X12 syntax note %s)", label(pos), label(first), r)
					return
				}
			}
		}
	case 'L':
		if present(first) && n == 1 {
			second := r.Elements[1]
			bad(schemaEl(second), second, 0, 0, ElemCondMissing, nil, "%s is present, so at least one of the other elements of X12 syntax note %s is required", label(first), r)
		}
	}
}
