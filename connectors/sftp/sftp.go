// Package sftp is a [connectors.Connector] for clearinghouse SFTP servers, built on
// github.com/pkg/sftp and golang.org/x/crypto/ssh. The server must present the host
// key pinned in claimflow's known_hosts file ([HostKeys]); authentication is by key
// (ed25519 or RSA, optionally with a passphrase) or password. One SSH connection is
// reused for a run and re-established after a network failure; network failures are
// retried with backoff, authentication and host-key failures never.
//
//	keys, _ := sftp.OpenHostKeys(filepath.Join(dataDir, "known_hosts"))
//	auth, _ := sftp.KeyAuth(pemBytes, passphrase)
//	c, err := sftp.Open(ctx, sftp.Config{Host: "files.example.com", User: "acme",
//		Auth: []ssh.AuthMethod{auth}, HostKeys: keys, Layout: layout})
//	defer c.Close(ctx)
//	receipt, err := c.Upload(ctx, name, f, size)
package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/claimflow/claimflow/connectors"
	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Config says where to connect and how.
type Config struct {
	Host string
	Port int // 22 when zero
	User string
	// Auth are the methods to try, from KeyAuth or PasswordAuth.
	Auth []ssh.AuthMethod
	// HostKeys holds the pinned host keys; required.
	HostKeys *HostKeys
	Layout   connectors.Layout
	// Backoff bounds retries of network failures; zero means connectors.DefaultBackoff.
	Backoff connectors.Backoff
	// DialTimeout bounds connecting and the SSH handshake; 30 s when zero.
	DialTimeout time.Duration
	// KeepAlive is how often an idle connection is probed, and how long a probe may
	// go unanswered before the connection is dropped; 30 s when zero, negative: off.
	KeepAlive time.Duration
	// Dial opens the TCP connection; a net.Dialer when nil.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger gets connection events (host and paths only); slog.Default when nil.
	Logger *slog.Logger
}

// Client is an SFTP connection to one clearinghouse account. It is safe for use by
// one goroutine at a time (Close may be called from another).
type Client struct {
	cfg  Config
	addr string
	log  *slog.Logger

	mu     sync.Mutex
	cur    *session
	closed bool
}

var _ connectors.Connector = (*Client)(nil)

type session struct {
	ssh  *ssh.Client
	sftp *pkgsftp.Client
	done chan struct{}
	once sync.Once
}

func (s *session) close() {
	s.once.Do(func() {
		close(s.done)
		s.sftp.Close()
		s.ssh.Close()
	})
}

