package storage

import (
	"context"
	"fmt"
	"slices"
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
	state := make(map[int64]ClaimState, len(ids))
	err := inChunks(w, ids, func(where string, args []any) error {
		rows, err := w.query(ctx, "SELECT id, state FROM claims WHERE id"+where+" ORDER BY id"+w.st.d.forUpdate, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var s string
			if err := rows.Scan(&id, &s); err != nil {
				return err
			}
			state[id] = ClaimState(s)
		}
		return rows.Err()
	})
	return state, err
}
