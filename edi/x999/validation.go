package x999

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
)

// Received is one functional group of a file to acknowledge, with its transaction
// sets: what a 999 must answer whether or not anything in it is wrong.
type Received struct {
	ISA13        string // the interchange holding the group
	FunctionalID string // GS01
	Control      string // GS06
	Version      string // GS08
	// Declared is GE01, the count of transaction sets the group says it holds; -1
	// when the group has no GE or GE01 is not a number.
	Declared int
	Sets     []ReceivedSet
	// Start and End are the file ordinals of the GS and of the GE (or of the last
	// segment before whatever closed the group).
	Start, End int64
}

// ReceivedSet is one transaction set of a received group.
type ReceivedSet struct {
	ID      string // ST01
	Control string // ST02
	Version string // ST03
	// Start and End are the file ordinals of the ST and of the SE (or of the last
	// segment before whatever closed the set).
	Start, End int64
}

// inventory records the groups and transaction sets of a stream of segments.
type inventory struct {
	groups []Received
	isa13  string
	inGS   bool
	inST   bool
	last   int64
}

func (v *inventory) segment(seg *x12.Segment) {
	switch seg.ID {
	case "ISA":
		v.closeGroup()
		v.isa13 = seg.Value(13)
	case "IEA":
		v.closeGroup()
		v.isa13 = ""
	case "GS":
		v.closeGroup()
		v.groups = append(v.groups, Received{
			ISA13: v.isa13, FunctionalID: seg.Value(1), Control: seg.Value(6), Version: seg.Value(8),
			Declared: -1, Start: seg.Ordinal,
		})
		v.inGS = true
	case "GE":
		v.closeSet()
		if v.inGS {
			g := &v.groups[len(v.groups)-1]
			if n, err := strconv.Atoi(seg.Value(1)); err == nil {
				g.Declared = n
			}
			g.End = seg.Ordinal
			v.inGS = false
		}
	case "ST":
		v.closeSet()
		if v.inGS {
			g := &v.groups[len(v.groups)-1]
			g.Sets = append(g.Sets, ReceivedSet{ID: seg.Value(1), Control: seg.Value(2), Version: seg.Value(3), Start: seg.Ordinal})
			v.inST = true
		}
	case "SE":
		if v.inST {
			g := &v.groups[len(v.groups)-1]
			g.Sets[len(g.Sets)-1].End = seg.Ordinal
			v.inST = false
		}
	}
	v.last = seg.Ordinal
}

func (v *inventory) closeSet() {
	if v.inST {
		g := &v.groups[len(v.groups)-1]
		g.Sets[len(g.Sets)-1].End = v.last
		v.inST = false
	}
}

func (v *inventory) closeGroup() {
	v.closeSet()
	if v.inGS {
		v.groups[len(v.groups)-1].End = v.last
		v.inGS = false
	}
}

// Inventory reads the functional groups and transaction sets of a file. A syntax
// error stops the reading and is returned with the groups read before it.
func Inventory(r io.Reader) ([]Received, error) {
	var v inventory
	rd := x12.NewReader(r)
	for {
		seg, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			v.closeGroup()
			return v.groups, fmt.Errorf("reading the groups to acknowledge: %w", err)
		}
		v.segment(seg)
	}
	v.closeGroup()
	return v.groups, nil
}

// Check validates a file against the guides of reg and reads its groups and
// transaction sets in one pass: what FromValidation needs. A syntax error that stops
// the reading is the last entry of the list (Level guide.LevelFile) and is returned
// as the error too; the open sets and groups are then reported as lacking their
// trailers, and FromValidation rejects them.
func Check(r io.Reader, reg *guide.Registry) ([]Received, guide.List, error) {
	var v inventory
	c := guide.NewChecker(reg)
	rd := x12.NewReader(r)
	for {
		seg, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			v.closeGroup()
			errs := c.Finish()
			e := &guide.Error{Level: guide.LevelFile, Outcome: "R", Msg: err.Error()}
			var se *x12.SyntaxError
			if errors.As(err, &se) {
				e.Offset, e.Line, e.Ordinal, e.STOrdinal = se.Offset, se.Line, se.Ordinal, se.STOrdinal
				e.SegmentID, e.Element, e.Component = se.SegmentID, se.Element, se.Component
				e.Msg = se.Err.Error()
			}
			return v.groups, append(errs, e), err
		}
		v.segment(seg)
		c.Segment(seg)
	}
	v.closeGroup()
	return v.groups, c.Finish(), nil
}