// Open checks the configuration and connects, retrying network failures. A host key
// that is not pinned gives an error wrapping [connectors.ErrHostKey] (a
// [*HostKeyError]); refused credentials give [connectors.ErrAuth].
func Open(ctx context.Context, cfg Config) (*Client, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := connectors.Retry(ctx, c.cfg.Backoff, func(ctx context.Context) error {
		_, err := c.session(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// New checks the configuration and returns a client that connects on first use.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.Host == "":
		return nil, errors.New("sftp: no host")
	case cfg.User == "":
		return nil, errors.New("sftp: no user")
	case len(cfg.Auth) == 0:
		return nil, errors.New("sftp: no key or password")
	case cfg.HostKeys == nil:
		return nil, errors.New("sftp: no known_hosts file: host keys must be pinned")
	}
	if err := cfg.Layout.Validate(); err != nil {
		return nil, fmt.Errorf("sftp: %w", err)
	}
	if cfg.Port == 0 {
		cfg.Port = 22
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 30 * time.Second
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 30 * time.Second
	}
	if cfg.Dial == nil {
		d := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
		cfg.Dial = d.DialContext
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	return &Client{cfg: cfg, addr: addr, log: log.With("host", addr)}, nil
}

// KeyAuth authenticates with an OpenSSH or PEM private key (ed25519, RSA, ECDSA); the
// passphrase may be empty for an unencrypted key. A wrong or missing passphrase gives
// an error wrapping [connectors.ErrAuth].
func KeyAuth(pemBytes, passphrase []byte) (ssh.AuthMethod, error) {
	var signer ssh.Signer
	var err error
	if len(passphrase) > 0 {
		signer, err = ssh.ParsePrivateKeyWithPassphrase(pemBytes, passphrase)
	} else {
		signer, err = ssh.ParsePrivateKey(pemBytes)
	}
	if err != nil {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, fmt.Errorf("reading private key: it is encrypted and no passphrase was given: %w", connectors.ErrAuth)
		}
		return nil, fmt.Errorf("reading private key: %v: %w", err, connectors.ErrAuth)
	}
	return ssh.PublicKeys(signer), nil
}

// PasswordAuth authenticates with a password (read from a secret file or the
// environment, never a flag).
func PasswordAuth(password string) ssh.AuthMethod { return ssh.Password(password) }

// Scan connects to host:port only far enough to learn the host key the server
// presents, without authenticating. `claimflow connectors trust` shows it and pins it.
func Scan(ctx context.Context, host string, port int, timeout time.Duration) (ssh.PublicKey, error) {
	if port == 0 {
		port = 22
	}
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	d := &net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %v: %w", addr, err, connectors.ErrTransient)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	conn.SetDeadline(time.Now().Add(timeout))
	var got ssh.PublicKey
	errGot := errors.New("host key received")
	_, _, _, err = ssh.NewClientConn(conn, addr, &ssh.ClientConfig{
		User: "claimflow-scan",
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got = key
			return errGot
		},
	})
	if got != nil {
		return got, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, fmt.Errorf("reading the host key of %s: %w", addr, classify(err))
}

// Addr is host:port.
func (c *Client) Addr() string { return c.addr }

// session returns the open connection or makes one (a single try).
func (c *Client) session(ctx context.Context) (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("sftp: client is closed")
	}
	if c.cur != nil {
		return c.cur, nil
	}
	s, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.cur = s
	return s, nil
}

// drop closes s and forgets it, so that the next operation reconnects.
func (c *Client) drop(s *session) {
	s.close()
	c.mu.Lock()
	if c.cur == s {
		c.cur = nil
	}
	c.mu.Unlock()
}

func (c *Client) dial(ctx context.Context) (*session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	check, algos, err := c.cfg.HostKeys.callback(c.addr)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	conn, err := c.cfg.Dial(dctx, "tcp", c.addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("connecting to %s: %v: %w", c.addr, err, connectors.ErrTransient)
	}
	// The handshake is bounded by the dial timeout and by ctx.
	stop := context.AfterFunc(dctx, func() { conn.Close() })
	if dl, ok := dctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, c.addr, &ssh.ClientConfig{
		User:              c.cfg.User,
		Auth:              c.cfg.Auth,
		HostKeyCallback:   check,
		HostKeyAlgorithms: algos,
	})
	if !stop() {
		if err == nil {
			sc.Close()
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("connecting to %s: handshake timed out after %s: %w", c.addr, c.cfg.DialTimeout, connectors.ErrTransient)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("connecting to %s as %s: %w", c.addr, c.cfg.User, classify(err))
	}
	conn.SetDeadline(time.Time{})
	client := ssh.NewClient(sc, chans, reqs)
	sf, err := pkgsftp.NewClient(client, pkgsftp.UseConcurrentWrites(true))
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("starting sftp on %s: %w", c.addr, classify(err))
	}
	s := &session{ssh: client, sftp: sf, done: make(chan struct{})}
	if c.cfg.KeepAlive > 0 {
		go c.keepAlive(s)
	}
	c.log.Debug("sftp connected", "user", c.cfg.User)
	return s, nil
}

// keepAlive probes the connection and drops it when a probe goes unanswered, so that
// an operation on a dead network fails instead of hanging.
func (c *Client) keepAlive(s *session) {
	t := time.NewTicker(c.cfg.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := s.ssh.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		select {
		case <-s.done:
			return
		case err := <-reply:
			if err == nil {
				continue
			}
			c.log.Warn("sftp connection lost", "err", err)
		case <-time.After(c.cfg.KeepAlive):
			c.log.Warn("sftp keepalive unanswered, dropping the connection")
		}
		c.drop(s)
		return
	}
}

