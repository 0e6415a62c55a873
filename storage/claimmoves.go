package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// ClaimMove is one change of state of TransitionClaims.
type ClaimMove struct {
	ClaimID int64
	To      ClaimState
	// PayerClaimNumber, when set, is recorded as the claim's payer claim number
	// (835 CLP07).
	PayerClaimNumber string
	// Detail goes to the claim's history with the move.
	Detail any
}

// TransitionClaims applies moves in order, in one transaction (c's own on a Tx), as
// TransitionClaim would one by one, with a few statements whatever their number: the
// claims are locked, each move checked against the state the earlier moves left, and
// the claims updated and their history written in bulk. A move the transition table
// does not allow is skipped and returned; the payer claim number is recorded still.
func (c *Conn) TransitionClaims(ctx context.Context, moves []ClaimMove, ev Event) (skipped []ClaimMove, err error) {
	if len(moves) == 0 {
		return nil, nil
	}
	if !ev.Cause.Valid() {
		return nil, fmt.Errorf("moving claims: %w: cause %q", ErrInvalid, ev.Cause)
	}
	err = c.inTx(ctx, func(w *Conn) error {
		skipped = skipped[:0]
		keys := make([]int64, 0, len(moves))
		for _, m := range moves {
			keys = append(keys, m.ClaimID)
		}
		state, err := w.lockClaimStates(ctx, keys)
		if err != nil {
			return err
		}
		now := w.st.now()
		type final struct {
			state ClaimState
			icn   string
		}
		finals := map[int64]*final{}
		var order []int64
		var events [][]any
		for _, m := range moves {
			from, ok := state[m.ClaimID]
			if !ok {
				return fmt.Errorf("claim %d: %w", m.ClaimID, ErrNotFound)
			}
			f := finals[m.ClaimID]
			if f == nil {
				f = &final{state: from}
				finals[m.ClaimID] = f
				order = append(order, m.ClaimID)
			}
			if m.PayerClaimNumber != "" {
				f.icn = m.PayerClaimNumber
			}
			if err := checkTransition(from, m.To); err != nil {
				skipped = append(skipped, m)
				continue
			}
			detail, err := jsonArg(m.Detail)
			if err != nil {
				return err
			}
			if m.Detail == nil {
				detail = "{}"
			}
			events = append(events, []any{m.ClaimID, now, string(from), string(m.To), string(ev.Cause), ev.Actor, detail})
			state[m.ClaimID], f.state = m.To, m.To
		}
		if w.st.driver == Postgres {
			states, icns := make([]string, len(order)), make([]string, len(order))
			for i, id := range order {
				states[i], icns[i] = string(finals[id].state), finals[id].icn
			}
			return w.moveClaimsPostgres(ctx, order, states, icns, now, events)
		}
		const cols = 3
		for start := 0; start < len(order); start += manyChunk / cols {
			chunk := order[start:min(start+manyChunk/cols, len(order))]
			rows := make([]string, len(chunk))
			args := make([]any, 0, 1+len(chunk)*cols)
			for i, id := range chunk {
				rows[i] = "(CAST(? AS BIGINT), ?, ?)"
				args = append(args, id, string(finals[id].state), finals[id].icn)
			}
			args = append(args, now)
			if _, err := w.exec(ctx, `WITH v (id, state, icn) AS (VALUES `+strings.Join(rows, ", ")+`)
				UPDATE claims SET state = v.state, updated_at = ?,
					payer_claim_number = CASE WHEN v.icn <> '' THEN v.icn ELSE claims.payer_claim_number END
				FROM v WHERE claims.id = v.id`, args...); err != nil {
				return err
			}
		}
		return w.insertMany(ctx, "claim_events", claimEventColumns, events)
	})
	if err != nil {
		return nil, fmt.Errorf("moving %d claims: %w", len(moves), err)
	}
	return skipped, nil
}

var claimEventColumns = []string{"claim_id", "at", "from_state", "to_state", "cause", "actor", "detail"}

// moveClaimsPostgres updates the claims to their final states in one statement
// that takes its rows as three arrays, not as a list of values: four parameters to
// bind and plan whatever the number of claims (a list of values costs a parameter
// each to bind, and its join estimates to plan). The claims are also named by the
// id array alone, as before, so that the planner can find them by primary key
// rather than read every claim to join it with the list. The history goes in with
// COPY.
func (w *Conn) moveClaimsPostgres(ctx context.Context, ids []int64, states, icns []string, now time.Time, events [][]any) error {
	if _, err := w.tx.ExecContext(ctx, `UPDATE claims SET state = v.state, updated_at = $4,
			payer_claim_number = CASE WHEN v.icn <> '' THEN v.icn ELSE claims.payer_claim_number END
		FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v (id, state, icn) WHERE claims.id = v.id AND claims.id = ANY ($1)`,
		pq.Array(ids), pq.Array(states), pq.Array(icns), now); err != nil {
		return err
	}
	rs := newRowSet("claim_events", claimEventColumns, len(events))
	for _, e := range events {
		rs.vals = append(rs.vals, e...)
	}
	if _, err := w.writeRowSet(ctx, rs); err != nil {
		return classify(err)
	}
	return nil
}
