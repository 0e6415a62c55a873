package x12

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrEnvelopeConfig is returned, wrapped, for an Envelope that cannot be written.
var ErrEnvelopeConfig = errors.New("invalid envelope")

// Envelope describes the interchange and functional group a set of transaction sets is
// sent in: the ids, the time and the control number sequences. The acknowledgement and
// remittance packages (x999, x277ca, x835) write through it.
type Envelope struct {
	SenderQualifier   string // ISA05, "ZZ" when empty
	SenderID          string // ISA06 (at most 15 characters)
	ReceiverQualifier string // ISA07, "ZZ" when empty
	ReceiverID        string // ISA08
	SenderCode        string // GS02, SenderID when empty
	ReceiverCode      string // GS03, ReceiverID when empty
	// Time is written in ISA09/ISA10 and GS04/GS05; the current time when zero.
	Time time.Time
	Test bool // ISA15 T; P otherwise
	// Interchanges gives ISA13. It is required: ISA13 must never repeat for a
	// sender, so storage owns the real sequence.
	Interchanges Sequence
	// Groups gives GS06 (1 by default); Transactions gives ST02 (0001, 0002, ...).
	Groups, Transactions Sequence
	// Delimiters default to DefaultDelimiters (* ^ : ~).
	Delimiters Delimiters
	// Newline writes a line feed after each segment terminator.
	Newline bool
}

// Open makes a Writer on w and writes the ISA and a GS with the functional id
// (GS01) and version (GS08). Close the envelope with Writer.EndEnvelope.
func (e *Envelope) Open(w io.Writer, functionalID, version string) (*Writer, error) {
	if e.Interchanges == nil {
		return nil, fmt.Errorf("%w: no interchange control number sequence", ErrEnvelopeConfig)
	}
	d := e.Delimiters
	if d == (Delimiters{}) {
		d = DefaultDelimiters
	}
	xw, err := NewWriter(w, d)
	if err != nil {
		return nil, err
	}
	xw.Interchanges, xw.Groups, xw.Transactions = e.Interchanges, e.Groups, e.Transactions
	xw.Newline = e.Newline
	now := e.Time
	if now.IsZero() {
		now = time.Now()
	}
	xw.BeginInterchange(InterchangeHeader{
		SenderQualifier: orDefault(e.SenderQualifier, "ZZ"), SenderID: e.SenderID,
		ReceiverQualifier: orDefault(e.ReceiverQualifier, "ZZ"), ReceiverID: e.ReceiverID,
		Time: now, Test: e.Test,
	})
	xw.BeginGroup(GroupHeader{
		FunctionalID: functionalID,
		SenderCode:   orDefault(e.SenderCode, e.SenderID), ReceiverCode: orDefault(e.ReceiverCode, e.ReceiverID),
		Time: now, Version: version,
	})
	return xw, xw.Err()
}

// EndEnvelope writes the GE and IEA that Envelope.Open began, and flushes.
func (w *Writer) EndEnvelope() error {
	w.EndGroup()
	w.EndInterchange()
	return w.Flush()
}

// Origin is where a parsed transaction set came from: the sender and receiver and its
// own control numbers.
type Origin struct {
	SenderID, ReceiverID string // ISA06, ISA08 (trailing blanks trimmed)
	ISA13, GS06, ST02    string
	Test                 bool // ISA15 T
}

// OriginOf reads the envelope fields of a transaction set from its ISA and GS.
func OriginOf(isa, gs *Segment, st02 string) Origin {
	var o Origin
	if isa != nil {
		o.SenderID = strings.TrimRight(isa.Value(6), " ")
		o.ReceiverID = strings.TrimRight(isa.Value(8), " ")
		o.ISA13 = isa.Value(13)
		o.Test = isa.Value(15) == "T"
	}
	if gs != nil {
		o.GS06 = gs.Value(6)
	}
	o.ST02 = st02
	return o
}
