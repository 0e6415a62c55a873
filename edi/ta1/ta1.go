package ta1

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/claimflow/claimflow/edi/x12"
)

// TA104 interchange acknowledgment codes.
const (
	Accepted           = "A" // accepted, no errors
	AcceptedWithErrors = "E" // accepted with errors noted: do not send again
	Rejected           = "R" // rejected: fix and send the whole interchange again
)

// ErrNoTA1 is returned, wrapped, when the input holds no TA1 segment.
var ErrNoTA1 = errors.New("no TA1 segment")

// ErrEnvelope is returned, wrapped, for an Envelope that cannot be written.
var ErrEnvelope = errors.New("invalid envelope")

// Ack is one TA1 segment: the answer to one interchange.
type Ack struct {
	ControlNumber string // TA101: the ISA13 acknowledged
	Date          string // TA102: the acknowledged interchange's date, YYMMDD (its ISA09)
	Time          string // TA103: the acknowledged interchange's time, HHMM (its ISA10)
	Code          string // TA104: A accepted, E accepted with errors, R rejected
	Note          string // TA105: the interchange note code, "000" when there is no error

	// Origin is the interchange the TA1 came in. Parse fills it; Build ignores it.
	Origin Origin
}

// Origin is the envelope a parsed TA1 came in.
type Origin struct {
	SenderQualifier, SenderID     string // ISA05, ISA06 (trailing blanks trimmed)
	ReceiverQualifier, ReceiverID string // ISA07, ISA08 (trailing blanks trimmed)
	ISA13                         string // the control number of the interchange holding the TA1
	Test                          bool   // ISA15 T
}

// Prepared returns TA102 and TA103 as a time (UTC): when the acknowledged
// interchange was prepared.
func (a Ack) Prepared() (time.Time, error) {
	t, err := time.Parse("0601021504", a.Date+a.Time)
	if err != nil {
		return time.Time{}, fmt.Errorf("TA1 date %q time %q: %w", a.Date, a.Time, err)
	}
	return t, nil
}

// Accepted reports whether the interchange was accepted (A or E): it must not be
// sent again.
func (a Ack) Accepted() bool { return a.Code == Accepted || a.Code == AcceptedWithErrors }

// Text says in plain words what the TA1 means: "rejected: duplicate interchange
// control number (TA105 025)".
func (a Ack) Text() string {
	var code string
	switch a.Code {
	case Accepted:
		code = "accepted"
	case AcceptedWithErrors:
		code = "accepted with errors"
	case Rejected:
		code = "rejected"
	default:
		code = fmt.Sprintf("unknown acknowledgment code %q", a.Code)
	}
	if a.Note == "" || a.Note == "000" && a.Code == Accepted {
		return code
	}
	return fmt.Sprintf("%s: %s (TA105 %s)", code, NoteText(a.Note), a.Note)
}

// noteTexts are the TA105 interchange note codes in our own words.
var noteTexts = [...]string{
	"no error",
	"the ISA13 control number and the IEA02 control number differ",
	"the control standard (ISA11 or the interchange's syntax) is not supported",
	"the version of the interchange controls (ISA12) is not supported",
	"the segment terminator is not valid",
	"the sender id qualifier (ISA05) is not valid",
	"the sender id (ISA06) is not valid",
	"the receiver id qualifier (ISA07) is not valid",
	"the receiver id (ISA08) is not valid",
	"the receiver id (ISA08) is not known to the receiver",
	"the authorization information qualifier (ISA01) is not valid",
	"the authorization information (ISA02) is not valid",
	"the security information qualifier (ISA03) is not valid",
	"the security information (ISA04) is not valid",
	"the interchange date (ISA09) is not valid",
	"the interchange time (ISA10) is not valid",
	"the interchange standards identifier (ISA11) is not valid",
	"the interchange version (ISA12) is not valid",
	"the interchange control number (ISA13) is not valid",
	"the acknowledgment requested flag (ISA14) is not valid",
	"the test indicator (ISA15) is not valid",
	"the number of functional groups (IEA01) is wrong",
	"the control structure is not valid (envelopes out of order or malformed)",
	"the file ended before the interchange did",
	"the interchange content is not valid (for example a bad GS segment)",
	"the interchange control number (ISA13) was already used: duplicate interchange",
	"the element separator is not valid",
	"the component separator (ISA16) is not valid",
	"the delivery date of a deferred delivery request is not valid",
	"the delivery time of a deferred delivery request is not valid",
	"the delivery time code of a deferred delivery request is not valid",
	"the grade of service code is not valid",
}

