package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// LastControlNumber returns the last interchange control number handed out to a
// sender at a clearinghouse (see NextControlNumber), and false when none was yet.
// It takes nothing and locks nothing: a batcher builds its file with the next
// number before its transaction, and uses what it built only when
// NextControlNumber, inside it, gives that number.
func (c *Conn) LastControlNumber(ctx context.Context, clearinghouse, sender string) (uint64, bool, error) {
	var n int64
	err := c.queryRow(ctx, "SELECT last FROM control_numbers WHERE clearinghouse = ? AND sender = ?", clearinghouse, sender).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading the last control number of %s at %s: %w", sender, clearinghouse, err)
	}
	return uint64(n), true, nil
}
