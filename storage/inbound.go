package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// InboundStatus is where a received file is.
type InboundStatus string

// The inbound statuses.
const (
	InboundNew         InboundStatus = "new"
	InboundProcessed   InboundStatus = "processed"
	InboundQuarantined InboundStatus = "quarantined"
)

// InboundFile is a file fetched from a clearinghouse, kept byte for byte.
type InboundFile struct {
	ID          int64
	SHA256      string // hex of the content, unique: the same file is stored once
	Source      string // the clearinghouse or directory
	Name        string
	Kind        string // ta1, 999, 277ca, 835 or unknown
	Status      InboundStatus
	Reason      string // why it was quarantined
	Size        int64
	Content     []byte // only from InboundFile; lists leave it nil
	ReceivedAt  time.Time
	ProcessedAt time.Time
}

// InsertInboundFile stores a received file with its SHA-256 and returns its id. When
// a file with the same content is stored already it writes nothing and returns that
// file's id with isNew false.
func (c *Conn) InsertInboundFile(ctx context.Context, f InboundFile) (id int64, isNew bool, err error) {
	sum := sha256.Sum256(f.Content)
	f.SHA256 = hex.EncodeToString(sum[:])
	if f.Kind == "" {
		f.Kind = "unknown"
	}
	if f.Content == nil {
		f.Content = []byte{}
	}
	err = c.inTx(ctx, func(w *Conn) error {
		var err error
		id, isNew, err = w.insertID(ctx, `INSERT INTO inbound_files (sha256, source, name, kind, status, size, content, received_at)
			VALUES (?, ?, ?, ?, 'new', ?, ?, ?) ON CONFLICT (sha256) DO NOTHING RETURNING id`,
			f.SHA256, f.Source, f.Name, f.Kind, int64(len(f.Content)), f.Content, w.st.now())
		if err != nil || isNew {
			return err
		}
		return w.queryRow(ctx, "SELECT id FROM inbound_files WHERE sha256 = ?", f.SHA256).Scan(&id)
	})
	if err != nil {
		return 0, false, fmt.Errorf("storing inbound file %s: %w", f.Name, err)
	}
	return id, isNew, nil
}

const inboundColumns = "id, sha256, source, name, kind, status, reason, size, received_at, processed_at"

func scanInbound(sc interface{ Scan(...any) error }, extra ...any) (InboundFile, error) {
	var f InboundFile
	var status string
	dest := append([]any{&f.ID, &f.SHA256, &f.Source, &f.Name, &f.Kind, &status, &f.Reason, &f.Size,
		timeDest{&f.ReceivedAt}, timeDest{&f.ProcessedAt}}, extra...)
	err := sc.Scan(dest...)
	f.Status = InboundStatus(status)
	return f, err
}

// InboundFile returns the file with the id, with its content.
func (c *Conn) InboundFile(ctx context.Context, id int64) (InboundFile, error) {
	var content []byte
	f, err := scanInbound(c.queryRow(ctx, "SELECT "+inboundColumns+", content FROM inbound_files WHERE id = ?", id), &content)
	if err != nil {
		return f, fmt.Errorf("reading inbound file: %w", notFound(err, "inbound file", id))
	}
	if content == nil {
		content = []byte{}
	}
	f.Content = content
	return f, nil
}

// InboundFiles returns up to limit files in the status, oldest first, after afterID,
// without their content.
func (c *Conn) InboundFiles(ctx context.Context, status InboundStatus, afterID int64, limit int) ([]InboundFile, error) {
	rows, err := c.query(ctx, "SELECT "+inboundColumns+" FROM inbound_files WHERE status = ? AND id > ? ORDER BY id LIMIT ?",
		string(status), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing %s inbound files: %w", status, err)
	}
	defer rows.Close()
	var list []InboundFile
	for rows.Next() {
		f, err := scanInbound(rows)
		if err != nil {
			return nil, fmt.Errorf("listing %s inbound files: %w", status, err)
		}
		list = append(list, f)
	}
	return list, rows.Err()
}

// SetInboundKind records what a file turned out to be (ta1, 999, 277ca, 835).
func (c *Conn) SetInboundKind(ctx context.Context, id int64, kind string) error {
	return c.updateInbound(ctx, id, "kind", "UPDATE inbound_files SET kind = ? WHERE id = ?", kind, id)
}

// MarkInboundProcessed records that a file was handled completely.
func (c *Conn) MarkInboundProcessed(ctx context.Context, id int64) error {
	return c.updateInbound(ctx, id, "processed",
		"UPDATE inbound_files SET status = 'processed', reason = '', processed_at = ? WHERE id = ?", c.st.now(), id)
}

// QuarantineInbound sets a file aside with the reason (it failed balancing, cannot be
// parsed...). The reason must not quote PHI.
func (c *Conn) QuarantineInbound(ctx context.Context, id int64, reason string) error {
	return c.updateInbound(ctx, id, "quarantined",
		"UPDATE inbound_files SET status = 'quarantined', reason = ?, processed_at = ? WHERE id = ?", reason, c.st.now(), id)
}

func (c *Conn) updateInbound(ctx context.Context, id int64, what, q string, args ...any) error {
	err := c.inTx(ctx, func(w *Conn) error {
		res, err := w.exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("marking inbound file %d %s: %w", id, what, err)
	}
	return nil
}