// NoteText returns the meaning of a TA105 interchange note code ("000" to "031") in
// plain words, or "" for a code it does not know.
func NoteText(code string) string {
	if len(code) != 3 || code[0] != '0' || code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9' {
		return ""
	}
	n := int(code[1]-'0')*10 + int(code[2]-'0')
	if n >= len(noteTexts) {
		return ""
	}
	return noteTexts[n]
}

// Envelope is the interchange the TA1s are sent in. A TA1 has no functional group.
type Envelope struct {
	SenderQualifier   string // ISA05, "ZZ" when empty
	SenderID          string // ISA06 (at most 15 characters)
	ReceiverQualifier string // ISA07, "ZZ" when empty
	ReceiverID        string // ISA08
	// Time is written in ISA09/ISA10; the current time when zero.
	Time time.Time
	Test bool // ISA15 T; P otherwise
	// Interchanges gives ISA13. It is required: ISA13 must never repeat for a
	// sender, so storage owns the real sequence.
	Interchanges x12.Sequence
	// Delimiters default to x12.DefaultDelimiters (* ^ : ~).
	Delimiters x12.Delimiters
	// Newline writes a line feed after each segment terminator.
	Newline bool
}

// Build writes the TA1s alone in one interchange of their own (ISA, TA1..., IEA with
// IEA01 0).
func Build(w io.Writer, env Envelope, acks ...Ack) error {
	if env.Interchanges == nil {
		return fmt.Errorf("building TA1: %w: no interchange control number sequence", ErrEnvelope)
	}
	if len(acks) == 0 {
		return fmt.Errorf("building TA1: %w: no acknowledgment to send", ErrEnvelope)
	}
	d := env.Delimiters
	if d == (x12.Delimiters{}) {
		d = x12.DefaultDelimiters
	}
	xw, err := x12.NewWriter(w, d)
	if err != nil {
		return fmt.Errorf("building TA1: %w", err)
	}
	xw.Interchanges = env.Interchanges
	xw.Newline = env.Newline
	now := env.Time
	if now.IsZero() {
		now = time.Now()
	}
	xw.BeginInterchange(x12.InterchangeHeader{
		SenderQualifier: orDefault(env.SenderQualifier, "ZZ"), SenderID: env.SenderID,
		ReceiverQualifier: orDefault(env.ReceiverQualifier, "ZZ"), ReceiverID: env.ReceiverID,
		Time: now, Test: env.Test,
	})
	for _, a := range acks {
		xw.Begin("TA1")
		xw.Elem(a.ControlNumber)
		xw.Elem(a.Date)
		xw.Elem(a.Time)
		xw.Elem(a.Code)
		xw.Elem(orDefault(a.Note, "000"))
		xw.End()
	}
	xw.EndInterchange()
	if err := xw.Flush(); err != nil {
		return fmt.Errorf("building TA1: %w", err)
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Parse returns every TA1 segment of the input, in file order, with the interchange
// each came in. It reads only the envelopes: transaction sets are skipped. A file
// without any TA1 gives ErrNoTA1; a syntax error stops the reading and is returned
// with the TA1s read before it.
func Parse(r io.Reader) ([]Ack, error) {
	rd := x12.NewReader(r)
	var acks []Ack
	var src Origin
	for {
		seg, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return acks, fmt.Errorf("parsing TA1: %w", err)
		}
		switch seg.ID {
		case "ISA":
			src = Origin{
				SenderQualifier: seg.Value(5), SenderID: strings.TrimRight(seg.Value(6), " "),
				ReceiverQualifier: seg.Value(7), ReceiverID: strings.TrimRight(seg.Value(8), " "),
				ISA13: seg.Value(13), Test: seg.Value(15) == "T",
			}
		case "TA1":
			acks = append(acks, Ack{
				ControlNumber: seg.Value(1), Date: seg.Value(2), Time: seg.Value(3),
				Code: seg.Value(4), Note: seg.Value(5), Origin: src,
			})
		}
	}
	if len(acks) == 0 {
		return nil, fmt.Errorf("parsing TA1: %w", ErrNoTA1)
	}
	return acks, nil
}
