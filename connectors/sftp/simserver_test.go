package sftp_test

// The clearinghouse simulator served over SFTP on a loopback port, as the project's
// other tests use it, with a client whose TCP connections the test can cut: for the
// tests that need no OpenSSH, or a server that misbehaves on cue.

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/connectortest"
	"github.com/claimflow/claimflow/connectors/sftp"
	"github.com/claimflow/claimflow/connectors/simulator"
	"golang.org/x/crypto/ssh"
)

// simFixture is a simulator serving SFTP and what a client needs to reach it.
type simFixture struct {
	sim    *simulator.Server
	remote connectortest.DirRemote
	keys   *sftp.HostKeys
	cfg    sftp.Config

	mu    sync.Mutex
	conns []net.Conn // every TCP connection the client made
}

// startSim serves the layout l (relative folders, as connectortest's) from a fresh
// root; hostKey nil: an ed25519 key is generated. The client configuration pins the
// simulator's key, retries fast, records its connections and takes inbound files
// as listed (Settle off: the tests that need it set it).
func startSim(t *testing.T, l connectors.Layout, hostKey ssh.Signer) *simFixture {
	t.Helper()
	root := t.TempDir()
	user := connectortest.NewSigner(t)
	sim, err := simulator.New(simulator.Config{Root: root, Layout: &l, HostKey: hostKey,
		Users:  map[string]simulator.User{"tester": {AuthorizedKeys: []ssh.PublicKey{user.PublicKey()}}},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	addr, err := sim.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sftp.OpenHostKeys(filepath.Join(t.TempDir(), "known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Pin(addr, sim.HostKey()); err != nil {
		t.Fatal(err)
	}
	host, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	a := &simFixture{sim: sim, remote: connectortest.DirRemote(root), keys: keys}
	d := &net.Dialer{}
	a.cfg = sftp.Config{
		Host: host, Port: port, User: "tester",
		Auth: []ssh.AuthMethod{ssh.PublicKeys(user)}, HostKeys: keys, Layout: l,
		Backoff:     connectors.Backoff{Attempts: 3, Base: 20 * time.Millisecond, Max: 100 * time.Millisecond},
		DialTimeout: 5 * time.Second, Settle: -1, Logger: slog.New(slog.DiscardHandler),
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err == nil {
				a.mu.Lock()
				a.conns = append(a.conns, c)
				a.mu.Unlock()
			}
			return c, err
		},
	}
	return a
}

// open connects a client with the fixture's configuration.
func (a *simFixture) open(t *testing.T) *sftp.Client {
	t.Helper()
	c, err := sftp.Open(ctxT(t), a.cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// cut closes the client's newest TCP connection: a network drop.
func (a *simFixture) cut(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.conns) == 0 {
		t.Fatal("no connection to cut")
	}
	a.conns[len(a.conns)-1].Close()
}

// waitDone waits for ch up to d and reports whether it was closed or sent on.
func waitDone[T any](ch <-chan T, d time.Duration) (T, bool) {
	var zero T
	select {
	case v := <-ch:
		return v, true
	case <-time.After(d):
		return zero, false
	}
}
