package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ClaimPaymentByID returns the claim payment with the id, with its services and
// adjustments.
func (c *Conn) ClaimPaymentByID(ctx context.Context, id int64) (ClaimPayment, error) {
	list, err := c.claimPayments(ctx, "id", id)
	if err != nil {
		return ClaimPayment{}, err
	}
	if len(list) == 0 {
		return ClaimPayment{}, fmt.Errorf("reading claim payment: %w", notFound(sql.ErrNoRows, "claim payment", id))
	}
	return list[0], nil
}

// ResolveWorkByKey marks the open or in-progress work item with the dedup key
// resolved and notes why, by author. It reports whether there was one.
func (c *Conn) ResolveWorkByKey(ctx context.Context, dedupKey, author, note string) (bool, error) {
	found := false
	err := c.inTx(ctx, func(w *Conn) error {
		var id int64
		err := w.queryRow(ctx, "SELECT id FROM work_items WHERE dedup_key = ? AND status IN (?, ?)",
			dedupKey, string(WorkOpen), string(WorkInProgress)).Scan(&id)
		if err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return err
		}
		found = true
		if err := w.SetWorkStatus(ctx, id, WorkResolved); err != nil {
			return err
		}
		_, err = w.AddWorkNote(ctx, id, author, note)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("resolving work item %s: %w", dedupKey, err)
	}
	return found, nil
}
