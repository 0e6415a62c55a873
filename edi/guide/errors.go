package guide

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem found by validation, carrying what a 999 needs to report it:
// the segment's ordinal in its transaction set (IK302), the loop (IK303), the IK304
// segment syntax error code, the element, component and repetition position (IK401),
// the data element reference number (IK402), the IK403 element syntax error code, the
// bad value (IK404) and the transaction set's outcome (IK501). Envelope problems carry
// the TA105 or AK905 code instead.
type Error struct {
	Interchange string // ISA13 of the envelope
	Group       string // GS06
	Transaction string // ST02
	TxnSetID    string // ST01, e.g. "837"

	Offset    int64 // byte offset of the segment in the file
	Line      int
	Ordinal   int64 // ordinal of the segment in the file
	STOrdinal int   // ordinal of the segment in its transaction set (ST = 1): IK302

	LoopID    string // IK303; "" outside a transaction set
	SegmentID string // IK301

	Element    int    // 1-based element position, 0 for a segment-level error
	Component  int    // 1-based, 0 when not in a composite
	Repetition int    // 1-based, 0 when the element does not repeat
	ElementRef string // IK402 data element reference number
	Value      string // IK404: a copy of the bad data (may hold PHI: mask before showing)

	SegmentCode  string // IK304, e.g. "2" unexpected segment, "8" segment has data element errors
	ElementCode  string // IK403, e.g. "7" invalid code value
	Level        Level  // which acknowledgment reports the problem
	EnvelopeCode string // TA105 (interchange) or AK905 / IK502 code for envelope problems
	Outcome      string // IK501 / AK901 effect: "R" rejected, "E" accepted with errors

	Msg string // a sentence for a person; never contains the bad value
}

// Level says which acknowledgment reports an error.
type Level int

// The levels of an error.
const (
	LevelSegment     Level = iota // 999 IK3/IK4 in loop 2000 of the transaction set
	LevelTransaction              // 999 IK5 (IK502..IK506)
	LevelGroup                    // 999 AK9 (AK905..AK909)
	LevelInterchange              // TA1 TA105
	LevelFile                     // the file as a whole: unreadable, or no guide for it
)

func (l Level) String() string {
	switch l {
	case LevelSegment:
		return "segment"
	case LevelTransaction:
		return "transaction"
	case LevelGroup:
		return "group"
	case LevelInterchange:
		return "interchange"
	}
	return "file"
}

// Code is the most specific 999/TA1 code of the error: IK403, else IK304, else the
// envelope code.
func (e *Error) Code() string {
	switch {
	case e.ElementCode != "":
		return "IK403=" + e.ElementCode
	case e.SegmentCode != "":
		return "IK304=" + e.SegmentCode
	case e.Level == LevelInterchange:
		return "TA105=" + e.EnvelopeCode
	case e.Level == LevelGroup:
		return "AK905=" + e.EnvelopeCode
	case e.Level == LevelTransaction:
		return "IK502=" + e.EnvelopeCode
	}
	return ""
}

// Position renders the element position as in a guide: "NM109", "CLM05-3", "HI01-2 rep 2".
func (e *Error) Position() string {
	if e.SegmentID == "" {
		return ""
	}
	if e.Element == 0 {
		return e.SegmentID
	}
	s := fmt.Sprintf("%s%02d", e.SegmentID, e.Element)
	if e.Component > 0 {
		s += fmt.Sprintf("-%d", e.Component)
	}
	if e.Repetition > 1 {
		s += fmt.Sprintf(" rep %d", e.Repetition)
	}
	return s
}

// Error renders the error without the bad value.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "segment %d", e.Ordinal)
	if e.STOrdinal > 0 {
		fmt.Fprintf(&b, " (ST+%d)", e.STOrdinal-1)
	}
	if e.LoopID != "" {
		fmt.Fprintf(&b, " loop %s", e.LoopID)
	}
	if p := e.Position(); p != "" {
		fmt.Fprintf(&b, " %s", p)
	}
	if c := e.Code(); c != "" {
		fmt.Fprintf(&b, " [%s]", c)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// List is the errors of a validation, in file order. Err is nil when it is empty.
type List []*Error

// Err returns the list as an error, or nil when empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

func (l List) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0].Error(), len(l)-1)
}

// Sort orders the list by position in the file, then element.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		if a.Element != b.Element {
			return a.Element < b.Element
		}
		return a.Component < b.Component
	})
}

// Rejects reports whether any error rejects its transaction set, group or interchange.
func (l List) Rejects() bool {
	for _, e := range l {
		if e.Outcome == "R" {
			return true
		}
	}
	return false
}

// Segment syntax error codes (IK304).
const (
	SegUnrecognized  = "1"  // unrecognized segment id
	SegUnexpected    = "2"  // unexpected segment
	SegMissing       = "3"  // required segment missing
	SegLoopOverMax   = "4"  // loop occurs over maximum times
	SegOverMaxUse    = "5"  // segment exceeds maximum use
	SegNotInSet      = "6"  // segment not in defined transaction set
	SegOutOfOrder    = "7"  // segment not in proper sequence
	SegElementErrors = "8"  // segment has data element errors
	SegNotUsed       = "I4" // implementation "not used" segment present
)

// Element syntax error codes (IK403).
const (
	ElemMissing        = "1"   // required data element missing
	ElemCondMissing    = "2"   // conditional required data element missing
	ElemTooMany        = "3"   // too many data elements
	ElemTooShort       = "4"   // data element too short
	ElemTooLong        = "5"   // data element too long
	ElemBadChar        = "6"   // invalid character in data element
	ElemBadCode        = "7"   // invalid code value
	ElemBadDate        = "8"   // invalid date
	ElemBadTime        = "9"   // invalid time
	ElemExclusion      = "10"  // exclusion condition violated
	ElemTooManyReps    = "12"  // too many repetitions
	ElemTooManyComps   = "13"  // too many components
	ElemNotUsedPresent = "I10" // implementation "not used" data element present
)
