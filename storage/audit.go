package storage

import (
	"context"
	"fmt"
	"time"
)

// AuditAction is what was done with PHI.
type AuditAction string

// The audit actions.
const (
	AuditRead   AuditAction = "read"
	AuditChange AuditAction = "change"
)

// AuditRecord says who read or changed which protected health information of whom:
// the names of the fields, never their values.
type AuditRecord struct {
	ID          int64
	At          time.Time
	Actor       string
	Action      AuditAction
	SubjectKind string // patient, claim, remittance...
	SubjectID   int64
	Fields      []string // "patient.birth_date", "coverages[0].member_id"
	Purpose     string   // why: "statement", "rejection work", "patient call"
}

// WriteAudit records an access to PHI and returns the record's id.
func (c *Conn) WriteAudit(ctx context.Context, r AuditRecord) (int64, error) {
	if r.Actor == "" || r.SubjectKind == "" || (r.Action != AuditRead && r.Action != AuditChange) {
		return 0, fmt.Errorf("writing audit record: %w: actor, subject and action (read or change) are required", ErrInvalid)
	}
	var id int64
	err := c.inTx(ctx, func(w *Conn) error {
		at := r.At
		if at.IsZero() {
			at = w.st.now()
		}
		var err error
		id, _, err = w.insertID(ctx, `INSERT INTO audit_log (at, actor, action, subject_kind, subject_id, fields, purpose)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, at.UTC(), r.Actor, string(r.Action), r.SubjectKind, r.SubjectID,
			stringsArg(r.Fields), r.Purpose)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("writing audit record of %s %d: %w", r.SubjectKind, r.SubjectID, err)
	}
	return id, nil
}

// AuditFilter selects audit records: by subject, by actor, or both.
type AuditFilter struct {
	SubjectKind string
	SubjectID   int64
	Actor       string
	Since       time.Time
	Limit       int // default 1000
}

// AuditLog returns the records the filter selects, oldest first.
func (c *Conn) AuditLog(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	q := "SELECT id, at, actor, action, subject_kind, subject_id, fields, purpose FROM audit_log WHERE at >= ?"
	since := f.Since
	if since.IsZero() {
		since = time.Unix(0, 0)
	}
	args := []any{since.UTC()}
	if f.SubjectKind != "" {
		q += " AND subject_kind = ? AND subject_id = ?"
		args = append(args, f.SubjectKind, f.SubjectID)
	}
	if f.Actor != "" {
		q += " AND actor = ?"
		args = append(args, f.Actor)
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	args = append(args, f.Limit)
	rows, err := c.query(ctx, q+" ORDER BY id LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("reading audit log: %w", err)
	}
	defer rows.Close()
	var list []AuditRecord
	for rows.Next() {
		var r AuditRecord
		var action string
		if err := rows.Scan(&r.ID, timeDest{&r.At}, &r.Actor, &action, &r.SubjectKind, &r.SubjectID, jsonDest{&r.Fields},
			&r.Purpose); err != nil {
			return nil, fmt.Errorf("reading audit log: %w", err)
		}
		r.Action = AuditAction(action)
		list = append(list, r)
	}
	return list, rows.Err()
}
