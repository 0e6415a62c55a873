package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
)

// inboundChunk is how many bytes of an inbound file's content one query reads.
const inboundChunk = 1 << 20

// InboundContent returns a reader of the content of the inbound file with the id
// that fetches it a megabyte at a time, so that a large file is read in bounded
// memory (InboundFile loads it whole), and the content's size. The reader reads
// through c: on a Tx, inside that transaction.
//
// A file is stored in chunks of a megabyte (inbound_file_chunks), its row's content
// left empty; a file stored before those (migration 0017) has its bytes in the
// row's content, read a megabyte at a time with substr.
func (c *Conn) InboundContent(ctx context.Context, id int64) (io.Reader, int64, error) {
	var size, inline int64
	if err := c.queryRow(ctx, "SELECT size, length(content) FROM inbound_files WHERE id = ?", id).Scan(&size, &inline); err != nil {
		return nil, 0, fmt.Errorf("reading inbound file: %w", notFound(err, "inbound file", id))
	}
	return &inboundReader{c: c, ctx: ctx, id: id, size: size, chunked: inline == 0}, size, nil
}

type inboundReader struct {
	c       *Conn
	ctx     context.Context
	id      int64
	size    int64
	chunked bool   // in inbound_file_chunks, else in inbound_files.content
	off     int64  // bytes of the content fetched so far
	seq     int    // the next chunk (chunked)
	buf     []byte // fetched, not yet read
	err     error  // the first error of the store, kept for ReadError
}

// ReadError returns the error a reader from InboundContent met reading the store
// (a lost connection, a canceled context, a missing chunk), or nil. A parser that
// reads through it reports such an error as its own: a file that looks unreadable
// because the database failed must not be quarantined.
func ReadError(r io.Reader) error {
	if ir, ok := r.(*inboundReader); ok {
		return ir.err
	}
	return nil
}

func (r *inboundReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		if r.off >= r.size {
			return 0, io.EOF
		}
		var chunk []byte
		var err error
		if r.chunked {
			err = r.c.queryRow(r.ctx, "SELECT data FROM inbound_file_chunks WHERE file_id = ? AND seq = ?", r.id, r.seq).Scan(&chunk)
			if errors.Is(err, sql.ErrNoRows) {
				err = io.ErrUnexpectedEOF
			}
		} else {
			q := "SELECT substr(content, ?, ?) FROM inbound_files WHERE id = ?"
			if r.c.st.driver == Postgres {
				q = "SELECT substring(content from ? for ?) FROM inbound_files WHERE id = ?"
			}
			err = r.c.queryRow(r.ctx, q, r.off+1, inboundChunk, r.id).Scan(&chunk)
		}
		if err == nil && (len(chunk) == 0 || int64(len(chunk)) > r.size-r.off) {
			err = fmt.Errorf("%d bytes where %d were left: %w", len(chunk), r.size-r.off, io.ErrUnexpectedEOF)
		}
		if err != nil {
			r.err = fmt.Errorf("reading inbound file %d at byte %d: %w", r.id, r.off, err)
			return 0, r.err
		}
		r.off += int64(len(chunk))
		r.seq++
		r.buf = chunk
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// InboundState returns the status of the inbound file with the id, and why it was
// quarantined.
func (c *Conn) InboundState(ctx context.Context, id int64) (InboundStatus, string, error) {
	var status, reason string
	if err := c.queryRow(ctx, "SELECT status, reason FROM inbound_files WHERE id = ?", id).Scan(&status, &reason); err != nil {
		return "", "", fmt.Errorf("reading inbound file: %w", notFound(err, "inbound file", id))
	}
	return InboundStatus(status), reason, nil
}
