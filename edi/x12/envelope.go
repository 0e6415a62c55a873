package x12

import (
	"fmt"
	"strconv"
	"time"
)

// Level says which envelope a problem belongs to, and so which acknowledgment reports
// it: the TA1 for the interchange, the 999 AK9 for a group, the 999 IK5 for a
// transaction set.
type Level int

// Envelope levels.
const (
	LevelInterchange Level = iota + 1
	LevelGroup
	LevelTransaction
)

func (l Level) String() string {
	switch l {
	case LevelInterchange:
		return "interchange"
	case LevelGroup:
		return "group"
	case LevelTransaction:
		return "transaction set"
	}
	return "unknown"
}

// EnvelopeError is a problem with an ISA/GS/ST envelope: a count, a control number, a
// trailer missing, a field of the ISA. Code is the TA105 note code (LevelInterchange),
// the AK905 code (LevelGroup) or the IK502 code (LevelTransaction).
type EnvelopeError struct {
	Offset      int64
	Line        int
	Ordinal     int64 // ordinal of the segment in the stream
	STOrdinal   int
	SegmentID   string
	Element     int
	Interchange string // ISA13 of the envelope
	Group       string // GS06
	Transaction string // ST02
	Level       Level
	Code        string
	Msg         string
}

func (e *EnvelopeError) Error() string {
	el := ""
	if e.Element > 0 {
		el = fmt.Sprintf("%02d", e.Element)
	}
	return fmt.Sprintf("x12: offset %d, line %d, segment %d (%s%s): %s [%s %s]", e.Offset, e.Line, e.Ordinal, e.SegmentID, el, e.Msg, e.Level, e.Code)
}

// isaWidths are the fixed widths of ISA01..ISA16; isaCodes the TA105 code for a bad field.
var (
	isaWidths = [17]int{0, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1}
	isaCodes  = [17]string{"", "010", "011", "012", "013", "005", "006", "007", "008", "014", "015", "016", "017", "018", "019", "020", "027"}
)

// EnvelopeChecker checks the envelopes of a stream of segments: nesting, trailers,
// counts (SE01, GE01, IEA01), control numbers matching (ISA13 = IEA02, GS06 = GE02,
// ST02 = SE02) and unique within their envelope, and the fixed fields of the ISA. Feed
// it every segment in order with Check, then call Finish at the end of the stream.
type EnvelopeChecker struct {
	errs []*EnvelopeError

	inISA, inGS, inST bool
	isa13, gs06, st02 string
	ngs, nst, nseg    int
	seenISA           map[string]bool
	seenGS            map[string]bool
	seenST            map[string]bool
	lastPos           Segment // position of the last segment, for Finish
}

// Errors returns the problems found so far, in stream order.
func (c *EnvelopeChecker) Errors() []*EnvelopeError { return c.errs }

func (c *EnvelopeChecker) add(s *Segment, el int, lvl Level, code, format string, args ...any) {
	c.errs = append(c.errs, &EnvelopeError{
		Offset: s.Offset, Line: s.Line, Ordinal: s.Ordinal, STOrdinal: s.STOrdinal,
		SegmentID: s.ID, Element: el,
		Interchange: c.isa13, Group: c.gs06, Transaction: c.st02,
		Level: lvl, Code: code, Msg: fmt.Sprintf(format, args...),
	})
}

// CheckUsual is Check for a segment the caller knows is not an envelope segment (ISA,
// IEA, TA1, GS, GE, ST, SE): inside a transaction set there is nothing to do but count
// it, without looking at its id. It reports false, having done nothing, when the
// segment is outside a transaction set or an interchange: then Check must take it.
func (c *EnvelopeChecker) CheckUsual(s *Segment) bool {
	if !c.inST || !c.inISA {
		return false
	}
	c.nseg++
	lp := &c.lastPos
	lp.ID, lp.Offset, lp.Line, lp.Ordinal, lp.STOrdinal = s.ID, s.Offset, s.Line, s.Ordinal, s.STOrdinal
	return true
}

