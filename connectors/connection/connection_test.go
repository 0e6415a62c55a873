package connection_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/connection"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLocalConnectionSendsAndPulls(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root := filepath.Join(dir, "clearinghouse")
	cfg := write(t, dir, "connections.yaml", `
connections:
  oa-dev: {profile: officeally, transport: local, root: `+root+`}
`)
	c, err := connection.Find(cfg, "oa-dev")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, p, err := connection.Open(ctx, c, connection.Env{ConfigPath: cfg, KnownHosts: filepath.Join(dir, "known_hosts")})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ledger, err := connectors.OpenFileLedger(filepath.Join(dir, "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	if _, err := connectors.Send(ctx, conn, ledger, c.Name, "OATEST_837P_1.txt", bytes.NewReader([]byte("ISA*..."))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "inbound", "OATEST_837P_1.txt")); err != nil {
		t.Fatalf("not in the profile's upload folder: %v", err)
	}
	// Office Ally in test mode: a name without OATEST would reach payers.
	if _, err := connectors.Send(ctx, conn, ledger, c.Name, "ACME_837P_1.txt", bytes.NewReader([]byte("x"))); !errors.Is(err, connectors.ErrNotAllowed) {
		t.Fatalf("test-mode send without OATEST: %v", err)
	}
	write(t, filepath.Join(root, "outbound"), "F1_ERA_835_5010_20260101.835", "ISA")
	got, err := connectors.Pull(ctx, conn, ledger, c.Name, filepath.Join(dir, "inbox"))
	if err != nil || len(got) != 1 || p.KindByName(got[0].Remote.Name) != "835" {
		t.Fatalf("Pull: %+v %v", got, err)
	}
	// Office Ally keeps its files: the ledger keeps us from taking them twice.
	if got, err := connectors.Pull(ctx, conn, ledger, c.Name, filepath.Join(dir, "inbox")); err != nil || len(got) != 0 {
		t.Fatalf("second Pull: %+v %v", got, err)
	}
}

func TestSecrets(t *testing.T) {
	dir := t.TempDir()
	pw := write(t, dir, "pw", "s3cret\n")
	if v, err := (connection.Secret{File: pw}).Read(); err != nil || string(v) != "s3cret" {
		t.Errorf("file secret %q %v", v, err)
	}
	t.Setenv("CLAIMFLOW_TEST_SECRET", "from-env")
	if v, err := (connection.Secret{Env: "CLAIMFLOW_TEST_SECRET"}).Read(); err != nil || string(v) != "from-env" {
		t.Errorf("env secret %q %v", v, err)
	}
	if _, err := (connection.Secret{Env: "CLAIMFLOW_TEST_UNSET"}).Read(); err == nil {
		t.Error("unset variable read")
	}
	if s := (connection.Secret{File: pw}).String(); strings.Contains(s, "s3cret") {
		t.Errorf("String() shows the secret: %s", s)
	}
	cfg := write(t, dir, "connections.yaml", "connections:\n  x: {host: h, user: u, password: s3cret}\n")
	if _, err := connection.Load(cfg); err == nil || !strings.Contains(err.Error(), "not written in the configuration") {
		t.Errorf("literal password accepted: %v", err)
	}
}

func TestOpenNeedsHostUserAndCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := connection.Env{ConfigPath: filepath.Join(dir, "none.yaml"), KnownHosts: filepath.Join(dir, "known_hosts")}
	for _, tc := range []struct {
		c    connection.Connection
		want string
	}{
		{connection.Connection{Name: "stedi"}, "no host"},
		{connection.Connection{Name: "stedi", Host: "127.0.0.1"}, "no user"},
		{connection.Connection{Name: "stedi", Host: "127.0.0.1", User: "u"}, "neither key_file nor password"},
		{connection.Connection{Name: "x", Profile: "nosuch"}, "no profile"},
	} {
		_, _, err := connection.Open(context.Background(), tc.c, env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
	if c, err := connection.Find(env.ConfigPath, "availity"); err != nil || c.ProfileName() != "availity" {
		t.Errorf("Find of a bare profile: %+v %v", c, err)
	}
}

// TestTimings: the SFTP timings a connection may set are read as durations.
func TestTimings(t *testing.T) {
	t.Parallel()
	cfg := write(t, t.TempDir(), "connections.yaml", `
connections:
  slow: {profile: generic, user: u, dial_timeout: 10s, op_timeout: 5m, settle: 15s}
  atomic: {profile: generic, user: u, settle: -1s}
`)
	cs, err := connection.Load(cfg)
	if err != nil || len(cs) != 2 {
		t.Fatalf("Load: %+v %v", cs, err)
	}
	if cs[0].Settle != -time.Second || cs[1].DialTimeout != 10*time.Second || cs[1].OpTimeout != 5*time.Minute || cs[1].Settle != 15*time.Second {
		t.Errorf("timings %+v, %+v", cs[0], cs[1])
	}
}
