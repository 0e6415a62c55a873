package guide

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// segPlan is a segment of the guide compiled for the fast check: per element position
// what the check needs (what to do with a value, lengths, codes), and the syntax notes
// as tables.
type segPlan struct {
	elems []elemPlan // elems[i] is element position i+1
	fast  []fastElem // what fastOK reads of elems, packed
	ok    bool       // the fast check applies (every syntax note fits in the masks)
	// The syntax notes, as tables of the present elements that break them, and those
	// that fit no table.
	ruleTabs []ruleTable
	ruleRest []Rule
	hasRules bool
	// oneRuleTable is set when the notes are all in one table, ruleTab (checked without
	// a call).
	oneRuleTable bool
	ruleTab      ruleTable
	// the date format qualifier and the date value that checkPeriod checks (0: none)
	periodFmt, periodVal int
	// keyCodes is the segment's KeyCodes as a perfect hash, when they fit one.
	keyCodes codeTable
}

// fastElem is what fastOK's first pass reads of an element position: 16 bytes.
type fastElem struct {
	op       uint8
	min, max uint8     // the lengths, capped at 255 (a short segment's values are shorter)
	plan     *elemPlan // the rest
}

// elemPlan is an element position of a segPlan.
type elemPlan struct {
	el       *Element
	op       uint8 // what fastOK does with a value at this position (opTrivial ...)
	kind     uint8
	min, max int
	codes    codeTable  // the code values, when all are short (else el.HasCode)
	comps    []elemPlan // the components of a composite, nil for a simple element
	// compRequired has bit i set when component i+1 is required.
	compRequired uint64
}

// What fastOK does with a present element.
const (
	opCareful   uint8 = iota // leave it to checkElements: not used, binary, repeated composite
	opTrivial                // a string that any value of a short segment passes
	opAN                     // a string: its length
	opCode                   // a code, looked up in codes
	opDecimal                // an R number of up to eight bytes
	opDate                   // a DT date of eight digits
	opSimple                 // another simple element: valueOK
	opComposite              // a composite: compositeOK
	opPeriod                 // a string whose date format qualifier is the element before (DTP03, DTM06, DMG02)
	opNum                    // a whole number (N0, N1, N2) of up to eight digits
)

// maxRuleSpan bounds the positions the syntax notes of a segment may span for a table
// of the present elements that break them (2^maxRuleSpan bits).
const maxRuleSpan = 8

// codeTable is a perfect hash of the short code values of an element: each code's key
// (its bytes as a little-endian word, with the length in the top byte) has a slot of
// its own, so a look-up is one multiplication and one comparison.
type codeTable struct {
	keys  []uint64 // by slot; 0 is an empty slot (no key is 0)
	mul   uint64
	shift uint
}

// codeMultipliers are the odd constants tried, in turn, for a collision-free table.
var codeMultipliers = [...]uint64{0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93, 0xA0761D6478BD642F, 0xE7037ED1A0B428DB}

// codeKey is the key of a code of at most seven bytes.
func codeKey(c string) uint64 {
	k := uint64(len(c)) << 56
	for i := 0; i < len(c); i++ {
		k |= uint64(c[i]) << (8 * uint(i))
	}
	return k
}

// newCodeTable makes the perfect hash of codes, or returns false when a code is longer
// than seven bytes or no table of up to 16 times the codes' number is free of
// collisions.
func newCodeTable(codes []string) (codeTable, bool) {
	for _, c := range codes {
		if len(c) > 7 || len(c) == 0 {
			return codeTable{}, false
		}
	}
	for size := 2; size <= 16*len(codes) || size <= 16; size *= 2 {
		shift := uint(64 - bits.TrailingZeros(uint(size)))
	next:
		for _, mul := range codeMultipliers {
			keys := make([]uint64, size)
			for _, c := range codes {
				k := codeKey(c)
				slot := k * mul >> shift
				if keys[slot] != 0 && keys[slot] != k {
					continue next
				}
				keys[slot] = k
			}
			return codeTable{keys: keys, mul: mul, shift: shift}, true
		}
	}
	return codeTable{}, false
}

// has reports whether the key is one of the table's codes.
func (t *codeTable) has(k uint64) bool {
	return t.keys[k*t.mul>>(t.shift&63)&uint64(len(t.keys)-1)] == k && k != 0
}

// newElemPlan is the plan of a simple element or component.
func newElemPlan(e *Element) elemPlan {
	ep := elemPlan{el: e, kind: e.kind, min: e.Min, max: e.Max}
	if len(e.Codes) > 0 {
		ep.codes, _ = newCodeTable(e.Codes)
	}
	return ep
}

