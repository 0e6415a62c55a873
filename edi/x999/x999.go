package x999

import (
	"github.com/claimflow/claimflow/edi/guide"
)

// Version is the implementation guide of the 999s built and parsed here.
const Version = "005010X231A1"

// IK501 transaction set and AK901 functional group acknowledgment codes.
const (
	Accepted           = "A" // accepted
	AcceptedWithErrors = "E" // accepted, errors noted
	PartiallyAccepted  = "P" // (AK901 only) at least one transaction set was rejected
	Rejected           = "R" // rejected
	RejectedMAC        = "M" // rejected: message authentication code failed
	RejectedAssurance  = "W" // rejected: assurance failed validity tests
	RejectedDecrypt    = "X" // rejected: content could not be analysed after decryption
)

// ContextSituationalTrigger is CTX01-1 of a context naming the segment whose presence
// or value made a situational rule apply.
const ContextSituationalTrigger = "SITUATIONAL TRIGGER"

// Ack is one 999 transaction set: the answer to one functional group.
type Ack struct {
	Group    Group         // AK1: the functional group acknowledged
	Sets     []SetResponse // loop 2000: one per transaction set of the group
	Status   string        // AK901: A, E, M, P, R, W or X
	Included int           // AK902: transaction sets the group said it held (its GE01)
	Received int           // AK903: transaction sets received
	Accepted int           // AK904: transaction sets accepted (IK501 A or E)
	Codes    []string      // AK905-AK909: functional group syntax error codes

	// Origin is the envelope the 999 came in. Parse fills it; Build ignores it.
	Origin Origin
}

// Group identifies the functional group acknowledged (AK1).
type Group struct {
	FunctionalID string // AK101: its GS01, e.g. HC
	Control      string // AK102: its GS06
	Version      string // AK103: its GS08
}

// SetResponse is the answer to one transaction set (loop 2000).
type SetResponse struct {
	ID       string         // AK201: its ST01, e.g. 837
	Control  string         // AK202: its ST02
	Version  string         // AK203: its ST03
	Segments []SegmentError // loop 2100
	Status   string         // IK501: A, E, M, R, W or X
	Codes    []string       // IK502-IK506: transaction set syntax error codes
}

// Accepted reports whether the transaction set was accepted (IK501 A or E).
func (s *SetResponse) Accepted() bool {
	return s.Status == Accepted || s.Status == AcceptedWithErrors
}

// SegmentError is one segment in error (loop 2100).
type SegmentError struct {
	ID       string         // IK301: segment id
	Position int            // IK302: ordinal of the segment in its transaction set (ST = 1)
	Loop     string         // IK303: loop id, e.g. 2400 (at most 4 characters)
	Code     string         // IK304: segment syntax error code
	Context  []Context      // CTX: situational triggers, then the business unit (CTX*CLM01)
	Elements []ElementError // loop 2110
}

// BusinessUnit returns the business unit context of the error, the reference of its
// CTX*CLM01 (the claim's patient control number), or "".
func (e *SegmentError) BusinessUnit() string {
	for _, c := range e.Context {
		if c.Name != ContextSituationalTrigger {
			return c.Reference
		}
	}
	return ""
}

// ElementError is one element in error (loop 2110).
type ElementError struct {
	Position   int       // IK401-1: element position in the segment
	Component  int       // IK401-2: component position in a composite, 0 when none
	Repetition int       // IK401-3: repetition of a repeating element, 0 when none
	Ref        string    // IK402: data element reference number
	Code       string    // IK403: element syntax error code
	Value      string    // IK404: a copy of the bad data (may hold PHI)
	Context    []Context // CTX: situational triggers
}

// Context is a CTX segment. A situational trigger (Name ContextSituationalTrigger)
// names a segment and element by position; a business unit names the element that
// identifies it (CLM01 for an 837) and gives its value in Reference.
type Context struct {
	Name       string // CTX01-1
	Reference  string // CTX01-2: the business unit's identifier
	SegmentID  string // CTX02
	Position   int    // CTX03: the segment's ordinal in the transaction set
	Loop       string // CTX04
	Element    int    // CTX05-1
	Component  int    // CTX05-2
	Repetition int    // CTX05-3
}

// Origin is the envelope a parsed 999 came in and what the guide found wrong with it.
type Origin struct {
	SenderID, ReceiverID string // ISA06, ISA08 (trailing blanks trimmed)
	ISA13, GS06, ST02    string // the 999's own control numbers
	Test                 bool   // ISA15 T
	Errors               guide.List
	Unread               []string // values that could not be read, by position
}
