package guide

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/edi/x12"
)

// Usage is how an implementation guide marks a loop, segment or element.
type Usage byte

// The usages of the HIPAA implementation guides.
const (
	Required    Usage = 'R'
	Situational Usage = 'S'
	NotUsed     Usage = 'N'
)

func (u Usage) String() string { return string(u) }

// Unbounded is the Max or Repeat of something the guide lets repeat without limit (">1").
const Unbounded = 0

// Type is an X12 data element type.
type Type string

// The X12 data element types.
const (
	TypeAN Type = "AN" // string
	TypeID Type = "ID" // identifier from a code list
	TypeDT Type = "DT" // date, CCYYMMDD (YYMMDD in ISA09 and TA102)
	TypeTM Type = "TM" // time, HHMM[SS[d..]]
	TypeN0 Type = "N0" // integer
	TypeN1 Type = "N1" // number with one implied decimal
	TypeN2 Type = "N2" // number with two implied decimals
	TypeR  Type = "R"  // decimal number
	TypeB  Type = "B"  // binary
)

// DataElement is an entry of the X12 data element dictionary.
type DataElement struct {
	Ref  string // data element reference number, e.g. "143" ("I12" for ISA13)
	Type Type
	Min  int
	Max  int
	Name string
}

// Guide is one implementation guide as data: the transaction set's loops, segments and
// elements, with the guide's usage, repeats, lengths and code values.
type Guide struct {
	Name    string // our short name: 837P, 835, 999, 277CA, TA1, CONTROL
	ST01    string // transaction set id, e.g. "837"
	Version string // ST03 / GS08, e.g. "005010X222A1"
	Title   string
	Root    *Loop // the transaction set itself; its ID is "HEADER"

	loops    map[string]*Loop    // by loop id
	segIDs   map[string]bool     // every segment id that appears in the guide
	segments map[string]*Segment // for CONTROL: by segment id
	idNum    map[string]int      // a number for each segment id of the guide
	idTable  [idTableSize]idSlot // idNum as an open-addressed table keyed by packed ids (x12.PackID)
	states   []loopState         // the loop states of the placement table (placement.go)
	trans    []transition        // the placement table's transitions
}

// Loop is a loop of the guide (or the transaction set itself, as Guide.Root).
type Loop struct {
	ID     string // "2300"
	Name   string
	Usage  Usage
	Repeat int // Unbounded for ">1"
	Items  []Item
	Parent *Loop

	// byNum lists, for each segment id number (Guide.idNum), the indexes of Items that
	// can start with it (a segment of this loop, or the trigger of a child loop).
	byNum [][]int
	// required has bit i set when item i is a required segment or loop (items < 64).
	required uint64
}

// Trigger is the loop's first segment, whose arrival starts a new instance of the loop.
func (l *Loop) Trigger() *Segment { return l.Items[0].Segment }

// Item is one entry of a loop: a segment or a child loop. For a child loop, Usage and
// Repeat are the loop's at this place: a loop the guide uses in two places (837P 2300
// under 2000B and under 2000C) has one definition and two items.
type Item struct {
	Segment *Segment
	Loop    *Loop
	Usage   Usage
	Repeat  int
}

// first is the segment an item starts with.
func (it Item) first() *Segment {
	if it.Loop != nil {
		return it.Loop.Trigger()
	}
	return it.Segment
}

// Segment is a segment of the guide at one place in its loop structure.
type Segment struct {
	ID       string
	Pos      string // the guide's position number, e.g. "0200"
	Usage    Usage
	Max      int // Unbounded for ">1"
	Name     string
	Elements []*Element // index 0 is element position 01
	Loop     *Loop      // the loop the segment belongs to

	// Key tells this segment apart from others with the same id at the same level.
	KeyElement   int // element position (1-based), 0 when there is no key
	KeyComponent int // component position (1-based) or 0 for the whole element
	KeyCodes     []string

	// Rules are the X12 syntax notes of the segment id (schemas/syntax.rules).
	Rules []Rule

	period       uint8    // 1 DTP, 2 DTM, 3 DMG: a date format qualifier governs a date value
	hl           bool     // an HL, whose numbering the walker checks
	requiredMask uint64   // bit i set when element i is required
	plan         *segPlan // the segment compiled for the fast check
}

