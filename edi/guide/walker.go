package guide

import (
	"bytes"
	"fmt"

	"github.com/claimflow/claimflow/edi/x12"
)

// frame is one open loop instance while walking a transaction set.
type frame struct {
	loop    *Loop
	usage   Usage // the loop's usage and repeat at this place
	repeat  int
	idx     int    // index of the last item matched, -1 before the first
	counts  []int  // occurrences of each item in this loop instance
	seen    uint64 // bit i set when item i occurred (items past 63 are not marked)
	hl      []byte // HL01 of an HL loop (a copy kept in hlBuf)
	hl04    byte   // HL04: '0', '1' or 0
	hlBuf   [12]byte
	childHL bool
	state   int32 // the loop state (Guide.states) or noState
}

// treeHooks receive the walk's placements when a tree is built.
type treeHooks interface {
	pop(depth int)                                   // frames deeper than depth are closed
	push(l *Loop)                                    // a new loop instance starts
	place(s *Segment, seg *x12.Segment, placed bool) // a segment, placed in the open loop or not
}

// walker places the segments of one transaction set in the loops of its guide and
// checks usage, repeats and element syntax as it goes. It keeps only the open loops,
// so its memory does not grow with the transaction set.
type walker struct {
	g      *Guide
	stack  []frame
	pool   [][]int
	report func(*Error)
	tree   treeHooks
	lastHL int
	seg    *x12.Segment
	ct     *classTable
	p      parsed // the current segment, split
	num    int    // the current segment's id number
	key1   uint64 // element 01 of the current segment as a code key (codeKey), 0 if none

	verifyFast    bool // tests: hold every fast verdict against checkElements
	carefulAccept bool // tests: take every segment the table places with accept, not acceptPlaced
	searches      int  // segments placed by the careful search (tests)
}

func newWalker(g *Guide, report func(*Error)) *walker {
	return &walker{g: g, report: report}
}

// reset starts a new transaction set.
func (w *walker) reset() {
	w.stack = w.stack[:0]
	w.lastHL = 0
	root := int32(noState)
	if len(w.g.states) > 0 {
		root = 0 // the root at item 0: the search treats "before the first" the same
	}
	w.pushFrame(w.g.Root, Required, 1, root)
}

func (w *walker) pushFrame(l *Loop, u Usage, rep int, state int32) {
	d := len(w.stack)
	for len(w.pool) <= d {
		w.pool = append(w.pool, nil)
	}
	counts := w.pool[d]
	if cap(counts) < len(l.Items) {
		counts = make([]int, len(l.Items))
	} else {
		counts = counts[:len(l.Items)]
		clear(counts)
	}
	w.pool[d] = counts
	if d < cap(w.stack) {
		// Reuse the slot field by field (hlBuf needs no clearing), rather than build
		// a frame and copy it.
		w.stack = w.stack[:d+1]
		f := &w.stack[d]
		f.loop, f.usage, f.repeat, f.idx, f.counts, f.state = l, u, rep, -1, counts, state
		f.seen, f.hl, f.hl04, f.childHL = 0, nil, 0, false
		return
	}
	w.stack = append(w.stack, frame{loop: l, usage: u, repeat: rep, idx: -1, counts: counts, state: state})
}

// errAt builds an error positioned at the current segment.
func (w *walker) errAt(loopID, segID string) *Error {
	s := w.seg
	return &Error{
		Offset: s.Offset, Line: s.Line, Ordinal: s.Ordinal, STOrdinal: s.STOrdinal,
		LoopID: loopID, SegmentID: segID, Outcome: "R", Level: LevelSegment,
	}
}

func (w *walker) keyOK(s *Segment, seg *x12.Segment) bool {
	if s.KeyElement == 0 {
		return true
	}
	if s.KeyElement == 1 && s.KeyComponent == 0 && !w.p.wide && s.plan != nil && s.plan.keyCodes.keys != nil {
		// The usual key, element 01, looked up by the key made once per segment.
		return w.key1 != 0 && s.plan.keyCodes.has(w.key1)
	}
	return s.keyMatches(w.keyValue(s, seg))
}

