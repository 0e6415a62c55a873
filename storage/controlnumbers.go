package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// MaxControlNumber is the largest interchange control number: ISA13 has nine digits.
const MaxControlNumber = 999999999

// NextControlNumber hands out the next interchange control number (ISA13) of a
// sender at a clearinghouse: 1 the first time, then one more each call. The sender
// is how the clearinghouse knows us, ISA05 and ISA06 ("ZZ:ACME").
//
// Call it on the Tx that stores the submission: the sequence's row stays locked
// until that transaction ends, so concurrent batchers for the same sender take their
// numbers one after the other, and a transaction that rolls back gives its number
// back. A committed number is never handed out again, in this process or another:
// ISA13 must never repeat for a sender. A sender's first number follows the highest
// ISA13 of the clearinghouse's stored submissions (another sender's, before the
// installation changed its interchange id), which stay unique per clearinghouse. When the nine digits are used up it fails
// with ErrExhausted rather than start again.
func (c *Conn) NextControlNumber(ctx context.Context, clearinghouse, sender string) (uint64, error) {
	if clearinghouse == "" || sender == "" {
		return 0, fmt.Errorf("taking a control number: %w: clearinghouse and sender are required", ErrInvalid)
	}
	var n int64
	err := c.inTx(ctx, func(w *Conn) error {
		err := w.queryRow(ctx, "SELECT last FROM control_numbers WHERE clearinghouse = ? AND sender = ?"+w.st.d.forUpdate,
			clearinghouse, sender).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err != nil {
			// No row yet: create it. Two first callers race on the primary key; the
			// loser's insert does nothing and it reads the winner's row, locked.
			// A new sender at a clearinghouse starts after the clearinghouse's highest
			// ISA13 stored, since submissions keep ISA13 unique per clearinghouse.
			if _, err := w.exec(ctx, `INSERT INTO control_numbers (clearinghouse, sender, last)
				SELECT ?, ?, COALESCE(MAX(CAST(isa13 AS BIGINT)), 0) FROM submissions WHERE clearinghouse = ?
				ON CONFLICT (clearinghouse, sender) DO NOTHING`, clearinghouse, sender, clearinghouse); err != nil {
				return classify(err)
			}
			if err := w.queryRow(ctx, "SELECT last FROM control_numbers WHERE clearinghouse = ? AND sender = ?"+w.st.d.forUpdate,
				clearinghouse, sender).Scan(&n); err != nil {
				return err
			}
		}
		if n >= MaxControlNumber {
			return fmt.Errorf("%w: the last interchange control number %d was handed out", ErrExhausted, n)
		}
		n++
		_, err = w.exec(ctx, "UPDATE control_numbers SET last = ? WHERE clearinghouse = ? AND sender = ?", n, clearinghouse, sender)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("taking the next control number of %s at %s: %w", sender, clearinghouse, err)
	}
	return uint64(n), nil
}

// SetControlNumberFloor makes the sequence of a sender at a clearinghouse continue
// after last, when it is behind it: for an installation that sent files with
// another system before, whose numbers claimflow must not repeat. It never moves a
// sequence back.
func (c *Conn) SetControlNumberFloor(ctx context.Context, clearinghouse, sender string, last uint64) error {
	if clearinghouse == "" || sender == "" || last > MaxControlNumber {
		return fmt.Errorf("setting the control number floor: %w: clearinghouse, sender and a number up to %d are required", ErrInvalid, MaxControlNumber)
	}
	err := c.inTx(ctx, func(w *Conn) error {
		if _, err := w.exec(ctx, `INSERT INTO control_numbers (clearinghouse, sender, last) VALUES (?, ?, ?)
			ON CONFLICT (clearinghouse, sender) DO NOTHING`, clearinghouse, sender, int64(last)); err != nil {
			return classify(err)
		}
		_, err := w.exec(ctx, "UPDATE control_numbers SET last = ? WHERE clearinghouse = ? AND sender = ? AND last < ?",
			int64(last), clearinghouse, sender, int64(last))
		return err
	})
	if err != nil {
		return fmt.Errorf("setting the control number floor of %s at %s: %w", sender, clearinghouse, err)
	}
	return nil
}
