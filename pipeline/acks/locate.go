package acks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/storage"
)

// A 999 names a segment by its ordinal in the transaction set (IK302) and an
// element by its position (IK401). To turn that into the field of a claim, the
// stage needs the segment map x837p.Build returns (x837p.Result: what each segment
// of each set belongs to). The map is not stored; it is made again here:
//
// The claims of the answered transaction set (storage.SubmittedClaims, in file
// order) are read back from the store and built again, alone, into one
// transaction set. A claim cannot be edited between its transmission and its
// acknowledgements (storage.UpdateClaim refuses it), so the rebuilt set has the
// segments of the one sent, with other envelope values. The rebuild is trusted
// only when every claim's CLM ordinal and every line's LX ordinal equal the trace
// stored when the file was built; otherwise (the claim changed, or the file was
// not built from these claims) each error is placed by the stored trace alone: the
// claim whose CLM starts at or before the segment, the line whose LX does, and no
// field. CTX*CLM01, when the 999 has it, names the claim and is preferred.
//
// Rebuilding, rather than parsing the file sent, needs no copy of the file (the
// batch stage keeps none in the database) and gives the segment map of our own
// claims, whose fields are what a person edits.

// segmentMap traces the segments of one transaction set of a submission.
type segmentMap struct {
	claims []storage.SubmittedClaim
	byPCN  map[string]int
	// res is the rebuilt set's map; nil when it could not be trusted.
	res        *x837p.Result
	gs06, st02 string // of the rebuilt set
}

// rebuildOptions are the envelope of a rebuilt set: any will do, none is written.
var rebuildOptions = x837p.BuildOptions{
	Submitter:   x837p.Party{Name: "CLAIMFLOW REBUILD", ID: "REBUILD", Contact: billing.Contact{Phone: "0000000000"}},
	Receiver:    x837p.Party{Name: "CLAIMFLOW REBUILD", ID: "REBUILD"},
	ClaimsPerST: x837p.MaxClaimsPerST,
}

func newSegmentMap(ctx context.Context, a *applier, claims []storage.SubmittedClaim) (*segmentMap, error) {
	m := &segmentMap{claims: claims, byPCN: make(map[string]int, len(claims))}
	for i, sc := range claims {
		m.byPCN[sc.Trace.PatientControlNumber] = i
	}
	if len(claims) == 0 {
		return m, nil
	}
	cls := make([]billing.Claim, len(claims))
	for i, sc := range claims {
		c, err := a.document(ctx, sc.ClaimID)
		if err != nil {
			return nil, err
		}
		// As the batch stage wrote it: normalized by this release's rules, on a
		// copy (the document is shared with the check of what was read).
		b, err := json.Marshal(c)
		if err == nil {
			err = json.Unmarshal(b, &cls[i])
		}
		if err != nil {
			return nil, fmt.Errorf("copying claim %d: %w", sc.ClaimID, err)
		}
		cls[i].Normalize()
	}
	res, err := x837p.Build(cls, rebuildOptions, io.Discard, &x12.Counter{})
	if err != nil || len(res.Transactions) != 1 || len(res.Claims) != len(claims) {
		return m, nil // placed by the traces alone
	}
	for i, sc := range claims {
		if res.Claims[i].CLM != sc.Trace.CLM || !slices.Equal(res.Claims[i].Lines, sc.Trace.Lines) {
			return m, nil
		}
	}
	t := res.Transactions[0]
	m.res, m.gs06, m.st02 = res, t.GS06, t.ST02
	return m, nil
}

// place is where a 999 error is in our claims.
type place struct {
	claim  int          // index in the set's claims; -1 when none
	line   int          // index of the line; -1 when not a line's
	loop   string       // the loop, as the rebuild knows it ("" when not)
	field  billing.Path // relative to the claim ("lines[1].unit"); "" when unknown
	shared bool         // a segment of loop 2000A: every claim of the set has it
}

// sharedLoops are the billing provider's loops, which all claims of a set share.
var sharedLoops = map[string]bool{"2000A": true, "2010AA": true, "2010AB": true}

// locate places a segment error (and an element of it, when el > 0).
func (m *segmentMap) locate(ordinal int, segID, ctxPCN string, el, comp int) place {
	p := place{claim: -1, line: -1}
	if m.res != nil {
		if loc, ok := m.res.Locate(m.gs06, m.st02, ordinal, segID, el, comp); ok {
			p.claim, p.line, p.loop = loc.Claim, loc.Line, loc.Loop
			p.shared = sharedLoops[loc.Loop]
			if loc.Claim >= 0 {
				p.field = relative(loc.Path, loc.Claim)
			}
		}
	} else {
		p.claim, p.line = m.byTrace(ordinal)
	}
	if i, ok := m.byPCN[ctxPCN]; ok && ctxPCN != "" && i != p.claim && !p.shared {
		// The 999 names the claim: trust it, and the field only if it is that claim's.
		p = place{claim: i, line: -1}
	}
	return p
}

// byTrace places an ordinal with the stored traces: the last claim whose CLM is at
// or before it, and that claim's last line whose LX is.
func (m *segmentMap) byTrace(ordinal int) (claim, line int) {
	claim, line = -1, -1
	for i, sc := range m.claims {
		if sc.Trace.CLM <= ordinal && (claim < 0 || sc.Trace.CLM > m.claims[claim].Trace.CLM) {
			claim = i
		}
	}
	if claim >= 0 {
		for j, lx := range m.claims[claim].Trace.Lines {
			if lx <= ordinal {
				line = j
			}
		}
	}
	return claim, line
}

// relative strips the "claims[i]" of a path: work items name fields of one claim,
// as `claimflow claims edit --set` takes them.
func relative(p billing.Path, claim int) billing.Path {
	prefix := billing.ClaimPath(claim).String()
	s := p.String()
	switch {
	case s == prefix:
		return ""
	case strings.HasPrefix(s, prefix+"."):
		return billing.Path(s[len(prefix)+1:])
	}
	return p
}
