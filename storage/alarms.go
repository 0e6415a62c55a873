package storage

import (
	"context"
	"fmt"
	"time"
)

// LateSubmission is a transmitted file still waiting for an acknowledgement: what
// the missing-acknowledgement alarm raises. It carries ids and counts, no PHI.
type LateSubmission struct {
	ID            int64
	Clearinghouse string
	FileName      string
	ISA13         string
	TransmittedAt time.Time
	// Claims counts the claims waiting: every claim of the file for a 999, those
	// without a 277CA for a 277CA.
	Claims int
}

// rejectedStatuses are the TA1 and 999 statuses after which nothing more comes
// back for what they answer: TA104 R, IK501/AK901 R, M, W, X.
const rejectedStatuses = "('R', 'M', 'W', 'X')"

// SubmissionsMissing999 returns up to limit of the clearinghouse's submissions
// transmitted before sentBefore (and after the id afterID) that no 999 answers
// and no TA1 rejected, oldest first. Any 999 for a submission answers it: a
// rejected transaction set is the acknowledgement stage's business, not a
// missing acknowledgement.
func (c *Conn) SubmissionsMissing999(ctx context.Context, clearinghouse string, sentBefore time.Time, afterID int64, limit int) ([]LateSubmission, error) {
	rows, err := c.query(ctx, `SELECT s.id, s.clearinghouse, s.file_name, s.isa13, s.transmitted_at,
			(SELECT COUNT(*) FROM submission_claims sc WHERE sc.submission_id = s.id)
		FROM submissions s
		WHERE s.clearinghouse = ? AND s.status = 'transmitted' AND s.transmitted_at < ? AND s.id > ?
			AND NOT EXISTS (SELECT 1 FROM acknowledgements a WHERE a.submission_id = s.id
				AND (a.kind = '999' OR (a.kind = 'ta1' AND a.status IN `+rejectedStatuses+`)))
		ORDER BY s.id LIMIT ?`, clearinghouse, sentBefore.UTC(), afterID, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("listing %s submissions missing a 999: %w", clearinghouse, err)
	}
	list, err := scanLate(rows)
	if err != nil {
		return nil, fmt.Errorf("listing %s submissions missing a 999: %w", clearinghouse, err)
	}
	return list, nil
}

// SubmissionsMissing277CA returns up to limit of the clearinghouse's submissions
// transmitted before sentBefore (and after the id afterID) holding claims that no
// 277CA answers, oldest first, with how many claims wait. A claim is answered by
// a 277CA naming it that belongs to the submission or arrived after the file was
// sent. Claims of a transaction set a 999 rejected, and every claim of a file a
// TA1 rejected, wait for nothing and are not counted.
func (c *Conn) SubmissionsMissing277CA(ctx context.Context, clearinghouse string, sentBefore time.Time, afterID int64, limit int) ([]LateSubmission, error) {
	rows, err := c.query(ctx, `SELECT s.id, s.clearinghouse, s.file_name, s.isa13, s.transmitted_at, COUNT(*)
		FROM submissions s JOIN submission_claims sc ON sc.submission_id = s.id
		WHERE s.clearinghouse = ? AND s.status = 'transmitted' AND s.transmitted_at < ? AND s.id > ?
			AND NOT EXISTS (SELECT 1 FROM acknowledgements a WHERE a.submission_id = s.id
				AND a.status IN `+rejectedStatuses+`
				AND (a.kind = 'ta1' OR (a.kind = '999' AND (a.st02 = '' OR (a.gs06 = sc.gs06 AND a.st02 = sc.st02)))))
			AND NOT EXISTS (SELECT 1 FROM acknowledgements a WHERE a.kind = '277ca' AND a.claim_id = sc.claim_id
				AND (a.submission_id = s.id OR a.received_at >= s.transmitted_at))
		GROUP BY s.id, s.clearinghouse, s.file_name, s.isa13, s.transmitted_at
		ORDER BY s.id LIMIT ?`, clearinghouse, sentBefore.UTC(), afterID, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("listing %s submissions missing a 277CA: %w", clearinghouse, err)
	}
	list, err := scanLate(rows)
	if err != nil {
		return nil, fmt.Errorf("listing %s submissions missing a 277CA: %w", clearinghouse, err)
	}
	return list, nil
}

// limitArg bounds a page: 1 to 10,000, 500 when not positive.
func limitArg(n int) int {
	switch {
	case n <= 0:
		return 500
	case n > 10000:
		return 10000
	}
	return n
}

func scanLate(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}) ([]LateSubmission, error) {
	defer rows.Close()
	var list []LateSubmission
	for rows.Next() {
		var s LateSubmission
		if err := rows.Scan(&s.ID, &s.Clearinghouse, &s.FileName, &s.ISA13, timeDest{&s.TransmittedAt}, &s.Claims); err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	return list, rows.Err()
}
