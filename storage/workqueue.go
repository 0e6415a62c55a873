package storage

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// WorkKind is the queue a work item is in.
type WorkKind string

// The work queues.
const (
	WorkRejection           WorkKind = "rejection"            // fix the field and send again
	WorkDenial              WorkKind = "denial"               // correct (frequency 7) or appeal
	WorkUnmatchedRemittance WorkKind = "unmatched-remittance" // an 835 claim or a deposit that matches nothing
	WorkException           WorkKind = "exception"            // failed balancing, cannot post
	WorkMissingAck          WorkKind = "missing-ack"          // nothing came back in time
)

// WorkStatus is where a work item is.
type WorkStatus string

// The work item statuses.
const (
	WorkOpen       WorkStatus = "open"
	WorkInProgress WorkStatus = "in-progress"
	WorkResolved   WorkStatus = "resolved"
	WorkClosed     WorkStatus = "closed"
)

// WorkItem is something a person must do.
type WorkItem struct {
	ID   int64
	Kind WorkKind
	// DedupKey, when set, makes AddWorkItem idempotent: the same problem is queued once.
	DedupKey string
	ClaimID  int64
	// Codes are the codes that explain it: CARC/RARC, 277CA STC, 999 IK codes,
	// scrubber rule ids.
	Codes []string
	// Field is the claim field to fix, as a billing.Path.
	Field string
	// Message says what is wrong, without PHI.
	Message   string
	Assignee  string
	Status    WorkStatus
	Notes     []WorkNote // only from WorkItem
	CreatedAt time.Time
	UpdatedAt time.Time
}

// WorkNote is a note a person left on a work item.
type WorkNote struct {
	ID     int64
	At     time.Time
	Author string
	Text   string
}

// AddWorkItem queues a work item (status open unless given) and returns its id.
// When DedupKey is set and an item with it exists, it writes nothing and returns
// that item's id with isNew false.
func (c *Conn) AddWorkItem(ctx context.Context, it WorkItem) (id int64, isNew bool, err error) {
	if it.Status == "" {
		it.Status = WorkOpen
	}
	var key any
	if it.DedupKey != "" {
		key = it.DedupKey
	}
	err = c.inTx(ctx, func(w *Conn) error {
		now := w.st.now()
		var err error
		id, isNew, err = w.insertID(ctx, `INSERT INTO work_items (kind, dedup_key, claim_id, codes, field, message, assignee,
				status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING RETURNING id`,
			string(it.Kind), key, idArg(it.ClaimID), stringsArg(it.Codes), it.Field, it.Message, it.Assignee,
			string(it.Status), now, now)
		if err != nil || isNew {
			return err
		}
		return w.queryRow(ctx, "SELECT id FROM work_items WHERE dedup_key = ?", it.DedupKey).Scan(&id)
	})
	if err != nil {
		return 0, false, fmt.Errorf("queueing %s work item: %w", it.Kind, err)
	}
	return id, isNew, nil
}

const workColumns = "id, kind, dedup_key, claim_id, codes, field, message, assignee, status, created_at, updated_at"

func scanWork(sc interface{ Scan(...any) error }) (WorkItem, error) {
	var it WorkItem
	var kind, status string
	var key *string
	err := sc.Scan(&it.ID, &kind, &key, idDest{&it.ClaimID}, jsonDest{&it.Codes}, &it.Field, &it.Message, &it.Assignee,
		&status, timeDest{&it.CreatedAt}, timeDest{&it.UpdatedAt})
	it.Kind, it.Status = WorkKind(kind), WorkStatus(status)
	if key != nil {
		it.DedupKey = *key
	}
	return it, err
}

