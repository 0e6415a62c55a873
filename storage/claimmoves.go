package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"
)

// ClaimMove is one change of state of TransitionClaims.
type ClaimMove struct {
	ClaimID int64
	To      ClaimState
	// PayerClaimNumber, when set, is recorded as the claim's payer claim number
	// (835 CLP07, 277CA REF*1K) when the move is made, or when the claim is in
	// state To already (the same step answered again: its number is the current
	// one). A move refused from any other state records nothing: the claim moved
	// on, and a late answer must not replace the number of a later step (a 277CA's
	// after the 835's).
	PayerClaimNumber string
	// Detail goes to the claim's history with the move. Moves that share one
	// json.RawMessage (the same bytes, as when a file's moves all carry the same
	// detail) have it encoded once.
	Detail any
}

// TransitionClaims applies moves in order, in one transaction (c's own on a Tx), as
// TransitionClaim would one by one, with a few statements whatever their number: the
// claims are locked, each move checked against the state the earlier moves left, and
// the claims updated and their history written in bulk. A move the transition table
// does not allow is skipped and returned; its payer claim number is recorded only
// when the claim is in the state moved to already (see ClaimMove).
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
		var state map[int64]ClaimState
		var err error
		if w.st.driver == Postgres {
			state, err = w.lockClaimStates(ctx, keys)
		} else {
			state, err = w.claimStatesSQLite(ctx, keys)
		}
		if err != nil {
			return err
		}
		now := w.st.now()
		finals := map[int64]*claimFinal{}
		var order []int64
		var events []claimEvent
		var shared detailCache
		for _, m := range moves {
			from, ok := state[m.ClaimID]
			if !ok {
				return fmt.Errorf("claim %d: %w", m.ClaimID, ErrNotFound)
			}
			f := finals[m.ClaimID]
			if f == nil {
				f = &claimFinal{state: from}
				finals[m.ClaimID] = f
				order = append(order, m.ClaimID)
			}
			if err := checkTransition(from, m.To); err != nil {
				if m.PayerClaimNumber != "" && from == m.To {
					f.icn = m.PayerClaimNumber
				}
				skipped = append(skipped, m)
				continue
			}
			if m.PayerClaimNumber != "" {
				f.icn = m.PayerClaimNumber
			}
			detail, err := shared.encode(m.Detail)
			if err != nil {
				return err
			}
			events = append(events, claimEvent{claimID: m.ClaimID, from: from, to: m.To, detail: detail})
			state[m.ClaimID], f.state = m.To, m.To
		}
		if w.st.driver == Postgres {
			states, icns := make([]string, len(order)), make([]string, len(order))
			for i, id := range order {
				states[i], icns[i] = string(finals[id].state), finals[id].icn
			}
			rows := make([][]any, len(events))
			for i, e := range events {
				rows[i] = []any{e.claimID, now, string(e.from), string(e.to), string(ev.Cause), ev.Actor, e.detail}
			}
			return w.moveClaimsPostgres(ctx, order, states, icns, now, rows)
		}
		return w.moveClaimsSQLite(ctx, order, finals, now, events, ev)
	})
	if err != nil {
		return nil, fmt.Errorf("moving %d claims: %w", len(moves), err)
	}
	return skipped, nil
}

// claimFinal is where TransitionClaims leaves a claim.
type claimFinal struct {
	state ClaimState
	icn   string
}

// detailCache encodes the details of moves, each json.RawMessage once for the moves
// that follow it with the same bytes.
type detailCache struct {
	raw     json.RawMessage
	encoded string
}

func (d *detailCache) encode(v any) (string, error) {
	raw, ok := v.(json.RawMessage)
	if ok && len(raw) > 0 && len(raw) == len(d.raw) && &raw[0] == &d.raw[0] {
		return d.encoded, nil
	}
	s, err := eventDetail(v)
	if err != nil {
		return "", err
	}
	if ok && len(raw) > 0 {
		d.raw, d.encoded = raw, s
	}
	return s, nil
}

// claimEvent is a row of a claim's history that TransitionClaims writes.
type claimEvent struct {
	claimID  int64
	from, to ClaimState
	detail   string // JSON
}

// moveClaimsSQLite updates the claims to their final states and writes their
// history with statements that take their rows as one JSON value (json_each),
// and whose text does not change with the number of claims, so SQLite parses
// them once (stmtcache.go), where lists of values were parsed at every call, a
// few values of text per claim. For each state reached, one UPDATE of the claims
// whose payer claim number is not recorded, their ids as an array, and one of
// those whose number is, as an object {"id": "number"}; then the history
// (insertEventsSQLite).
//
// Rows are never arrays within the array: SQLite hands json_each's value of such
// a row on as JSON text, which each ->> parses again (or finds in a small cache)
// to take a value out: about half the cost of writing a row of history. The
// members of an object, and the elements of a flat array, come as they are.
func (w *Conn) moveClaimsSQLite(ctx context.Context, order []int64, finals map[int64]*claimFinal, now time.Time,
	events []claimEvent, ev Event) error {
	type reached struct {
		ids     []int64 // without a payer claim number to record
		withICN []int64
	}
	byState := map[ClaimState]*reached{}
	var states []ClaimState
	for _, id := range order {
		f := finals[id]
		r := byState[f.state]
		if r == nil {
			r = &reached{}
			byState[f.state] = r
			states = append(states, f.state)
		}
		if f.icn == "" {
			r.ids = append(r.ids, id)
		} else {
			r.withICN = append(r.withICN, id)
		}
	}
	for _, st := range states {
		r := byState[st]
		if len(r.ids) > 0 {
			where, arg := inKeys(w, r.ids)
			if _, err := w.exec(ctx, "UPDATE claims SET state = ?, updated_at = ? WHERE id"+where, string(st), now, arg); err != nil {
				return err
			}
		}
		if len(r.withICN) > 0 {
			b := make([]byte, 0, 32*len(r.withICN))
			b = append(b, '{')
			for i, id := range r.withICN {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendIDKey(b, id)
				b = appendJSONString(b, finals[id].icn)
			}
			b = append(b, '}')
			if _, err := w.exec(ctx, `UPDATE claims SET state = ?, updated_at = ?, payer_claim_number = v.value
				FROM json_each(?) AS v WHERE claims.id = CAST(v.key AS INTEGER)`, string(st), now, string(b)); err != nil {
				return err
			}
		}
	}
	if len(events) == 0 {
		return nil
	}
	return w.insertEventsSQLite(ctx, events, now, ev)
}

