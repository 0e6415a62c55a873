package simulator

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/edi/guide"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Stage is a step of the clearinghouse's answer to an upload.
type Stage int

// The stages, in the order their files arrive.
const (
	// StageAcknowledgment is the TA1 and the 999, written when an upload is processed.
	StageAcknowledgment Stage = iota + 1
	// StageClearinghouse is the clearinghouse's 277CA (NM1*AY).
	StageClearinghouse
	// StagePayer is the payers' 277CAs (NM1*PR), with their claim numbers.
	StagePayer
	// StageRemittance is the payers' 835s.
	StageRemittance
)

func (s Stage) String() string {
	switch s {
	case StageAcknowledgment:
		return "acknowledgment"
	case StageClearinghouse:
		return "clearinghouse 277CA"
	case StagePayer:
		return "payer 277CA"
	case StageRemittance:
		return "835"
	}
	return fmt.Sprintf("stage %d", int(s))
}

// Response is a file the simulator wrote.
type Response struct {
	Name   string       // base name in the download folder
	Kind   profile.Kind // TA1, 999, 277CA or 835
	Stage  Stage
	Upload string // the upload it answers; "" for an 835, which pays claims of many
	Data   []byte
}

// User is an account on the simulator's SFTP server: a key, a password, or both.
type User struct {
	AuthorizedKeys []ssh.PublicKey
	Password       string
}

// Config sets up a simulator.
type Config struct {
	// Addr is where Start listens: "127.0.0.1:0" (a free loopback port) when empty.
	Addr string
	// HostKey is the server's key; an ed25519 key is generated when nil (HostKey
	// and Fingerprint say which, to pin it).
	HostKey ssh.Signer
	// Users may log in over SFTP; Start needs at least one.
	Users map[string]User
	// Root is the directory served over SFTP, holding the layout's folders (created
	// by New). Empty: nothing is written to disk, Process and Flush only return the
	// responses, and Start cannot serve.
	Root string
	// Layout gives the upload folder (and its temporary suffix) and, first of its
	// inbound folders, the download folder; the generic profile's when nil.
	Layout *connectors.Layout
	// StateFile keeps what the simulator remembers between runs (control numbers,
	// ISA13s seen, claims waiting for a stage, payments that may be reversed); in
	// memory only when empty.
	StateFile string
	// SaveOnClose writes StateFile once, when the server closes, instead of after
	// every file it processes and flushes. The state holds every payment that may
	// be reversed, so that writing it after each file costs more per file as the
	// run goes on; a run that keeps the state only to look at it or go on later
	// (claimflow demo --keep) saves it at the end. A crash then loses the run's
	// state.
	SaveOnClose bool
	// Seed drives every random choice of the rules.
	Seed uint64
	// Rules are the edits and benefits; DefaultRules when nil.
	Rules *Rules
	// Clock gives the time written in the responses; time.Now when nil.
	Clock func() time.Time
	// AutoRespond processes each upload as it arrives over SFTP (when it is renamed to
	// its final name, or closed when the layout uploads without a temporary name) and
	// writes every stage at once. Off, uploads just sit in the upload folder until
	// ProcessUploads, and later stages wait for Flush.
	AutoRespond bool
	// Name is the clearinghouse's name in its 277CA (NM1*AY NM103).
	Name string
	// Logger gets upload names, counts and errors, never claim data; slog.Default
	// when nil.
	Logger *slog.Logger
}

// Server is a simulated clearinghouse. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	rules   Rules
	layout  connectors.Layout
	hostKey ssh.Signer
	log     *slog.Logger
	reg     *guide.Registry
	root    *os.Root // nil without Config.Root

	mu sync.Mutex // guards st and the files written
	st *state

	netMu   sync.Mutex
	ln      net.Listener
	addr    string
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
	closed  bool
	stopCtx func() bool
}

// ErrNotServing is returned by Start when the simulator cannot serve SFTP (no Root,
// no users, closed).
var ErrNotServing = errors.New("simulator cannot serve")

