package sftp_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/connectortest"
)

// finishingWriter is the clearinghouse still writing a response file: right after
// our Fetch has read every byte there was, the rest of the file lands (same path).
type finishingWriter struct {
	connectors.Connector
	finish func()
	done   bool
}

func (f *finishingWriter) Fetch(ctx context.Context, rf connectors.RemoteFile, w io.Writer) error {
	err := f.Connector.Fetch(ctx, rf, w)
	if err == nil && !f.done {
		f.done = true
		f.finish()
	}
	return err
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

// TestDoneLeavesChangedFile: the file at the path Done is given is no longer the one
// fetched (it grew after the fetch, or was replaced under the same name). Done leaves
// it instead of deleting or archiving bytes that were never stored, and the next Pull
// fetches the complete file.
func TestDoneLeavesChangedFile(t *testing.T) {
	t.Parallel()
	for _, after := range []connectors.Disposal{connectors.Delete, connectors.Archive} {
		t.Run(string(after), func(t *testing.T) {
			t.Parallel()
			l := connectortest.BaseLayout()
			l.After = after
			if after == connectors.Delete {
				l.ArchiveDir = ""
			}
			a := startSim(t, l, nil)
			c := a.open(t)
			full := connectortest.Payload(200_000, '8')
			a.remote.Put(t, connectortest.In, "ERA.835", full[:64_000], time.Now().Add(-time.Minute))
			conn := &finishingWriter{Connector: c, finish: func() {
				a.remote.Put(t, connectortest.In, "ERA.835", full, time.Now())
			}}
			ledger, inbox := openLedger(t), t.TempDir()
			first, err := connectors.Pull(ctxT(t), conn, ledger, "acct", inbox)
			if err != nil || len(first) != 1 {
				t.Fatalf("Pull: %d stored, %v", len(first), err)
			}
			if in := a.remote.Files(t, connectortest.In); !bytes.Equal(in["ERA.835"], full) {
				t.Fatalf("Done disposed of (%s) the file that changed after the fetch", after)
			}
			second, err := connectors.Pull(ctxT(t), conn, ledger, "acct", inbox)
			if err != nil || len(second) != 1 {
				t.Fatalf("second Pull: %d stored, %v", len(second), err)
			}
			if b, _ := os.ReadFile(second[0].Stored); !bytes.Equal(b, full) {
				t.Errorf("second Pull stored %d bytes, want %d", len(b), len(full))
			}
			if in := a.remote.Files(t, connectortest.In); len(in) != 0 {
				t.Errorf("the complete file was not disposed of (%s) after it was stored", after)
			}
		})
	}
}

// interchange is a whole 999 interchange of ISA13 n; without its last three
// segments it is one still being written.
func interchange(n int) (whole, head, end string) {
	ctl := fmt.Sprintf("%09d", n)
	head = "ISA*00*          *00*          *ZZ*SIMCH          *ZZ*CFTEST         *260302*0930*^*00501*" + ctl + "*0*T*:~\n" +
		"GS*FA*SIMCH*CFTEST*20260302*0930*1*X*005010X231A1~\nST*999*0001*005010X231A1~\nAK1*HC*1*005010X222A1~\nAK9*A*1*1*1~\n"
	end = "SE*4*0001~\nGE*1*1~\nIEA*1*" + ctl + "~\n"
	return head + end, head, end
}

// TestListLeavesFileBeingWritten: a response the server writes in place (no
// temporary name) is not listed while it changes, so that Pull does not store and
// record a truncated interchange; it is taken, whole and once, when it ends with its
// IEA. A fresh file that is not X12 is taken once it has not changed for the settle
// time; a whole interchange written this instant is taken at once.
func TestListLeavesFileBeingWritten(t *testing.T) {
	t.Parallel()
	l := connectortest.BaseLayout()
	l.After, l.ArchiveDir = connectors.Keep, ""
	a := startSim(t, l, nil)
	a.cfg.Settle = 300 * time.Millisecond
	c := a.open(t)
	done, _, _ := interchange(1)
	_, head, end := interchange(2)
	a.remote.Put(t, connectortest.In, "DONE.999", []byte(done), time.Now())
	a.remote.Put(t, connectortest.In, "NOTE.txt", []byte("Your files were received.\n"), time.Now())
	a.remote.Put(t, connectortest.In, "RESP.999", []byte(head), time.Now())
	p := filepath.Join(string(a.remote), connectortest.In, "RESP.999")
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() { // the server writes a segment every 20 ms, and the end once stopped
		defer close(stopped)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		for {
			select {
			case <-stop:
				f.WriteString(end)
				return
			case <-time.After(20 * time.Millisecond):
				f.WriteString("AK2*837*0001*005010X222A1~\nIK5*A~\n")
			}
		}
	}()
	ledger, inbox := openLedger(t), t.TempDir()
	first, err := connectors.Pull(ctxT(t), c, ledger, "acct", inbox)
	close(stop)
	<-stopped
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range first {
		names = append(names, d.Remote.Name)
	}
	if !slices.Equal(names, []string{"DONE.999", "NOTE.txt"}) {
		t.Fatalf("Pull while RESP.999 is written stored %v, want DONE.999 and NOTE.txt", names)
	}
	second, err := connectors.Pull(ctxT(t), c, ledger, "acct", inbox)
	if err != nil {
		t.Fatal(err)
	}
	final, _ := os.ReadFile(p)
	if len(second) != 1 || second[0].Remote.Name != "RESP.999" {
		t.Fatalf("Pull once RESP.999 is finished stored %+v", second)
	}
	if b, _ := os.ReadFile(second[0].Stored); !bytes.Equal(b, final) || !bytes.HasSuffix(b, []byte(end)) {
		t.Errorf("stored %d bytes of RESP.999, the finished file has %d", len(b), len(final))
	}
}

// TestListTakesWholeInterchangeAtOnce: a response written this instant that holds a
// whole interchange (ISA first, IEA last) is listed without waiting for the settle
// time, so that a poll right after the clearinghouse answered gets it.
func TestListTakesWholeInterchangeAtOnce(t *testing.T) {
	t.Parallel()
	a := startSim(t, connectortest.BaseLayout(), nil)
	a.cfg.Settle = time.Minute
	c := a.open(t)
	whole, _, _ := interchange(3)
	a.remote.Put(t, connectortest.In, "NOW.999", []byte(whole), time.Now())
	a.remote.Put(t, connectortest.In, "OLD.txt", []byte("report"), time.Now().Add(-time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	files, err := c.List(ctx)
	if err != nil || len(files) != 2 || files[0].Name != "NOW.999" {
		t.Fatalf("List: %+v, %v; want NOW.999 and OLD.txt at once", files, err)
	}
}

// TestArchiveNameCollisions: Claim.MD-style TaxID sub-folders hold files of the same
// name (and here the same mtime second); every one is archived, under a name of its
// own, and nothing in the archive is overwritten.
func TestArchiveNameCollisions(t *testing.T) {
	t.Parallel()
	l := connectortest.BaseLayout()
	l.Inbound = []connectors.Inbound{{Dir: connectortest.In, Subdirs: true}}
	a := startSim(t, l, nil)
	c := a.open(t)
	mtime := time.Now().Add(-time.Hour).Truncate(time.Second)
	taxIDs := []string{"111111111", "222222222", "333333333", "444444444"}
	want := map[string]bool{}
	for i, tax := range taxIDs {
		data := connectortest.Payload(1000+i, '8')
		a.remote.Put(t, connectortest.In+"/"+tax, "60054_1234567893.835", data, mtime)
		want[string(data)] = true
	}
	got, err := connectors.Pull(ctxT(t), c, openLedger(t), "acct", t.TempDir())
	if err != nil || len(got) != len(taxIDs) {
		t.Fatalf("Pull: %d stored, %v", len(got), err)
	}
	archived := a.remote.Files(t, connectortest.Archive)
	for name, data := range archived {
		if !want[string(data)] {
			t.Errorf("archive holds %s with content of none of the files", name)
		}
		delete(want, string(data))
	}
	if len(archived) != len(taxIDs) || len(want) != 0 {
		t.Errorf("archive holds %d files, want %d distinct", len(archived), len(taxIDs))
	}
}