// keyValue is the value of the segment's key element (or component).
func (w *walker) keyValue(s *Segment, seg *x12.Segment) []byte {
	if s.KeyComponent > 0 {
		return w.p.component(s.KeyElement, s.KeyComponent, seg.Delims)
	}
	return w.p.element(s.KeyElement)
}

// itemFull reports whether item i of the frame has reached its maximum.
func (f *frame) itemFull(i int) bool {
	it := f.loop.Items[i]
	max := it.Repeat
	if it.Segment != nil {
		max = it.Segment.Max
	}
	return max != Unbounded && f.counts[i] >= max
}

// find looks for the item of frame f, at or after from, that the segment starts. With
// full set it accepts an item that has reached its maximum; with anyKey it ignores the
// key element. It returns -1 when nothing fits.
func (w *walker) find(f *frame, seg *x12.Segment, from int, full, anyKey bool) int {
	root := f.loop == w.g.Root
	for _, i := range f.loop.byNum[w.num] {
		if i < from || i == 0 && !root {
			continue
		}
		if !anyKey && !w.keyOK(f.loop.Items[i].first(), seg) {
			continue
		}
		if !full && f.itemFull(i) {
			continue
		}
		return i
	}
	return -1
}

// segment places the next segment of the transaction set.
func (w *walker) segment(seg *x12.Segment) {
	w.seg = seg
	if w.ct == nil || delimKey(w.ct.d) != delimKey(seg.Delims) {
		w.ct = classesFor(w.ct, seg.Delims)
	}
	w.p.parse(w.ct, seg)
	var num int
	var ok bool
	if k := seg.IDKey(); k != 0 && w.g.idTable[idHash(k)&(idTableSize-1)].key == k {
		// The usual id, in its home slot of the id table.
		num, ok = int(w.g.idTable[idHash(k)&(idTableSize-1)].num-1), true
	} else {
		num, ok = w.g.segNum(seg)
	}
	if !ok {
		w.key1 = 0
		w.unplaced(seg)
		return
	}
	w.num = num
	// The placement table answers for the usual segment; the careful search below
	// for the rest.
	if st := w.stack[len(w.stack)-1].state; st != noState && !w.p.wide {
		if t := w.g.states[st].trans[num]; t != 0 {
			pl := w.g.trans[t-1].lookup(&w.p)
			if pl.ok && (pl.max == Unbounded || w.stack[pl.depth].counts[pl.item] < pl.max) {
				if w.verifyFast {
					w.verifyPlacement(pl, seg)
				}
				if pl.simple && w.tree == nil && !w.carefulAccept {
					w.acceptPlaced(pl, seg)
				} else {
					w.accept(int(pl.depth), int(pl.item), seg, false, false)
				}
				return
			}
		}
	}
	w.searches++
	d, i, full, anyKey := w.search(seg)
	if d < 0 {
		w.unplaced(seg)
		return
	}
	w.accept(d, i, seg, full, anyKey)
}

// search finds, without changing anything, the frame depth and item where the careful
// rules place the segment, and with what leniency (full: an item past its maximum;
// anyKey: a qualifier the guide does not name). The depth is -1 when nothing fits.
func (w *walker) search(seg *x12.Segment) (d, i int, full, anyKey bool) {
	w.key1 = 0
	if !w.p.wide {
		// Element 01 as a code key, for keyOK (0 when empty or longer than a code).
		w.key1 = w.p.keyAt(1, 0)
	}
	// Deepest loop first, then outwards: a segment belongs to the innermost open loop
	// that can hold it, or starts a new loop there.
	for pass := 0; pass < 3; pass++ {
		full, anyKey := pass >= 1, pass == 2
		for d := len(w.stack) - 1; d >= 0; d-- {
			f := &w.stack[d]
			from := f.idx
			if from < 0 {
				from = 0
			}
			if i := w.find(f, seg, from, full, anyKey); i >= 0 {
				return d, i, full, anyKey
			}
		}
	}
	return -1, -1, false, false
}

