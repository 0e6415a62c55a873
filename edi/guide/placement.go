package guide

import (
	"encoding/binary"
	"math/bits"
)

// The placement table: which loop a segment belongs to, or opens, decided by one
// look-up per segment instead of a search through the open loops.
//
// The careful search (walker.search) goes from the innermost open loop outwards and, in
// each, through the items at or after the one last matched that can start with the
// segment's id, taking the first whose qualifier fits and that has not reached its
// maximum. Leaving the maximum aside, its answer depends only on the open loops and
// the position in each (the loop state), the segment id and the qualifier value. The
// loop states of a guide are few (446 for the 837P), so the guide numbers them all
// once and keeps, per loop state and segment id, the answer for every qualifier value
// the guide names (381 distinct answers for the 837P: states with the same candidates
// share one). The walker then looks the answer up and checks the one thing left,
// the item's maximum; whatever the table does not cover (a full item, a qualifier at a
// place the table does not read, a segment that fits nowhere) goes to the careful
// search, which gives every error as before.

// maxStateDepth and maxStates bound the loop nesting the table follows and the states
// it numbers (a guide whose loops use each other could have no end of them); frames
// past them have no state and take the careful search.
const (
	maxStateDepth = 32
	maxStates     = 1 << 14
)

// noState marks a frame outside the table.
const noState = -1

// loopState is one loop state: a frame of loop at item idx, inside the frames of its
// parent state.
type loopState struct {
	loop   *Loop
	idx    int   // the item last matched (0 for a frame just opened)
	depth  int   // the frame's depth: 0 for the transaction set's own level
	parent int32 // the enclosing frame's state, noState at the top
	base   int32 // the state of this frame at item 0: base+i is the state at item i
	// child is, when item idx is a loop, the state of a new instance of it (at its
	// first item); noState otherwise.
	child int32
	// trans holds, by segment id number, 1 + the index of the transition in
	// Guide.trans, or 0 when the careful search decides.
	trans []int32
}

// placement is where a segment goes: item of the frame at depth, after which the
// innermost frame is in state. ok is false when the table has no answer. The rest is
// what the walker needs to take the segment there, read once from the guide.
type placement struct {
	depth int32
	item  int32
	state int32
	ok    bool
	// simple is true when nothing but counting and the element check is left to do
	// (not a segment the guide does not use, not an HL that opens its loop).
	simple bool
	frame  int32    // the state of the frame at depth after the item (state, unless the item is a loop)
	max    int      // the item's maximum (Unbounded for none)
	seg    *Segment // the guide segment the segment is checked as
	loop   *Loop    // the loop the item opens, or nil
}

// newPlacement is the placement of item i of the frame at depth, in loop state base+i.
func (g *Guide) newPlacement(l *Loop, depth int, base int32, i int) placement {
	it := &l.Items[i]
	pl := placement{depth: int32(depth), item: int32(i), state: base + int32(i), frame: base + int32(i), ok: true, seg: it.first(), loop: it.Loop}
	pl.max = it.Repeat
	if it.Segment != nil {
		pl.max = it.Segment.Max
	}
	if it.Loop != nil {
		pl.state = g.states[pl.frame].child
	}
	pl.simple = pl.seg.Usage != NotUsed && !(pl.seg.hl && it.Loop != nil)
	return pl
}

// transition is the table's answer for one loop state and segment id.
type transition struct {
	// keyElem and keyComp are the qualifier's place (element, and component 1 or 0
	// for the whole element) when the answer depends on it; keyElem is 0 otherwise.
	keyElem, keyComp int
	keys             codeTable   // the qualifier values the candidates name
	byKey            []placement // the placement for each slot of keys
	other            placement   // the placement for any other value (or any value)
}

// buildStates numbers the loop states of the guide and fills their transitions.
func (g *Guide) buildStates() {
	g.states = g.states[:0]
	g.trans = g.trans[:0]
	if g.Root == nil || len(g.Root.Items) == 0 {
		return
	}
	g.addGroup(g.Root, noState, 0)
	b := &transBuilder{g: g, seen: map[string]int32{}}
	for s := range g.states {
		b.fill(int32(s))
	}
}

// addGroup adds the states of a new instance of loop l (one per item) inside the
// parent state, and those of the loops it opens, and returns the first.
func (g *Guide) addGroup(l *Loop, parent int32, depth int) int32 {
	base := int32(len(g.states))
	for i := range l.Items {
		g.states = append(g.states, loopState{loop: l, idx: i, depth: depth, parent: parent, base: base, child: noState})
	}
	if depth+1 >= maxStateDepth || len(g.states) >= maxStates {
		return base
	}
	for i, it := range l.Items {
		if it.Loop != nil && len(it.Loop.Items) > 0 && it.Loop.Items[0].Segment != nil {
			c := g.addGroup(it.Loop, base+int32(i), depth+1)
			g.states[base+int32(i)].child = c
		}
	}
	return base
}

// candidate is an item that a segment id can start, in the order the careful search
// tries them.
type candidate struct {
	seg   *Segment
	place placement
}

