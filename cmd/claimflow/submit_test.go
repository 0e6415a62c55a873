package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors/sftp"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
	"golang.org/x/crypto/ssh"
)

// oneShotSite is an installation for the one-shot commands: a migrated SQLite
// database in a data directory, a configuration with one clearinghouse "sim", and
// its connection to a clearinghouse simulator over SFTP with a pinned host key.
type oneShotSite struct {
	dataDir, config string
	sim             *simulator.Server
	simRoot         string
}

func newOneShotSite(t *testing.T) *oneShotSite {
	t.Helper()
	s := &oneShotSite{dataDir: t.TempDir(), simRoot: t.TempDir()}
	if code, out, errOut := runCLI(t, "migrate", "up", "--data-dir", s.dataDir); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(s.dataDir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	s.sim, err = simulator.New(simulator.Config{Root: s.simRoot, Seed: 3, AutoRespond: true,
		Users: map[string]simulator.User{"tester": {AuthorizedKeys: []ssh.PublicKey{sshPub}}}, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.sim.Close() })
	addr, err := s.sim.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sftp.OpenHostKeys(filepath.Join(s.dataDir, "known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Pin(addr, s.sim.HostKey()); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	conns := fmt.Sprintf(`connections:
  sim:
    profile: generic
    host: %s
    port: %s
    user: tester
    key_file: %s
    prefix: CLI
profiles:
  generic: {envelope: {isa06: CFCLI, gs02: CFCLI}}
`, host, port, keyFile)
	if err := os.WriteFile(filepath.Join(s.dataDir, "connections.yaml"), []byte(conns), 0o600); err != nil {
		t.Fatal(err)
	}
	s.config = filepath.Join(s.dataDir, "claimflow.yaml")
	if err := os.WriteFile(s.config, []byte("data_dir: "+s.dataDir+"\nclearinghouses:\n  sim: {profile: generic}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// importClaims imports n synthetic claims of a seed into the site's database.
func (s *oneShotSite) importClaims(t *testing.T, seed uint64, n int) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := fixtures.Write837P(&buf, fixtures.Options{Seed: seed, Claims: n, ClaimsPerST: n}); err != nil {
		t.Fatal(err)
	}
	claims, err := x837p.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := billing.WriteJSON(&js, claims); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "claims.json")
	if err := os.WriteFile(path, js.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "claims", "import", "--data-dir", s.dataDir, path)
	if code != 0 {
		t.Fatalf("claims import: %d\n%s%s", code, out, errOut)
	}
	return out
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestSubmitFetchCommands: claims imported into the database are validated at once;
// `claimflow submit` builds and uploads them in one file with ISA13 1 and prints it;
// a second run has nothing to send; `claimflow fetch` takes the simulator's answers
// and prints what each is; a second fetch has nothing new.
func TestSubmitFetchCommands(t *testing.T) {
	t.Parallel()
	s := newOneShotSite(t)
	if out := s.importClaims(t, 5, 4); !strings.Contains(out, "4 claims stored, 0 stored before; scrubbed: 4 validated, 0 held") {
		t.Fatalf("import output:\n%s", out)
	}
	if out := s.importClaims(t, 5, 4); !strings.Contains(out, "0 claims stored, 4 stored before") {
		t.Fatalf("second import output:\n%s", out)
	}
	// The submitter comes from the configuration (no --submitter-* flag here).
	withSubmitter := filepath.Join(t.TempDir(), "claimflow.yaml")
	if err := os.WriteFile(withSubmitter, []byte("data_dir: "+s.dataDir+"\nsubmitter: {id: CFTEST, phone: \"5555550100\"}\nclearinghouses:\n  sim: {profile: generic}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	submit := []string{"submit", "--config", withSubmitter, "--data-dir", s.dataDir}
	code, out, errOut := runCLI(t, submit...)
	if code != 0 {
		t.Fatalf("submit: %d\n%s%s", code, out, errOut)
	}
	line := regexp.MustCompile(`(?m)^sim  CLI_837P_\d{14}_000000001\.x12  4 claims  ISA13 000000001  \d+ bytes  sent$`)
	if !line.MatchString(out) {
		t.Fatalf("submit output:\n%s", out)
	}
	up, err := os.ReadDir(filepath.Join(s.simRoot, s.sim.Layout().UploadDir))
	if err != nil || len(up) != 1 {
		t.Fatalf("the server holds %v (%v)", up, err)
	}
	if code, out, _ := runCLI(t, submit...); code != 0 || !strings.Contains(out, "sim: no claims ready, nothing to send") {
		t.Fatalf("second submit: %d\n%s", code, out)
	}

	fetch := []string{"fetch", "--config", s.config, "--data-dir", s.dataDir}
	code, out, errOut = runCLI(t, fetch...)
	if code != 0 {
		t.Fatalf("fetch: %d\n%s%s", code, out, errOut)
	}
	for _, kind := range []string{"ta1", "999", "277ca", "835"} {
		if !regexp.MustCompile(`(?m)^sim  \S+  \d+ bytes  ` + kind + `$`).MatchString(out) {
			t.Errorf("fetch output lacks a %s:\n%s", kind, out)
		}
	}
	if code, out, _ := runCLI(t, fetch...); code != 0 || !strings.Contains(out, "sim: nothing new") {
		t.Fatalf("second fetch: %d\n%s", code, out)
	}
}

// TestSubmitCommandFailures: an unknown clearinghouse, a missing submitter
// contact and an outdated database end with exit status 2 and a message.
func TestSubmitCommandFailures(t *testing.T) {
	t.Parallel()
	s := newOneShotSite(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"submit", "--config", s.config, "--data-dir", s.dataDir, "--submitter-phone", "1", "--clearinghouse", "nope"}, `no clearinghouse "nope"`},
		{[]string{"submit", "--config", s.config, "--data-dir", s.dataDir}, "--submitter-phone"},
		{[]string{"fetch", "--config", s.config, "--data-dir", t.TempDir()}, "migrate up"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