// valueOp returns the fast check's test of a value of an element or component
// that needs no more than its type, length and code list: plain text, text of a
// bounded length, a listed code, a whole number of up to eight digits. plain is
// false for anything else.
func (ep *elemPlan) valueOp() (op uint8, plain bool) {
	switch {
	case ep.kind == kindAN && ep.min <= 1 && ep.max >= maxShort:
		return opTrivial, true
	case ep.kind == kindAN:
		return opAN, true
	case ep.kind == kindID && ep.codes.keys != nil:
		return opCode, true
	case ep.kind == kindNum && ep.max <= 8:
		return opNum, true
	}
	return 0, false
}

// compilePlan makes the segment's plan; call it once the segment and its syntax
// notes are complete.
func (s *Segment) compilePlan() {
	s.hl = s.ID == "HL"
	pl := &segPlan{ok: len(s.Elements) < 63}
	for _, e := range s.Elements {
		ep := newElemPlan(e)
		op, plain := ep.valueOp()
		switch {
		case e.Usage == NotUsed:
			ep.op = opCareful
		case e.IsComposite():
			ep.op = opComposite
			if len(e.Components) == 0 || e.Repeat != 1 {
				ep.op = opCareful
			}
			ep.comps = []elemPlan{}
			for i, c := range e.Components {
				cp := newElemPlan(c)
				op, plain := cp.valueOp()
				switch {
				case c.Usage == NotUsed:
					cp.op = opCareful
				case plain:
					cp.op = op
				default:
					cp.op = opSimple
				}
				ep.comps = append(ep.comps, cp)
				if c.Usage == Required && i < 64 {
					ep.compRequired |= 1 << uint(i)
				}
			}
			if len(e.Components) > 63 {
				ep.op = opCareful
			}
		case plain:
			ep.op = op
		case e.kind == kindR:
			ep.op = opDecimal
		case e.kind == kindDT && e.Min <= 8 && e.Max >= 8:
			ep.op = opDate
		case e.kind == kindB:
			ep.op = opCareful
		default:
			ep.op = opSimple
		}
		pl.elems = append(pl.elems, ep)
	}
	pl.fast = make([]fastElem, len(pl.elems))
	for i := range pl.elems {
		ep := &pl.elems[i]
		pl.fast[i] = fastElem{op: ep.op, min: uint8(min(ep.min, 255)), max: uint8(min(ep.max, 255)), plan: ep}
		if ep.op == opCode {
			pl.fast[i].max = uint8(min(ep.max, 7)) // the longest code a table holds
		}
	}
	for _, r := range s.Rules {
		for _, p := range r.Elements {
			if p >= 64 {
				pl.ok = false
			}
		}
	}
	pl.ruleTabs, pl.ruleRest = newRuleTables(s.Rules)
	pl.hasRules = len(s.Rules) > 0
	if len(pl.ruleTabs) == 1 && len(pl.ruleRest) == 0 {
		pl.oneRuleTable, pl.ruleTab = true, pl.ruleTabs[0]
	}
	if s.period != 0 && len(s.Elements) >= 2 {
		switch s.period {
		case 1:
			pl.periodFmt, pl.periodVal = 2, 3
		case 2:
			if len(s.Elements) >= 6 {
				pl.periodFmt, pl.periodVal = 5, 6
			}
		case 3:
			pl.periodFmt, pl.periodVal = 1, 2
		}
		if pl.periodVal > len(s.Elements) {
			pl.periodFmt, pl.periodVal = 0, 0
		}
		if v := &pl.fast[max(pl.periodVal-1, 0)]; pl.periodVal != 0 && pl.periodFmt == pl.periodVal-1 && (v.op == opAN || v.op == opTrivial) {
			// The check of the value reads the qualifier just before it.
			v.op = opPeriod
			pl.periodFmt, pl.periodVal = 0, 0
		}
	}
	if s.KeyElement > 0 && len(s.KeyCodes) > 0 {
		pl.keyCodes, _ = newCodeTable(s.KeyCodes)
	}
	s.plan = pl
}

// bytesKey is codeKey for a value of at most seven bytes.
func bytesKey(v []byte) uint64 {
	k := uint64(len(v)) << 56
	for i, c := range v {
		k |= uint64(c) << (8 * uint(i))
	}
	return k
}