// Check takes the next segment of the stream.
func (c *EnvelopeChecker) Check(s *Segment) {
	lp := &c.lastPos
	lp.ID, lp.Offset, lp.Line, lp.Ordinal, lp.STOrdinal = s.ID, s.Offset, s.Line, s.Ordinal, s.STOrdinal
	if c.inST {
		c.nseg++
		if c.inISA && !envelopeID(s.ID) {
			return // the usual segment: counted, nothing else to check
		}
	}
	switch s.ID {
	case "ISA":
		c.closeOpen(s, "ISA")
		c.checkISA(s)
	case "IEA":
		if !c.inISA {
			c.add(s, 0, LevelInterchange, "022", "IEA without an ISA")
			return
		}
		c.closeGroup(s, "IEA")
		if got := s.Value(2); got != c.isa13 {
			c.add(s, 2, LevelInterchange, "001", "IEA02 %q does not match ISA13 %q", got, c.isa13)
		}
		if n, err := strconv.Atoi(s.Value(1)); err != nil || n != c.ngs {
			c.add(s, 1, LevelInterchange, "021", "IEA01 says %q functional groups, the interchange has %d", s.Value(1), c.ngs)
		}
		c.inISA = false
		c.isa13 = ""
	case "TA1":
		if !c.inISA || c.inGS {
			c.add(s, 0, LevelInterchange, "024", "TA1 must follow the ISA, outside any group")
		}
	case "GS":
		if !c.inISA {
			c.add(s, 0, LevelInterchange, "024", "GS outside an interchange")
		}
		c.closeGroup(s, "GS")
		c.inGS = true
		c.gs06 = s.Value(6)
		c.nst = 0
		c.seenST = map[string]bool{}
		c.ngs++
		if c.seenGS[c.gs06] {
			c.add(s, 6, LevelGroup, "19", "GS06 %q is used twice in this interchange", c.gs06)
		}
		if c.seenGS != nil {
			c.seenGS[c.gs06] = true
		}
	case "GE":
		if !c.inGS {
			c.add(s, 0, LevelInterchange, "024", "GE without a GS")
			return
		}
		c.closeTransaction(s, "GE")
		if !sameNumber(s.Value(2), c.gs06) {
			c.add(s, 2, LevelGroup, "4", "GE02 %q does not match GS06 %q", s.Value(2), c.gs06)
		}
		if n, err := strconv.Atoi(s.Value(1)); err != nil || n != c.nst {
			c.add(s, 1, LevelGroup, "5", "GE01 says %q transaction sets, the group has %d", s.Value(1), c.nst)
		}
		c.inGS = false
		c.gs06 = ""
	case "ST":
		if !c.inGS {
			c.add(s, 0, LevelTransaction, "18", "ST outside a functional group")
		}
		c.closeTransaction(s, "ST")
		c.inST = true
		c.st02 = s.Value(2)
		c.nseg = 1
		c.nst++
		if c.seenST[c.st02] {
			c.add(s, 2, LevelTransaction, "23", "ST02 %q is used twice in this group", c.st02)
		}
		if c.seenST != nil {
			c.seenST[c.st02] = true
		}
	case "SE":
		if !c.inST {
			c.add(s, 0, LevelGroup, "3", "SE without an ST")
			return
		}
		if got := s.Value(2); got != c.st02 {
			c.add(s, 2, LevelTransaction, "3", "SE02 %q does not match ST02 %q", got, c.st02)
		}
		if n, err := strconv.Atoi(s.Value(1)); err != nil || n != c.nseg {
			c.add(s, 1, LevelTransaction, "4", "SE01 says %q segments, the transaction set has %d (ST to SE)", s.Value(1), c.nseg)
		}
		c.inST = false
		c.st02 = ""
	default:
		switch {
		case !c.inISA:
			c.add(s, 0, LevelInterchange, "024", "segment %s outside an interchange", s.ID)
		case !c.inST:
			c.add(s, 0, LevelInterchange, "024", "segment %s outside a transaction set", s.ID)
		}
	}
}