// acceptPlaced is accept for a segment the table places (below its maximum, with a
// qualifier the guide names) where nothing but counting and the element check is left
// to do, when no tree is built.
func (w *walker) acceptPlaced(pl *placement, seg *x12.Segment) {
	d, i := int(pl.depth), int(pl.item)
	if len(w.stack)-1 > d {
		w.closeTo(d)
	}
	f := &w.stack[d]
	f.idx = i
	f.counts[i]++
	f.seen |= 1 << uint(i&63)
	f.state = pl.frame
	if l := pl.loop; l != nil {
		it := &f.loop.Items[i]
		w.pushFrame(l, it.Usage, it.Repeat, pl.state)
		nf := &w.stack[len(w.stack)-1]
		nf.idx = 0
		nf.counts[0] = 1
		nf.seen = 1
	}
	if s := pl.seg; !s.plan.fastOK(s, &w.p) {
		checkElements(w.ct, s, seg, &w.p, w.stack[len(w.stack)-1].loop.ID, w.errAt, w.report)
	} else if w.verifyFast {
		w.verifyElements(s, seg)
	}
}

// verifyElements panics when checkElements finds fault with a segment the fast check
// passed (tests).
func (w *walker) verifyElements(s *Segment, seg *x12.Segment) {
	checkElements(w.ct, s, seg, &w.p, w.stack[len(w.stack)-1].loop.ID, w.errAt, func(e *Error) {
		panic(fmt.Sprintf("the fast check passed %q, checkElements reports: %s", seg.Raw(), e.Msg))
	})
}

// verifyPlacement panics when the careful search would not place the segment where the
// table does (tests).
func (w *walker) verifyPlacement(pl *placement, seg *x12.Segment) {
	d, i, full, anyKey := w.search(seg)
	if d != int(pl.depth) || i != int(pl.item) || full || anyKey {
		panic(fmt.Sprintf("the placement table puts %q at depth %d item %d, the search at depth %d item %d (full %v, any key %v)",
			seg.Raw(), pl.depth, pl.item, d, i, full, anyKey))
	}
	f := &w.stack[d]
	if next := w.g.states[f.state].base + int32(i); f.loop.Items[i].Loop == nil && next != pl.state ||
		f.loop.Items[i].Loop != nil && w.g.states[next].child != pl.state || next != pl.frame {
		panic(fmt.Sprintf("the placement table's next state for %q is %d (frame %d), not the one accept makes", seg.Raw(), pl.state, pl.frame))
	}
	it := &f.loop.Items[i]
	s := it.first()
	max := it.Repeat
	if it.Segment != nil {
		max = it.Segment.Max
	}
	if pl.seg != s || pl.loop != it.Loop || pl.max != max || pl.simple != (s.Usage != NotUsed && !(s.hl && it.Loop != nil)) {
		panic(fmt.Sprintf("the placement table's item for %q is not the one accept takes", seg.Raw()))
	}
}

// accept places the segment as item i of the frame at depth d.
func (w *walker) accept(d, i int, seg *x12.Segment, full, anyKey bool) {
	if len(w.stack)-1 > d || w.tree != nil {
		w.closeTo(d)
	}
	f := &w.stack[d]
	it := &f.loop.Items[i]
	overMax := full && f.itemFull(i)
	f.idx = i
	f.counts[i]++
	f.seen |= 1 << uint(i&63)
	child := int32(noState)
	if f.state != noState {
		f.state = w.g.states[f.state].base + int32(i)
		child = w.g.states[f.state].child
	}
	s := it.Segment
	if it.Loop != nil {
		if overMax {
			e := w.errAt(it.Loop.ID, seg.ID)
			e.SegmentCode = SegLoopOverMax
			e.Msg = fmt.Sprintf("loop %s (%s) occurs more than the %d times the guide allows", it.Loop.ID, it.Loop.Name, it.Repeat)
			w.report(e)
		}
		if w.tree != nil {
			w.tree.push(it.Loop)
		}
		w.pushFrame(it.Loop, it.Usage, it.Repeat, child)
		nf := &w.stack[len(w.stack)-1]
		nf.idx = 0
		nf.counts[0] = 1
		nf.seen = 1
		s = it.Loop.Trigger()
	} else if overMax {
		e := w.errAt(f.loop.ID, seg.ID)
		e.SegmentCode = SegOverMaxUse
		e.Msg = fmt.Sprintf("%s occurs more than the %d times the guide allows here", s, s.Max)
		w.report(e)
	}
	if w.tree != nil {
		w.tree.place(s, seg, true)
	}
	if s.Usage == NotUsed || anyKey || s.hl && it.Loop != nil {
		w.acceptChecks(s, seg, anyKey, it.Loop != nil)
	}
	if !s.plan.fastOK(s, &w.p) {
		checkElements(w.ct, s, seg, &w.p, w.stack[len(w.stack)-1].loop.ID, w.errAt, w.report)
	} else if w.verifyFast {
		w.verifyElements(s, seg)
	}
}

