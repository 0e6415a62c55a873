package x277ca

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/claimflow/claimflow/edi/x12"
)

// ErrEnvelope is returned, wrapped, for an Envelope that cannot be written.
var ErrEnvelope = errors.New("invalid envelope")

// Envelope is the interchange and functional group (GS01 HN) the 277CAs are sent in.
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
	Interchanges x12.Sequence
	// Groups gives GS06 (1 by default); Transactions gives ST02 (0001, 0002, ...).
	Groups, Transactions x12.Sequence
	// Delimiters default to x12.DefaultDelimiters (* ^ : ~).
	Delimiters x12.Delimiters
	// Newline writes a line feed after each segment terminator.
	Newline bool
}

// begin opens a writer on w and writes the ISA and GS.
func (e *Envelope) begin(w io.Writer, functionalID, version string) (*x12.Writer, error) {
	if e.Interchanges == nil {
		return nil, fmt.Errorf("%w: no interchange control number sequence", ErrEnvelope)
	}
	d := e.Delimiters
	if d == (x12.Delimiters{}) {
		d = x12.DefaultDelimiters
	}
	xw, err := x12.NewWriter(w, d)
	if err != nil {
		return nil, err
	}
	xw.Interchanges, xw.Groups, xw.Transactions = e.Interchanges, e.Groups, e.Transactions
	xw.Newline = e.Newline
	now := e.Time
	if now.IsZero() {
		now = time.Now()
	}
	xw.BeginInterchange(x12.InterchangeHeader{
		SenderQualifier: orDefault(e.SenderQualifier, "ZZ"), SenderID: e.SenderID,
		ReceiverQualifier: orDefault(e.ReceiverQualifier, "ZZ"), ReceiverID: e.ReceiverID,
		Time: now, Test: e.Test,
	})
	xw.BeginGroup(x12.GroupHeader{
		FunctionalID: functionalID,
		SenderCode:   orDefault(e.SenderCode, e.SenderID), ReceiverCode: orDefault(e.ReceiverCode, e.ReceiverID),
		Time: now, Version: version,
	})
	return xw, xw.Err()
}

// end writes the GE and IEA and flushes.
func end(xw *x12.Writer) error {
	xw.EndGroup()
	xw.EndInterchange()
	return xw.Flush()
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// originOf reads the envelope fields of a parsed transaction set.
func originOf(isa, gs *x12.Segment, st02 string) Origin {
	var s Origin
	if isa != nil {
		s.SenderID = strings.TrimRight(isa.Value(6), " ")
		s.ReceiverID = strings.TrimRight(isa.Value(8), " ")
		s.ISA13 = isa.Value(13)
		s.Test = isa.Value(15) == "T"
	}
	if gs != nil {
		s.GS06 = gs.Value(6)
	}
	s.ST02 = st02
	return s
}
