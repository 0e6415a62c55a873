package connectors_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/claimflow/claimflow/connectors"
)

func TestFileLedgerSurvivesReopenAndTornRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	l, err := connectors.OpenFileLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := connectors.Receipt{Name: "a.txt", RemotePath: "out/a.txt", Bytes: 10, SHA256: "ab", Time: time.Now().UTC()}
	if err := l.RecordUpload(ctx, "acct", rec); err != nil {
		t.Fatal(err)
	}
	f := connectors.RemoteFile{Path: "in/x.999", Name: "x.999", Size: 5, ModTime: time.Unix(1700000000, 0).UTC()}
	if err := l.RecordDownload(ctx, "acct", connectors.Download{Remote: f, SHA256: "cd", Stored: "/s/cd.x12"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// A crash in the middle of a record.
	fh, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString(`{"op":"upload","account":"acct","receipt":{"name":"b.t`)
	fh.Close()

	l, err = connectors.OpenFileLedger(path)
	if err != nil {
		t.Fatalf("reopening after a torn record: %v", err)
	}
	defer l.Close()
	if got, ok, _ := l.UploadedBefore(ctx, "acct", "a.txt"); !ok || got.SHA256 != "ab" {
		t.Errorf("upload record lost: %+v %v", got, ok)
	}
	if _, ok, _ := l.UploadedBefore(ctx, "other", "a.txt"); ok {
		t.Error("upload record leaks across accounts")
	}
	if _, ok, _ := l.UploadedBefore(ctx, "acct", "b.t"); ok {
		t.Error("torn record read back")
	}
	if d, ok, _ := l.Seen(ctx, "acct", f); !ok || d.SHA256 != "cd" {
		t.Errorf("download record lost: %+v %v", d, ok)
	}
	changed := f
	changed.Size = 6
	if _, ok, _ := l.Seen(ctx, "acct", changed); ok {
		t.Error("a file of another size counts as seen")
	}
	// Records after the torn one start on their own line.
	if err := l.RecordUpload(ctx, "acct", connectors.Receipt{Name: "c.txt", SHA256: "ef"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l2, err := connectors.OpenFileLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if _, ok, _ := l2.UploadedBefore(ctx, "acct", "c.txt"); !ok {
		t.Error("record after a torn one lost")
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fast := connectors.Backoff{Attempts: 4, Base: time.Millisecond, Max: 4 * time.Millisecond}
	for _, tc := range []struct {
		name  string
		err   error
		tries int
	}{
		{"transient", fmt.Errorf("reset: %w", connectors.ErrTransient), 4},
		{"auth", fmt.Errorf("refused: %w", connectors.ErrAuth), 1},
		{"host key", fmt.Errorf("changed: %w", connectors.ErrHostKey), 1},
		{"other", errors.New("no such file"), 1},
	} {
		n := 0
		err := connectors.Retry(ctx, fast, func(context.Context) error { n++; return tc.err })
		if n != tc.tries || !errors.Is(err, tc.err) {
			t.Errorf("%s: %d tries, %v; want %d", tc.name, n, err, tc.tries)
		}
	}
	n := 0
	err := connectors.Retry(ctx, fast, func(context.Context) error {
		if n++; n < 3 {
			return connectors.ErrTransient
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Errorf("recovering op: %d tries, %v", n, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	err = connectors.Retry(cctx, connectors.Backoff{Attempts: 10, Base: time.Second}, func(context.Context) error { return connectors.ErrTransient })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Retry past its context: %v", err)
	}
}

func TestLayoutNames(t *testing.T) {
	t.Parallel()
	l := connectors.Layout{
		UploadDir: "SendFiles", TempSuffix: ".part",
		NamePattern: regexp.MustCompile(`^[A-Za-z0-9_.]+$`),
		Inbound:     []connectors.Inbound{{Dir: "ReceiveFiles", Subdirs: true}, {Dir: "SendFiles", Match: regexp.MustCompile(`-success$`)}},
	}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ok_1.txt", "A.837"} {
		if err := l.CheckName(name); err != nil {
			t.Errorf("CheckName(%q): %v", name, err)
		}
	}
	for _, name := range []string{"", "..", "a/b", `a\b`, "a.part", "a-b"} {
		if err := l.CheckName(name); !errors.Is(err, connectors.ErrNotAllowed) {
			t.Errorf("CheckName(%q): %v", name, err)
		}
	}
	for p, want := range map[string]bool{
		"ReceiveFiles/x.835":            true,
		"ReceiveFiles/741111111/x.835":  true,
		"ReceiveFiles/a/b/x.835":        false,
		"ReceiveFiles/../SendFiles/x":   false,
		"SendFiles/x-1-success":         true,
		"SendFiles/ok_1.txt":            false,
		"Other/x.835":                   false,
		"ReceiveFiles":                  false,
		"ReceiveFiles/./x.835":          false,
		"ReceiveFiles/../ReceiveFiles/": false,
	} {
		if got := connectors.InInbound(l, p); got != want {
			t.Errorf("InInbound(%q) = %v, want %v", p, got, want)
		}
	}
	bad := l
	bad.After, bad.ArchiveDir = connectors.Archive, ""
	if bad.Validate() == nil {
		t.Error("archive without a folder validated")
	}
}