// BusinessUnitFunc names the claim a segment belongs to: given the group and
// transaction set control numbers (GS06, ST02) and the segment's ordinal in the set
// (ST = 1), it returns the claim's patient control number (CLM01), or "" when the
// segment belongs to no claim. x837p.Result.Locate answers it for the files we built.
type BusinessUnitFunc func(gs06, st02 string, ordinal int) string

// Limits of the 999 guide's elements.
const (
	maxLoopID    = 4  // IK303, CTX04
	maxBadValue  = 99 // IK404
	maxPosition  = 99 // IK401-1, IK401-2
	maxSetCodes  = 5  // IK502-IK506
	maxGroupCode = 5  // AK905-AK909
)

// FromValidation builds the 999s answering the groups of a file from what the
// validator found in it (Check gives both): one Ack per group, one SetResponse per
// transaction set. Each segment-level error becomes an IK3 (segments with several
// element errors get one IK3 and an IK4 per element; IK4 only for element-level
// errors), transaction set envelope errors become IK502-IK506 codes, group envelope
// errors AK905-AK909 codes. A set with errors is rejected (IK501 R, IK502 5 when
// segments are in error), else accepted; AK901 is A, P or R by the sets accepted, and
// R when the group's own envelope is rejected. Interchange-level errors belong to a
// TA1 and are not reported here. businessUnit, when not nil, adds CTX*CLM01 to each
// segment error that belongs to a claim. IK404 copies the bad value unless it holds
// one of the default delimiters (* ^ : ~) or a control character.
func FromValidation(list guide.List, groups []Received, businessUnit BusinessUnitFunc) []Ack {
	acks := make([]Ack, len(groups))
	rejectGroup := make([]bool, len(groups))
	type setState struct {
		errs    int
		reject  bool
		segment map[segKey]int // index in Segments of the IK3 for a segment and code
	}
	states := make([][]setState, len(groups))
	for gi := range groups {
		g := &groups[gi]
		a := &acks[gi]
		a.Group = Group{FunctionalID: g.FunctionalID, Control: g.Control, Version: g.Version}
		a.Sets = make([]SetResponse, len(g.Sets))
		states[gi] = make([]setState, len(g.Sets))
		for si, s := range g.Sets {
			a.Sets[si] = SetResponse{ID: s.ID, Control: s.Control, Version: s.Version}
		}
	}
	for _, e := range list {
		if e.Level == guide.LevelInterchange || e.Level == guide.LevelFile {
			continue
		}
		gi := findGroup(groups, e)
		if gi < 0 {
			continue
		}
		g := &groups[gi]
		a := &acks[gi]
		if e.Level == guide.LevelGroup {
			if e.EnvelopeCode != "" {
				a.Codes = addCode(a.Codes, e.EnvelopeCode, maxGroupCode)
			}
			if e.Outcome == Rejected {
				rejectGroup[gi] = true
			}
			continue
		}
		si := findSet(g, e)
		if si < 0 {
			continue
		}
		st := &states[gi][si]
		resp := &a.Sets[si]
		st.errs++
		if e.Outcome == Rejected || e.Outcome == "" {
			st.reject = true
		}
		if e.Level == guide.LevelTransaction {
			if e.EnvelopeCode != "" {
				resp.Codes = addCode(resp.Codes, e.EnvelopeCode, maxSetCodes)
			}
			continue
		}
		pos := e.STOrdinal
		if pos <= 0 {
			// Found at the end of the file or at a segment outside the set: the
			// position after the set's last segment.
			pos = int(g.Sets[si].End - g.Sets[si].Start + 1)
		}
		k := segKey{pos: pos, id: e.SegmentID, code: e.SegmentCode}
		if st.segment == nil {
			st.segment = map[segKey]int{}
		}
		idx, ok := st.segment[k]
		if !ok {
			se := SegmentError{ID: e.SegmentID, Position: pos, Loop: loopID(e.LoopID), Code: e.SegmentCode}
			if se.Code == "" {
				se.Code = guide.SegElementErrors
			}
			if businessUnit != nil {
				if pcn := businessUnit(g.Control, g.Sets[si].Control, pos); pcn != "" {
					se.Context = append(se.Context, Context{Name: "CLM01", Reference: pcn})
				}
			}
			idx = len(resp.Segments)
			resp.Segments = append(resp.Segments, se)
			st.segment[k] = idx
		}
		if e.Element > 0 && e.ElementCode != "" {
			resp.Segments[idx].Elements = append(resp.Segments[idx].Elements, ElementError{
				Position:   min(e.Element, maxPosition),
				Component:  min(e.Component, maxPosition),
				Repetition: e.Repetition,
				Ref:        e.ElementRef,
				Code:       e.ElementCode,
				Value:      badValue(e),
			})
		}
	}
	for gi := range acks {
		a := &acks[gi]
		a.Received = len(a.Sets)
		a.Included = groups[gi].Declared
		if a.Included < 0 {
			a.Included = a.Received
		}
		withErrors := false
		for si := range a.Sets {
			s := &a.Sets[si]
			st := &states[gi][si]
			switch {
			case st.reject:
				s.Status = Rejected
			case st.errs > 0:
				s.Status = AcceptedWithErrors
				withErrors = true
			default:
				s.Status = Accepted
			}
			if len(s.Segments) > 0 && !hasCode(s.Codes, "5") {
				s.Codes = append([]string{"5"}, s.Codes...)
				if len(s.Codes) > maxSetCodes {
					s.Codes = s.Codes[:maxSetCodes]
				}
			}
			if s.Accepted() {
				a.Accepted++
			}
		}
		switch {
		case rejectGroup[gi] || a.Received > 0 && a.Accepted == 0:
			a.Status = Rejected
		case a.Accepted < a.Received:
			a.Status = PartiallyAccepted
		case withErrors || len(a.Codes) > 0:
			a.Status = AcceptedWithErrors
		default:
			a.Status = Accepted
		}
	}
	return acks
}

