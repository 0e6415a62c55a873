package storage

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// OutboxMessage is an event written in the same transaction as the change it
// announces; a relay publishes it to NATS with Nats-Msg-Id set to its id.
type OutboxMessage struct {
	ID          int64
	Subject     string
	Payload     []byte
	CreatedAt   time.Time
	PublishedAt time.Time
}

// EnqueueOutbox writes a message to the outbox and returns its id. Call it on the
// Tx that makes the change, so that both happen or neither.
func (c *Conn) EnqueueOutbox(ctx context.Context, m OutboxMessage) (int64, error) {
	if m.Subject == "" {
		return 0, fmt.Errorf("enqueueing outbox message: %w: no subject", ErrInvalid)
	}
	if m.Payload == nil {
		m.Payload = []byte{}
	}
	var id int64
	err := c.inTx(ctx, func(w *Conn) error {
		var err error
		id, _, err = w.insertID(ctx, "INSERT INTO outbox (subject, payload, created_at) VALUES (?, ?, ?) RETURNING id",
			m.Subject, m.Payload, w.st.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enqueueing outbox message %s: %w", m.Subject, err)
	}
	return id, nil
}

// PendingOutbox returns up to limit unpublished messages, oldest first.
func (c *Conn) PendingOutbox(ctx context.Context, limit int) ([]OutboxMessage, error) {
	rows, err := c.query(ctx, "SELECT id, subject, payload, created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("reading outbox: %w", err)
	}
	defer rows.Close()
	var list []OutboxMessage
	for rows.Next() {
		var m OutboxMessage
		if err := rows.Scan(&m.ID, &m.Subject, &m.Payload, timeDest{&m.CreatedAt}); err != nil {
			return nil, fmt.Errorf("reading outbox: %w", err)
		}
		list = append(list, m)
	}
	return list, rows.Err()
}

// MarkOutboxPublished records that messages were published. Marking one twice is
// harmless: the relay may publish a message again after a crash, and NATS drops the
// duplicate by its message id.
func (c *Conn) MarkOutboxPublished(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := c.inTx(ctx, func(w *Conn) error {
		args := []any{w.st.now()}
		marks := make([]string, len(ids))
		for i, id := range ids {
			marks[i] = "?"
			args = append(args, id)
		}
		_, err := w.exec(ctx, "UPDATE outbox SET published_at = ? WHERE published_at IS NULL AND id IN ("+strings.Join(marks, ", ")+")", args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("marking %d outbox messages published: %w", len(ids), err)
	}
	return nil
}
