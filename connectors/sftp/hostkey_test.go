package sftp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/connectortest"
	"github.com/claimflow/claimflow/connectors/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestHostKeyTypeChangeReported: the pinned key is ed25519 and the server now
// presents an ECDSA key (an RSA-only rebuild is the same). The handshake must not
// fail on "no common algorithm for host key": the key is refused as CHANGED, with
// both fingerprints, and never accepted.
func TestHostKeyTypeChangeReported(t *testing.T) {
	t.Parallel()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	a := startSim(t, connectortest.BaseLayout(), ecKey)
	keys, err := sftp.OpenHostKeys(filepath.Join(t.TempDir(), "known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	old := connectortest.NewSigner(t).PublicKey() // the ed25519 key pinned before the server changed
	if err := keys.Pin(a.sim.Addr(), old); err != nil {
		t.Fatal(err)
	}
	cfg := a.cfg
	cfg.HostKeys = keys
	_, err = sftp.Open(ctxT(t), cfg)
	var he *sftp.HostKeyError
	if !errors.Is(err, connectors.ErrHostKey) || !errors.As(err, &he) || !strings.Contains(err.Error(), "CHANGED") {
		t.Fatalf("Open to a server whose key changed type: %v, want a HostKeyError saying CHANGED", err)
	}
	if he.Got != sftp.Fingerprint(ecKey.PublicKey()) || !slices.Equal(he.Pinned, []string{sftp.Fingerprint(old)}) {
		t.Errorf("error names %s and pinned %v, want %s and %s", he.Got, he.Pinned, sftp.Fingerprint(ecKey.PublicKey()), sftp.Fingerprint(old))
	}
}

// TestPinReplacesKeyOnEveryLine: pinning the clearinghouse's new key leaves the old
// one trusted on no line of known_hosts, whatever form the line has: OpenSSH's
// "host,alias key", a hashed host, a pattern. Other hosts keep their keys.
func TestPinReplacesKeyOnEveryLine(t *testing.T) {
	t.Parallel()
	oldKey := connectortest.NewSigner(t)
	a := startSim(t, connectortest.BaseLayout(), oldKey) // a server still holding the old key
	addr := a.sim.Addr()
	_, port, _ := net.SplitHostPort(addr)
	keyText := func(k ssh.PublicKey) string {
		return k.Type() + " " + base64.StdEncoding.EncodeToString(k.Marshal())
	}
	otherKey := connectortest.NewSigner(t).PublicKey()
	other := knownhosts.Line([]string{"sftp.other.example"}, otherKey)
	for _, tc := range []struct {
		name, line string
		alias      bool // the line names a host besides addr, which keeps the old key
	}{
		{"several hosts", knownhosts.Line([]string{addr, "sftp-backup.clearinghouse.example"}, oldKey.PublicKey()), true},
		{"hashed", knownhosts.HashHostname(knownhosts.Normalize(addr)) + " " + keyText(oldKey.PublicKey()), false},
		{"pattern", "[127.0.0.*]:" + port + " " + keyText(oldKey.PublicKey()) + " ops note", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "known_hosts")
			if err := os.WriteFile(path, []byte(other+"\n"+tc.line+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			keys, err := sftp.OpenHostKeys(path)
			if err != nil {
				t.Fatal(err)
			}
			if pinned, err := keys.Lookup(addr); err != nil || len(pinned) != 1 {
				t.Fatalf("before Pin, Lookup = %d keys, %v; want the old key", len(pinned), err)
			}
			newKey := connectortest.NewSigner(t).PublicKey()
			if err := keys.Pin(addr, newKey); err != nil {
				t.Fatal(err)
			}
			pinned, err := keys.Lookup(addr)
			if err != nil || len(pinned) != 1 || sftp.Fingerprint(pinned[0]) != sftp.Fingerprint(newKey) {
				t.Errorf("after Pin, Lookup = %d keys (%v), want the new one only", len(pinned), err)
			}
			if got, _ := keys.Lookup("sftp.other.example:22"); len(got) != 1 || sftp.Fingerprint(got[0]) != sftp.Fingerprint(otherKey) {
				t.Errorf("another host's key was changed: %v", got)
			}
			if got, _ := keys.Lookup("sftp-backup.clearinghouse.example:22"); tc.alias != (len(got) == 1) {
				t.Errorf("the alias on the line has %d keys", len(got))
			}
			cfg := a.cfg
			cfg.HostKeys = keys
			c, err := sftp.Open(ctxT(t), cfg)
			if err == nil {
				c.Close(context.Background())
				t.Fatalf("after pinning a new key, a server presenting the old key is still accepted")
			}
			var he *sftp.HostKeyError
			if !errors.As(err, &he) || len(he.Pinned) != 1 || he.Pinned[0] != sftp.Fingerprint(newKey) {
				t.Errorf("Open: %v, want the old key refused with only the new one pinned", err)
			}
			data, _ := os.ReadFile(path)
			if n := strings.Count(string(data), "\n"); n > 3 {
				t.Errorf("known_hosts has %d lines:\n%s", n, data)
			}
		})
	}
}
