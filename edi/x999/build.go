package x999

import (
	"fmt"
	"io"
	"strconv"

	"github.com/claimflow/claimflow/edi/x12"
)

// Build writes the acknowledgments as 999 transaction sets (005010X231A1), one per
// Ack, in one interchange and one functional group (GS01 FA). Acks are written as
// given: FromValidation makes them consistent (counts, statuses); values holding a
// delimiter stop the writing with an error naming the segment.
func Build(w io.Writer, env Envelope, acks ...Ack) error {
	if len(acks) == 0 {
		return fmt.Errorf("building 999: %w: no acknowledgment to send", ErrEnvelope)
	}
	xw, err := env.Open(w, "FA", Version)
	if err != nil {
		return fmt.Errorf("building 999: %w", err)
	}
	for i := range acks {
		writeAck(xw, &acks[i])
	}
	if err := xw.EndEnvelope(); err != nil {
		return fmt.Errorf("building 999: %w", err)
	}
	return nil
}

func writeAck(w *x12.Writer, a *Ack) {
	w.BeginTransaction("999", Version)
	w.Segment("AK1", a.Group.FunctionalID, a.Group.Control, a.Group.Version)
	for i := range a.Sets {
		s := &a.Sets[i]
		w.Segment("AK2", s.ID, s.Control, s.Version)
		for j := range s.Segments {
			e := &s.Segments[j]
			w.Begin("IK3")
			w.Elem(e.ID)
			w.Int(int64(e.Position))
			w.Elem(e.Loop)
			w.Elem(e.Code)
			w.End()
			writeContexts(w, e.Context)
			for k := range e.Elements {
				el := &e.Elements[k]
				w.Begin("IK4")
				w.Comp(itoa(el.Position), itoa(el.Component), itoa(el.Repetition))
				w.Elem(el.Ref)
				w.Elem(el.Code)
				w.Elem(el.Value)
				w.End()
				writeContexts(w, el.Context)
			}
		}
		w.Begin("IK5")
		w.Elem(s.Status)
		for _, c := range s.Codes {
			w.Elem(c)
		}
		w.End()
	}
	w.Begin("AK9")
	w.Elem(a.Status)
	w.Int(int64(a.Included))
	w.Int(int64(a.Received))
	w.Int(int64(a.Accepted))
	for _, c := range a.Codes {
		w.Elem(c)
	}
	w.End()
	w.EndTransaction()
}

// writeContexts writes CTX segments: situational triggers with their positions, a
// business unit as CTX01 alone.
func writeContexts(w *x12.Writer, cs []Context) {
	for _, c := range cs {
		w.Begin("CTX")
		w.Comp(c.Name, c.Reference)
		if c.Name == ContextSituationalTrigger || c.SegmentID != "" {
			w.Elem(c.SegmentID)
			w.Elem(itoa(c.Position))
			w.Elem(c.Loop)
			w.Comp(itoa(c.Element), itoa(c.Component), itoa(c.Repetition))
		}
		w.End()
	}
}

// itoa renders a position, "" for zero (not given).
func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
