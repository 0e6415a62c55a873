package storage

import (
	"context"
	"fmt"
	"strings"
)

// Pulse is a cheap reading of whether the pipeline moved and what it still waits
// for, for a loop that watches it often (pipeline.Driver). Unlike Backlog, which
// counts every claim by state and so takes longer as the claims table grows, it is
// a few index probes whatever the table holds.
type Pulse struct {
	// LastEvent is the id of the newest row of the claims' history: every new claim
	// and every change of a claim's state writes one, so while it stays the same no
	// claim changed state. (On PostgreSQL a transaction can commit a lower id after a
	// higher one was read: such a change shows at the next one, or not at all.)
	LastEvent int64
	// Present holds the states in which at least one claim is, among those a run
	// waits on (the pending states of Backlog.InFlight).
	Present map[ClaimState]bool
	// Outbox counts the messages not yet published.
	Outbox int64
	// Unsent counts the submissions built but not transmitted.
	Unsent int64
	// Inbound counts the received files not processed (nor quarantined) yet.
	Inbound int64
}

// InFlight reports whether a claim is in a state that waits for claimflow or a
// payer (see Backlog.InFlight).
func (p Pulse) InFlight() bool {
	for _, s := range pendingStates {
		if p.Present[s] {
			return true
		}
	}
	return false
}

// pulseQuery is the one statement Pulse runs: an EXISTS probe of the claims' state
// index per pending state (SQLite cannot skip along an index to list the states
// present, and counting them reads every entry).
var pulseQuery = func() string {
	var b strings.Builder
	b.WriteString(`SELECT COALESCE((SELECT MAX(id) FROM claim_events), 0),
		(SELECT COUNT(*) FROM outbox WHERE published_at IS NULL),
		(SELECT COUNT(*) FROM submissions WHERE status = ?),
		(SELECT COUNT(*) FROM inbound_files WHERE status = ?)`)
	for _, s := range pendingStates {
		b.WriteString(",\n\t\tEXISTS (SELECT 1 FROM claims WHERE state = '" + string(s) + "')")
	}
	return b.String()
}()

// Pulse reads the pulse.
func (c *Conn) Pulse(ctx context.Context) (Pulse, error) {
	p := Pulse{Present: make(map[ClaimState]bool, len(pendingStates))}
	present := make([]bool, len(pendingStates))
	dest := []any{&p.LastEvent, &p.Outbox, &p.Unsent, &p.Inbound}
	for i := range present {
		dest = append(dest, &present[i])
	}
	if err := c.queryRow(ctx, pulseQuery, string(SubmissionCreated), string(InboundNew)).Scan(dest...); err != nil {
		return p, fmt.Errorf("reading the pipeline's pulse: %w", err)
	}
	for i, s := range pendingStates {
		if present[i] {
			p.Present[s] = true
		}
	}
	return p, nil
}