// Rule is an X12 syntax note: a relational condition between elements of a segment.
type Rule struct {
	Kind     byte  // P paired, R required, E exclusion, C conditional, L list conditional
	Elements []int // element positions, 1-based

	mask  uint64 // the elements as bits
	first uint64 // the first element's bit
}

// violated reports whether the present elements m (already limited to the rule's
// elements) break the rule.
func (r *Rule) violated(m uint64) bool {
	switch r.Kind {
	case 'P':
		return m != 0 && m != r.mask
	case 'R':
		return m == 0
	case 'E':
		return m&(m-1) != 0
	case 'C':
		return m&r.first != 0 && m != r.mask
	case 'L':
		return m == r.first
	}
	return false
}

func (r Rule) String() string {
	s := string(r.Kind)
	for _, e := range r.Elements {
		s += fmt.Sprintf("%02d", e)
	}
	return s
}

// Element is a simple element, a composite, or a component of a composite.
type Element struct {
	// The fields the validator reads for every element come first, together.
	Usage    Usage
	kind     uint8    // Type as a small number (kindAN ...)
	Min, Max int      // length limits (digits only for numeric types)
	packed   []uint64 // the codes packed in integers, sorted, when all are short

	Label       string // "CLM05", "CLM05-1"
	Position    int    // element position in the segment (1-based)
	Component   int    // component position inside a composite (1-based), 0 otherwise
	Ref         string // data element reference number; empty for not-used elements and composites
	CompositeID string // "C023" for a composite
	Type        Type
	Codes       []string
	Repeat      int // maximum repetitions: 1 by default, Unbounded for ">1"
	Name        string
	Components  []*Element // for a composite

	codeSet map[string]struct{}
}

// IsComposite reports whether the element is a composite of components.
func (e *Element) IsComposite() bool { return e.CompositeID != "" }

// Valid reports whether v, a non-empty simple value, is one the element accepts:
// its type, length and code list, as the validator checks them (delimiters aside).
func (e *Element) Valid(v []byte) bool {
	code, _ := checkValueFlags(e, v, plainClasses.flags(v))
	return code == ""
}

// plainClasses classifies bytes for Valid: the default delimiters.
var plainClasses = classesFor(nil, x12.DefaultDelimiters)

// HasCode reports whether v is one of the element's code values. An element without a
// code list accepts every value.
func (e *Element) HasCode(v []byte) bool {
	if len(e.Codes) == 0 {
		return true
	}
	if e.packed != nil {
		if len(v) > maxPacked {
			return false
		}
		k := packCode(v)
		if len(e.packed) <= 16 {
			for _, c := range e.packed {
				if c == k {
					return true
				}
			}
			return false
		}
		_, found := slices.BinarySearch(e.packed, k)
		return found
	}
	if e.codeSet != nil {
		_, ok := e.codeSet[string(v)]
		return ok
	}
	for _, c := range e.Codes {
		if c == string(v) {
			return true
		}
	}
	return false
}

// idTableSize is the number of slots of Guide.idTable.
const idTableSize = 512

// idSlot maps a packed segment id to its number (num is the number + 1; 0 is empty).
type idSlot struct {
	key uint32
	num int32
}

func idHash(k uint32) uint32 { return (k * 2654435761) >> 23 }

// segNum returns the number of the segment's id in the guide.
func (g *Guide) segNum(seg *x12.Segment) (int, bool) {
	k := seg.IDKey()
	if k == 0 {
		n, ok := g.idNum[seg.ID]
		return n, ok
	}
	for h := idHash(k); ; h++ {
		s := &g.idTable[h&(idTableSize-1)]
		if s.num == 0 {
			return 0, false
		}
		if s.key == k {
			return int(s.num - 1), true
		}
	}
}