// do runs op on the connection, reconnecting as needed. Network failures are retried
// with backoff; when retry is false, only the connecting is, and a failure of op is
// returned at once (still wrapping ErrTransient, for the caller to decide). While op
// runs, the end of ctx closes the connection, which ends op.
func (c *Client) do(ctx context.Context, retry bool, op func(ctx context.Context, sf *pkgsftp.Client) error) error {
	var final error
	err := connectors.Retry(ctx, c.cfg.Backoff, func(ctx context.Context) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := c.session(ctx)
		if err != nil {
			return err
		}
		stop := context.AfterFunc(ctx, func() { c.drop(s) })
		err = op(ctx, s.sftp)
		cancelled := !stop()
		switch {
		case err == nil:
			return nil
		case cancelled:
			err = errors.Join(ctx.Err(), err)
		default:
			err = classify(err)
			if errors.Is(err, connectors.ErrTransient) {
				c.drop(s)
			}
		}
		if !retry {
			final = err
			return nil
		}
		return err
	})
	if final != nil {
		return final
	}
	return err
}

// classify wraps err with the sentinel that says what to do about it.
func classify(err error) error {
	var he *HostKeyError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, new(*localError)):
		return err // our own file, not the network
	case errors.As(err, &he), errors.Is(err, connectors.ErrHostKey),
		errors.Is(err, connectors.ErrAuth), errors.Is(err, connectors.ErrTransient):
		return err
	case strings.Contains(err.Error(), "unable to authenticate"):
		return fmt.Errorf("%v: %w", err, connectors.ErrAuth)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%v: %w", err, connectors.ErrNotAllowed)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, pkgsftp.ErrSSHFxConnectionLost), errors.Is(err, pkgsftp.ErrSSHFxNoConnection),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w: %w", err, connectors.ErrTransient)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return fmt.Errorf("%w: %w", err, connectors.ErrTransient)
	}
	return err
}

// Upload implements [connectors.Connector]. The bytes go to the name plus the
// layout's temporary suffix, the temporary file's size is checked on the server, it
// is renamed to the final name (SFTP rename, which does not overwrite) and the final
// file's size is checked again when it is still there. Network failures are retried
// when r is an io.Seeker; otherwise the error is returned wrapping
// connectors.ErrTransient and the caller may call Upload again with the content.
func (c *Client) Upload(ctx context.Context, name string, r io.Reader, size int64) (connectors.Receipt, error) {
	if err := c.cfg.Layout.CheckName(name); err != nil {
		return connectors.Receipt{}, err
	}
	if size < 0 {
		return connectors.Receipt{}, fmt.Errorf("uploading %s: negative size %d", name, size)
	}
	seeker, canRetry := r.(io.Seeker)
	remote := path.Join(c.cfg.Layout.UploadDir, name)
	var rec connectors.Receipt
	err := c.do(ctx, canRetry, func(ctx context.Context, sf *pkgsftp.Client) error {
		if canRetry {
			if _, err := seeker.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("rewinding: %w", err)
			}
		}
		var err error
		rec, err = c.upload(ctx, sf, name, remote, localReader{r}, size)
		return err
	})
	if err != nil {
		return connectors.Receipt{}, fmt.Errorf("uploading %s to %s: %w", name, c.addr, err)
	}
	c.log.Info("sftp uploaded", "path", rec.RemotePath, "bytes", rec.Bytes, "earlier", rec.Earlier)
	return rec, nil
}