// envelopeID reports whether id is one of the segments Check looks at: ISA, IEA, TA1,
// GS, GE, ST, SE.
func envelopeID(id string) bool {
	if len(id) < 2 {
		return false
	}
	switch id[0] {
	case 'I', 'T', 'G', 'S':
		switch id {
		case "ISA", "IEA", "TA1", "GS", "GE", "ST", "SE":
			return true
		}
	}
	return false
}

// sameNumber compares two control numbers as numbers when both are numeric
// (GS06 "1" and GE02 "000001" agree), else as text.
func sameNumber(a, b string) bool {
	x, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	if err1 == nil && err2 == nil {
		return x == y
	}
	return a == b
}

func (c *EnvelopeChecker) closeTransaction(s *Segment, by string) {
	if c.inST {
		c.add(s, 0, LevelTransaction, "2", "transaction set %s has no SE before %s", c.st02, by)
		c.inST = false
		c.st02 = ""
	}
}

func (c *EnvelopeChecker) closeGroup(s *Segment, by string) {
	c.closeTransaction(s, by)
	if c.inGS {
		c.add(s, 0, LevelGroup, "3", "group %s has no GE before %s", c.gs06, by)
		c.inGS = false
		c.gs06 = ""
	}
}

func (c *EnvelopeChecker) closeOpen(s *Segment, by string) {
	c.closeGroup(s, by)
	if c.inISA {
		c.add(s, 0, LevelInterchange, "023", "interchange %s has no IEA before %s", c.isa13, by)
		c.inISA = false
	}
}

func (c *EnvelopeChecker) checkISA(s *Segment) {
	c.inISA = true
	c.isa13 = s.Value(13)
	c.ngs = 0
	c.seenGS = map[string]bool{}
	if c.seenISA == nil {
		c.seenISA = map[string]bool{}
	}
	if c.seenISA[c.isa13] {
		c.add(s, 13, LevelInterchange, "025", "ISA13 %q is used twice in this file", c.isa13)
	}
	c.seenISA[c.isa13] = true
	if s.Len() != 16 {
		c.add(s, 0, LevelInterchange, "022", "ISA has %d elements, want 16", s.Len())
	}
	for i := 1; i <= 16 && i <= s.Len(); i++ {
		if n := len(s.Element(i)); n != isaWidths[i] {
			c.add(s, i, LevelInterchange, isaCodes[i], "ISA%02d is %d characters long, the ISA's fixed width needs %d", i, n, isaWidths[i])
		}
	}
	if s.Len() < 16 {
		return
	}
	for _, ch := range s.Element(13) {
		if ch < '0' || ch > '9' {
			c.add(s, 13, LevelInterchange, "018", "ISA13 %q is not a 9-digit number", s.Element(13))
			break
		}
	}
	if _, err := time.Parse("060102", s.Value(9)); err != nil {
		c.add(s, 9, LevelInterchange, "014", "ISA09 %q is not a date YYMMDD", s.Value(9))
	}
	if _, err := time.Parse("1504", s.Value(10)); err != nil {
		c.add(s, 10, LevelInterchange, "015", "ISA10 %q is not a time HHMM", s.Value(10))
	}
	if v := s.Value(14); v != "0" && v != "1" {
		c.add(s, 14, LevelInterchange, "019", "ISA14 %q is not 0 or 1", v)
	}
	if v := s.Value(15); v != "P" && v != "T" {
		c.add(s, 15, LevelInterchange, "020", "ISA15 %q is not P or T", v)
	}
}

// Finish reports the envelopes still open at the end of the stream.
func (c *EnvelopeChecker) Finish() {
	s := &c.lastPos
	if c.inST {
		c.add(s, 0, LevelTransaction, "2", "transaction set %s has no SE at the end of the file", c.st02)
	}
	if c.inGS {
		c.add(s, 0, LevelGroup, "3", "group %s has no GE at the end of the file", c.gs06)
	}
	if c.inISA {
		c.add(s, 0, LevelInterchange, "023", "interchange %s has no IEA at the end of the file", c.isa13)
	}
	c.inST, c.inGS, c.inISA = false, false, false
}
