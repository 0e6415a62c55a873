package sftp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
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
// the host key algorithms to ask for: those of the pinned keys, so that a server with
// several keys presents the one we pinned.
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

// Lookup returns the keys pinned for addr (host:port) by plain (not hashed) lines.
func (h *HostKeys) Lookup(addr string) ([]ssh.PublicKey, error) {
	data, err := os.ReadFile(h.path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", h.path, err)
	}
	want := knownhosts.Normalize(addr)
	var keys []ssh.PublicKey
	for rest := data; len(rest) > 0; {
		marker, hosts, key, _, next, err := ssh.ParseKnownHosts(rest)
		if err != nil {
			break // io.EOF at the end; a bad line is knownhosts.New's to report
		}
		rest = next
		if marker == "" && containsHost(hosts, want) {
			keys = append(keys, key)
		}
	}
	return keys, nil
}

func containsHost(hosts []string, want string) bool {
	for _, h := range hosts {
		if knownhosts.Normalize(h) == want {
			return true
		}
	}
	return false
}

// Pin makes key the only key trusted for addr (host:port): plain lines naming addr
// are removed and one line is added. The file is replaced atomically.
func (h *HostKeys) Pin(addr string, key ssh.PublicKey) error {
	data, err := os.ReadFile(h.path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", h.path, err)
	}
	want := knownhosts.Normalize(addr)
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if _, hosts, _, _, _, err := ssh.ParseKnownHosts(line); err == nil && len(hosts) == 1 && knownhosts.Normalize(hosts[0]) == want {
			continue
		}
		out.Write(line)
		out.WriteByte('\n')
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
