package storage

import (
	"context"
	"errors"
	"fmt"
)

// OpsCounts are the sizes an operator watches: what waits to be published,
// to be done by a person, to be processed. Each is a count over an index, cheap
// enough to read on every metrics scrape.
type OpsCounts struct {
	// OutboxPending counts outbox messages not published yet.
	OutboxPending int64
	// WorkItems counts the open and in-progress work items by kind and status.
	WorkItems map[WorkKind]map[WorkStatus]int64
	// Inbound counts received files not processed: new and quarantined.
	Inbound map[InboundStatus]int64
}

// OpsCounts reads the counts. Processed files and closed work items are not
// counted: they only grow, and nobody waits on them.
func (c *Conn) OpsCounts(ctx context.Context) (OpsCounts, error) {
	n := OpsCounts{WorkItems: map[WorkKind]map[WorkStatus]int64{}, Inbound: map[InboundStatus]int64{}}
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL").Scan(&n.OutboxPending); err != nil {
		return n, fmt.Errorf("counting pending outbox messages: %w", err)
	}
	rows, err := c.query(ctx, `SELECT kind, status, COUNT(*) FROM work_items
		WHERE status IN ('open', 'in-progress') GROUP BY kind, status`)
	if err != nil {
		return n, fmt.Errorf("counting work items: %w", err)
	}
	for rows.Next() {
		var kind, status string
		var count int64
		if err := rows.Scan(&kind, &status, &count); err != nil {
			rows.Close()
			return n, fmt.Errorf("counting work items: %w", err)
		}
		if n.WorkItems[WorkKind(kind)] == nil {
			n.WorkItems[WorkKind(kind)] = map[WorkStatus]int64{}
		}
		n.WorkItems[WorkKind(kind)][WorkStatus(status)] = count
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return n, fmt.Errorf("counting work items: %w", err)
	}
	rows, err = c.query(ctx, "SELECT status, COUNT(*) FROM inbound_files WHERE status IN ('new', 'quarantined') GROUP BY status")
	if err != nil {
		return n, fmt.Errorf("counting inbound files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var count int64
		if err := rows.Scan(&status, &count); err != nil {
			return n, fmt.Errorf("counting inbound files: %w", err)
		}
		n.Inbound[InboundStatus(status)] = count
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("counting inbound files: %w", err)
	}
	return n, nil
}
