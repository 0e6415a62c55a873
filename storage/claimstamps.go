package storage

import (
	"context"
	"fmt"
	"time"
)

// ClaimStamp tells whether a claim changed since it was read: its patient control
// number, its state and when its row or document last changed (every write to
// either stamps updated_at). A
// reader that decides outside the write transaction reads the stamps of the claims
// first, then the claims, and checks the stamps inside the transaction: when they
// are unchanged, what it read of the claims still holds.
type ClaimStamp struct {
	ID        int64
	PCN       string
	State     ClaimState
	UpdatedAt time.Time
}

// Same reports whether two stamps are of the same version of a claim.
func (s ClaimStamp) Same(o ClaimStamp) bool {
	return s.ID == o.ID && s.PCN == o.PCN && s.State == o.State && s.UpdatedAt.Equal(o.UpdatedAt)
}

// ClaimStamps returns the stamps of the claims with the ids, by id: one query that
// reads no document and no line. Inside a transaction on PostgreSQL it locks the
// claims, in id order, as TransitionClaims does. Ids with no claim are left out.
func (c *Conn) ClaimStamps(ctx context.Context, ids []int64) (map[int64]ClaimStamp, error) {
	out := make(map[int64]ClaimStamp, len(ids))
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		lock := ""
		if c.tx != nil {
			lock = c.st.d.forUpdate
		}
		return c.scanStamps(ctx, "SELECT id, pcn, state, updated_at FROM claims WHERE id"+where+" ORDER BY id"+lock, args,
			func(s ClaimStamp) { out[s.ID] = s })
	})
	if err != nil {
		return nil, fmt.Errorf("reading the stamps of %d claims: %w", len(ids), err)
	}
	return out, nil
}

// ClaimStampsByPCN returns the stamps of the claims with the patient control
// numbers, by PCN, in one query; PCNs with no claim are left out.
func (c *Conn) ClaimStampsByPCN(ctx context.Context, pcns []string) (map[string]ClaimStamp, error) {
	out := make(map[string]ClaimStamp, len(pcns))
	err := inKeysQuery(c, pcns, func(where string, args []any) error {
		return c.scanStamps(ctx, "SELECT id, pcn, state, updated_at FROM claims WHERE pcn"+where, args,
			func(s ClaimStamp) { out[s.PCN] = s })
	})
	if err != nil {
		return nil, fmt.Errorf("reading the stamps of %d claims by patient control number: %w", len(pcns), err)
	}
	return out, nil
}

// scanStamps runs q, whose columns are id, pcn, state and updated_at.
func (c *Conn) scanStamps(ctx context.Context, q string, args []any, add func(s ClaimStamp)) error {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s ClaimStamp
		var state string
		if err := rows.Scan(&s.ID, &s.PCN, &state, timeDest{&s.UpdatedAt}); err != nil {
			return err
		}
		s.State = ClaimState(state)
		add(s)
	}
	return rows.Err()
}

// ClaimControls is what names a claim and its lines in the answers to it: its
// patient control number and its lines' control numbers (REF*6R), in line order.
type ClaimControls struct {
	PCN   string
	Lines []string
}

// ClaimControlsOf returns the controls of the claims with the ids, by id, in one
// query that reads two columns of each line and no document. Ids with no claim
// are left out.
func (c *Conn) ClaimControlsOf(ctx context.Context, ids []int64) (map[int64]ClaimControls, error) {
	out := make(map[int64]ClaimControls, len(ids))
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		rows, err := c.query(ctx, `SELECT c.id, c.pcn, COALESCE(l.control_number, '') FROM claims c
			LEFT JOIN claim_lines l ON l.claim_id = c.id WHERE c.id`+where+` ORDER BY c.id, l.line_number`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var pcn, line string
			if err := rows.Scan(&id, &pcn, &line); err != nil {
				return err
			}
			cc, seen := out[id]
			cc.PCN = pcn
			if seen || line != "" {
				cc.Lines = append(cc.Lines, line)
			}
			out[id] = cc
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the control numbers of %d claims: %w", len(ids), err)
	}
	return out, nil
}
