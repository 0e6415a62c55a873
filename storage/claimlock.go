package storage

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/lib/pq"
)

// LockClaims locks the claims with the ids until the transaction ends, in id
// order (PostgreSQL; SQLite's writer holds the whole database), with one query per
// few thousand ids, and returns their states: LockClaim for many claims. An id with
// no claim fails the call with ErrNotFound.
func (c *Conn) LockClaims(ctx context.Context, ids []int64) (map[int64]ClaimState, error) {
	var state map[int64]ClaimState
	err := c.inTx(ctx, func(w *Conn) error {
		var err error
		if state, err = w.lockClaimStates(ctx, ids); err != nil {
			return err
		}
		for _, id := range ids {
			if _, ok := state[id]; !ok {
				return fmt.Errorf("claim %d: %w", id, ErrNotFound)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("locking %d claims: %w", len(ids), err)
	}
	return state, nil
}

// lockClaimStates reads the states of the claims, locking them in id order
// (PostgreSQL; SQLite's writer holds the whole database). Ids with no claim are
// left out.
func (w *Conn) lockClaimStates(ctx context.Context, ids []int64) (map[int64]ClaimState, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	where, arg := inKeys(w, ids)
	return w.claimStates(ctx, len(ids), "SELECT id, state FROM claims WHERE id"+where+" ORDER BY id"+w.st.d.forUpdate, arg)
}

// claimStates runs q, whose rows are a claim's id and state, and returns the
// states by id (n: how many to expect at most).
func (w *Conn) claimStates(ctx context.Context, n int, q string, args ...any) (map[int64]ClaimState, error) {
	rows, err := w.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	state := make(map[int64]ClaimState, n)
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			return nil, err
		}
		state[id] = ClaimState(s)
	}
	return state, rows.Err()
}

// inKeys returns the condition that names the keys in a statement, and its one
// argument: " = ANY(?)" and an array on PostgreSQL, " IN (SELECT value FROM
// json_each(?))" and a JSON array on SQLite. The statement's text does not change
// with the number of keys, so SQLite parses it once (stmtcache.go) rather than a
// list of placeholders at every call, and binds one value instead of one a key.
func inKeys[K string | int64](c *Conn, keys []K) (string, any) {
	if c.st.driver == Postgres {
		return " = ANY(?)", pq.Array(keys)
	}
	b := make([]byte, 0, 2+12*len(keys))
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		switch k := any(k).(type) {
		case int64:
			b = strconv.AppendInt(b, k, 10)
		case string:
			b = appendJSONString(b, k)
		}
	}
	b = append(b, ']')
	return " IN (SELECT value FROM json_each(?))", string(b)
}
