package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
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
	Content     []byte // only from InboundFile; lists and InboundFileInfo leave it nil
	ReceivedAt  time.Time
	ProcessedAt time.Time
}

// InsertInboundFile stores a received file, f.Content, with its SHA-256 and returns
// its id. When a file with the same content is stored already it writes nothing and
// returns that file's id with isNew false. It stores the bytes as
// InsertInboundFileFrom does; a file too big to hold in memory is stored with that.
func (c *Conn) InsertInboundFile(ctx context.Context, f InboundFile) (id int64, isNew bool, err error) {
	sum := sha256.Sum256(f.Content)
	f.SHA256 = hex.EncodeToString(sum[:])
	content := f.Content
	f.Content = nil
	return c.InsertInboundFileFrom(ctx, f, bytes.NewReader(content))
}

// InsertInboundFileFrom stores a received file whose content is r, from its start
// to its end, with its SHA-256, in memory bounded by a chunk (a megabyte) whatever
// the file's size, and returns its id; f.Content is not used. When a file with the
// same content is stored already it writes nothing more and returns that file's id
// with isNew false.
//
// f.SHA256, when set, is taken as the hex SHA-256 of the content, which a caller
// that hashed the file already (fetch) need not have read again; when empty, r is
// read once to compute it. The file's row and its chunks (inbound_file_chunks, a
// megabyte each) are written in one transaction, c's own or a new one, and the
// content is hashed again as it is written: a content that does not match its
// SHA-256 (a wrong f.SHA256, a file changed while being stored) is an error wrapping
// ErrInvalid and nothing is stored.
func (c *Conn) InsertInboundFileFrom(ctx context.Context, f InboundFile, r io.ReadSeeker) (id int64, isNew bool, err error) {
	id, isNew, err = c.insertInboundFile(ctx, f, r)
	if err != nil {
		return 0, false, fmt.Errorf("storing inbound file %s: %w", f.Name, err)
	}
	return id, isNew, nil
}

func (c *Conn) insertInboundFile(ctx context.Context, f InboundFile, r io.ReadSeeker) (id int64, isNew bool, err error) {
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, false, fmt.Errorf("reading the content's size: %w", err)
	}
	if f.SHA256 == "" {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return 0, false, fmt.Errorf("hashing the content: %w", err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			return 0, false, fmt.Errorf("hashing the content: %w", err)
		}
		f.SHA256 = hex.EncodeToString(h.Sum(nil))
	} else if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != sha256.Size {
		return 0, false, fmt.Errorf("%w: sha256 %q is not 64 hex digits", ErrInvalid, f.SHA256)
	} else {
		f.SHA256 = hex.EncodeToString(b)
	}
	if f.Kind == "" {
		f.Kind = "unknown"
	}
	err = c.inTx(ctx, func(w *Conn) error {
		// The content column stays empty: the bytes go to inbound_file_chunks, and the
		// readers know them there by an empty content of a non-zero size.
		var err error
		id, isNew, err = w.insertID(ctx, `INSERT INTO inbound_files (sha256, source, name, kind, status, size, content, received_at)
			VALUES (?, ?, ?, ?, 'new', ?, ?, ?) ON CONFLICT (sha256) DO NOTHING RETURNING id`,
			f.SHA256, f.Source, f.Name, f.Kind, size, []byte{}, w.st.now())
		if err != nil {
			return err
		}
		if !isNew {
			return w.queryRow(ctx, "SELECT id FROM inbound_files WHERE sha256 = ?", f.SHA256).Scan(&id)
		}
		return w.insertInboundChunks(ctx, id, size, f.SHA256, r)
	})
	return id, isNew, err
}

// insertInboundChunks writes the content of file id, size bytes from the start of r,
// a chunk a row, and checks it against its SHA-256.
func (c *Conn) insertInboundChunks(ctx context.Context, id, size int64, sum string, r io.ReadSeeker) error {
	if _, err := r.Seek(0, io.SeekStart); err != nil { // a transaction run again reads it again
		return fmt.Errorf("reading the content: %w", err)
	}
	buf := make([]byte, min(size, inboundChunk))
	h := sha256.New()
	var n int64
	for seq := 0; n < size; seq++ {
		k, err := io.ReadFull(r, buf[:min(size-n, inboundChunk)])
		if err != nil {
			return fmt.Errorf("reading the content at byte %d of %d: %w", n+int64(k), size, err)
		}
		h.Write(buf[:k])
		if _, err := c.exec(ctx, "INSERT INTO inbound_file_chunks (file_id, seq, data) VALUES (?, ?, ?)", id, seq, buf[:k]); err != nil {
			return fmt.Errorf("storing the content at byte %d: %w", n, err)
		}
		n += int64(k)
	}
	if k, _ := r.Read(make([]byte, 1)); k != 0 {
		return fmt.Errorf("%w: the content grew past %d bytes while being stored", ErrInvalid, size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("%w: the content's sha256 is %s, not %s", ErrInvalid, got, sum)
	}
	return nil
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

// InboundFile returns the file with the id, with its content, which it loads
// whole: InboundContent reads a file of any size in bounded memory, and
// InboundFileInfo returns the file without its content.
func (c *Conn) InboundFile(ctx context.Context, id int64) (InboundFile, error) {
	var content []byte
	f, err := scanInbound(c.queryRow(ctx, "SELECT "+inboundColumns+", content FROM inbound_files WHERE id = ?", id), &content)
	if err != nil {
		return f, fmt.Errorf("reading inbound file: %w", notFound(err, "inbound file", id))
	}
	if len(content) == 0 && f.Size > 0 { // stored in chunks
		content = make([]byte, f.Size)
		r := &inboundReader{c: c, ctx: ctx, id: id, size: f.Size, chunked: true}
		if _, err := io.ReadFull(r, content); err != nil {
			return f, err
		}
	}
	if content == nil {
		content = []byte{}
	}
	f.Content = content
	return f, nil
}

// InboundFileInfo returns the file with the id without its content (Content nil).
func (c *Conn) InboundFileInfo(ctx context.Context, id int64) (InboundFile, error) {
	f, err := scanInbound(c.queryRow(ctx, "SELECT "+inboundColumns+" FROM inbound_files WHERE id = ?", id))
	if err != nil {
		return f, fmt.Errorf("reading inbound file: %w", notFound(err, "inbound file", id))
	}
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