// WorkItem returns the work item with the id, with its notes.
func (c *Conn) WorkItem(ctx context.Context, id int64) (WorkItem, error) {
	it, err := scanWork(c.queryRow(ctx, "SELECT "+workColumns+" FROM work_items WHERE id = ?", id))
	if err != nil {
		return it, fmt.Errorf("reading work item: %w", notFound(err, "work item", id))
	}
	rows, err := c.query(ctx, "SELECT id, at, author, text FROM work_item_notes WHERE work_item_id = ? ORDER BY id", id)
	if err != nil {
		return it, fmt.Errorf("reading notes of work item %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var n WorkNote
		if err := rows.Scan(&n.ID, timeDest{&n.At}, &n.Author, &n.Text); err != nil {
			return it, fmt.Errorf("reading notes of work item %d: %w", id, err)
		}
		it.Notes = append(it.Notes, n)
	}
	return it, rows.Err()
}

// WorkFilter selects work items; zero fields select everything.
type WorkFilter struct {
	Kind     WorkKind
	Status   WorkStatus
	Assignee string
	ClaimID  int64
	AfterID  int64
	Limit    int // default 100
}

// WorkItems returns the items the filter selects, oldest first, without notes.
func (c *Conn) WorkItems(ctx context.Context, f WorkFilter) ([]WorkItem, error) {
	conds := []string{"id > ?"}
	args := []any{f.AfterID}
	add := func(col string, v any, set bool) {
		if set {
			conds = append(conds, col+" = ?")
			args = append(args, v)
		}
	}
	add("kind", string(f.Kind), f.Kind != "")
	add("status", string(f.Status), f.Status != "")
	add("assignee", f.Assignee, f.Assignee != "")
	add("claim_id", f.ClaimID, f.ClaimID != 0)
	if f.Limit <= 0 {
		f.Limit = 100
	}
	args = append(args, f.Limit)
	rows, err := c.query(ctx, "SELECT "+workColumns+" FROM work_items WHERE "+strings.Join(conds, " AND ")+" ORDER BY id LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("listing work items: %w", err)
	}
	defer rows.Close()
	var list []WorkItem
	for rows.Next() {
		it, err := scanWork(rows)
		if err != nil {
			return nil, fmt.Errorf("listing work items: %w", err)
		}
		list = append(list, it)
	}
	return list, rows.Err()
}

// AssignWorkItem gives the item to a person ("" to nobody).
func (c *Conn) AssignWorkItem(ctx context.Context, id int64, assignee string) error {
	return c.updateWork(ctx, id, "assigning", "assignee = ?", assignee)
}

// SetWorkStatus moves the item to a status.
func (c *Conn) SetWorkStatus(ctx context.Context, id int64, status WorkStatus) error {
	switch status {
	case WorkOpen, WorkInProgress, WorkResolved, WorkClosed:
	default:
		return fmt.Errorf("setting status of work item %d: %w: status %q", id, ErrInvalid, status)
	}
	return c.updateWork(ctx, id, "setting status of", "status = ?", string(status))
}

func (c *Conn) updateWork(ctx context.Context, id int64, doing, set string, v any) error {
	err := c.inTx(ctx, func(w *Conn) error {
		res, err := w.exec(ctx, "UPDATE work_items SET "+set+", updated_at = ? WHERE id = ?", v, w.st.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s work item %d: %w", doing, id, err)
	}
	return nil
}

// AddWorkNote adds a note to a work item and returns its id.
func (c *Conn) AddWorkNote(ctx context.Context, itemID int64, author, text string) (int64, error) {
	var id int64
	err := c.inTx(ctx, func(w *Conn) error {
		now := w.st.now()
		var err error
		id, _, err = w.insertID(ctx, "INSERT INTO work_item_notes (work_item_id, at, author, text) VALUES (?, ?, ?, ?) RETURNING id",
			itemID, now, author, text)
		if err != nil {
			return err
		}
		_, err = w.exec(ctx, "UPDATE work_items SET updated_at = ? WHERE id = ?", now, itemID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("adding note to work item %d: %w", itemID, err)
	}
	return id, nil
}
