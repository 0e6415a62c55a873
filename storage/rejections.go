package storage

import (
	"context"
	"fmt"
	"strings"
)

// The queries of the acknowledgements stage and of the work-queue commands that the
// aggregates' own files do not offer.

// SubmissionByGroup returns the id of the clearinghouse's latest submission that
// holds the functional group with control number gs06: what a 999 (AK102) answers.
func (c *Conn) SubmissionByGroup(ctx context.Context, clearinghouse, gs06 string) (int64, error) {
	var id int64
	err := c.queryRow(ctx, `SELECT s.id FROM submissions s
		WHERE s.clearinghouse = ? AND EXISTS (SELECT 1 FROM submission_claims sc WHERE sc.submission_id = s.id AND sc.gs06 = ?)
		ORDER BY s.id DESC LIMIT 1`, clearinghouse, gs06).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("finding the submission of group %s at %s: %w", gs06, clearinghouse, notFound(err, "submission with group", gs06))
	}
	return id, nil
}

// ResolveClaimWork marks the claim's open and in-progress work items of a kind
// resolved, and returns how many it changed: a person fixed the claim.
func (c *Conn) ResolveClaimWork(ctx context.Context, claimID int64, kind WorkKind) (int, error) {
	var n int64
	err := c.inTx(ctx, func(w *Conn) error {
		res, err := w.exec(ctx, `UPDATE work_items SET status = ?, updated_at = ?
			WHERE claim_id = ? AND kind = ? AND status IN (?, ?)`,
			string(WorkResolved), w.st.now(), claimID, string(kind), string(WorkOpen), string(WorkInProgress))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("resolving %s work items of claim %d: %w", kind, claimID, err)
	}
	return int(n), nil
}

// ClaimPCNs returns the patient control numbers of the claims with the ids (those
// that exist), for lists that show them beside ids.
func (c *Conn) ClaimPCNs(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	const chunk = 500
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		rows, err := c.query(ctx, "SELECT id, pcn FROM claims WHERE id IN (?"+strings.Repeat(", ?", n-1)+")", args...)
		if err != nil {
			return nil, fmt.Errorf("reading patient control numbers: %w", err)
		}
		for rows.Next() {
			var id int64
			var pcn string
			if err := rows.Scan(&id, &pcn); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading patient control numbers: %w", err)
			}
			out[id] = pcn
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("reading patient control numbers: %w", err)
		}
		ids = ids[n:]
	}
	return out, nil
}