// New checks the configuration, creates the layout's folders below Root and loads
// the state file. It does not listen: Process and Flush work without Start.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, conns: map[net.Conn]struct{}{}}
	if cfg.Rules != nil {
		s.rules = *cfg.Rules
	} else {
		s.rules = DefaultRules()
	}
	if err := s.rules.Validate(); err != nil {
		return nil, err
	}
	if s.rules.TA1 == "" {
		s.rules.TA1 = TA1WhenRequested
	}
	if s.rules.Ack999 == "" {
		s.rules.Ack999 = AckAlways
	}
	if cfg.Layout != nil {
		s.layout = *cfg.Layout
	} else {
		p, err := profile.Load("generic", "")
		if err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
		if s.layout, err = p.Layout(); err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
	}
	if err := s.layout.Validate(); err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	if s.cfg.Clock == nil {
		s.cfg.Clock = time.Now
	}
	if s.cfg.Name == "" {
		s.cfg.Name = "CLAIMFLOW SIMULATED CLEARINGHOUSE"
	}
	s.log = cfg.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "simulator")
	reg, err := guide.Default()
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	s.reg = reg
	s.hostKey = cfg.HostKey
	if s.hostKey == nil {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("simulator: generating a host key: %w", err)
		}
		if s.hostKey, err = ssh.NewSignerFromKey(priv); err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
	}
	if s.st, err = loadState(cfg.StateFile); err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	if cfg.Root != "" {
		if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
			return nil, fmt.Errorf("simulator: creating root: %w", err)
		}
		root, err := os.OpenRoot(cfg.Root)
		if err != nil {
			return nil, fmt.Errorf("simulator: opening root: %w", err)
		}
		s.root = root
		for _, d := range s.folders() {
			if err := root.MkdirAll(d, 0o755); err != nil {
				root.Close()
				return nil, fmt.Errorf("simulator: creating folder %s: %w", d, err)
			}
		}
	}
	return s, nil
}

// folders are the upload and inbound folders, relative to the root.
func (s *Server) folders() []string {
	dirs := []string{rel(s.layout.UploadDir)}
	for _, in := range s.layout.Inbound {
		dirs = append(dirs, rel(in.Dir))
	}
	return dirs
}

// rel turns a layout or request path into a path relative to the root: "." for
// the root itself, never above it.
func rel(p string) string {
	c := path.Clean("/" + p)
	if c == "/" {
		return "."
	}
	return strings.TrimPrefix(c, "/")
}

// downloadDir is where responses go, relative to the root.
func (s *Server) downloadDir() string { return rel(s.layout.Inbound[0].Dir) }

// Layout is the layout the simulator serves: a connector opened with it uploads where
// the simulator looks and lists where it answers.
func (s *Server) Layout() connectors.Layout { return s.layout }

// HostKey is the server's public host key, to pin in claimflow's known_hosts.
func (s *Server) HostKey() ssh.PublicKey { return s.hostKey.PublicKey() }

// Fingerprint is the host key's SHA256 fingerprint, as OpenSSH prints it.
func (s *Server) Fingerprint() string { return ssh.FingerprintSHA256(s.hostKey.PublicKey()) }

// KnownHostsLine is the known_hosts line that pins the host key for addr
// (host:port; the listening address when empty).
func (s *Server) KnownHostsLine(addr string) string {
	if addr == "" {
		addr = s.Addr()
	}
	return knownhosts.Line([]string{knownhosts.Normalize(addr)}, s.hostKey.PublicKey())
}

// Addr is the address Start listens on, "" before.
func (s *Server) Addr() string {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	return s.addr
}

// Start listens on Config.Addr and serves SFTP until Close or the end of ctx. It
// returns the address bound.
func (s *Server) Start(ctx context.Context) (string, error) {
	if s.root == nil {
		return "", fmt.Errorf("starting the simulator: no root folder: %w", ErrNotServing)
	}
	if len(s.cfg.Users) == 0 {
		return "", fmt.Errorf("starting the simulator: no users: %w", ErrNotServing)
	}
	s.netMu.Lock()
	defer s.netMu.Unlock()
	if s.closed {
		return "", fmt.Errorf("starting the simulator: closed: %w", ErrNotServing)
	}
	if s.ln != nil {
		return "", errors.New("starting the simulator: already started")
	}
	addr := s.cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("starting the simulator: %w", err)
	}
	s.ln, s.addr = ln, ln.Addr().String()
	cfg := s.sshConfig()
	s.wg.Add(1)
	go s.accept(ln, cfg)
	s.stopCtx = context.AfterFunc(ctx, func() { s.Close() })
	s.log.Info("simulator listening", "addr", s.addr, "fingerprint", s.Fingerprint())
	return s.addr, nil
}

// Close stops serving, closes every connection and waits for them. It is idempotent.
func (s *Server) Close() error {
	s.netMu.Lock()
	if s.closed {
		s.netMu.Unlock()
		return nil
	}
	s.closed = true
	if s.stopCtx != nil {
		s.stopCtx()
	}
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.netMu.Unlock()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	s.mu.Lock()
	if s.root != nil {
		s.root.Close()
	}
	if s.cfg.SaveOnClose {
		err = errors.Join(err, s.saveState())
	}
	s.mu.Unlock()
	return err
}

// Pending returns how many claims wait for the stage's files (0 for
// StageAcknowledgment, which is never held back).
func (s *Server) Pending(stage Stage) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	switch stage {
	case StageClearinghouse:
		for _, b := range s.st.Clearinghouse {
			n += b.claims()
		}
	case StagePayer:
		for _, b := range s.st.Payer {
			n += b.claims()
		}
	case StageRemittance:
		n = len(s.st.Remit)
	}
	return n
}

// now is the clock's time in UTC, to the second (X12 times are HHMM or HHMMSS).
func (s *Server) now() time.Time { return s.cfg.Clock().UTC().Truncate(time.Second) }