// transBuilder fills the transitions of a guide's loop states; states whose candidates
// are the same share one transition.
type transBuilder struct {
	g     *Guide
	seen  map[string]int32 // by the candidates' placements: 1 + index in g.trans, or 0
	cands []candidate
	key   []byte
}

// fill computes the transitions of state s for every segment id.
func (b *transBuilder) fill(s int32) {
	g := b.g
	st := &g.states[s]
	st.trans = make([]int32, len(g.idNum))
	for num := range st.trans {
		cands := b.cands[:0]
		keyed := true   // every candidate so far has a qualifier
		covered := true // every candidate has a state to go to
		for f := s; f != noState && keyed && covered; f = g.states[f].parent {
			fs := &g.states[f]
			l := fs.loop
			for _, i := range l.byNum[num] {
				if i < fs.idx || i == 0 && l != g.Root {
					continue
				}
				pl := g.newPlacement(l, fs.depth, fs.base, i)
				if pl.state == noState {
					covered = false // a loop the table does not follow
					break
				}
				c := candidate{seg: l.Items[i].first(), place: pl}
				cands = append(cands, c)
				if c.seg.KeyElement == 0 {
					keyed = false // every value fits it: the search ends here
					break
				}
			}
		}
		b.cands = cands
		if !covered || len(cands) == 0 {
			continue
		}
		b.key = b.key[:0]
		for _, c := range cands {
			b.key = binary.LittleEndian.AppendUint32(b.key, uint32(c.place.depth))
			b.key = binary.LittleEndian.AppendUint32(b.key, uint32(c.place.item))
			b.key = binary.LittleEndian.AppendUint32(b.key, uint32(c.place.state))
		}
		t, known := b.seen[string(b.key)]
		if !known {
			if tr, ok := newTransition(cands); ok {
				g.trans = append(g.trans, tr)
				t = int32(len(g.trans))
			}
			b.seen[string(b.key)] = t
		}
		st.trans[num] = t
	}
}

// newTransition makes the transition for the candidates (in search order, ending
// with the first that has no qualifier, if any). It returns false when the table cannot
// answer: no candidate, or qualifiers the table does not read.
func newTransition(cands []candidate) (transition, bool) {
	if len(cands) == 0 {
		return transition{}, false
	}
	var t transition
	last := cands[len(cands)-1]
	if last.seg.KeyElement == 0 {
		t.other = last.place
		cands = cands[:len(cands)-1]
	}
	if len(cands) == 0 {
		return t, true
	}
	// Qualified candidates: they must all read the qualifier at the same place, whole
	// element or first component, with codes that fit a code table.
	t.keyElem, t.keyComp = cands[0].seg.KeyElement, cands[0].seg.KeyComponent
	if t.keyComp > 1 || t.keyElem >= maxFast {
		return transition{}, false
	}
	var codes []string
	first := map[string]placement{}
	for _, c := range cands {
		if c.seg.KeyElement != t.keyElem || c.seg.KeyComponent != t.keyComp {
			return transition{}, false
		}
		for _, code := range c.seg.KeyCodes {
			if _, dup := first[code]; !dup {
				first[code] = c.place
				codes = append(codes, code)
			}
		}
	}
	keys, ok := newCodeTable(codes)
	if !ok {
		return transition{}, false
	}
	t.keys = keys
	t.byKey = make([]placement, len(keys.keys))
	for _, code := range codes {
		k := codeKey(code)
		t.byKey[k*keys.mul>>keys.shift&uint64(len(keys.keys)-1)] = first[code]
	}
	return t, true
}

// lookup returns the table's placement for the parsed segment p.
func (t *transition) lookup(p *parsed) *placement {
	if t.keyElem == 0 {
		return &t.other
	}
	var k uint64
	if t.keyElem == 1 && t.keyComp == 0 && !p.split {
		// The usual qualifier, element 01 of a short segment, read off the mask.
		m := p.sep
		a, b := bits.TrailingZeros64(m)+1, len(p.raw)
		if m &= m - 1; m != 0 {
			b = bits.TrailingZeros64(m)
		}
		if n := b - a; n > 0 && n <= 7 {
			k = p.word(a, n) | uint64(n)<<56
		}
	} else {
		k = p.keyAt(t.keyElem, t.keyComp)
	}
	if k == 0 {
		return &t.other
	}
	slot := k * t.keys.mul >> (t.keys.shift & 63) & uint64(len(t.keys.keys)-1)
	if t.keys.keys[slot] == k {
		return &t.byKey[slot]
	}
	return &t.other
}

// keyAt returns the code key (codeKey) of element i, or of its first component when
// comp is 1, or 0 when that value is empty or longer than seven bytes. p must not be
// wide.
func (p *parsed) keyAt(i, comp int) uint64 {
	a, b, ok := p.span(i)
	if !ok {
		return 0
	}
	if comp == 1 {
		// The first component of the first repetition, as parsed.component cuts it.
		d := p.ct.d
		for j := a; j < b && j <= a+7; j++ {
			if c := p.raw[j]; c == d.Component || c == d.Repetition && d.Repetition != 0 {
				b = j
				break
			}
		}
	}
	n := b - a
	if n == 0 || n > 7 {
		return 0
	}
	return p.word(a, n) | uint64(n)<<56
}