func (c *Client) upload(ctx context.Context, sf *pkgsftp.Client, name, remote string, r io.Reader, size int64) (connectors.Receipt, error) {
	rec := connectors.Receipt{Name: name, RemotePath: remote}
	if fi, err := sf.Stat(remote); err == nil {
		if fi.Size() != size {
			return rec, fmt.Errorf("%s has %d bytes, ours %d: %w", remote, fi.Size(), size, connectors.ErrExists)
		}
		// An earlier attempt got as far as the rename: nothing to send.
		n, sum, err := connectors.CopyHashing(ctx, io.Discard, r)
		if err != nil {
			return rec, err
		}
		if n != size {
			return rec, fmt.Errorf("read %d bytes, expected %d", n, size)
		}
		rec.Bytes, rec.SHA256, rec.Time, rec.Earlier = n, sum, time.Now().UTC(), true
		return rec, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return rec, fmt.Errorf("checking %s: %w", remote, err)
	}

	suffix := c.cfg.Layout.TempSuffix
	tmp := remote + suffix
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if suffix == "" {
		flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	}
	f, err := sf.OpenFile(tmp, flags)
	if err != nil {
		return rec, fmt.Errorf("creating %s: %w", tmp, err)
	}
	n, sum, err := connectors.CopyHashing(ctx, f, r)
	if err == nil && n != size {
		err = fmt.Errorf("read %d bytes, expected %d", n, size)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing %s: %w", tmp, cerr)
	}
	if err == nil {
		err = verifySize(sf, tmp, size)
	}
	if err != nil {
		if !errors.Is(classify(err), connectors.ErrTransient) {
			sf.Remove(tmp) // best effort; a retry truncates it anyway
		}
		return rec, err
	}
	if suffix != "" {
		if err := sf.Rename(tmp, remote); err != nil {
			if errors.Is(classify(err), connectors.ErrTransient) {
				return rec, fmt.Errorf("renaming %s: %w", tmp, err)
			}
			if _, serr := sf.Stat(remote); serr == nil {
				return rec, fmt.Errorf("renaming %s: %s appeared meanwhile: %w", tmp, remote, connectors.ErrExists)
			}
			return rec, fmt.Errorf("renaming %s to %s: %w", tmp, remote, err)
		}
	}
	if err := verifySize(sf, remote, size); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rec, err
	}
	rec.Bytes, rec.SHA256, rec.Time = n, sum, time.Now().UTC()
	return rec, nil
}

// verifySize checks a remote file's size. A file the clearinghouse has already taken
// away gives fs.ErrNotExist.
func verifySize(sf *pkgsftp.Client, p string, size int64) error {
	fi, err := sf.Stat(p)
	if err != nil {
		return fmt.Errorf("checking %s: %w", p, err)
	}
	if fi.Size() != size {
		return fmt.Errorf("%s has %d bytes on the server, %d were sent", p, fi.Size(), size)
	}
	return nil
}