type segKey struct {
	pos  int
	id   string
	code string
}

// findGroup returns the index of the group an error belongs to: by the file ordinal
// of the segment it was found at, else by the group control number.
func findGroup(groups []Received, e *guide.Error) int {
	for i := range groups {
		if e.Ordinal >= groups[i].Start && e.Ordinal <= groups[i].End {
			return i
		}
	}
	if e.Group == "" {
		return -1
	}
	for i := len(groups) - 1; i >= 0; i-- {
		if groups[i].Control == e.Group && (e.Interchange == "" || groups[i].ISA13 == e.Interchange) {
			return i
		}
	}
	return -1
}

// findSet returns the index of the transaction set an error belongs to: by the file
// ordinal of the segment it was found at, else by the set control number (an error
// found at the segment that closed a set without an SE).
func findSet(g *Received, e *guide.Error) int {
	for i := range g.Sets {
		if e.Ordinal >= g.Sets[i].Start && e.Ordinal <= g.Sets[i].End {
			return i
		}
	}
	if e.Transaction == "" {
		return -1
	}
	for i := len(g.Sets) - 1; i >= 0; i-- {
		if g.Sets[i].Control == e.Transaction {
			return i
		}
	}
	return -1
}

// loopID is the loop id as IK303 carries it: at most 4 characters ("2010" for
// 2010CA), nothing for the transaction set's header.
func loopID(id string) string {
	if id == "HEADER" {
		return ""
	}
	if len(id) > maxLoopID {
		return id[:maxLoopID]
	}
	return id
}

// badValue is the copy of the bad data IK404 carries: none for a missing element,
// at most 99 characters, and none when it holds a character the 999 cannot carry (a
// control character, or one of the default delimiters * ^ : ~ that Build uses unless
// told otherwise).
func badValue(e *guide.Error) string {
	v := e.Value
	if e.ElementCode == guide.ElemMissing || e.ElementCode == guide.ElemCondMissing {
		return ""
	}
	if len(v) > maxBadValue {
		v = v[:maxBadValue]
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c < ' ' || c >= 0x7f, c == '*', c == '^', c == ':', c == '~':
			return ""
		}
	}
	return v
}

func addCode(codes []string, c string, max int) []string {
	if hasCode(codes, c) || len(codes) >= max {
		return codes
	}
	return append(codes, c)
}

func hasCode(codes []string, c string) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}