// maxPacked is the longest code that packCode packs.
const maxPacked = 7

// packCode packs a code of at most maxPacked bytes, with its length, into an integer.
func packCode(v []byte) uint64 {
	k := uint64(len(v)) << 56
	for i, c := range v {
		k |= uint64(c) << (8 * (6 - i))
	}
	return k
}

// Element kinds, Type as a number for the validator's switch.
const (
	kindAN uint8 = iota
	kindID
	kindDT
	kindTM
	kindNum // N0, N1, N2
	kindR
	kindB
)

// prepare fills the fields the validator uses from the element's definition.
func (e *Element) prepare() {
	switch e.Type {
	case TypeID:
		e.kind = kindID
	case TypeDT:
		e.kind = kindDT
	case TypeTM:
		e.kind = kindTM
	case TypeN0, TypeN1, TypeN2:
		e.kind = kindNum
	case TypeR:
		e.kind = kindR
	case TypeB:
		e.kind = kindB
	default:
		e.kind = kindAN
	}
	if len(e.Codes) == 0 {
		return
	}
	packed := make([]uint64, 0, len(e.Codes))
	for _, c := range e.Codes {
		if len(c) > maxPacked {
			return
		}
		packed = append(packed, packCode([]byte(c)))
	}
	slices.Sort(packed)
	e.packed = packed
}

// LoopByID returns the loop with the given id, or nil.
func (g *Guide) LoopByID(id string) *Loop { return g.loops[id] }

// HasSegmentID reports whether the segment id appears anywhere in the guide.
func (g *Guide) HasSegmentID(id string) bool { return g.segIDs[id] }

// ControlSegment returns a segment of the CONTROL guide (ISA, IEA, GS, GE, TA1).
func (g *Guide) ControlSegment(id string) *Segment { return g.segments[id] }

// keyMatches reports whether a segment's key selects this schema segment. Segments
// without a key match on id alone.
func (s *Segment) keyMatches(v []byte) bool {
	if s.KeyElement == 0 {
		return true
	}
	if pl := s.plan; pl != nil && pl.keyCodes.keys != nil {
		return len(v) <= 7 && pl.keyCodes.has(bytesKey(v))
	}
	for _, c := range s.KeyCodes {
		if c == string(v) {
			return true
		}
	}
	return false
}

// String names the segment for messages: "NM1 (Submitter Name)".
func (s *Segment) String() string { return fmt.Sprintf("%s (%s)", s.ID, s.Name) }

func parseRepeat(s string) (int, error) {
	if s == ">1" {
		return Unbounded, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("repeat %q is neither a positive integer nor >1", s)
	}
	return n, nil
}

func parseUsage(s string) (Usage, error) {
	switch s {
	case "R", "S", "N":
		return Usage(s[0]), nil
	}
	return 0, fmt.Errorf("usage %q is not R, S or N", s)
}

// splitLabel splits "CLM05-1" into position 5 and component 1.
func splitLabel(segID, label string) (pos, comp int, err error) {
	if !strings.HasPrefix(label, segID) {
		return 0, 0, fmt.Errorf("element label %q does not start with segment id %s", label, segID)
	}
	rest := label[len(segID):]
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		comp, err = strconv.Atoi(rest[i+1:])
		if err != nil || comp < 1 {
			return 0, 0, fmt.Errorf("element label %q: bad component position", label)
		}
		rest = rest[:i]
	}
	if len(rest) != 2 {
		return 0, 0, fmt.Errorf("element label %q: position must be two digits", label)
	}
	pos, err = strconv.Atoi(rest)
	if err != nil || pos < 1 {
		return 0, 0, fmt.Errorf("element label %q: bad position", label)
	}
	return pos, comp, nil
}
