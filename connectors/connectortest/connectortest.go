// Package connectortest is the behavioural suite every [connectors.Connector] must
// pass: the local connector, the SFTP connector against a real OpenSSH server, and the
// clearinghouse simulator. A transport supplies a [Factory]:
//
//	func TestSuite(t *testing.T) {
//		connectortest.Run(t, func(t *testing.T, l connectors.Layout) connectortest.Harness {
//			root := t.TempDir()
//			c, err := local.New(root, l)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return connectortest.Harness{Conn: c, Remote: connectortest.DirRemote(root)}
//		})
//	}
package connectortest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/connectors"
)

// Remote is the clearinghouse's side of the folders, seen directly (not through the
// connector): where the suite puts response files and looks at what was uploaded.
// Folder names are the layout's, as the suite gave them to the factory.
type Remote interface {
	// Put writes a file into a remote folder (created when missing) with a
	// modification time.
	Put(t *testing.T, dir, name string, data []byte, mtime time.Time)
	// Files returns the regular files in a remote folder by name (nil when the folder
	// does not exist).
	Files(t *testing.T, dir string) map[string][]byte
}

// Harness is a connector under test and its remote side.
type Harness struct {
	Conn   connectors.Connector
	Remote Remote
}

// Factory returns a fresh connector with the layout, over empty remote folders that
// exist (the upload and inbound folders; the archive folder may be absent). The suite
// closes the connector.
type Factory func(t *testing.T, l connectors.Layout) Harness

// Folder names the suite uses in its layouts.
const (
	Out     = "out"
	In      = "in"
	Archive = "archive"
)

// BaseLayout is the layout most of the suite runs with: upload to out/ through
// ".part", list in/, archive to archive/.
func BaseLayout() connectors.Layout {
	return connectors.Layout{
		UploadDir:  Out,
		TempSuffix: ".part",
		Inbound:    []connectors.Inbound{{Dir: In}},
		ArchiveDir: Archive,
		After:      connectors.Archive,
	}
}

