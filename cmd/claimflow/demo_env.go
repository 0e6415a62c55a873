package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/connectors/connection"
	"github.com/claimflow/claimflow/connectors/sftp"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
	"golang.org/x/crypto/ssh"
)

// demoClearinghouse is the simulator's name in the demo's configuration.
const demoClearinghouse = "sim"

// demoUser is the SFTP user the demo logs in to the simulator as.
const demoUser = "demo"

// demoSystem is everything the demo runs on: the store, the embedded NATS server and
// bus, the simulator, and the env of the stages.
type demoSystem struct {
	dataDir string
	store   *storage.Store
	server  *bus.EmbeddedServer
	bus     *bus.Bus
	sim     *simulator.Server
	env     *pipeline.Env
}

// demoRules are the simulator's rules for the demo: the defaults (NPI and balance
// edits, member ids starting ZZ unknown, fee schedule, copay, coinsurance, denials,
// reversals, interest) with a small deductible, so that most claims are paid
// something.
func demoRules() simulator.Rules {
	r := simulator.DefaultRules()
	r.Deductible = 50_00
	return r
}

// startDemoSystem sets up a fresh data directory: the SQLite database (or, with a
// database URL, that PostgreSQL database, which must hold no claims), a NATS server
// with JetStream under DIR/nats, the simulator on a loopback port with its host key
// pinned in DIR/known_hosts, a key for the demo user, DIR/connections.yaml and
// DIR/claimflow.yaml pointing at it, and the stages' env. Close stops everything.
//
// With keepState the simulator's state is written to DIR/simulator/state.json when
// it stops (for a kept data directory); otherwise it stays in memory.
func startDemoSystem(ctx context.Context, dataDir, database string, keepState bool, seed uint64, rules simulator.Rules, log *slog.Logger) (_ *demoSystem, err error) {
	d := &demoSystem{dataDir: dataDir}
	defer func() {
		if err != nil {
			d.Close(context.WithoutCancel(ctx))
		}
	}()
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	dbURL := database
	if dbURL == "" {
		dbURL = "sqlite://" + filepath.Join(dataDir, databaseFile)
	} else if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		return nil, errors.New("--database: want a postgres:// URL (the demo's own SQLite file needs none)")
	}
	if database != "" {
		if err := checkDemoDatabase(ctx, database); err != nil {
			return nil, err
		}
	}
	if d.store, err = storage.Open(ctx, dbURL, storage.MigrateOnOpen()); err != nil {
		return nil, fmt.Errorf("opening the demo database: %w", err)
	}
	if d.server, err = bus.Embedded(ctx, filepath.Join(dataDir, "nats")); err != nil {
		return nil, fmt.Errorf("starting the embedded NATS server: %w", err)
	}
	if d.bus, err = bus.Connect(ctx, bus.Config{Embedded: d.server}); err != nil {
		return nil, fmt.Errorf("connecting to the embedded NATS server: %w", err)
	}

	simDir := filepath.Join(dataDir, "simulator")
	if err := os.MkdirAll(simDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the simulator's directory: %w", err)
	}
	hostKey, err := loadOrCreateHostKey(filepath.Join(simDir, "ssh_host_ed25519_key"))
	if err != nil {
		return nil, err
	}
	userKeyFile := filepath.Join(dataDir, "demo_ed25519")
	userKey, err := newUserKey(userKeyFile)
	if err != nil {
		return nil, err
	}
	stateFile := ""
	if keepState {
		stateFile = filepath.Join(simDir, "state.json")
	}
	d.sim, err = simulator.New(simulator.Config{
		HostKey: hostKey, Root: filepath.Join(simDir, "root"), StateFile: stateFile, SaveOnClose: true,
		Users: map[string]simulator.User{demoUser: {AuthorizedKeys: []ssh.PublicKey{userKey}}},
		Seed:  seed, Rules: &rules, AutoRespond: true, Name: "CLAIMFLOW DEMO CLEARINGHOUSE", Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("setting up the clearinghouse simulator: %w", err)
	}
	addr, err := d.sim.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("starting the clearinghouse simulator: %w", err)
	}
	keys, err := sftp.OpenHostKeys(filepath.Join(dataDir, "known_hosts"))
	if err != nil {
		return nil, err
	}
	if err := keys.Pin(addr, d.sim.HostKey()); err != nil {
		return nil, fmt.Errorf("pinning the simulator's host key: %w", err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("reading the simulator's address %s: %w", addr, err)
	}
	connPath := filepath.Join(dataDir, "connections.yaml")
	conns := fmt.Sprintf(`# Written by claimflow demo: the simulator it ran (stopped since) on a loopback port.
connections:
  %s:
    profile: generic
    host: %s
    port: %s
    user: %s
    key_file: %s
`, demoClearinghouse, host, port, demoUser, userKeyFile)
	if err := os.WriteFile(connPath, []byte(conns), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", connPath, err)
	}
	cfgPath := filepath.Join(dataDir, "claimflow.yaml")
	cfgText := fmt.Sprintf(`# Written by claimflow demo: the embedded defaults and the simulator as the one
# clearinghouse, its schedules off (the demo drives the stages itself).
data_dir: %s
nats: {embedded: true}
clearinghouses:
  %s:
    profile: generic
    schedule: {submit: "off", poll: "off", post: "off"}
`, dataDir, demoClearinghouse)
	if database != "" {
		// Other commands pointed at the kept directory read the same database. A
		// password stays out of the file (the configuration refuses one there).
		if u, err := url.Parse(database); err == nil {
			if _, secret := u.User.Password(); !secret {
				cfgText += fmt.Sprintf("database:\n  url: %q\n", database)
			} else {
				cfgText += "# database: the --database URL the demo ran on (it holds a password: set CLAIMFLOW_DATABASE_URL)\n"
			}
		}
	}
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", cfgPath, err)
	}
	cfg, err := config.Load(cfgPath, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the demo's configuration: %w", err)
	}
	chs, err := pipeline.ClearinghousesFromConfig(ctx, cfg, d.store, connection.Env{
		ConfigPath: connPath, KnownHosts: filepath.Join(dataDir, "known_hosts"), Logger: log,
	})
	if err != nil {
		return nil, err
	}
	d.env = &pipeline.Env{
		Store: d.store, Topology: d.bus.Topology(), Clearinghouses: chs, DataDir: dataDir, Logger: log,
		DefaultClearinghouse: demoClearinghouse,
		Submitter: x837p.Party{Name: "CLAIMFLOW DEMO PRACTICE", ID: "CFDEMO",
			Contact: billing.Contact{Name: "BILLING OFFICE", Phone: "5555550100"}},
	}
	return d, nil
}

