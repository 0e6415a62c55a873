package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/claimflow/claimflow/connectors/sftp"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"
	"gopkg.in/yaml.v3"
)

// simulateFlags are the flags of `claimflow simulate`. Secrets come from files.
type simulateFlags struct {
	dataDir, stateDir, root      string
	addr, user                   string
	authorizedKeys, passwordFile string
	rulesFile                    string
	seed                         uint64
	pin, verbose                 bool
}

func newSimulateCommand() *cobra.Command {
	var f simulateFlags
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Run a clearinghouse simulator on a local SFTP port (TA1, 999, 277CA, 835)",
		Long: `simulate runs an SFTP server that behaves like a clearinghouse and its payers: every
837P uploaded to its upload folder is answered in its download folder with a TA1 (when
ISA14 asks, or the envelope is rejected), a 999, a 277CA from the clearinghouse, a
277CA from each payer and an 835 per payer, priced by the rules (--rules, YAML in the
form of simulator.Rules; built-in defaults otherwise). Everything it writes validates
against claimflow's own guides. Data is synthetic; do not send real claims.

The host key is kept in STATE-DIR/ssh_host_ed25519_key (made on the first run), so its
fingerprint stays the same between runs: pin it once (--pin writes it to
DATA-DIR/known_hosts) and point a connection of the generic profile at the address.
Users log in with an authorized key (--authorized-key, OpenSSH authorized_keys format)
or a password read from --password-file. It runs until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSimulate(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")
	fl.StringVar(&f.stateDir, "state-dir", "", "host key and simulator state (default DATA-DIR/simulator)")
	fl.StringVar(&f.root, "root", "", "folder served over SFTP (default STATE-DIR/root)")
	fl.StringVar(&f.addr, "addr", "127.0.0.1:2222", "address to listen on")
	fl.StringVar(&f.user, "user", "claimflow", "SFTP user name")
	fl.StringVar(&f.authorizedKeys, "authorized-key", "", "public keys the user may log in with (authorized_keys format)")
	fl.StringVar(&f.passwordFile, "password-file", "", "file holding the user's password")
	fl.StringVar(&f.rulesFile, "rules", "", "YAML rules (edits, fee schedule, deductible, denials...)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of every random choice: the same uploads and seed give the same answers")
	fl.BoolVar(&f.pin, "pin", false, "pin the host key for the address in DATA-DIR/known_hosts")
	fl.BoolVar(&f.verbose, "verbose", false, "log every upload and response")
	return cmd
}

func runSimulate(cmd *cobra.Command, f *simulateFlags) error {
	if f.authorizedKeys == "" && f.passwordFile == "" {
		return errors.New("simulate: give --authorized-key FILE or --password-file FILE for the user")
	}
	user := simulator.User{}
	if f.authorizedKeys != "" {
		keys, err := readAuthorizedKeys(f.authorizedKeys)
		if err != nil {
			return err
		}
		user.AuthorizedKeys = keys
	}
	if f.passwordFile != "" {
		b, err := os.ReadFile(f.passwordFile)
		if err != nil {
			return fmt.Errorf("reading the password file: %w", err)
		}
		user.Password = strings.TrimRight(string(b), "\r\n")
		if user.Password == "" {
			return fmt.Errorf("the password file %s is empty", f.passwordFile)
		}
	}
	stateDir := f.stateDir
	if stateDir == "" {
		stateDir = filepath.Join(f.dataDir, "simulator")
	}
	root := f.root
	if root == "" {
		root = filepath.Join(stateDir, "root")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", stateDir, err)
	}
	hostKey, err := loadOrCreateHostKey(filepath.Join(stateDir, "ssh_host_ed25519_key"))
	if err != nil {
		return err
	}
	var rules *simulator.Rules
	if f.rulesFile != "" {
		r, err := readRules(f.rulesFile)
		if err != nil {
			return err
		}
		rules = &r
	}
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	sim, err := simulator.New(simulator.Config{
		Addr: f.addr, HostKey: hostKey, Root: root, Seed: f.seed, Rules: rules, AutoRespond: true,
		Users:     map[string]simulator.User{f.user: user},
		StateFile: filepath.Join(stateDir, "state.json"),
		Logger:    log,
	})
	if err != nil {
		return err
	}
	defer sim.Close()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	addr, err := sim.Start(ctx)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: listening on %s, not a loopback address: anyone who can reach it may try to log in\n", addr)
	}
	l := sim.Layout()
	fmt.Fprintf(out, "clearinghouse simulator listening on %s (seed %d)\n", addr, f.seed)
	fmt.Fprintf(out, "host key %s %s\n", sim.HostKey().Type(), sim.Fingerprint())
	fmt.Fprintf(out, "known_hosts line:\n  %s\n", sim.KnownHostsLine(addr))
	if f.pin {
		keys, err := sftp.OpenHostKeys(filepath.Join(f.dataDir, "known_hosts"))
		if err != nil {
			return err
		}
		if err := keys.Pin(addr, sim.HostKey()); err != nil {
			return err
		}
		fmt.Fprintf(out, "pinned in %s\n", keys.Path())
	}
	auth := "password"
	if len(user.AuthorizedKeys) > 0 {
		auth = fmt.Sprintf("%d authorized key(s)", len(user.AuthorizedKeys))
		if user.Password != "" {
			auth += " or password"
		}
	}
	fmt.Fprintf(out, "user %s (%s)\n", f.user, auth)
	fmt.Fprintf(out, "folders in %s: upload %s/ (837P files here), responses in %s/\n", root, l.UploadDir, l.Inbound[0].Dir)
	fmt.Fprintf(out, "a connection for DATA-DIR/connections.yaml:\n  sim: {profile: generic, host: %s, port: %s, user: %s}\n", host, port, f.user)
	fmt.Fprintln(out, "press Ctrl-C to stop")
	<-ctx.Done()
	fmt.Fprintln(out, "stopping")
	return sim.Close()
}

// readAuthorizedKeys reads every key of an authorized_keys file.
func readAuthorizedKeys(path string) ([]ssh.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading authorized keys: %w", err)
	}
	var keys []ssh.PublicKey
	for rest := data; len(strings.TrimSpace(string(rest))) > 0; {
		key, _, _, next, err := ssh.ParseAuthorizedKey(rest)
		if err != nil {
			return nil, fmt.Errorf("reading authorized keys %s: %w", path, err)
		}
		keys = append(keys, key)
		rest = next
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no key in %s", path)
	}
	return keys, nil
}

// loadOrCreateHostKey reads the simulator's host key, making an ed25519 key (mode
// 0600) on the first run.
func loadOrCreateHostKey(path string) (ssh.Signer, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("making a host key: %w", err)
		}
		block, err := ssh.MarshalPrivateKey(priv, "claimflow simulator")
		if err != nil {
			return nil, fmt.Errorf("making a host key: %w", err)
		}
		data = pem.EncodeToMemory(block)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, fmt.Errorf("saving the host key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("reading the host key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("reading the host key %s: %w", path, err)
	}
	return signer, nil
}

// readRules reads simulator rules from YAML; fields not given keep the defaults.
func readRules(path string) (simulator.Rules, error) {
	r := simulator.DefaultRules()
	data, err := os.ReadFile(path)
	if err != nil {
		return r, fmt.Errorf("reading rules: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil && !errors.Is(err, io.EOF) {
		return r, fmt.Errorf("reading rules %s: %w", path, err)
	}
	return r, r.Validate()
}
