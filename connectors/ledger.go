package connectors

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Ledger remembers what was sent and what was fetched, per clearinghouse account, so
// that a run after a crash neither sends a file twice nor takes a response twice.
// [FileLedger] keeps it in a file; storage provides a database one.
type Ledger interface {
	// UploadedBefore returns the receipt recorded for name, if any.
	UploadedBefore(ctx context.Context, account, name string) (Receipt, bool, error)
	// RecordUpload records a completed upload. It returns once the record is durable.
	RecordUpload(ctx context.Context, account string, r Receipt) error
	// Seen returns the download recorded for the remote file, keyed by its path, size
	// and modification time.
	Seen(ctx context.Context, account string, f RemoteFile) (Download, bool, error)
	// RecordDownload records a stored download. It returns once the record is durable.
	RecordDownload(ctx context.Context, account string, d Download) error
}

// Download is a remote file whose bytes are stored locally.
type Download struct {
	Remote RemoteFile `json:"remote"`
	SHA256 string     `json:"sha256"` // hex, of the stored bytes
	Stored string     `json:"stored"` // local path
	Time   time.Time  `json:"time"`
}

// FileLedger is a [Ledger] in a JSON-lines file: one record per line, appended and
// synced before a Record method returns, read back whole when opened. A line torn by
// a crash is cut off when the file is opened. One process uses a file at a time.
type FileLedger struct {
	mu        sync.Mutex
	f         *os.File
	size      int64 // bytes of whole records
	uploads   map[string]Receipt
	downloads map[string]Download
}

type ledgerLine struct {
	Op       string    `json:"op"` // "upload" or "download"
	Account  string    `json:"account"`
	Receipt  *Receipt  `json:"receipt,omitempty"`
	Download *Download `json:"download,omitempty"`
}

// OpenFileLedger opens the ledger file at path, creating it when absent.
func OpenFileLedger(path string) (*FileLedger, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening ledger: %w", err)
	}
	l := &FileLedger{f: f, uploads: map[string]Receipt{}, downloads: map[string]Download{}}
	if err := l.load(path); err != nil {
		f.Close()
		return nil, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

func (l *FileLedger) load(path string) error {
	data, err := io.ReadAll(l.f)
	if err != nil {
		return fmt.Errorf("reading ledger %s: %w", path, err)
	}
	good := bytes.LastIndexByte(data, '\n') + 1
	if good < len(data) {
		// A record torn by a crash: it was never acknowledged, drop it.
		if err := l.f.Truncate(int64(good)); err != nil {
			return fmt.Errorf("cutting torn record from ledger %s: %w", path, err)
		}
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("syncing ledger %s: %w", path, err)
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data[:good]))
	sc.Buffer(nil, len(data)+1)
	for n := 1; sc.Scan(); n++ {
		var rec ledgerLine
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("ledger %s line %d: %w", path, n, err)
		}
		switch {
		case rec.Op == "upload" && rec.Receipt != nil:
			l.uploads[uploadKey(rec.Account, rec.Receipt.Name)] = *rec.Receipt
		case rec.Op == "download" && rec.Download != nil:
			l.downloads[downloadKey(rec.Account, rec.Download.Remote)] = *rec.Download
		default:
			return fmt.Errorf("ledger %s line %d: unknown record %q", path, n, rec.Op)
		}
	}
	l.size = int64(good)
	if _, err := l.f.Seek(l.size, io.SeekStart); err != nil {
		return fmt.Errorf("seeking ledger %s: %w", path, err)
	}
	return nil
}

func uploadKey(account, name string) string { return account + "\x00" + name }

func downloadKey(account string, f RemoteFile) string {
	return account + "\x00" + f.Path + "\x00" + strconv.FormatInt(f.Size, 10) + "\x00" +
		strconv.FormatInt(f.ModTime.UnixNano(), 10)
}

// UploadedBefore implements [Ledger].
func (l *FileLedger) UploadedBefore(_ context.Context, account, name string) (Receipt, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.uploads[uploadKey(account, name)]
	return r, ok, nil
}

// RecordUpload implements [Ledger].
func (l *FileLedger) RecordUpload(_ context.Context, account string, r Receipt) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.append(ledgerLine{Op: "upload", Account: account, Receipt: &r}); err != nil {
		return err
	}
	l.uploads[uploadKey(account, r.Name)] = r
	return nil
}

// Seen implements [Ledger].
func (l *FileLedger) Seen(_ context.Context, account string, f RemoteFile) (Download, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.downloads[downloadKey(account, f)]
	return d, ok, nil
}

// RecordDownload implements [Ledger].
func (l *FileLedger) RecordDownload(_ context.Context, account string, d Download) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.append(ledgerLine{Op: "download", Account: account, Download: &d}); err != nil {
		return err
	}
	l.downloads[downloadKey(account, d.Remote)] = d
	return nil
}

func (l *FileLedger) append(rec ledgerLine) error {
	if l.f == nil {
		return errors.New("ledger is closed")
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encoding ledger record: %w", err)
	}
	line = append(line, '\n')
	if _, err := l.f.Write(line); err != nil {
		// Take a partly written record back so that the next one starts a line.
		if terr := l.f.Truncate(l.size); terr == nil {
			_, _ = l.f.Seek(l.size, io.SeekStart)
		}
		return fmt.Errorf("writing ledger record: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("syncing ledger: %w", err)
	}
	l.size += int64(len(line))
	return nil
}

// Close closes the file. It is idempotent.
func (l *FileLedger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// syncDir makes a directory's entries (a created or renamed file) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening %s to sync: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