// checkDemoDatabase refuses a --database that holds claims, before anything is
// written to it (the demo migrates its database): the summary counts every claim in
// the database, so the demo's must be all, and the demo never mixes into real data.
func checkDemoDatabase(ctx context.Context, database string) error {
	st, err := storage.Open(ctx, database, storage.SkipSchemaCheck())
	if err != nil {
		return fmt.Errorf("opening the demo database: %w", err)
	}
	defer st.Close(context.WithoutCancel(ctx))
	status, err := st.SchemaStatus(ctx)
	if err != nil {
		return fmt.Errorf("reading the demo database: %w", err)
	}
	if status.Current == 0 {
		return nil // no claimflow tables yet
	}
	b, err := st.Backlog(ctx)
	if err != nil {
		return fmt.Errorf("reading the demo database: %w", err)
	}
	var n int64
	for _, c := range b.ByState {
		n += c
	}
	if n > 0 {
		return fmt.Errorf("--database holds %d claims already: the demo needs a database (or schema) of its own", n)
	}
	return nil
}

// newUserKey makes the demo user's ed25519 key, saved (0600) for the connection.
func newUserKey(path string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("making the demo user's key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "claimflow demo")
	if err != nil {
		return nil, fmt.Errorf("making the demo user's key: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("saving the demo user's key: %w", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("making the demo user's key: %w", err)
	}
	return sshPub, nil
}

// Close stops the simulator, the bus, the NATS server and the store, in that order.
func (d *demoSystem) Close(ctx context.Context) error {
	var errs []error
	if d.sim != nil {
		errs = append(errs, d.sim.Close())
	}
	if d.bus != nil {
		errs = append(errs, d.bus.Close(ctx))
	}
	if d.server != nil {
		errs = append(errs, d.server.Shutdown(ctx))
	}
	if d.store != nil {
		errs = append(errs, d.store.Close(ctx))
	}
	return errors.Join(errs...)
}

// quietLogger logs warnings and errors only (ids, never PHI), or nothing.
func quietLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
