// Package connection reads an installation's clearinghouse connections
// (connections.yaml in the data directory) and opens connectors for them. The same
// file holds the installation's profile overrides under `profiles:` (see
// connectors/profile):
//
//	connections:
//	  availity:
//	    profile: availity          # default: the connection's name
//	    user: acme
//	    key_file: /etc/claimflow/availity_ed25519
//	    passphrase: {file: /etc/claimflow/availity.pass}
//	profiles:
//	  availity: {usage: P, envelope: {isa05: ZZ, isa06: ACME123, gs02: ACME123}}
//
// Secrets (password, key passphrase) are read from a file or an environment variable,
// never written in the file itself and never given as flags.
package connection

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/local"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/connectors/sftp"
	"golang.org/x/crypto/ssh"
	"gopkg.in/yaml.v3"
)

// Connection is one clearinghouse account.
type Connection struct {
	Name    string `yaml:"-"`
	Profile string `yaml:"profile"` // the connection's name when empty
	// Transport is "sftp" (the default) or "local" (the profile's folders below Root).
	Transport string `yaml:"transport"`
	Host      string `yaml:"host"` // overrides the profile's
	Port      int    `yaml:"port"` // overrides the profile's
	User      string `yaml:"user"`
	// KeyFile is an OpenSSH or PEM private key (ed25519 or RSA).
	KeyFile    string `yaml:"key_file"`
	Passphrase Secret `yaml:"passphrase"` // of the key, when encrypted
	Password   Secret `yaml:"password"`   // when there is no key
	Root       string `yaml:"root"`       // local transport
	// Prefix is what upload name templates call {{.Prefix}}.
	Prefix      string        `yaml:"prefix"`
	DialTimeout time.Duration `yaml:"dial_timeout"`
	Attempts    int           `yaml:"attempts"` // tries for network failures
	// OpTimeout is how long an SFTP request may go unanswered before the connection
	// is dropped and the request retried (sftp.Config.OpTimeout; 2m by default).
	OpTimeout time.Duration `yaml:"op_timeout"`
	// Settle is how long a response file that is not a whole X12 interchange must
	// stay unchanged before it is fetched (sftp.Config.Settle; 2s by default,
	// negative: at once).
	Settle time.Duration `yaml:"settle"`
}

// Secret says where a secret is kept: a file (its content, without the final
// newline) or an environment variable.
type Secret struct {
	File string `yaml:"file"`
	Env  string `yaml:"env"`
}

// UnmarshalYAML refuses a secret written in the file.
func (s *Secret) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode {
		return fmt.Errorf("line %d: secrets are not written in the configuration: use {file: PATH} or {env: NAME}", node.Line)
	}
	type plain Secret
	return node.Decode((*plain)(s))
}

// IsZero reports whether no secret is configured.
func (s Secret) IsZero() bool { return s.File == "" && s.Env == "" }

// String says where the secret is, never what it is.
func (s Secret) String() string {
	switch {
	case s.File != "":
		return "file " + s.File
	case s.Env != "":
		return "env $" + s.Env
	}
	return "none"
}

// Read returns the secret.
func (s Secret) Read() ([]byte, error) {
	switch {
	case s.File != "":
		data, err := os.ReadFile(s.File)
		if err != nil {
			return nil, fmt.Errorf("reading secret: %w", err)
		}
		return []byte(strings.TrimRight(string(data), "\r\n")), nil
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			return nil, fmt.Errorf("reading secret: $%s is not set", s.Env)
		}
		return []byte(v), nil
	}
	return nil, errors.New("no secret configured")
}

type file struct {
	Connections map[string]Connection `yaml:"connections"`
}

// Load reads the connections in path. A missing file has none.
func Load(path string) ([]Connection, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading connections: %w", err)
	}
	var f file
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("reading connections %s: %w", path, err)
	}
	var cs []Connection
	for name, c := range f.Connections {
		c.Name = name
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b Connection) int { return strings.Compare(a.Name, b.Name) })
	return cs, nil
}

