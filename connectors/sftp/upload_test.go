package sftp_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/connectortest"
)

// TestUploadWithoutRenameFinishesCutOffFile: a layout without a temporary suffix
// (servers that do not allow renames) uploads straight to the final name. The
// network drops a quarter into the file; the retry finds our half-written file there
// and finishes it, instead of calling it another file (ErrExists, a permanent failure)
// and leaving it truncated.
func TestUploadWithoutRenameFinishesCutOffFile(t *testing.T) {
	t.Parallel()
	l := connectortest.BaseLayout()
	l.TempSuffix = ""
	a := startSim(t, l, nil)
	c := a.open(t)
	data := connectortest.Payload(2<<20, 'N')
	pr, result := uploadPausing(t, c, "NORENAME.txt", data, 512<<10)
	<-pr.paused
	a.cut(t)
	close(pr.resume)
	r, ok := waitDone(result, 15*time.Second)
	if !ok {
		t.Fatal("Upload did not return")
	}
	if r.err != nil {
		t.Fatalf("Upload after a cut: %v", r.err)
	}
	if r.rec.Earlier || r.rec.Bytes != int64(len(data)) || r.rec.SHA256 != connectortest.SHA256(data) {
		t.Errorf("receipt %+v", r.rec)
	}
	out := a.remote.Files(t, connectortest.Out)
	if len(out) != 1 || !bytes.Equal(out["NORENAME.txt"], data) {
		t.Fatalf("upload folder holds %d files, NORENAME.txt with %d of %d bytes", len(out), len(out["NORENAME.txt"]), len(data))
	}
}

// TestUploadWithoutRenameAfterCrash: what a process killed mid-upload leaves under
// the final name is finished by the next process's upload when it holds the start
// of our content; a shorter file that does not is another file, left untouched.
func TestUploadWithoutRenameAfterCrash(t *testing.T) {
	t.Parallel()
	l := connectortest.BaseLayout()
	l.TempSuffix = ""
	a := startSim(t, l, nil)
	c := a.open(t)
	data := connectortest.Payload(300_000, 'K')
	a.remote.Put(t, connectortest.Out, "KILLED.txt", data[:100_000], time.Now())
	rec, err := c.Upload(ctxT(t), "KILLED.txt", bytes.NewReader(data), int64(len(data)))
	if err != nil || rec.Earlier || rec.SHA256 != connectortest.SHA256(data) {
		t.Fatalf("Upload over our own cut-off file: %+v, %v", rec, err)
	}
	if got := a.remote.Files(t, connectortest.Out)["KILLED.txt"]; !bytes.Equal(got, data) {
		t.Fatalf("final name holds %d of %d bytes", len(got), len(data))
	}

	other := connectortest.Payload(100_000, 'X')
	a.remote.Put(t, connectortest.Out, "OTHER.txt", other, time.Now())
	if _, err := c.Upload(ctxT(t), "OTHER.txt", bytes.NewReader(data), int64(len(data))); !errors.Is(err, connectors.ErrExists) {
		t.Fatalf("Upload over a shorter file of other content: %v, want ErrExists", err)
	}
	if got := a.remote.Files(t, connectortest.Out)["OTHER.txt"]; !bytes.Equal(got, other) {
		t.Error("another file under the final name was changed")
	}
}

// TestUploadOverSameSizeOtherContent: a different file of the same size under the
// final name (an 837P with another ISA13 has the same length) is not an earlier
// attempt of ours: ErrExists, not a receipt for bytes the server does not hold.
func TestUploadOverSameSizeOtherContent(t *testing.T) {
	t.Parallel()
	a := startSim(t, connectortest.BaseLayout(), nil)
	c := a.open(t)
	theirs := connectortest.Payload(5000, 'T')
	ours := connectortest.Payload(5000, 'O')
	a.remote.Put(t, connectortest.Out, "SAMESIZE.txt", theirs, time.Now())
	rec, err := c.Upload(ctxT(t), "SAMESIZE.txt", bytes.NewReader(ours), int64(len(ours)))
	if !errors.Is(err, connectors.ErrExists) {
		t.Errorf("Upload over another file of the same size: receipt %+v, err %v; want ErrExists", rec, err)
	}
	if got := a.remote.Files(t, connectortest.Out)["SAMESIZE.txt"]; !bytes.Equal(got, theirs) {
		t.Error("the other file was changed")
	}
}

// TestConcurrentUploadsOfOneName: two attempts at the same file at once (a message
// delivered again while its first worker is still sending) write temporary files of
// their own; the first to rename wins and the other, finding the same content under
// the final name, reports it as sent earlier. With one shared temporary name, the
// second would have truncated the file the first was writing.
func TestConcurrentUploadsOfOneName(t *testing.T) {
	t.Parallel()
	a := startSim(t, connectortest.BaseLayout(), nil)
	first, second := a.open(t), a.open(t)
	data := connectortest.Payload(2<<20, 'D')
	pr, result := uploadPausing(t, first, "TWICE.txt", data, 512<<10)
	<-pr.paused
	rec, err := second.Upload(ctxT(t), "TWICE.txt", bytes.NewReader(data), int64(len(data)))
	if err != nil || rec.Earlier {
		t.Fatalf("second Upload while the first is half way: %+v, %v", rec, err)
	}
	close(pr.resume)
	r, ok := waitDone(result, 15*time.Second)
	if !ok {
		t.Fatal("first Upload did not return")
	}
	if r.err != nil || !r.rec.Earlier || r.rec.SHA256 != connectortest.SHA256(data) {
		t.Fatalf("first Upload: %+v, %v; want the same content found under the final name", r.rec, r.err)
	}
	out := a.remote.Files(t, connectortest.Out)
	for name := range out {
		if strings.HasSuffix(name, ".part") {
			t.Errorf("temporary file %s left", name)
		}
	}
	if !bytes.Equal(out["TWICE.txt"], data) {
		t.Fatalf("final name holds %d of %d bytes", len(out["TWICE.txt"]), len(data))
	}
}
