package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The transfer ledger: what was uploaded to and downloaded from each clearinghouse
// account, so that a run after a crash neither sends a file twice nor takes a
// response twice. The pipeline adapts it to connectors.Ledger, writing each record
// in the transaction that also records what the transfer means (a submission
// transmitted, an inbound file stored).

// Upload is a completed upload of a file to a clearinghouse account.
type Upload struct {
	Account    string
	Name       string // the final remote name, unique per account
	RemotePath string
	Bytes      int64
	SHA256     string // hex
	UploadedAt time.Time
}

// Download is a remote file whose bytes are stored locally.
type Download struct {
	Account    string
	RemotePath string
	Size       int64
	ModTime    time.Time // with Account, RemotePath and Size: the file's identity
	Name       string
	SHA256     string // hex, of the stored bytes
	Stored     string // local path
	FetchedAt  time.Time
}

// RecordUpload records a completed upload. Recording the same one again (same
// account, name and hash) does nothing; another hash under a recorded name is
// refused (ErrDuplicate).
func (c *Conn) RecordUpload(ctx context.Context, u Upload) error {
	err := c.inTx(ctx, func(w *Conn) error {
		_, ok, err := w.insertID(ctx, `INSERT INTO transfer_uploads (account, name, remote_path, bytes, sha256, uploaded_at, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, name) DO NOTHING RETURNING bytes`,
			u.Account, u.Name, u.RemotePath, u.Bytes, u.SHA256, timeArg(orNow(u.UploadedAt, w)), w.st.now())
		if err != nil || ok {
			return err
		}
		prev, found, err := w.UploadRecord(ctx, u.Account, u.Name)
		if err != nil {
			return err
		}
		if found && prev.SHA256 != u.SHA256 {
			return fmt.Errorf("%w: %s was uploaded before with sha256 %s", ErrDuplicate, u.Name, prev.SHA256)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording upload of %s to %s: %w", u.Name, u.Account, err)
	}
	return nil
}

// UploadRecord returns the upload recorded under a name, and false when none is.
func (c *Conn) UploadRecord(ctx context.Context, account, name string) (Upload, bool, error) {
	u := Upload{Account: account, Name: name}
	err := c.queryRow(ctx, `SELECT remote_path, bytes, sha256, uploaded_at FROM transfer_uploads WHERE account = ? AND name = ?`,
		account, name).Scan(&u.RemotePath, &u.Bytes, &u.SHA256, timeDest{&u.UploadedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return Upload{}, false, nil
	}
	if err != nil {
		return Upload{}, false, fmt.Errorf("reading upload record of %s at %s: %w", name, account, err)
	}
	return u, true, nil
}

// RecordDownload records a stored download. Recording the same remote file again
// does nothing.
func (c *Conn) RecordDownload(ctx context.Context, d Download) error {
	err := c.inTx(ctx, func(w *Conn) error {
		_, err := w.exec(ctx, `INSERT INTO transfer_downloads (account, remote_path, size, mtime_ns, name, sha256, stored, fetched_at, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, remote_path, size, mtime_ns) DO NOTHING`,
			d.Account, d.RemotePath, d.Size, d.ModTime.UnixNano(), d.Name, d.SHA256, d.Stored,
			timeArg(orNow(d.FetchedAt, w)), w.st.now())
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("recording download of %s from %s: %w", d.RemotePath, d.Account, err)
	}
	return nil
}

// DownloadRecord returns the download recorded for a remote file, by its path, size
// and modification time, and false when none is.
func (c *Conn) DownloadRecord(ctx context.Context, account, remotePath string, size int64, modTime time.Time) (Download, bool, error) {
	d := Download{Account: account, RemotePath: remotePath, Size: size, ModTime: modTime}
	err := c.queryRow(ctx, `SELECT name, sha256, stored, fetched_at FROM transfer_downloads
		WHERE account = ? AND remote_path = ? AND size = ? AND mtime_ns = ?`,
		account, remotePath, size, modTime.UnixNano()).Scan(&d.Name, &d.SHA256, &d.Stored, timeDest{&d.FetchedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return Download{}, false, nil
	}
	if err != nil {
		return Download{}, false, fmt.Errorf("reading download record of %s at %s: %w", remotePath, account, err)
	}
	return d, true, nil
}

func orNow(t time.Time, w *Conn) time.Time {
	if t.IsZero() {
		return w.st.now()
	}
	return t
}
