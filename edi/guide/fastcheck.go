package guide

import "math/bits"

// segPlan is a segment of the guide compiled for the fast check: per element position
// what the check needs, in a flat array, and masks of the positions it leaves to
// checkElements.
type segPlan struct {
	elems []elemPlan // elems[i] is element position i+1
	slow  uint64     // positions that fastOK leaves to checkElements: not used, binary...
	// trivial has the positions of the simple elements that any value without special
	// bytes passes, when present in a short segment: strings of length 1 to maxShort.
	trivial uint64
	ok      bool // the fast check applies (every syntax note fits in the masks)
	// the date format qualifier and the date value that checkPeriod checks (0: none)
	periodFmt, periodVal int
	// keyCodes is the segment's KeyCodes as a perfect hash, when they fit one.
	keyCodes codeTable
}

// elemPlan is an element position of a segPlan.
type elemPlan struct {
	el       *Element
	kind     uint8
	min, max int
	codes    codeTable  // the code values, when all are short (else el.HasCode)
	comps    []elemPlan // the components of a composite, nil for a simple element
}

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
	return t.keys[k*t.mul>>t.shift&uint64(len(t.keys)-1)] == k && k != 0
}

// newElemPlan is the plan of a simple element or component.
func newElemPlan(e *Element) elemPlan {
	ep := elemPlan{el: e, kind: e.kind, min: e.Min, max: e.Max}
	if len(e.Codes) > 0 {
		ep.codes, _ = newCodeTable(e.Codes)
	}
	return ep
}

// compilePlan makes the segment's plan; call it once the segment and its syntax
// notes are complete.
func (s *Segment) compilePlan() {
	pl := &segPlan{ok: len(s.Elements) < 63}
	for i, e := range s.Elements {
		ep := newElemPlan(e)
		if e.IsComposite() {
			ep.comps = []elemPlan{}
			for _, c := range e.Components {
				ep.comps = append(ep.comps, newElemPlan(c))
			}
		}
		pl.elems = append(pl.elems, ep)
		if !e.IsComposite() && e.Usage != NotUsed && e.kind == kindAN && e.Min <= 1 && e.Max >= maxShort && i+1 < 64 {
			pl.trivial |= 1 << uint(i+1)
		}
		if e.Usage == NotUsed || e.kind == kindB && !e.IsComposite() || e.IsComposite() && (len(e.Components) == 0 || e.Repeat != 1) {
			if i+1 < 64 {
				pl.slow |= 1 << uint(i+1)
			}
		}
	}
	for _, r := range s.Rules {
		for _, p := range r.Elements {
			if p >= 64 {
				pl.ok = false
			}
		}
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
// bytes, with a mask operation or a code look-up per value; for anything else, or
// anything wrong, it returns false and leaves the verdict (and the error messages) to
// checkElements. It never returns true where checkElements would report something.
func (pl *segPlan) fastOK(s *Segment, p *parsed) bool {
	if pl == nil || !pl.ok || !p.short || p.wide {
		return false
	}
	present := p.present
	if present>>uint(len(pl.elems)+1) != 0 || s.requiredMask&^present != 0 || present&pl.slow != 0 {
		return false
	}
	if p.special != 0 && p.special&pl.trivialBytes(p, present) != 0 {
		return false
	}
	for m := present &^ (1 | pl.trivial); m != 0; m &= m - 1 {
		pos := bits.TrailingZeros64(m)
		e := &pl.elems[pos-1]
		a, b := int(p.start[pos]), int(p.end[pos])
		sp := p.special >> uint(a) & (1<<uint(b-a) - 1) // special bytes of the element
		if e.comps == nil {
			if sp != 0 {
				return false
			}
			if e.kind == kindAN { // valueOK's first case, without the call
				if b-a < e.min || b-a > e.max {
					return false
				}
				continue
			}
			if !e.valueOK(p, a, b-a) {
				return false
			}
			continue
		}
		if !e.compositeOK(p, a, b, sp) {
			return false
		}
	}
	for i := range s.Rules {
		if r := &s.Rules[i]; r.violated(present & r.mask) {
			return false
		}
	}
	if pl.periodVal != 0 && present>>uint(pl.periodVal)&1 != 0 {
		f := p.element(pl.periodFmt)
		switch string(f) {
		case "D8":
			if v := p.element(pl.periodVal); len(v) != 8 || !validDate(v) {
				return false
			}
		case "RD8":
			return false
		}
	}
	return true
}

// trivialBytes returns the mask of the bytes of the trivial elements present.
func (pl *segPlan) trivialBytes(p *parsed, present uint64) uint64 {
	var m uint64
	for t := present & pl.trivial; t != 0; t &= t - 1 {
		pos := bits.TrailingZeros64(t)
		a, b := p.start[pos], p.end[pos]
		m |= (1<<(b-a) - 1) << a
	}
	return m
}

// compositeOK is fastOK for the composite at raw[a:b] whose special bytes are sp: they
// must all be component separators, and each component right.
func (e *elemPlan) compositeOK(p *parsed, a, b int, sp uint64) bool {
	if bits.OnesCount64(sp) >= len(e.comps) {
		return false // more components than the guide defines
	}
	comp := p.ct.d.Component
	from := a
	for i := range e.comps {
		c := &e.comps[i]
		to := b
		if sp != 0 {
			to = a + bits.TrailingZeros64(sp)
			if p.raw[to] != comp {
				return false // a repetition separator or an odd byte
			}
			sp &= sp - 1
		} else if from > b {
			to = from // past the last component
		}
		if to == from {
			if c.el.Usage == Required {
				return false
			}
		} else if c.el.Usage == NotUsed || !c.valueOK(p, from, to-from) {
			return false
		}
		from = to + 1
	}
	return true
}

// valueOK reports whether the simple value raw[a:a+n], which holds no special byte,
// passes checkValueFlags: type, length and code.
func (e *elemPlan) valueOK(p *parsed, a, n int) bool {
	switch e.kind {
	case kindAN:
	case kindID:
		if e.codes.keys != nil {
			if n > 7 || !e.codes.has(p.word(a, n)|uint64(n)<<56) {
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
		} else if nonDigits(p.word(a, n), n) != 0 {
			return false
		}
	case kindR:
		if n > 8 {
			return false
		}
		if nd := nonDigits(p.word(a, n), n); nd != 0 {
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