// appendIDKey appends an id as the key of a JSON object's member: "17":.
func appendIDKey(b []byte, id int64) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, id, 10)
	return append(b, '"', ':')
}

// insertEventsSQLite writes the history rows of TransitionClaims, in the order of
// the moves for each claim, with one INSERT for each pair of states moved from
// and to (one for most calls: the moves of one file), whose rows are the object
// {"claim id": "detail"}, or the claim ids alone when the detail is the same for
// all. When a claim moves more than once (its ids would repeat as keys), the rows
// are arrays [id, from, to, detail] instead, all in one INSERT.
//
// Rows of different claims in different INSERTs get their ids in the order of the
// statements, not of the moves: each claim's history keeps its order, and nothing
// reads one claim's rows in order with another's.
func (w *Conn) insertEventsSQLite(ctx context.Context, events []claimEvent, now time.Time, ev Event) error {
	type pair struct{ from, to ClaimState }
	groups := map[pair][]claimEvent{}
	var pairs []pair
	seen := make(map[int64]bool, len(events))
	for _, e := range events {
		if seen[e.claimID] {
			return w.insertEventRowsSQLite(ctx, events, now, ev)
		}
		seen[e.claimID] = true
		p := pair{e.from, e.to}
		if groups[p] == nil {
			pairs = append(pairs, p)
		}
		groups[p] = append(groups[p], e)
	}
	for _, p := range pairs {
		g := groups[p]
		uniform := true
		for i := 1; i < len(g) && uniform; i++ {
			uniform = g[i].detail == g[0].detail
		}
		if uniform {
			// The detail is bound once and the rows are the ids alone.
			ids := make([]int64, len(g))
			for i, e := range g {
				ids[i] = e.claimID
			}
			_, arg := inKeys(w, ids)
			if _, err := w.exec(ctx, `INSERT INTO claim_events (claim_id, at, from_state, to_state, cause, actor, detail)
				SELECT e.value, ?, ?, ?, ?, ?, ? FROM json_each(?) AS e ORDER BY e.key`,
				now, string(p.from), string(p.to), string(ev.Cause), ev.Actor, g[0].detail, arg); err != nil {
				return classify(err)
			}
			continue
		}
		b := make([]byte, 0, 16*len(g)+len(g)*len(g[0].detail)*9/8)
		b = append(b, '{')
		for i, e := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendIDKey(b, e.claimID)
			b = appendJSONString(b, e.detail)
		}
		b = append(b, '}')
		// json_each gives an object's members in order, each with its offset in the
		// object as id.
		if _, err := w.exec(ctx, `INSERT INTO claim_events (claim_id, at, from_state, to_state, cause, actor, detail)
			SELECT CAST(e.key AS INTEGER), ?, ?, ?, ?, ?, e.value FROM json_each(?) AS e ORDER BY e.id`,
			now, string(p.from), string(p.to), string(ev.Cause), ev.Actor, string(b)); err != nil {
			return classify(err)
		}
	}
	return nil
}

// insertEventRowsSQLite writes history rows as [id, from, to, detail] arrays: for
// moves that name a claim more than once.
func (w *Conn) insertEventRowsSQLite(ctx context.Context, events []claimEvent, now time.Time, ev Event) error {
	b := make([]byte, 0, 64*len(events))
	b = append(b, '[')
	for i, e := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, e.claimID, 10)
		b = append(b, ',')
		b = appendJSONString(b, string(e.from))
		b = append(b, ',')
		b = appendJSONString(b, string(e.to))
		b = append(b, ',')
		b = appendJSONString(b, e.detail)
		b = append(b, ']')
	}
	b = append(b, ']')
	if _, err := w.exec(ctx, `INSERT INTO claim_events (claim_id, at, from_state, to_state, cause, actor, detail)
		SELECT e.value->>0, ?, e.value->>1, e.value->>2, ?, ?, e.value->>3 FROM json_each(?) AS e ORDER BY e.key`,
		now, string(ev.Cause), ev.Actor, string(b)); err != nil {
		return classify(err)
	}
	return nil
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

// claimStatesSQLite reads the states of the claims with the ids (on SQLite the
// writer holds the whole database: nothing to lock), each found by its rowid as
// json_each gives it, in no particular order. Ids with no claim are left out.
// lockClaimStates sorted and deduplicated the ids and read them through IN
// (SELECT ...), which SQLite puts in a temporary B-tree first.
func (w *Conn) claimStatesSQLite(ctx context.Context, ids []int64) (map[int64]ClaimState, error) {
	_, arg := inKeys(w, ids)
	return w.claimStates(ctx, len(ids), "SELECT c.id, c.state FROM json_each(?) AS j CROSS JOIN claims AS c ON c.id = j.value", arg)
}
