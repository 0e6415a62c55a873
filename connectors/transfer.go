package connectors

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Send uploads r's content under name exactly once per account: a name the ledger
// has a receipt for is not sent again (the recorded receipt comes back with Earlier
// set), and a receipt is recorded only after the connector confirmed the upload.
//
// What is left: a crash after the server renamed the file and before the ledger
// recorded it is covered by the connector's check for a final file of the same
// content; but if the clearinghouse has already picked that file up (it is gone from
// the upload folder) when the retry looks, the file is sent a second time. The
// clearinghouse then answers with a TA1 for a duplicate ISA13, which the
// acknowledgement stage expects.
func Send(ctx context.Context, c Connector, l Ledger, account, name string, r io.ReadSeeker) (Receipt, error) {
	size, sum, err := hashSeeker(r)
	if err != nil {
		return Receipt{}, fmt.Errorf("sending %s: reading the file: %w", name, err)
	}
	prev, ok, err := l.UploadedBefore(ctx, account, name)
	if err != nil {
		return Receipt{}, fmt.Errorf("sending %s: reading the ledger: %w", name, err)
	}
	if ok {
		if prev.SHA256 != sum {
			return Receipt{}, fmt.Errorf("sending %s: sent before with sha256 %s, now %s: %w", name, prev.SHA256, sum, ErrExists)
		}
		prev.Earlier = true
		return prev, nil
	}
	rec, err := c.Upload(ctx, name, r, size)
	if err != nil {
		return Receipt{}, fmt.Errorf("sending %s: %w", name, err)
	}
	if rec.SHA256 != sum || rec.Bytes != size {
		return Receipt{}, fmt.Errorf("sending %s: uploaded %d bytes sha256 %s, file has %d bytes sha256 %s (changed while sending?)",
			name, rec.Bytes, rec.SHA256, size, sum)
	}
	if err := l.RecordUpload(ctx, account, rec); err != nil {
		return Receipt{}, fmt.Errorf("sending %s: uploaded but not recorded: %w", name, err)
	}
	return rec, nil
}

func hashSeeker(r io.ReadSeeker) (int64, string, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return 0, "", err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Pull fetches every file in the connector's inbound folders that the ledger has not
// seen, stores its raw bytes in dir as <sha256>.x12 (written to a temporary file,
// synced, renamed), records it, and only then disposes of the remote file (Done,
// which leaves a file that changed since it was listed, for a later Pull). Files
// seen before are not fetched again, but are disposed of again when still listed,
// which finishes the work of a run that stopped between recording and Done.
//
// It returns the files stored in this run. A failure on one file does not stop the
// others, except failures of trust, authentication or the context; all failures are
// returned joined.
func Pull(ctx context.Context, c Connector, l Ledger, account, dir string) ([]Download, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating inbox %s: %w", dir, err)
	}
	files, err := c.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing inbound files: %w", err)
	}
	var stored []Download
	var errs []error
	for _, f := range files {
		d, isNew, err := pullOne(ctx, c, l, account, dir, f)
		if isNew {
			stored = append(stored, d) // stored and recorded, even when Done failed
		}
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil || errors.Is(err, ErrAuth) || errors.Is(err, ErrHostKey) {
				break
			}
		}
	}
	return stored, errors.Join(errs...)
}

func pullOne(ctx context.Context, c Connector, l Ledger, account, dir string, f RemoteFile) (Download, bool, error) {
	if d, seen, err := l.Seen(ctx, account, f); err != nil {
		return Download{}, false, fmt.Errorf("fetching %s: reading the ledger: %w", f.Path, err)
	} else if seen {
		if err := c.Done(ctx, f); err != nil {
			return d, false, fmt.Errorf("disposing of %s (fetched before): %w", f.Path, err)
		}
		return d, false, nil
	}
	path, sum, err := store(ctx, c, dir, f)
	if err != nil {
		return Download{}, false, err
	}
	d := Download{Remote: f, SHA256: sum, Stored: path, Time: time.Now().UTC()}
	if err := l.RecordDownload(ctx, account, d); err != nil {
		return Download{}, false, fmt.Errorf("fetching %s: stored as %s but not recorded: %w", f.Path, path, err)
	}
	if err := c.Done(ctx, f); err != nil {
		return d, true, fmt.Errorf("disposing of %s (stored as %s): %w", f.Path, path, err)
	}
	return d, true, nil
}

// store fetches f into dir and returns the stored path and the sha256 of the bytes.
func store(ctx context.Context, c Connector, dir string, f RemoteFile) (string, string, error) {
	tmp, err := os.CreateTemp(dir, ".fetch-*")
	if err != nil {
		return "", "", fmt.Errorf("fetching %s: %w", f.Path, err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // gone already when renamed
	}()
	if err := c.Fetch(ctx, f, tmp); err != nil {
		return "", "", fmt.Errorf("fetching %s: %w", f.Path, err)
	}
	if err := tmp.Sync(); err != nil {
		return "", "", fmt.Errorf("fetching %s: syncing: %w", f.Path, err)
	}
	n, sum, err := hashSeeker(tmp)
	if err != nil {
		return "", "", fmt.Errorf("fetching %s: hashing: %w", f.Path, err)
	}
	if n != f.Size {
		return "", "", fmt.Errorf("fetching %s: stored %d bytes, listed %d", f.Path, n, f.Size)
	}
	path := filepath.Join(dir, sum+".x12")
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", "", fmt.Errorf("fetching %s: %w", f.Path, err)
	}
	if err := syncDir(dir); err != nil {
		return "", "", fmt.Errorf("fetching %s: %w", f.Path, err)
	}
	return path, sum, nil
}

// CopyHashing copies r to w, checking ctx between chunks, and returns the count and
// the hex sha256 of the bytes: what a transport reports in a Receipt.
func CopyHashing(ctx context.Context, w io.Writer, r io.Reader) (int64, string, error) {
	h := sha256.New()
	buf := make([]byte, 64<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, "", err
		}
		m, rerr := r.Read(buf)
		if m > 0 {
			h.Write(buf[:m])
			if _, err := w.Write(buf[:m]); err != nil {
				return n, "", err
			}
			n += int64(m)
		}
		if rerr == io.EOF {
			return n, hex.EncodeToString(h.Sum(nil)), nil
		}
		if rerr != nil {
			return n, "", rerr
		}
	}
}
