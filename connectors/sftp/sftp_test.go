package sftp_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/connectortest"
	"github.com/claimflow/claimflow/connectors/sftp"
	"golang.org/x/crypto/ssh"
)

// fixture is a server and what a client needs to reach it.
type fixture struct {
	srv   *sshd
	keys  *sftp.HostKeys
	dials atomic.Int32
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{srv: startSSHD(t)}
	keys, err := sftp.OpenHostKeys(filepath.Join(t.TempDir(), "known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Pin(f.srv.Addr(), f.srv.HostKey); err != nil {
		t.Fatal(err)
	}
	f.keys = keys
	return f
}

// config is a client configuration with the ed25519 key, fast retries, a dialer
// that counts connections, and inbound files taken as listed (Settle off: the tests
// write them just before they list them).
func (f *fixture) config(t *testing.T, l connectors.Layout) sftp.Config {
	t.Helper()
	auth, err := sftp.KeyAuth(f.srv.EdKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &net.Dialer{}
	return sftp.Config{
		Host: "127.0.0.1", Port: f.srv.Port, User: f.srv.User,
		Auth: []ssh.AuthMethod{auth}, HostKeys: f.keys, Layout: l,
		Backoff:     connectors.Backoff{Attempts: 3, Base: 20 * time.Millisecond, Max: 100 * time.Millisecond},
		DialTimeout: 5 * time.Second,
		Settle:      -1,
		Logger:      slog.New(slog.DiscardHandler),
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			f.dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
	}
}

// layout puts the suite's folders below a fresh directory of the served root, as
// absolute paths, and creates the upload and inbound folders.
func (f *fixture) layout(t *testing.T, l connectors.Layout) (connectors.Layout, connectortest.DirRemote) {
	t.Helper()
	root, err := os.MkdirTemp(f.srv.Root, "t")
	if err != nil {
		t.Fatal(err)
	}
	abs := func(d string) string {
		if d == "" {
			return ""
		}
		return filepath.ToSlash(filepath.Join(root, d))
	}
	l.UploadDir, l.ArchiveDir = abs(l.UploadDir), abs(l.ArchiveDir)
	l.Inbound = append([]connectors.Inbound(nil), l.Inbound...)
	for i := range l.Inbound {
		l.Inbound[i].Dir = abs(l.Inbound[i].Dir)
	}
	for _, d := range append([]string{l.UploadDir}, inboundDirs(l)...) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return l, connectortest.DirRemote(root)
}

func inboundDirs(l connectors.Layout) []string {
	var d []string
	for _, in := range l.Inbound {
		d = append(d, in.Dir)
	}
	return d
}

func (f *fixture) open(t *testing.T, cfg sftp.Config) *sftp.Client {
	t.Helper()
	c, err := sftp.Open(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestSuite runs the connector suite against OpenSSH.
func TestSuite(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	connectortest.Run(t, func(t *testing.T, l connectors.Layout) connectortest.Harness {
		l, remote := f.layout(t, l)
		c, err := sftp.Open(ctxT(t), f.config(t, l))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return connectortest.Harness{Conn: c, Remote: remote}
	})
}

func TestOneConnectionPerRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l, remote := f.layout(t, connectortest.BaseLayout())
	c := f.open(t, f.config(t, l))
	ctx := ctxT(t)
	for i, name := range []string{"A.txt", "B.txt", "C.txt"} {
		data := connectortest.Payload(10_000, byte('A'+i))
		if _, err := c.Upload(ctx, name, bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
	}
	remote.Put(t, connectortest.In, "x.999", []byte("ISA"), time.Now())
	files, err := c.List(ctx)
	if err != nil || len(files) != 1 {
		t.Fatalf("List: %v %v", files, err)
	}
	if err := c.Fetch(ctx, files[0], io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := c.Done(ctx, files[0]); err != nil {
		t.Fatal(err)
	}
	if n := f.dials.Load(); n != 1 {
		t.Errorf("%d connections for one run, want 1", n)
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l, _ := f.layout(t, connectortest.BaseLayout())
	for _, tc := range []struct {
		name      string
		key, pass []byte
	}{
		{"rsa", f.srv.RSAKey, nil},
		{"ed25519 with passphrase", f.srv.EdKeyPass, f.srv.Passphrase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			auth, err := sftp.KeyAuth(tc.key, tc.pass)
			if err != nil {
				t.Fatal(err)
			}
			cfg := f.config(t, l)
			cfg.Auth = []ssh.AuthMethod{auth}
			c := f.open(t, cfg)
			if _, err := c.List(ctxT(t)); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := sftp.KeyAuth(f.srv.EdKeyPass, nil); !errors.Is(err, connectors.ErrAuth) {
		t.Errorf("encrypted key without passphrase: %v, want ErrAuth", err)
	}
	if _, err := sftp.KeyAuth(f.srv.EdKeyPass, []byte("wrong")); !errors.Is(err, connectors.ErrAuth) {
		t.Errorf("encrypted key with a wrong passphrase: %v, want ErrAuth", err)
	}
}

func TestBadPasswordIsNotRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l, _ := f.layout(t, connectortest.BaseLayout())
	cfg := f.config(t, l)
	cfg.Auth = []ssh.AuthMethod{sftp.PasswordAuth("not-the-password")}
	cfg.Backoff = connectors.Backoff{Attempts: 5, Base: time.Second}
	_, err := sftp.Open(ctxT(t), cfg)
	if !errors.Is(err, connectors.ErrAuth) || errors.Is(err, connectors.ErrTransient) {
		t.Fatalf("Open with a bad password: %v, want ErrAuth only", err)
	}
	if n := f.dials.Load(); n != 1 {
		t.Errorf("bad password tried on %d connections, want 1", n)
	}
	// A key the server does not know is refused the same way.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(other)
	cfg.Auth = []ssh.AuthMethod{ssh.PublicKeys(signer)}
	if _, err := sftp.Open(ctxT(t), cfg); !errors.Is(err, connectors.ErrAuth) {
		t.Fatalf("Open with an unknown key: %v, want ErrAuth", err)
	}
	if n := f.dials.Load(); n != 2 {
		t.Errorf("%d connections after two refusals, want 2", n)
	}
}

func TestHostKeyRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l, _ := f.layout(t, connectortest.BaseLayout())
	got := sftp.Fingerprint(f.srv.HostKey)

	t.Run("unknown", func(t *testing.T) {
		keys, err := sftp.OpenHostKeys(filepath.Join(t.TempDir(), "known_hosts"))
		if err != nil {
			t.Fatal(err)
		}
		cfg := f.config(t, l)
		cfg.HostKeys = keys
		before := f.dials.Load()
		_, err = sftp.Open(ctxT(t), cfg)
		var he *sftp.HostKeyError
		if !errors.Is(err, connectors.ErrHostKey) || !errors.As(err, &he) {
			t.Fatalf("Open with no pinned key: %v, want a HostKeyError", err)
		}
		if len(he.Pinned) != 0 || he.Got != got || !strings.Contains(err.Error(), "unknown") ||
			!strings.Contains(err.Error(), f.srv.Addr()[len("127.0.0.1:"):]) || !strings.Contains(err.Error(), got) {
			t.Errorf("error %q does not name the host and the fingerprint %s", err, got)
		}
		if n := f.dials.Load() - before; n != 1 {
			t.Errorf("unknown host key tried on %d connections, want 1", n)
		}

		// What `connectors trust` does: read the key, pin it, connect.
		key, err := sftp.Scan(ctxT(t), "127.0.0.1", f.srv.Port, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if sftp.Fingerprint(key) != got {
			t.Fatalf("Scan got %s, server has %s", sftp.Fingerprint(key), got)
		}
		if err := keys.Pin(f.srv.Addr(), key); err != nil {
			t.Fatal(err)
		}
		c := f.open(t, cfg)
		if _, err := c.List(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("changed", func(t *testing.T) {
		keys, err := sftp.OpenHostKeys(filepath.Join(t.TempDir(), "known_hosts"))
		if err != nil {
			t.Fatal(err)
		}
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		impostor, _ := ssh.NewPublicKey(pub)
		if err := keys.Pin(f.srv.Addr(), impostor); err != nil {
			t.Fatal(err)
		}
		cfg := f.config(t, l)
		cfg.HostKeys = keys
		_, err = sftp.Open(ctxT(t), cfg)
		var he *sftp.HostKeyError
		if !errors.Is(err, connectors.ErrHostKey) || !errors.As(err, &he) {
			t.Fatalf("Open with another pinned key: %v, want a HostKeyError", err)
		}
		want := sftp.Fingerprint(impostor)
		if he.Got != got || len(he.Pinned) != 1 || he.Pinned[0] != want ||
			!strings.Contains(err.Error(), "CHANGED") || !strings.Contains(err.Error(), got) || !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name both fingerprints (%s, pinned %s)", err, got, want)
		}
		// Pinning the right key replaces the wrong one.
		if err := keys.Pin(f.srv.Addr(), f.srv.HostKey); err != nil {
			t.Fatal(err)
		}
		if pinned, _ := keys.Lookup(f.srv.Addr()); len(pinned) != 1 || sftp.Fingerprint(pinned[0]) != got {
			t.Fatalf("after Pin, pinned %v", pinned)
		}
		f.open(t, cfg)
	})
}

// pausingReader gives its data, stopping once, on its pass-th read through the data
// (passes start at offset 0), after pauseAt bytes until resumed. pausingSeeker makes it
// an io.ReadSeeker.
type pausingReader struct {
	r       *bytes.Reader
	pauseAt int64
	pass    int
	passes  int
	paused  chan struct{}
	resume  chan struct{}
	done    bool
}

func newPausingReader(data []byte, pauseAt int64, pass int) *pausingReader {
	return &pausingReader{r: bytes.NewReader(data), pauseAt: pauseAt, pass: pass,
		paused: make(chan struct{}), resume: make(chan struct{})}
}

func (p *pausingReader) Read(b []byte) (int, error) {
	pos := p.r.Size() - int64(p.r.Len())
	if pos == 0 {
		p.passes++
	}
	armed := !p.done && p.passes == p.pass
	if armed && pos >= p.pauseAt {
		p.done = true
		close(p.paused)
		<-p.resume
	} else if armed && pos+int64(len(b)) > p.pauseAt {
		b = b[:p.pauseAt-pos]
	}
	return p.r.Read(b)
}

type pausingSeeker struct{ *pausingReader }

func (p pausingSeeker) Seek(off int64, whence int) (int64, error) { return p.r.Seek(off, whence) }

// uploaded is what an upload run in the background returned.
type uploaded struct {
	rec connectors.Receipt
	err error
}

// uploadPausing uploads data under name through c in the background, pausing once
// pauseAt bytes are read (first pass); wait on pr.paused, then close pr.resume.
func uploadPausing(t *testing.T, c connectors.Connector, name string, data []byte, pauseAt int64) (*pausingReader, <-chan uploaded) {
	pr := newPausingReader(data, pauseAt, 1)
	result := make(chan uploaded, 1)
	go func() {
		rec, err := c.Upload(ctxT(t), name, pausingSeeker{pr}, int64(len(data)))
		result <- uploaded{rec, err}
	}()
	return pr, result
}

// TestServerKilledMidUpload: the server dies with part of the file written. The upload
// is reported as failed and nothing is recorded; once the server is back, sending
// again leaves exactly one file with the right bytes, and a third send sends nothing.
func TestServerKilledMidUpload(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l, remote := f.layout(t, connectortest.BaseLayout())
	c := f.open(t, f.config(t, l))
	ledger, err := connectors.OpenFileLedger(filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	data := connectortest.Payload(4<<20, 'K')
	const name = "KILLED_837P.txt"
	ctx := ctxT(t)

	// Send retries (the reader can seek), but the server stays down for every try.
	pr := newPausingReader(data, 1<<20, 2) // pass 1 is Send hashing the file
	result := make(chan error, 1)
	go func() {
		_, err := connectors.Send(ctx, c, ledger, "acct", name, pausingSeeker{pr})
		result <- err
	}()
	<-pr.paused
	if temps := tempFiles(remote.Files(t, connectortest.Out), name); len(temps) != 1 {
		t.Fatalf("%d temporary files while uploading, want 1", len(temps))
	}
	f.srv.Kill()
	close(pr.resume)
	err = <-result
	if err == nil {
		t.Fatal("upload to a killed server reported as sent")
	}
	if !errors.Is(err, connectors.ErrTransient) {
		t.Errorf("error %v does not wrap ErrTransient", err)
	}
	if _, ok, _ := ledger.UploadedBefore(ctx, "acct", name); ok {
		t.Fatal("failed upload recorded in the ledger")
	}
	out := remote.Files(t, connectortest.Out)
	if out[name] != nil {
		t.Fatal("failed upload left the final name")
	}
	for _, part := range tempFiles(out, name) {
		t.Logf("temporary file holds %d of %d bytes", len(part), len(data))
	}

	f.srv.Start()
	dialsBefore := f.dials.Load()
	rec, err := connectors.Send(ctx, c, ledger, "acct", name, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Send after restart: %v", err)
	}
	if rec.Earlier || rec.Bytes != int64(len(data)) || rec.SHA256 != connectortest.SHA256(data) {
		t.Errorf("receipt %+v", rec)
	}
	if f.dials.Load() == dialsBefore {
		t.Error("the dead connection was reused")
	}
	again, err := connectors.Send(ctx, c, ledger, "acct", name, bytes.NewReader(data))
	if err != nil || !again.Earlier {
		t.Fatalf("third Send: %+v %v, want the recorded receipt", again, err)
	}
	out = remote.Files(t, connectortest.Out)
	if len(out) != 1 || !bytes.Equal(out[name], data) {
		for n, b := range out {
			t.Errorf("upload folder holds %s, %d bytes", n, len(b))
		}
		t.Fatalf("want exactly %s with %d bytes", name, len(data))
	}
}

// tempFiles picks the temporary files of uploads of name from a folder's files:
// name.<attempt>.part.
func tempFiles(files map[string][]byte, name string) map[string][]byte {
	temps := map[string][]byte{}
	for n, data := range files {
		if strings.HasPrefix(n, name+".") && strings.HasSuffix(n, ".part") {
			temps[n] = data
		}
	}
	return temps
}

// TestRetryAcrossRestart: the server dies mid-upload and comes back during the
// backoff; the upload's own retry completes it, once.
func TestRetryAcrossRestart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l, remote := f.layout(t, connectortest.BaseLayout())
	cfg := f.config(t, l)
	cfg.Backoff = connectors.Backoff{Attempts: 8, Base: 100 * time.Millisecond, Max: 400 * time.Millisecond}
	c := f.open(t, cfg)
	data := connectortest.Payload(2<<20, 'R')
	pr, result := uploadPausing(t, c, "RETRY.txt", data, 512<<10)
	<-pr.paused
	f.srv.Kill()
	close(pr.resume)
	time.Sleep(150 * time.Millisecond)
	f.srv.Start()
	r := <-result
	if r.err != nil {
		t.Fatalf("Upload: %v", r.err)
	}
	if r.rec.Bytes != int64(len(data)) || r.rec.SHA256 != connectortest.SHA256(data) {
		t.Errorf("receipt %+v", r.rec)
	}
	out := remote.Files(t, connectortest.Out)
	if len(out) != 1 || !bytes.Equal(out["RETRY.txt"], data) {
		t.Fatalf("upload folder holds %d files", len(out))
	}
	if n := f.dials.Load(); n < 2 {
		t.Errorf("%d connections, want a reconnection", n)
	}
}

// TestUnreadableUploadNotRetried: a non-seekable reader cannot be sent twice, so the
// failure comes back at once for the caller to retry with the content.
func TestUnreadableUploadNotRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l, remote := f.layout(t, connectortest.BaseLayout())
	c := f.open(t, f.config(t, l))
	data := connectortest.Payload(2<<20, 'U')
	pr := newPausingReader(data, 256<<10, 1)
	result := make(chan error, 1)
	go func() {
		_, err := c.Upload(ctxT(t), "U.txt", pr, int64(len(data)))
		result <- err
	}()
	<-pr.paused
	f.srv.Kill()
	close(pr.resume)
	err := <-result
	if !errors.Is(err, connectors.ErrTransient) {
		t.Fatalf("Upload: %v, want ErrTransient", err)
	}
	if n := f.dials.Load(); n != 1 {
		t.Errorf("%d connections, want 1 (no retry)", n)
	}
	f.srv.Start()
	if _, err := c.Upload(ctxT(t), "U.txt", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if out := remote.Files(t, connectortest.Out); len(out) != 1 || !bytes.Equal(out["U.txt"], data) {
		t.Fatalf("upload folder holds %d files", len(out))
	}
}

// TestDownServerRetriedThenGivesUp: connecting to a port nobody listens on is retried
// the configured number of times, then reported as transient.
func TestDownServerRetriedThenGivesUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l, _ := f.layout(t, connectortest.BaseLayout())
	f.srv.Kill()
	_, err := sftp.Open(ctxT(t), f.config(t, l))
	if !errors.Is(err, connectors.ErrTransient) {
		t.Fatalf("Open on a stopped server: %v, want ErrTransient", err)
	}
	if n := f.dials.Load(); n != 3 {
		t.Errorf("%d tries, want 3", n)
	}
}

// TestContextBoundsHandshake: a server that accepts and never speaks cannot hold a
// run past its context's deadline.
func TestContextBoundsHandshake(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	keys, _ := sftp.OpenHostKeys(filepath.Join(t.TempDir(), "known_hosts"))
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = sftp.Open(ctx, sftp.Config{
		Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, User: "x",
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeys: keys,
		Layout: connectortest.BaseLayout(), DialTimeout: time.Minute,
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open: %v, want the context's deadline", err)
	}
}