// fastOK reports whether checkElements would find nothing wrong with the parsed
// segment p, placed as s. It answers for the usual segment, short, whose present
// elements are simple or composites of simple components, without repetitions or odd
// bytes: it walks the element separators' mask once, with a length test or one
// look-up per value, and never writes the elements' offsets out. For anything else, or
// anything wrong, it returns false and leaves the verdict (and the error messages) to
// checkElements. It never returns true where checkElements would report something.
func (pl *segPlan) fastOK(s *Segment, p *parsed) bool {
	raw := p.raw
	if pl == nil || !pl.ok || !p.short || p.wide || len(raw) >= 64 {
		return false
	}
	// The separators, and one more bit past the last byte: each bit ends an element.
	m := p.sep | 1<<uint(len(raw)&63)
	// Values are read as words from the segment's copy, where each byte is followed
	// by at least eight more.
	text := &p.text
	special, fast := p.special, pl.fast
	from := bits.TrailingZeros64(m) + 1 // element 01 starts after the id
	var present uint64
	k := 0 // the element's index in fast and elems (its position - 1)
	for m &= m - 1; m != 0; m &= m - 1 {
		to := bits.TrailingZeros64(m)
		if n := to - from; n > 0 {
			if uint(k) >= uint(len(fast)) {
				return false // more elements than the guide defines
			}
			present |= 2 << uint(k&63)
			e := &fast[k]
			var sp uint64 // the element's special bytes
			if special != 0 {
				sp = special >> uint(from&63) & (1<<uint(n&63) - 1)
			}
			switch e.op {
			case opTrivial:
				if sp != 0 {
					return false
				}
			case opAN:
				if sp != 0 || n < int(e.min) || n > int(e.max) {
					return false
				}
			case opCode:
				if sp != 0 || n < int(e.min) || n > int(e.max) { // (max is at most 7)
					return false
				}
				x := binary.LittleEndian.Uint64(text[textAt+from&(maxShort-1):]) & byteMasks[n&7]
				t := &e.plan.codes
				if key := x | uint64(n)<<56; t.keys[key*t.mul>>(t.shift&63)&uint64(len(t.keys)-1)] != key {
					return false
				}
			case opDecimal:
				// Digits with at most one decimal point, the point not alone.
				if sp != 0 || n > 8 {
					return false
				}
				x := binary.LittleEndian.Uint64(text[textAt+from&(maxShort-1):]) & byteMasks[n&7]
				if nd := nonDigits(x, n); nd != 0 {
					if nd&(nd-1) != 0 || x>>(8*uint(bits.TrailingZeros64(nd)&7))&0xff != '.' || n == 1 {
						return false
					}
					n--
				}
				if n < int(e.min) || n > int(e.max) {
					return false
				}
			case opDate:
				if sp != 0 || n != 8 || !validDate(text[textAt+from&(maxShort-1):][:8]) { // (8 is within its lengths)
					return false
				}
			case opPeriod:
				if sp != 0 || n < int(e.min) || n > int(e.max) {
					return false
				}
				// The qualifier is the element that ends at the separator before this
				// one; D8 wants a date, RD8 is left to checkElements.
				fa := bits.Len64(p.sep & (1<<uint((from-1)&63) - 1))
				switch q := binary.LittleEndian.Uint32(text[textAt+fa&(maxShort-1):]); from - 1 - fa {
				case 2:
					if q&0xffff == 'D'|'8'<<8 && (n != 8 || !validDate(text[textAt+from&(maxShort-1):][:8])) {
						return false
					}
				case 3:
					if q&0xffffff == 'R'|'D'<<8|'8'<<16 {
						return false
					}
				}
			case opNum:
				if sp != 0 || n < int(e.min) || n > int(e.max) { // (max is at most 8)
					return false
				}
				if x := binary.LittleEndian.Uint64(text[textAt+from&(maxShort-1):]) & byteMasks[n&7]; nonDigits(x, n) != 0 {
					return false
				}
			case opComposite:
				if !e.plan.compositeOK(p, from, to, sp) {
					return false
				}
			case opSimple:
				if sp != 0 || !e.plan.valueOK(p, from, n) {
					return false
				}
			default: // opCareful
				return false
			}
		}
		from = to + 1
		k++
	}
	if s.requiredMask&^present != 0 {
		return false
	}
	if pl.oneRuleTable {
		t := &pl.ruleTab
		if k := present >> (t.low & 63) & t.mask; t.bad[k>>6&3]>>(k&63)&1 != 0 {
			return false
		}
	} else if pl.hasRules && !pl.rulesOK(present) {
		return false
	}
	raw = p.raw // (read again: the loop above leaves it out of its registers)
	if pl.periodVal != 0 && present>>uint(pl.periodVal)&1 != 0 {
		a, b, _ := p.span(pl.periodFmt)
		switch string(raw[a:b]) {
		case "D8":
			if a, b, _ := p.span(pl.periodVal); b-a != 8 || !validDate(raw[a:b]) {
				return false
			}
		case "RD8":
			return false
		}
	}
	return true
}

// ruleTable tells, for the present elements at positions from low (bit i of the
// index for position low+i), whether they break one of a group of syntax notes.
type ruleTable struct {
	low  uint
	mask uint64
	bad  [1 << maxRuleSpan / 64]uint64 // bit i set: the present elements i break a note
}

