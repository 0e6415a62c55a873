package pipeline

import (
	"context"

	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// outbox is the store's outbox table as the relay reads it.
type outbox struct{ store *storage.Store }

// PendingOutbox implements bus.OutboxSource.
func (o outbox) PendingOutbox(ctx context.Context, limit int) ([]bus.OutboxRow, error) {
	msgs, err := o.store.PendingOutbox(ctx, limit)
	if err != nil {
		return nil, err
	}
	rows := make([]bus.OutboxRow, len(msgs))
	for i, m := range msgs {
		rows[i] = bus.OutboxRow{ID: m.ID, Subject: m.Subject, Payload: m.Payload}
	}
	return rows, nil
}

// MarkOutboxPublished implements bus.OutboxSource.
func (o outbox) MarkOutboxPublished(ctx context.Context, ids ...int64) error {
	return o.store.MarkOutboxPublished(ctx, ids...)
}

// OutboxSource returns the store's outbox for a bus.Relay.
func OutboxSource(s *storage.Store) bus.OutboxSource { return outbox{s} }
