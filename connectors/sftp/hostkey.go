package sftp

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/connectors"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeys is claimflow's own known_hosts file (OpenSSH format), kept in the data
// directory apart from the user's ~/.ssh/known_hosts. A connection is made only to a
// server whose key is pinned here; keys are pinned by `claimflow connectors trust`.
type HostKeys struct {
	path string
}

// OpenHostKeys returns the known_hosts file at path, creating an empty one (mode
// 0600) when it is absent.
func OpenHostKeys(path string) (*HostKeys, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating known_hosts folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening known_hosts: %w", err)
	}
	f.Close()
	return &HostKeys{path: path}, nil
}

// Path is the file's path.
func (h *HostKeys) Path() string { return h.path }

// HostKeyError says that a server's key is not the pinned one. It wraps
// [connectors.ErrHostKey].
type HostKeyError struct {
	Host   string   // as in known_hosts: host, or [host]:port
	Got    string   // SHA256 fingerprint the server presented
	Pinned []string // SHA256 fingerprints pinned for the host; none when unknown
}

func (e *HostKeyError) Error() string {
	if len(e.Pinned) == 0 {
		return fmt.Sprintf("host key of %s is unknown (server presented %s): confirm the fingerprint with the clearinghouse, then pin it with `claimflow connectors trust`",
			e.Host, e.Got)
	}
	return fmt.Sprintf("host key of %s has CHANGED: server presented %s, pinned %s; refusing to connect (a changed key may mean someone is in the middle; confirm with the clearinghouse before trusting the new one)",
		e.Host, e.Got, strings.Join(e.Pinned, ", "))
}

// Unwrap returns [connectors.ErrHostKey].
func (e *HostKeyError) Unwrap() error { return connectors.ErrHostKey }

// Fingerprint is the key's SHA256 fingerprint as OpenSSH prints it.
func Fingerprint(key ssh.PublicKey) string { return ssh.FingerprintSHA256(key) }

// FingerprintMD5 is the older MD5 form, which some clearinghouses (Claim.MD) publish.
func FingerprintMD5(key ssh.PublicKey) string { return "MD5:" + ssh.FingerprintLegacyMD5(key) }

// callback returns the host key callback for a connection to addr (host:port) and
// the host key algorithms to ask for: those of the pinned keys first, so that a
// server with several keys presents the one we pinned, then every other one, so
// that a server whose key changed type presents its new key and is refused as
// CHANGED, naming both fingerprints (instead of the handshake failing on "no common
// algorithm for host key").
func (h *HostKeys) callback(addr string) (ssh.HostKeyCallback, []string, error) {
	check, err := knownhosts.New(h.path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", h.path, err)
	}
	pinned, err := h.Lookup(addr)
	if err != nil {
		return nil, nil, err
	}
	var algos []string
	for _, k := range pinned {
		algos = append(algos, algorithms(k.Type())...)
	}
	if len(algos) > 0 {
		for _, a := range ssh.SupportedAlgorithms().HostKeys {
			if !slices.Contains(algos, a) {
				algos = append(algos, a)
			}
		}
	}
	cb := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := check(hostname, remote, key)
		var ke *knownhosts.KeyError
		if errors.As(err, &ke) {
			he := &HostKeyError{Host: knownhosts.Normalize(hostname), Got: Fingerprint(key)}
			for _, w := range ke.Want {
				he.Pinned = append(he.Pinned, Fingerprint(w.Key))
			}
			return he
		}
		if err != nil {
			return fmt.Errorf("checking host key of %s: %v: %w", hostname, err, connectors.ErrHostKey)
		}
		return nil
	}
	return cb, algos, nil
}

func algorithms(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// Lookup returns the keys pinned for addr (host:port): those of the lines whose
// hosts match addr as OpenSSH matches them (a name among several, a pattern, a
// hashed name), except @cert-authority and @revoked lines.
func (h *HostKeys) Lookup(addr string) ([]ssh.PublicKey, error) {
	lines, err := h.matching(addr)
	if err != nil {
		return nil, err
	}
	var keys []ssh.PublicKey
	err = h.eachLine(func(n int, line []byte) {
		if !lines[n] {
			return
		}
		if marker, _, key, _, _, err := ssh.ParseKnownHosts(line); err == nil && marker == "" {
			keys = append(keys, key)
		}
	})
	return keys, err
}

// matching returns the numbers (from 1) of the known_hosts lines that match addr,
// as knownhosts.New matches them: it is asked about a key no line has, and its
// KeyError names every line that matched.
func (h *HostKeys) matching(addr string) (map[int]bool, error) {
	check, err := knownhosts.New(h.path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", h.path, err)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "22")
	}
	lines := map[int]bool{}
	var ke *knownhosts.KeyError
	if err := check(addr, &net.TCPAddr{IP: net.IPv4zero}, probe); errors.As(err, &ke) {
		for _, k := range ke.Want {
			lines[k.Line] = true
		}
	}
	return lines, nil
}

// eachLine calls fn with every line of the file and its number, from 1.
func (h *HostKeys) eachLine(fn func(n int, line []byte)) error {
	data, err := os.ReadFile(h.path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", h.path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		fn(n, sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", h.path, err)
	}
	return nil
}

// Pin makes key the only key trusted for addr (host:port). Every line that matches
// addr loses it: a line naming addr alone, or hashed, is removed; a line naming
// other hosts too is written again without addr; a line matching addr by a pattern
// gets the negation !addr. Then one line is added. The file is replaced atomically.
func (h *HostKeys) Pin(addr string, key ssh.PublicKey) error {
	lines, err := h.matching(addr)
	if err != nil {
		return fmt.Errorf("pinning host key: %w", err)
	}
	want := knownhosts.Normalize(addr)
	var out bytes.Buffer
	err = h.eachLine(func(n int, line []byte) {
		if lines[n] {
			line = without(line, want)
			if line == nil {
				return
			}
		}
		out.Write(line)
		out.WriteByte('\n')
	})
	if err != nil {
		return fmt.Errorf("pinning host key: %w", err)
	}
	out.WriteString(knownhosts.Line([]string{want}, key))
	out.WriteByte('\n')
	tmp := h.path + ".tmp" + strconv.Itoa(os.Getpid())
	if err := writeSynced(tmp, out.Bytes()); err != nil {
		return fmt.Errorf("pinning host key: %w", err)
	}
	if err := os.Rename(tmp, h.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pinning host key: %w", err)
	}
	return nil
}

// without returns a known_hosts line that matched the host want (normalized) with
// want taken out of its hosts, or nil when nothing is left of it.
func without(line []byte, want string) []byte {
	marker, hosts, key, comment, _, err := ssh.ParseKnownHosts(line)
	if err != nil {
		return line
	}
	var keep []string
	patterns := false
	for _, h := range hosts {
		switch {
		case strings.HasPrefix(h, "|"): // hashed: it is want's, since the line matched
		case strings.HasPrefix(h, "!"):
			keep = append(keep, h)
		case knownhosts.Normalize(h) == want:
		default:
			keep = append(keep, h)
			patterns = patterns || strings.ContainsAny(h, "*?")
		}
	}
	if !slices.ContainsFunc(keep, func(h string) bool { return !strings.HasPrefix(h, "!") }) {
		return nil // only negations left
	}
	if patterns {
		keep = append(keep, "!"+want)
	}
	s := strings.Join(keep, ",") + " " + key.Type() + " " + base64.StdEncoding.EncodeToString(key.Marshal())
	if marker != "" {
		s = "@" + marker + " " + s
	}
	if comment != "" {
		s += " " + comment
	}
	return []byte(s)
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