// List implements [connectors.Connector]. Hidden files, folders other than Subdirs'
// and names with the temporary suffix are left out.
func (c *Client) List(ctx context.Context) ([]connectors.RemoteFile, error) {
	var files []connectors.RemoteFile
	err := c.do(ctx, true, func(ctx context.Context, sf *pkgsftp.Client) error {
		files = files[:0]
		for _, in := range c.cfg.Layout.Inbound {
			got, err := c.listDir(ctx, sf, in, path.Clean(in.Dir), in.Subdirs)
			if err != nil {
				return err
			}
			files = append(files, got...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing inbound files on %s: %w", c.addr, err)
	}
	slices.SortFunc(files, func(a, b connectors.RemoteFile) int { return strings.Compare(a.Path, b.Path) })
	return slices.CompactFunc(files, func(a, b connectors.RemoteFile) bool { return a.Path == b.Path }), nil
}

func (c *Client) listDir(ctx context.Context, sf *pkgsftp.Client, in connectors.Inbound, dir string, sub bool) ([]connectors.RemoteFile, error) {
	entries, err := sf.ReadDirContext(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	suffix := c.cfg.Layout.TempSuffix
	var files []connectors.RemoteFile
	for _, fi := range entries {
		name := fi.Name()
		if strings.HasPrefix(name, ".") || (suffix != "" && strings.HasSuffix(name, suffix)) {
			continue
		}
		p := path.Join(dir, name)
		if fi.IsDir() {
			if sub {
				more, err := c.listDir(ctx, sf, in, p, false)
				if err != nil {
					return nil, err
				}
				files = append(files, more...)
			}
			continue
		}
		if !fi.Mode().IsRegular() || !in.Matches(name) {
			continue
		}
		files = append(files, connectors.RemoteFile{Path: p, Name: name, Size: fi.Size(), ModTime: fi.ModTime().UTC()})
	}
	return files, nil
}

// Fetch implements [connectors.Connector]. Network failures are retried when w is a
// [connectors.Rewinder] such as *os.File.
func (c *Client) Fetch(ctx context.Context, f connectors.RemoteFile, w io.Writer) error {
	if !connectors.InInbound(c.cfg.Layout, f.Path) {
		return fmt.Errorf("fetching %s: not in an inbound folder: %w", f.Path, connectors.ErrNotAllowed)
	}
	rw, canRetry := w.(connectors.Rewinder)
	err := c.do(ctx, canRetry, func(ctx context.Context, sf *pkgsftp.Client) error {
		if canRetry {
			if err := rw.Truncate(0); err != nil {
				return fmt.Errorf("rewinding: %w", err)
			}
			if _, err := rw.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("rewinding: %w", err)
			}
		}
		src, err := sf.Open(f.Path)
		if err != nil {
			return err
		}
		defer src.Close()
		n, _, err := connectors.CopyHashing(ctx, localWriter{w}, src)
		if err != nil {
			return err
		}
		if n != f.Size {
			return fmt.Errorf("read %d bytes, listed %d (changed since listed)", n, f.Size)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fetching %s from %s: %w", f.Path, c.addr, err)
	}
	return nil
}

// Done implements [connectors.Connector]. A file already gone counts as done (an
// earlier attempt whose reply was lost).
func (c *Client) Done(ctx context.Context, f connectors.RemoteFile) error {
	if !connectors.InInbound(c.cfg.Layout, f.Path) {
		return fmt.Errorf("disposing of %s: not in an inbound folder: %w", f.Path, connectors.ErrNotAllowed)
	}
	l := c.cfg.Layout
	var err error
	switch l.After {
	case connectors.Keep, "":
		return nil
	case connectors.Delete:
		err = c.do(ctx, true, func(ctx context.Context, sf *pkgsftp.Client) error {
			if err := sf.Remove(f.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return nil
		})
	case connectors.Archive:
		err = c.do(ctx, true, func(ctx context.Context, sf *pkgsftp.Client) error {
			if _, err := sf.Stat(f.Path); errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if _, err := sf.Stat(l.ArchiveDir); errors.Is(err, fs.ErrNotExist) {
				if err := sf.MkdirAll(l.ArchiveDir); err != nil {
					return fmt.Errorf("creating %s: %w", l.ArchiveDir, err)
				}
			}
			dst := path.Join(l.ArchiveDir, f.Name)
			if _, err := sf.Stat(dst); err == nil {
				// Clearinghouses reuse names (one per day, per type): keep both.
				dst += "." + strconv.FormatInt(f.ModTime.Unix(), 10)
			}
			return sf.Rename(f.Path, dst)
		})
	}
	if err != nil {
		return fmt.Errorf("disposing of %s on %s (%s): %w", f.Path, c.addr, l.After, err)
	}
	return nil
}

// Close implements [connectors.Connector]. It is idempotent.
func (c *Client) Close(context.Context) error {
	c.mu.Lock()
	s := c.cur
	c.cur, c.closed = nil, true
	c.mu.Unlock()
	if s != nil {
		s.close()
	}
	return nil
}

// localError is a failure of our own side of a copy (the file being uploaded, the
// file being written), which retrying the network does not mend.
type localError struct{ err error }

func (e *localError) Error() string { return "local file: " + e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

type localReader struct{ r io.Reader }

func (l localReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if err != nil && err != io.EOF {
		err = &localError{err}
	}
	return n, err
}

type localWriter struct{ w io.Writer }

func (l localWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if err != nil {
		err = &localError{err}
	}
	return n, err
}