// newRuleTables makes tables for the notes that fit them, in groups spanning at most
// maxRuleSpan positions, and returns the notes left to try one by one.
func newRuleTables(rules []Rule) ([]ruleTable, []Rule) {
	var tabs []ruleTable
	var rest []Rule
	sorted := slices.Clone(rules)
	slices.SortStableFunc(sorted, func(a, b Rule) int { return bits.TrailingZeros64(a.mask) - bits.TrailingZeros64(b.mask) })
	for i := 0; i < len(sorted); {
		low := bits.TrailingZeros64(sorted[i].mask)
		span := func(m uint64) int { return 64 - bits.LeadingZeros64(m) - low }
		if sorted[i].mask == 0 || span(sorted[i].mask) > maxRuleSpan {
			rest = append(rest, sorted[i])
			i++
			continue
		}
		var union uint64
		j := i
		for j < len(sorted) && sorted[j].mask != 0 && span(union|sorted[j].mask) <= maxRuleSpan {
			union |= sorted[j].mask
			j++
		}
		w := span(union)
		t := ruleTable{low: uint(low), mask: 1<<uint(w) - 1}
		for idx := uint64(0); idx <= t.mask; idx++ {
			present := idx << uint(low)
			for _, r := range sorted[i:j] {
				if r.violated(present & r.mask) {
					t.bad[idx>>6] |= 1 << (idx & 63)
					break
				}
			}
		}
		tabs = append(tabs, t)
		i = j
	}
	return tabs, rest
}

// rulesOK reports whether the present elements keep the segment's syntax notes.
func (pl *segPlan) rulesOK(present uint64) bool {
	for i := range pl.ruleTabs {
		t := &pl.ruleTabs[i]
		if k := present >> (t.low & 63) & t.mask; t.bad[k>>6&3]>>(k&63)&1 != 0 {
			return false
		}
	}
	for i := range pl.ruleRest {
		if r := &pl.ruleRest[i]; r.violated(present & r.mask) {
			return false
		}
	}
	return true
}

// compositeOK is fastOK for the composite at raw[a:b] whose special bytes are sp: they
// must all be component separators, and each component right.
func (e *elemPlan) compositeOK(p *parsed, a, b int, sp uint64) bool {
	last := bits.OnesCount64(sp) // the last component present
	if last >= len(e.comps) {
		return false // more components than the guide defines
	}
	comp := p.ct.d.Component
	from := a
	for i := 0; i <= last; i++ {
		c := &e.comps[i]
		to := b
		if sp != 0 {
			to = a + bits.TrailingZeros64(sp)
			if p.raw[to] != comp {
				return false // a repetition separator or an odd byte
			}
			sp &= sp - 1
		}
		if to == from {
			if c.el.Usage == Required {
				return false
			}
		} else if n := to - from; c.op == opTrivial {
			// any value
		} else if c.op == opAN {
			if n < c.min || n > c.max {
				return false
			}
		} else if c.op == opCode || c.op == opNum {
			if n > 8 || n < c.min || n > c.max {
				return false
			}
			x := p.shortWord(from, n)
			if c.op == opNum {
				if nonDigits(x, n) != 0 {
					return false
				}
			} else if n > 7 || !c.codes.has(x|uint64(n)<<56) {
				return false
			}
		} else if c.op == opCareful || !c.valueOK(p, from, n) {
			return false
		}
		from = to + 1
	}
	return e.compRequired>>uint(last+1) == 0 // no required component after the last
}

// valueOK reports whether the simple value raw[a:a+n], which holds no special byte,
// passes checkValueFlags: type, length and code.
func (e *elemPlan) valueOK(p *parsed, a, n int) bool {
	switch e.kind {
	case kindAN:
	case kindID:
		if e.codes.keys != nil {
			if n > 7 || !e.codes.has(p.shortWord(a, n)|uint64(n)<<56) {
				return false
			}
		} else if !e.el.HasCode(p.raw[a : a+n]) {
			return false
		}
	case kindNum:
		if n > 8 {
			if !allDigits(p.raw[a : a+n]) {
				return false
			}
		} else if nonDigits(p.shortWord(a, n), n) != 0 {
			return false
		}
	case kindR:
		if n > 8 {
			return false
		}
		if nd := nonDigits(p.shortWord(a, n), n); nd != 0 {
			// one decimal point
			if nd&(nd-1) != 0 || p.raw[a+bits.TrailingZeros64(nd)] != '.' || n == 1 {
				return false
			}
			n--
		}
	case kindDT:
		if !validDate(p.raw[a : a+n]) {
			return false
		}
	case kindTM:
		if !validTime(p.raw[a : a+n]) {
			return false
		}
	default:
		return false
	}
	return n >= e.min && n <= e.max
}
