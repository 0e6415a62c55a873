package x835

import "github.com/claimflow/claimflow/edi/x12"

// ErrEnvelope is returned, wrapped, for an Envelope that cannot be written.
var ErrEnvelope = x12.ErrEnvelopeConfig

// Envelope is the interchange and functional group (GS01 HP) the 835s are sent in.
type Envelope = x12.Envelope

// originOf reads the envelope fields of a parsed transaction set.
func originOf(isa, gs *x12.Segment, st02 string) Origin {
	o := x12.OriginOf(isa, gs, st02)
	return Origin{SenderID: o.SenderID, ReceiverID: o.ReceiverID, ISA13: o.ISA13, GS06: o.GS06, ST02: o.ST02, Test: o.Test}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
