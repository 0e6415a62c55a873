package storage

import (
	"context"
	"fmt"
)

// SubmissionStatusOf returns the status of the submission with the id, locking its
// row until the transaction ends (PostgreSQL; SQLite's writer holds the whole
// database): what recording an upload, having read the submission before its
// transaction, checks inside it.
func (c *Conn) SubmissionStatusOf(ctx context.Context, id int64) (SubmissionStatus, error) {
	var status string
	lock := ""
	if c.tx != nil {
		lock = c.st.d.forUpdate
	}
	if err := c.queryRow(ctx, "SELECT status FROM submissions WHERE id = ?"+lock, id).Scan(&status); err != nil {
		return "", fmt.Errorf("reading the status of submission %d: %w", id, notFound(err, "submission", id))
	}
	return SubmissionStatus(status), nil
}
