package storage

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// SetSubmissionFile stores the bytes of a submission's 837P file, as built; call it
// on the Tx that inserted the submission. Storing the same bytes again does nothing;
// other bytes for a submission that has a file are refused (ErrDuplicate): a built
// file never changes, since its ISA13 and hash are recorded.
func (c *Conn) SetSubmissionFile(ctx context.Context, submissionID int64, content []byte) error {
	if content == nil {
		content = []byte{}
	}
	err := c.inTx(ctx, func(w *Conn) error {
		_, ok, err := w.insertID(ctx, `INSERT INTO submission_files (submission_id, content) VALUES (?, ?)
			ON CONFLICT (submission_id) DO NOTHING RETURNING submission_id`, submissionID, content)
		if err != nil || ok {
			return err
		}
		var have []byte
		if err := w.queryRow(ctx, "SELECT content FROM submission_files WHERE submission_id = ?", submissionID).Scan(&have); err != nil {
			return err
		}
		if string(have) != string(content) {
			return fmt.Errorf("%w: submission %d has another file", ErrDuplicate, submissionID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storing the file of submission %d: %w", submissionID, err)
	}
	return nil
}

// SubmissionFile returns the bytes of a submission's 837P file.
func (c *Conn) SubmissionFile(ctx context.Context, submissionID int64) ([]byte, error) {
	var content []byte
	err := c.queryRow(ctx, "SELECT content FROM submission_files WHERE submission_id = ?", submissionID).Scan(&content)
	if err != nil {
		return nil, fmt.Errorf("reading the file of submission %d: %w", submissionID, notFound(err, "submission file", submissionID))
	}
	return content, nil
}

// SubmissionIDs returns up to limit ids of a clearinghouse's submissions in a
// status, in id order, after afterID: the files built and not sent yet (created),
// for a run that finishes what a crashed one began.
func (c *Conn) SubmissionIDs(ctx context.Context, clearinghouse string, status SubmissionStatus, afterID int64, limit int) ([]int64, error) {
	rows, err := c.query(ctx, `SELECT id FROM submissions WHERE clearinghouse = ? AND status = ? AND id > ? ORDER BY id LIMIT ?`,
		clearinghouse, string(status), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing %s submissions of %s: %w", status, clearinghouse, err)
	}
	return scanIDs(rows)
}

// ClaimsToBatch returns up to limit ids of claims ready to go out through a
// clearinghouse, in id order, after afterID: claims validated, or re-billed to their
// next payer (secondary-billed), that no submission waiting to be sent holds yet.
//
// A claim goes through its payer's clearinghouse (Payer.Clearinghouse); when the
// payer names none, through defaultClearinghouse if the payer has a route there or
// no route at all, else through the first clearinghouse (by name) it has a route at.
// Claims without a payer go through defaultClearinghouse.
func (c *Conn) ClaimsToBatch(ctx context.Context, clearinghouse, defaultClearinghouse string, afterID int64, limit int) ([]int64, error) {
	// One branch per state, each reading its state's claims in id order from the
	// index and stopping at limit: with both states in one WHERE, the database reads
	// every ready claim and sorts them all before taking the first few, at every
	// file of a large batch.
	branch := `SELECT id FROM (SELECT c.id FROM claims c LEFT JOIN payers p ON p.id = c.payer_id
		WHERE c.state = ? AND c.id > ?
			AND (CASE
				WHEN p.id IS NULL THEN ?
				WHEN p.clearinghouse <> '' THEN p.clearinghouse
				WHEN EXISTS (SELECT 1 FROM payer_routes r WHERE r.payer_id = p.id AND r.clearinghouse = ?)
					OR NOT EXISTS (SELECT 1 FROM payer_routes r WHERE r.payer_id = p.id) THEN ?
				ELSE (SELECT MIN(r.clearinghouse) FROM payer_routes r WHERE r.payer_id = p.id)
			END) = ?
			AND NOT EXISTS (SELECT 1 FROM submission_claims sc JOIN submissions s ON s.id = sc.submission_id
				WHERE sc.claim_id = c.id AND s.status = 'created')
		ORDER BY c.id LIMIT ?) AS `
	var args []any
	for _, st := range []ClaimState{StateValidated, StateSecondaryBilled} {
		args = append(args, string(st), afterID, defaultClearinghouse, defaultClearinghouse, defaultClearinghouse, clearinghouse, limit)
	}
	rows, err := c.query(ctx, branch+"v UNION ALL "+branch+"s ORDER BY id LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("listing claims to batch for %s: %w", clearinghouse, err)
	}
	return scanIDs(rows)
}

// ClaimVersion tells whether a claim changed since it was read: its state, when it
// last changed (every write to a claim's row or document stamps updated_at), and
// whether a submission waiting to be sent holds it.
type ClaimVersion struct {
	State     ClaimState
	UpdatedAt time.Time
	// Pending is true when a submission not sent yet (created) holds the claim.
	Pending bool
}

// ClaimVersions returns the versions of the claims with the ids, by id, locking
// them (PostgreSQL; SQLite's writer holds the whole database): what a batch built
// from claims read outside its transaction checks inside it. Ids with no claim are
// left out.
func (c *Conn) ClaimVersions(ctx context.Context, ids []int64) (map[int64]ClaimVersion, error) {
	out := make(map[int64]ClaimVersion, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	lock := ""
	if c.st.d.forUpdate != "" {
		lock = c.st.d.forUpdate + " OF c"
	}
	where, arg := inKeys(c, ids)
	rows, err := c.query(ctx, `SELECT c.id, c.state, c.updated_at, EXISTS (SELECT 1 FROM submission_claims sc
			JOIN submissions s ON s.id = sc.submission_id WHERE sc.claim_id = c.id AND s.status = 'created')
		FROM claims c WHERE c.id`+where+` ORDER BY c.id`+lock, arg)
	if err != nil {
		return nil, fmt.Errorf("reading the versions of %d claims: %w", len(ids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v ClaimVersion
		var state string
		if err := rows.Scan(&id, &state, timeDest{&v.UpdatedAt}, &v.Pending); err != nil {
			return nil, fmt.Errorf("reading the versions of %d claims: %w", len(ids), err)
		}
		v.State = ClaimState(state)
		out[id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the versions of %d claims: %w", len(ids), err)
	}
	return out, nil
}