// Find returns the named connection from path; a name that is only a profile gives a
// connection to that profile with nothing else set (for flags to fill in).
func Find(path, name string) (Connection, error) {
	cs, err := Load(path)
	if err != nil {
		return Connection{}, err
	}
	for _, c := range cs {
		if c.Name == name {
			return c, nil
		}
	}
	if _, err := profile.Load(name, path); err == nil {
		return Connection{Name: name}, nil
	}
	return Connection{}, fmt.Errorf("no connection or profile %q in %s", name, path)
}

// ProfileName is the profile the connection uses.
func (c Connection) ProfileName() string {
	if c.Profile != "" {
		return c.Profile
	}
	return c.Name
}

// Resolve loads the connection's profile (with the overrides in path) and fills in
// the host and port from it where the connection does not set them.
func (c Connection) Resolve(path string) (Connection, profile.Profile, error) {
	p, err := profile.Load(c.ProfileName(), path)
	if err != nil {
		return c, p, err
	}
	if c.Host == "" {
		c.Host = p.Host
	}
	if c.Port == 0 {
		c.Port = p.Port
	}
	if c.Port == 0 {
		c.Port = 22
	}
	return c, p, nil
}

// Env carries what opening a connection needs besides the connection.
type Env struct {
	ConfigPath string // connections.yaml, also the profile overrides
	KnownHosts string // claimflow's known_hosts file
	Logger     *slog.Logger
}

// Open resolves the connection and opens its connector. For SFTP it connects (so
// host-key and authentication failures show at once).
func Open(ctx context.Context, c Connection, env Env) (connectors.Connector, profile.Profile, error) {
	c, p, err := c.Resolve(env.ConfigPath)
	if err != nil {
		return nil, p, err
	}
	layout, err := p.Layout()
	if err != nil {
		return nil, p, err
	}
	switch c.Transport {
	case "local":
		if c.Root == "" {
			return nil, p, fmt.Errorf("connection %s: local transport without root", c.Name)
		}
		conn, err := local.New(c.Root, layout)
		return conn, p, err
	case "", "sftp":
	default:
		return nil, p, fmt.Errorf("connection %s: transport %q, want sftp or local", c.Name, c.Transport)
	}
	if c.Host == "" {
		return nil, p, fmt.Errorf("connection %s: no host (set connections.%s.host, or profiles.%s.host)", c.Name, c.Name, p.Name)
	}
	auth, err := c.auth()
	if err != nil {
		return nil, p, err
	}
	keys, err := sftp.OpenHostKeys(env.KnownHosts)
	if err != nil {
		return nil, p, err
	}
	backoff := connectors.DefaultBackoff
	if c.Attempts > 0 {
		backoff.Attempts = c.Attempts
	}
	conn, err := sftp.Open(ctx, sftp.Config{
		Host: c.Host, Port: c.Port, User: c.User, Auth: auth, HostKeys: keys,
		Layout: layout, Backoff: backoff, DialTimeout: c.DialTimeout, OpTimeout: c.OpTimeout, Settle: c.Settle,
		Logger: env.Logger,
	})
	if err != nil {
		return nil, p, fmt.Errorf("connection %s: %w", c.Name, err)
	}
	return conn, p, nil
}

func (c Connection) auth() ([]ssh.AuthMethod, error) {
	if c.User == "" {
		return nil, fmt.Errorf("connection %s: no user", c.Name)
	}
	var methods []ssh.AuthMethod
	if c.KeyFile != "" {
		pem, err := os.ReadFile(c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("connection %s: reading key: %w", c.Name, err)
		}
		var pass []byte
		if !c.Passphrase.IsZero() {
			if pass, err = c.Passphrase.Read(); err != nil {
				return nil, fmt.Errorf("connection %s: key passphrase: %w", c.Name, err)
			}
		}
		m, err := sftp.KeyAuth(pem, pass)
		if err != nil {
			return nil, fmt.Errorf("connection %s: %w", c.Name, err)
		}
		methods = append(methods, m)
	}
	if !c.Password.IsZero() {
		pw, err := c.Password.Read()
		if err != nil {
			return nil, fmt.Errorf("connection %s: password: %w", c.Name, err)
		}
		methods = append(methods, sftp.PasswordAuth(string(pw)))
	}
	if len(methods) == 0 {
		return nil, fmt.Errorf("connection %s: neither key_file nor password is set", c.Name)
	}
	return methods, nil
}