// acceptChecks makes the rarer checks of a placed segment: a segment the guide does not
// use, a qualifier it does not name, and the numbering of an HL that opens its loop.
func (w *walker) acceptChecks(s *Segment, seg *x12.Segment, anyKey, opened bool) {
	loopID := w.stack[len(w.stack)-1].loop.ID
	if s.Usage == NotUsed {
		e := w.errAt(loopID, seg.ID)
		e.SegmentCode = SegNotUsed
		e.Msg = fmt.Sprintf("%s is marked not used in this guide", s)
		w.report(e)
	}
	if el := s.keyElement(); anyKey && (el == nil || len(el.Codes) == 0) {
		// (a key element with a code list is reported by checkElements)
		e := w.errAt(loopID, seg.ID)
		e.SegmentCode = SegElementErrors
		e.ElementCode = ElemBadCode
		e.Element, e.Component = s.KeyElement, s.KeyComponent
		e.Value = string(w.keyValue(s, seg))
		if el != nil {
			e.ElementRef = el.Ref
		}
		e.Msg = fmt.Sprintf("the qualifier is not one this position of the guide allows for %s", s.ID)
		w.report(e)
	}
	if s.hl && opened {
		w.checkHL(seg, loopID)
	}
}

// keyElement returns the schema element the segment is keyed on.
func (s *Segment) keyElement() *Element {
	if s.KeyElement == 0 || s.KeyElement > len(s.Elements) {
		return nil
	}
	e := s.Elements[s.KeyElement-1]
	if s.KeyComponent > 0 && s.KeyComponent <= len(e.Components) {
		return e.Components[s.KeyComponent-1]
	}
	return e
}

// checkHL checks HL01 numbering and that HL02 names the enclosing HL level.
func (w *walker) checkHL(seg *x12.Segment, loopID string) {
	d := len(w.stack) - 1
	f := &w.stack[d]
	hl01 := w.p.element(1)
	f.hl = append(f.hlBuf[:0], hl01...)
	if len(f.hl) == 0 {
		f.hl = append(f.hl, '?') // an HL without HL01 is still a level
	}
	f.hl04 = 0
	if v := w.p.element(4); len(v) == 1 {
		f.hl04 = v[0]
	}
	w.lastHL++
	if n, ok := atoiBytes(hl01); !ok || n != w.lastHL {
		e := w.errAt(loopID, "HL")
		e.SegmentCode, e.ElementCode, e.Element, e.ElementRef, e.Value = SegElementErrors, ElemBadCode, 1, "628", string(hl01)
		e.Msg = fmt.Sprintf("HL01 must number the levels 1, 2, 3 ... in order; %d was expected", w.lastHL)
		w.report(e)
		if ok {
			w.lastHL = n
		}
	}
	var parent []byte
	for p := d - 1; p >= 0; p-- {
		if w.stack[p].hl != nil {
			parent = w.stack[p].hl
			w.stack[p].childHL = true
			break
		}
	}
	if got := w.p.element(2); !bytes.Equal(got, parent) {
		e := w.errAt(loopID, "HL")
		e.SegmentCode, e.ElementCode, e.Element, e.ElementRef, e.Value = SegElementErrors, ElemBadCode, 2, "734", string(got)
		if parent == nil {
			e.Msg = "HL02 names a parent level, but this level has none"
		} else {
			e.Msg = fmt.Sprintf("HL02 must name the enclosing level, HL %s", parent)
		}
		w.report(e)
	}
}

