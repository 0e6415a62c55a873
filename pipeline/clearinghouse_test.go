package pipeline_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/connection"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/connectors/sftp"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
	"golang.org/x/crypto/ssh"
)

// simName is the simulated clearinghouse's name in the tests.
const simName = "sim"

// front is the front half of the pipeline against the clearinghouse simulator,
// served over SFTP on a loopback port with a pinned host key.
type front struct {
	st   *storage.Store
	env  *pipeline.Env
	sim  *simulator.Server
	root string // the simulator's folder
	wire simWire
}

// simConfig sets up the simulator of a test.
type simConfig struct {
	root        string // a new temporary folder when empty
	autoRespond bool
	stateFile   string
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newFront starts a simulator and returns an env whose only clearinghouse is it.
func newFront(t testing.TB, st *storage.Store, sc simConfig) *front {
	t.Helper()
	if sc.root == "" {
		sc.root = t.TempDir()
	}
	keyFile, pub := clientKey(t)
	sim, err := simulator.New(simulator.Config{
		Root: sc.root, Users: map[string]simulator.User{"tester": {AuthorizedKeys: []ssh.PublicKey{pub}}},
		Seed: 7, AutoRespond: sc.autoRespond, StateFile: sc.stateFile, Logger: testenv.Quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	addr, err := sim.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(t.TempDir(), "known_hosts")
	keys, err := sftp.OpenHostKeys(knownHosts)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Pin(addr, sim.HostKey()); err != nil {
		t.Fatal(err)
	}
	sw := simWire{Addr: addr, KeyFile: keyFile, KnownHosts: knownHosts}
	return &front{st: st, env: sw.env(t, st, t.TempDir()), sim: sim, root: sc.root, wire: sw}
}

// simWire is how to reach a simulator: enough for another process to connect.
type simWire struct {
	Addr       string // host:port
	KeyFile    string // the SFTP user's private key, OpenSSH PEM
	KnownHosts string // with the simulator's host key pinned
}

// env returns an env whose only clearinghouse is the simulator at sw.
func (sw simWire) env(t testing.TB, st *storage.Store, dataDir string) *pipeline.Env {
	t.Helper()
	host, portText, _ := net.SplitHostPort(sw.Addr)
	port, _ := strconv.Atoi(portText)
	pemBytes, err := os.ReadFile(sw.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParsePrivateKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sftp.OpenHostKeys(sw.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.Load("generic", "")
	if err != nil {
		t.Fatal(err)
	}
	layout, err := p.Layout()
	if err != nil {
		t.Fatal(err)
	}
	ch := &pipeline.Clearinghouse{
		Name: simName, Profile: p, Prefix: "TEST", Ledger: pipeline.TransferLedger(st),
		Open: func(ctx context.Context) (connectors.Connector, error) {
			return sftp.Open(ctx, sftp.Config{Host: host, Port: port, User: "tester",
				Auth: []ssh.AuthMethod{ssh.PublicKeys(key)}, HostKeys: keys, Layout: layout,
				Backoff: connectors.Backoff{Attempts: 2, Base: 10 * time.Millisecond, Max: 50 * time.Millisecond},
				// Settle off: the tests write whole files, some of them not X12.
				DialTimeout: 5 * time.Second, Settle: -1, Logger: testenv.Quiet()})
		},
	}
	top, err := bus.NewTopology(bus.DefaultNamespace)
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline.Env{
		Store: st, Topology: top, Clearinghouses: map[string]*pipeline.Clearinghouse{simName: ch},
		DataDir: dataDir, Logger: testenv.Quiet(), DefaultClearinghouse: simName,
		Submitter: x837p.Party{Name: "CLAIMFLOW TEST", ID: "CFTEST", Contact: billing.Contact{Phone: "5555550100"}},
	}
}

// clientKey writes a fresh ed25519 key for the SFTP user to a file and returns
// the file and the public key.
func clientKey(t testing.TB) (string, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return path, sp
}

// fixtureClaims are n synthetic claims of a seed, read back from the generator's
// 837P: valid for the guide, the scrubber and the simulator.
func fixtureClaims(t testing.TB, seed uint64, n int) []billing.Claim {
	t.Helper()
	var buf bytes.Buffer
	if _, err := fixtures.Write837P(&buf, fixtures.Options{Seed: seed, Claims: n, ClaimsPerST: n}); err != nil {
		t.Fatal(err)
	}
	claims, err := x837p.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return claims
}

// uploads lists the files in the simulator's upload folder (final names only).
func (f *front) uploads(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(f.root, f.sim.Layout().UploadDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && filepath.Ext(e.Name()) == ".x12" {
			names = append(names, e.Name())
		}
	}
	return names
}

// states counts the claims by state.
func states(t testing.TB, st *storage.Store, ids []int64) map[storage.ClaimState]int {
	t.Helper()
	n := map[storage.ClaimState]int{}
	for _, id := range ids {
		s, err := st.ClaimState(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		n[s]++
	}
	return n
}

// TestClearinghousesFromConfig: the configuration's clearinghouses come with the
// connection of their name (its profile and prefix), their schedules, and the
// store's ledger; a clearinghouse without a connection gets its profile alone.
func TestClearinghousesFromConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conns := filepath.Join(dir, "connections.yaml")
	if err := os.WriteFile(conns, []byte(`connections:
  acme-availity:
    profile: availity
    user: acme
    prefix: ACME
profiles:
  availity: {envelope: {isa06: ACME123}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "claimflow.yaml")
	if err := os.WriteFile(cfgFile, []byte(`data_dir: `+dir+`
clearinghouses:
  acme-availity:
    schedule: {submit: "30 22 * * mon-fri", poll: "*/10 * * * *"}
  officeally: {}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := testenv.SQLite(t)
	chs, err := pipeline.ClearinghousesFromConfig(ctxT(t), cfg, st, connection.Env{ConfigPath: conns, KnownHosts: filepath.Join(dir, "known_hosts")})
	if err != nil {
		t.Fatal(err)
	}
	av, oa := chs["acme-availity"], chs["officeally"]
	if len(chs) != 2 || av == nil || oa == nil {
		t.Fatalf("clearinghouses %v", chs)
	}
	if av.Profile.Name != "availity" || av.Profile.Envelope.ISA06 != "ACME123" || av.Prefix != "ACME" || av.Schedule.Submit.IsZero() || av.Ledger == nil {
		t.Errorf("acme-availity = %+v", av)
	}
	if oa.Profile.Name != "officeally" || oa.Prefix != "" || oa.Ledger == nil {
		t.Errorf("officeally = %+v", oa)
	}
	// Opening fails (no host for the availity test account here), and says where.
	if _, err := av.Open(ctxT(t)); err == nil {
		t.Error("opening a connection without credentials worked")
	}
}