// Run runs the suite.
func Run(t *testing.T, newHarness Factory) {
	open := func(t *testing.T, l connectors.Layout) Harness {
		t.Helper()
		h := newHarness(t, l)
		t.Cleanup(func() {
			if err := h.Conn.Close(context.Background()); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := h.Conn.Close(context.Background()); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
		return h
	}
	t.Run("UploadRenames", func(t *testing.T) { testUploadRenames(t, open) })
	t.Run("UploadIsIdempotent", func(t *testing.T) { testUploadIdempotent(t, open) })
	t.Run("UploadNeverOverwrites", func(t *testing.T) { testUploadNeverOverwrites(t, open) })
	t.Run("UploadSameSizeOtherContent", func(t *testing.T) { testUploadSameSizeOtherContent(t, open) })
	t.Run("ShortUploadFails", func(t *testing.T) { testShortUpload(t, open) })
	t.Run("UploadOverStaleTemp", func(t *testing.T) { testStaleTemp(t, open) })
	t.Run("UploadNames", func(t *testing.T) { testUploadNames(t, open) })
	t.Run("UploadWithoutRename", func(t *testing.T) { testUploadWithoutRename(t, open) })
	t.Run("CancelledUpload", func(t *testing.T) { testCancelledUpload(t, open) })
	t.Run("ListFetchArchive", func(t *testing.T) { testListFetchArchive(t, open) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open) })
	t.Run("Keep", func(t *testing.T) { testKeep(t, open) })
	t.Run("NotificationsAndSubfolders", func(t *testing.T) { testNotificationsAndSubfolders(t, open) })
	t.Run("FetchOnlyInbound", func(t *testing.T) { testFetchOnlyInbound(t, open) })
	t.Run("FetchChangedFile", func(t *testing.T) { testFetchChanged(t, open) })
	t.Run("SendExactlyOnce", func(t *testing.T) { testSendExactlyOnce(t, open) })
	t.Run("PullStoresBeforeDone", func(t *testing.T) { testPull(t, open) })
}

type opener func(t *testing.T, l connectors.Layout) Harness

// Payload returns n deterministic bytes that look like X12.
func Payload(n int, seed byte) []byte {
	const seg = "CLM*PCN0000000001*125.00***11:B:1*Y*A*Y*Y~"
	b := bytes.Repeat([]byte(seg), n/len(seg)+1)[:n]
	if n > 0 {
		b[0] = seed
	}
	return b
}

// SHA256 is the hex sha256 of data.
func SHA256(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func names(m map[string][]byte) []string {
	var n []string
	for k := range m {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// wantOnly checks that the folder holds exactly one file, name, with data.
func wantOnly(t *testing.T, h Harness, dir, name string, data []byte) {
	t.Helper()
	files := h.Remote.Files(t, dir)
	if len(files) != 1 || !bytes.Equal(files[name], data) {
		t.Fatalf("%s holds %v, want only %s with %d bytes", dir, names(files), name, len(data))
	}
}

func testUploadRenames(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	data := Payload(300_000, 'I')
	rec, err := h.Conn.Upload(ctxT(t), "A_837P_1.txt", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if rec.Name != "A_837P_1.txt" || path.Base(rec.RemotePath) != "A_837P_1.txt" || rec.Bytes != int64(len(data)) ||
		rec.SHA256 != SHA256(data) || rec.Earlier || rec.Time.IsZero() {
		t.Errorf("receipt %+v", rec)
	}
	wantOnly(t, h, Out, "A_837P_1.txt", data)
}

func testUploadIdempotent(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	data := Payload(5000, 'I')
	if _, err := h.Conn.Upload(ctxT(t), "B.txt", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	// The run crashed before recording the upload: the retry must not send again.
	rec, err := h.Conn.Upload(ctxT(t), "B.txt", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("second Upload: %v", err)
	}
	if !rec.Earlier || rec.SHA256 != SHA256(data) || rec.Bytes != int64(len(data)) {
		t.Errorf("second receipt %+v, want Earlier with the content's size and sha256", rec)
	}
	wantOnly(t, h, Out, "B.txt", data)
}

func testUploadNeverOverwrites(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	data := Payload(5000, 'I')
	if _, err := h.Conn.Upload(ctxT(t), "C.txt", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	other := Payload(6000, 'J')
	_, err := h.Conn.Upload(ctxT(t), "C.txt", bytes.NewReader(other), int64(len(other)))
	if !errors.Is(err, connectors.ErrExists) {
		t.Fatalf("Upload over a different file: %v, want ErrExists", err)
	}
	wantOnly(t, h, Out, "C.txt", data)
}

// testUploadSameSizeOtherContent: a file already under the name counts as ours
// (Earlier) only when its content is; one of the same size with other bytes is
// ErrExists and stays.
func testUploadSameSizeOtherContent(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	data := Payload(5000, 'I')
	if _, err := h.Conn.Upload(ctxT(t), "S.txt", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	other := Payload(5000, 'J')
	rec, err := h.Conn.Upload(ctxT(t), "S.txt", bytes.NewReader(other), int64(len(other)))
	if !errors.Is(err, connectors.ErrExists) || rec.Earlier {
		t.Fatalf("Upload over another file of the same size: %v (receipt %+v), want ErrExists", err, rec)
	}
	wantOnly(t, h, Out, "S.txt", data)
}

func testShortUpload(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	data := Payload(10_000, 'I')
	rec, err := h.Conn.Upload(ctxT(t), "D.txt", bytes.NewReader(data[:4000]), int64(len(data)))
	if err == nil {
		t.Fatalf("Upload of 4000 of 10000 bytes succeeded: %+v", rec)
	}
	if files := h.Remote.Files(t, Out); files["D.txt"] != nil {
		t.Fatalf("a failed upload left the final name: %v", names(files))
	}
	if _, err := h.Conn.Upload(ctxT(t), "D.txt", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Upload after a failed one: %v", err)
	}
	wantOnly(t, h, Out, "D.txt", data)
}

func testStaleTemp(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	h.Remote.Put(t, Out, "E.txt.part", Payload(70_000, 'X'), time.Now())
	data := Payload(1000, 'I')
	if _, err := h.Conn.Upload(ctxT(t), "E.txt", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	wantOnly(t, h, Out, "E.txt", data)
}

func testUploadNames(t *testing.T, open opener) {
	l := BaseLayout()
	l.NamePattern = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)
	h := open(t, l)
	for _, name := range []string{"", ".", "..", "../x.txt", "a/b.txt", "x.txt.part", "with-dash.txt"} {
		_, err := h.Conn.Upload(ctxT(t), name, strings.NewReader("x"), 1)
		if !errors.Is(err, connectors.ErrNotAllowed) {
			t.Errorf("Upload(%q): %v, want ErrNotAllowed", name, err)
		}
	}
	if files := h.Remote.Files(t, Out); len(files) != 0 {
		t.Errorf("refused names left files: %v", names(files))
	}
}

func testUploadWithoutRename(t *testing.T, open opener) {
	l := BaseLayout()
	l.TempSuffix = ""
	h := open(t, l)
	data := Payload(2000, 'I')
	if _, err := h.Conn.Upload(ctxT(t), "F.txt", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	wantOnly(t, h, Out, "F.txt", data)
}

func testCancelledUpload(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := Payload(2000, 'I')
	if _, err := h.Conn.Upload(ctx, "G.txt", bytes.NewReader(data), int64(len(data))); !errors.Is(err, context.Canceled) {
		t.Fatalf("Upload with a cancelled context: %v", err)
	}
	if files := h.Remote.Files(t, Out); files["G.txt"] != nil {
		t.Fatal("a cancelled upload reached the final name")
	}
}

func list(t *testing.T, h Harness) []connectors.RemoteFile {
	t.Helper()
	files, err := h.Conn.List(ctxT(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return files
}

func fetch(t *testing.T, h Harness, f connectors.RemoteFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := h.Conn.Fetch(ctxT(t), f, &buf); err != nil {
		t.Fatalf("Fetch %s: %v", f.Path, err)
	}
	return buf.Bytes()
}

func testListFetchArchive(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	mtime := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	ack, era := Payload(900, '9'), Payload(150_000, '8')
	h.Remote.Put(t, In, "b_999.999", ack, mtime)
	h.Remote.Put(t, In, "a_ERA_835.835", era, mtime.Add(time.Hour))
	h.Remote.Put(t, In, ".hidden", []byte("x"), mtime)
	h.Remote.Put(t, In, "partial.txt.part", []byte("x"), mtime)
	h.Remote.Put(t, In+"/sub", "nested.835", []byte("x"), mtime) // not listed: no Subdirs

	files := list(t, h)
	if len(files) != 2 || files[0].Name != "a_ERA_835.835" || files[1].Name != "b_999.999" {
		t.Fatalf("List = %+v, want a_ERA_835.835 and b_999.999", files)
	}
	if files[0].Size != int64(len(era)) || files[1].Size != int64(len(ack)) {
		t.Errorf("sizes %d %d, want %d %d", files[0].Size, files[1].Size, len(era), len(ack))
	}
	if d := files[1].ModTime.Sub(mtime); d < -time.Second || d > time.Second {
		t.Errorf("mtime %v, want %v", files[1].ModTime, mtime)
	}
	if !bytes.Equal(fetch(t, h, files[0]), era) || !bytes.Equal(fetch(t, h, files[1]), ack) {
		t.Fatal("fetched bytes differ")
	}
	for _, f := range files {
		if err := h.Conn.Done(ctxT(t), f); err != nil {
			t.Fatalf("Done %s: %v", f.Path, err)
		}
	}
	if got := list(t, h); len(got) != 0 {
		t.Errorf("after Done, List = %+v", got)
	}
	arch := h.Remote.Files(t, Archive)
	if !bytes.Equal(arch["b_999.999"], ack) || !bytes.Equal(arch["a_ERA_835.835"], era) {
		t.Errorf("archive holds %v", names(arch))
	}
	// Done again (a retry whose first reply was lost) is not an error.
	if err := h.Conn.Done(ctxT(t), files[0]); err != nil {
		t.Errorf("second Done: %v", err)
	}
	// A clearinghouse that reuses a name: both copies are kept.
	h.Remote.Put(t, In, "b_999.999", Payload(901, '9'), mtime.Add(24*time.Hour))
	again := list(t, h)
	if len(again) != 1 {
		t.Fatalf("List = %+v", again)
	}
	if err := h.Conn.Done(ctxT(t), again[0]); err != nil {
		t.Fatal(err)
	}
	if arch := h.Remote.Files(t, Archive); len(arch) != 3 {
		t.Errorf("archive after a reused name holds %v, want 3 files", names(arch))
	}
}

func testDelete(t *testing.T, open opener) {
	l := BaseLayout()
	l.After, l.ArchiveDir = connectors.Delete, ""
	h := open(t, l)
	h.Remote.Put(t, In, "x.999", Payload(100, '9'), time.Now())
	files := list(t, h)
	if len(files) != 1 {
		t.Fatalf("List = %+v", files)
	}
	for range 2 {
		if err := h.Conn.Done(ctxT(t), files[0]); err != nil {
			t.Fatalf("Done: %v", err)
		}
	}
	if got := h.Remote.Files(t, In); len(got) != 0 {
		t.Errorf("after delete, %s holds %v", In, names(got))
	}
}

func testKeep(t *testing.T, open opener) {
	l := BaseLayout()
	l.After, l.ArchiveDir = connectors.Keep, ""
	h := open(t, l)
	h.Remote.Put(t, In, "x.999", Payload(100, '9'), time.Now())
	files := list(t, h)
	if err := h.Conn.Done(ctxT(t), files[0]); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if got := list(t, h); len(got) != 1 {
		t.Errorf("a kept file is gone: %+v", got)
	}
}

func testNotificationsAndSubfolders(t *testing.T, open opener) {
	l := BaseLayout()
	l.Inbound = []connectors.Inbound{
		{Dir: In, Subdirs: true},
		{Dir: Out, Match: regexp.MustCompile(`-(success|FAILED)$`)},
	}
	h := open(t, l)
	data := Payload(500, 'I')
	if _, err := h.Conn.Upload(ctxT(t), "CLAIMS1.txt", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	h.Remote.Put(t, Out, "CLAIMS1.txt-4711-success", []byte("ok"), time.Now())
	h.Remote.Put(t, In+"/741111111", "60054_1234567893_11741672.835", Payload(300, '8'), time.Now())
	files := list(t, h)
	var got []string
	for _, f := range files {
		got = append(got, f.Path)
	}
	if len(files) != 2 || !strings.HasSuffix(files[0].Path, "741111111/60054_1234567893_11741672.835") ||
		files[1].Name != "CLAIMS1.txt-4711-success" {
		t.Fatalf("List = %v, want the sub-folder's 835 and the notification only", got)
	}
	for _, f := range files {
		if !bytes.Equal(fetch(t, h, f), map[bool][]byte{true: []byte("ok"), false: Payload(300, '8')}[f.Name == "CLAIMS1.txt-4711-success"]) {
			t.Errorf("fetched bytes of %s differ", f.Path)
		}
		if err := h.Conn.Done(ctxT(t), f); err != nil {
			t.Fatalf("Done %s: %v", f.Path, err)
		}
	}
	if arch := h.Remote.Files(t, Archive); len(arch) != 2 {
		t.Errorf("archive holds %v", names(arch))
	}
	// Our own upload sits in a listed folder but is not an inbound file.
	own := connectors.RemoteFile{Path: strings.TrimSuffix(files[1].Path, "-4711-success"), Name: "CLAIMS1.txt", Size: int64(len(data))}
	if err := h.Conn.Done(ctxT(t), own); !errors.Is(err, connectors.ErrNotAllowed) {
		t.Errorf("Done of our own upload %s: %v, want ErrNotAllowed", own.Path, err)
	}
	wantOnly(t, h, Out, "CLAIMS1.txt", data)
}

func testFetchOnlyInbound(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	data := Payload(100, 'I')
	rec, err := h.Conn.Upload(ctxT(t), "H.txt", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	f := connectors.RemoteFile{Path: rec.RemotePath, Name: "H.txt", Size: 100}
	if err := h.Conn.Fetch(ctxT(t), f, io.Discard); !errors.Is(err, connectors.ErrNotAllowed) {
		t.Errorf("Fetch of an uploaded file: %v, want ErrNotAllowed", err)
	}
	if err := h.Conn.Done(ctxT(t), f); !errors.Is(err, connectors.ErrNotAllowed) {
		t.Errorf("Done of an uploaded file: %v, want ErrNotAllowed", err)
	}
	files := list(t, h)
	h.Remote.Put(t, In, "x.999", []byte("x"), time.Now())
	files = list(t, h)
	f = files[0]
	f.Path = path.Join(path.Dir(f.Path), "..", Out, "H.txt")
	if err := h.Conn.Done(ctxT(t), f); !errors.Is(err, connectors.ErrNotAllowed) {
		t.Errorf("Done of %s: %v, want ErrNotAllowed", f.Path, err)
	}
	wantOnly(t, h, Out, "H.txt", data)
}

func testFetchChanged(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	h.Remote.Put(t, In, "x.835", Payload(1000, '8'), time.Now())
	files := list(t, h)
	h.Remote.Put(t, In, "x.835", Payload(2000, '8'), time.Now())
	if err := h.Conn.Fetch(ctxT(t), files[0], io.Discard); err == nil {
		t.Fatal("Fetch of a file that grew since it was listed succeeded")
	}
}

func testSendExactlyOnce(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	ledger := openLedger(t)
	data := Payload(20_000, 'I')
	ctx := ctxT(t)
	first, err := connectors.Send(ctx, h.Conn, ledger, "acct", "S.txt", bytes.NewReader(data))
	if err != nil || first.Earlier {
		t.Fatalf("Send: %+v, %v", first, err)
	}
	again, err := connectors.Send(ctx, h.Conn, ledger, "acct", "S.txt", bytes.NewReader(data))
	if err != nil || !again.Earlier || again.SHA256 != first.SHA256 {
		t.Fatalf("second Send: %+v, %v; want the recorded receipt", again, err)
	}
	if _, err := connectors.Send(ctx, h.Conn, ledger, "acct", "S.txt", bytes.NewReader(Payload(20_000, 'J'))); !errors.Is(err, connectors.ErrExists) {
		t.Fatalf("Send of other content under a sent name: %v, want ErrExists", err)
	}
	wantOnly(t, h, Out, "S.txt", data)
}

func openLedger(t *testing.T) *connectors.FileLedger {
	t.Helper()
	l, err := connectors.OpenFileLedger(filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// failingDone fails the first Done, as a run that stops between recording a download
// and disposing of the remote file.
type failingDone struct {
	connectors.Connector
	failed bool
}

func (f *failingDone) Done(ctx context.Context, rf connectors.RemoteFile) error {
	if !f.failed {
		f.failed = true
		return errors.New("stopped before Done")
	}
	return f.Connector.Done(ctx, rf)
}

func testPull(t *testing.T, open opener) {
	h := open(t, BaseLayout())
	ledger := openLedger(t)
	inbox := t.TempDir()
	ack, era := Payload(700, '9'), Payload(90_000, '8')
	h.Remote.Put(t, In, "1.999", ack, time.Now().Add(-time.Hour))
	h.Remote.Put(t, In, "2.835", era, time.Now().Add(-time.Hour))
	conn := &failingDone{Connector: h.Conn}
	got, err := connectors.Pull(ctxT(t), conn, ledger, "acct", inbox)
	if err == nil || len(got) != 2 {
		t.Fatalf("Pull with a failing Done: %d stored, %v; want 2 stored and the error", len(got), err)
	}
	for _, d := range got {
		want := map[string][]byte{"1.999": ack, "2.835": era}[d.Remote.Name]
		stored, err := os.ReadFile(d.Stored)
		if err != nil || !bytes.Equal(stored, want) || d.SHA256 != SHA256(want) || filepath.Base(d.Stored) != d.SHA256+".x12" {
			t.Errorf("%s stored as %s (%v)", d.Remote.Name, d.Stored, err)
		}
	}
	if arch := h.Remote.Files(t, Archive); len(arch) != 1 {
		t.Errorf("archive after the first Pull holds %v, want the one file whose Done ran", names(arch))
	}
	// The next run fetches nothing again, and finishes the disposal.
	got, err = connectors.Pull(ctxT(t), conn, ledger, "acct", inbox)
	if err != nil || len(got) != 0 {
		t.Fatalf("second Pull: %d stored, %v; want none", len(got), err)
	}
	if arch := h.Remote.Files(t, Archive); len(arch) != 2 {
		t.Errorf("archive after the second Pull holds %v", names(arch))
	}
	if in := h.Remote.Files(t, In); len(in) != 0 {
		t.Errorf("inbound still holds %v", names(in))
	}
	entries, _ := os.ReadDir(inbox)
	if len(entries) != 2 {
		t.Errorf("inbox holds %d entries, want 2", len(entries))
	}
}

// DirRemote is a [Remote] over a local directory that holds the layout's folders (the
// local connector's root, or the directory an SFTP test server serves).
type DirRemote string

// Put implements [Remote].
func (d DirRemote) Put(t *testing.T, dir, name string, data []byte, mtime time.Time) {
	t.Helper()
	full := filepath.Join(string(d), filepath.FromSlash(dir))
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(full, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// Files implements [Remote].
func (d DirRemote) Files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	full := filepath.Join(string(d), filepath.FromSlash(dir))
	entries, err := os.ReadDir(full)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(full, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	return files
}