func atoiBytes(s []byte) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// unplaced reports a segment that fits nowhere; the walk's position does not change.
func (w *walker) unplaced(seg *x12.Segment) {
	loopID := w.stack[len(w.stack)-1].loop.ID
	e := w.errAt(loopID, seg.ID)
	switch {
	case !wellFormedID(seg.ID):
		e.SegmentCode = SegUnrecognized
		e.Msg = "not a segment identifier (two or three upper-case letters and digits)"
	case w.g.HasSegmentID(seg.ID) && w.earlier(seg):
		e.SegmentCode = SegOutOfOrder
		e.Msg = fmt.Sprintf("%s is out of order: the guide places it earlier in loop %s or an enclosing loop", seg.ID, loopID)
	case w.g.HasSegmentID(seg.ID):
		e.SegmentCode = SegUnexpected
		e.Msg = fmt.Sprintf("%s is not expected here (loop %s)", seg.ID, loopID)
	default:
		e.SegmentCode = SegNotInSet
		e.Msg = fmt.Sprintf("%s is not a segment of the %s transaction set", seg.ID, w.g.Name)
	}
	w.report(e)
	if w.tree != nil {
		w.tree.place(nil, seg, false)
	}
}

// earlier reports whether an open loop has a place for the segment before its position.
func (w *walker) earlier(seg *x12.Segment) bool {
	for d := len(w.stack) - 1; d >= 0; d-- {
		f := &w.stack[d]
		for _, i := range f.loop.byNum[w.num] {
			if i < f.idx && w.keyOK(f.loop.Items[i].first(), seg) {
				return true
			}
		}
	}
	return false
}

func wellFormedID(id string) bool {
	if len(id) < 2 || len(id) > 3 || id[0] < 'A' || id[0] > 'Z' {
		return false
	}
	for i := 1; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// closeTo closes the frames deeper than depth d, checking what they lacked.
func (w *walker) closeTo(d int) {
	for len(w.stack)-1 > d {
		w.closeFrame()
	}
	if w.tree != nil {
		w.tree.pop(d)
	}
}

// closeFrame closes the innermost loop instance: required segments and loops that
// never came are reported at the segment that closed it.
func (w *walker) closeFrame() {
	f := &w.stack[len(w.stack)-1]
	w.checkRequired(f)
	if f.hl != nil {
		switch {
		case f.hl04 == '0' && f.childHL:
			e := w.errAt(f.loop.ID, "HL")
			e.SegmentCode, e.Msg = SegElementErrors, fmt.Sprintf("HL %s says it has no child levels (HL04 = 0) but has some", f.hl)
			w.report(e)
		case f.hl04 == '1' && !f.childHL:
			e := w.errAt(f.loop.ID, "HL")
			e.SegmentCode, e.Msg = SegElementErrors, fmt.Sprintf("HL %s says it has child levels (HL04 = 1) but has none", f.hl)
			w.report(e)
		}
	}
	w.stack = w.stack[:len(w.stack)-1]
}

func (w *walker) checkRequired(f *frame) {
	if l := f.loop; len(l.Items) <= 64 && l.required&^f.seen == 0 {
		return // everything required came
	}
	for i, it := range f.loop.Items {
		if f.counts[i] > 0 {
			continue
		}
		if it.Segment != nil && it.Segment.Usage == Required {
			e := w.errAt(f.loop.ID, it.Segment.ID)
			e.SegmentCode = SegMissing
			e.Msg = fmt.Sprintf("required %s is missing from loop %s (%s)", it.Segment, f.loop.ID, f.loop.Name)
			w.report(e)
		}
		if it.Loop != nil && it.Usage == Required {
			e := w.errAt(it.Loop.ID, it.Loop.Trigger().ID)
			e.SegmentCode = SegMissing
			e.Msg = fmt.Sprintf("required loop %s (%s) is missing from loop %s", it.Loop.ID, it.Loop.Name, f.loop.ID)
			w.report(e)
		}
	}
}

// finish ends the transaction set at its SE (already placed) or at the segment that
// ended it without one.
func (w *walker) finish(seg *x12.Segment) {
	w.seg = seg
	for len(w.stack) > 0 {
		w.closeFrame()
	}
	if w.tree != nil {
		w.tree.pop(-1)
	}
}
