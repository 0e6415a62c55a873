package x12

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, returned inside a *SyntaxError (match them with errors.Is).
var (
	// ErrEmpty: the input holds no data (or only white space).
	ErrEmpty = errors.New("empty input")
	// ErrNoISA: data does not start with an ISA segment where an interchange must begin.
	ErrNoISA = errors.New("no ISA segment where an interchange must start")
	// ErrDelimiters: the ISA segment does not declare usable delimiters.
	ErrDelimiters = errors.New("ISA does not declare valid delimiters")
	// ErrTruncated: the input ends inside a segment (no segment terminator).
	ErrTruncated = errors.New("input ends inside a segment")
	// ErrSegmentTooLong: a segment is longer than the reader's MaxSegmentLen.
	ErrSegmentTooLong = errors.New("segment longer than the maximum segment length")
	// ErrControlChar: a segment holds a control or binary byte that is not a delimiter.
	ErrControlChar = errors.New("control or binary character in segment")
	// ErrDelimiterInData: the Writer was given data that contains a delimiter.
	ErrDelimiterInData = errors.New("data contains a delimiter character")
	// ErrCharacterInData: the Writer was given data that holds a byte outside the
	// X12 basic and extended character sets (printable ASCII, 0x20-0x7E): a control
	// character, a line break, a tab or a non-ASCII (UTF-8) byte.
	ErrCharacterInData = errors.New("data holds a character outside the X12 character set")
	// ErrEnvelope: a Writer call out of envelope order (ST outside GS, and so on).
	ErrEnvelope = errors.New("envelope out of order")
)

// SyntaxError is an error at a position of an X12 stream. Element, Component and
// Repetition are 1-based and zero when they do not apply.
type SyntaxError struct {
	Offset     int64  // byte offset of the segment (or of the bad byte) in the stream
	Line       int    // 1-based line of Offset
	Ordinal    int64  // 1-based ordinal of the segment in the stream (0 if none)
	STOrdinal  int    // ordinal inside ST..SE (ST = 1), 0 outside a transaction set
	SegmentID  string // the segment's id, when known
	Element    int
	Component  int
	Repetition int
	Err        error
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "x12: offset %d, line %d", e.Offset, e.Line)
	if e.Ordinal > 0 {
		fmt.Fprintf(&b, ", segment %d", e.Ordinal)
	}
	if e.SegmentID != "" {
		fmt.Fprintf(&b, " (%s", e.SegmentID)
		if e.Element > 0 {
			fmt.Fprintf(&b, "%02d", e.Element)
			if e.Component > 0 {
				fmt.Fprintf(&b, "-%d", e.Component)
			}
			if e.Repetition > 1 {
				fmt.Fprintf(&b, " repetition %d", e.Repetition)
			}
		}
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// WriteError is an error of the Writer: which segment and element it refused.
type WriteError struct {
	SegmentID string
	Element   int // 1-based, 0 for the segment as a whole
	Component int
	Err       error
}

func (e *WriteError) Error() string {
	if e.Element == 0 {
		return fmt.Sprintf("x12: writing %s: %v", e.SegmentID, e.Err)
	}
	if e.Component > 0 {
		return fmt.Sprintf("x12: writing %s%02d-%d: %v", e.SegmentID, e.Element, e.Component, e.Err)
	}
	return fmt.Sprintf("x12: writing %s%02d: %v", e.SegmentID, e.Element, e.Err)
}

func (e *WriteError) Unwrap() error { return e.Err }
