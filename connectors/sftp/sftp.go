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
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// OpTimeout is how long an SFTP request may go unanswered (a listing, a stat, a
	// rename, the next chunk of a transfer: a big file may take longer in all, as
	// long as it moves). A server whose SFTP layer hangs while SSH stays up answers
	// keepalives but nothing else; when OpTimeout runs out, the connection is closed
	// and the operation fails with connectors.ErrTransient, retried as a network
	// failure. 2 min when zero, negative: no limit.
	OpTimeout time.Duration
	// Settle is how long an inbound file must stay unchanged before List returns
	// it, so that a response the clearinghouse is still writing is not taken: when
	// a file was modified less than Settle ago (its mtime, in whole seconds, against
	// our clock) and does not hold whole X12 interchanges (ISA first, IEA last),
	// List waits Settle, looks again and leaves out, until a later poll, every such
	// file whose size or mtime changed. 2 s when zero; negative: files are taken as
	// listed (servers that write responses under a temporary name).
	Settle time.Duration
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
	dials  map[*dialing]struct{} // connections being made, for Close to cancel
	closed bool
	// leftovers are the temporary files of failed upload attempts, removed by the
	// next upload.
	leftovers map[string]struct{}
}

// dialing is a connection being made.
type dialing struct{ cancel context.CancelFunc }

// errClosed is what operations on a closed client return.
var errClosed = errors.New("sftp: client is closed")

var _ connectors.Connector = (*Client)(nil)

type session struct {
	ssh  *ssh.Client
	sftp *pkgsftp.Client
	done chan struct{}
	once sync.Once
}

// close closes the SSH connection first: closing the SFTP client waits for the
// server to end the session, which a hung server never does.
func (s *session) close() {
	s.once.Do(func() {
		close(s.done)
		s.ssh.Close()
		s.sftp.Close()
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
	if cfg.OpTimeout == 0 {
		cfg.OpTimeout = 2 * time.Minute
	}
	if cfg.Settle == 0 {
		cfg.Settle = 2 * time.Second
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
	return &Client{cfg: cfg, addr: addr, log: log.With("host", addr),
		dials: map[*dialing]struct{}{}, leftovers: map[string]struct{}{}}, nil
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

// session returns the open connection or makes one (a single try). The lock is not
// held while connecting, so that Close does not wait for a dial: it cancels it.
func (c *Client) session(ctx context.Context) (*session, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClosed
	}
	if s := c.cur; s != nil {
		c.mu.Unlock()
		return s, nil
	}
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &dialing{cancel: cancel}
	c.dials[d] = struct{}{}
	c.mu.Unlock()

	s, err := c.dial(dctx)

	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.dials, d)
	switch {
	case c.closed:
		if s != nil {
			s.close()
		}
		return nil, errClosed
	case err != nil:
		return nil, err
	case c.cur != nil: // connected by another goroutine meanwhile
		s.close()
		return c.cur, nil
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
	// The SSH handshake and the start of SFTP are bounded by the dial timeout and by
	// ctx: when either ends first, the connection is closed, which ends them.
	stop := context.AfterFunc(dctx, func() { conn.Close() })
	if dl, ok := dctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	s, err := c.start(conn, check, algos)
	if dl, ok := dctx.Deadline(); ok && err != nil && !time.Now().Before(dl) {
		<-dctx.Done() // the connection's deadline ended it; the context's is due
	}
	timedOut := !stop()
	if err == nil && timedOut {
		s.close()
		err = errors.New("closed at the deadline")
	}
	if err != nil {
		conn.Close()
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, connectors.ErrHostKey), errors.Is(err, connectors.ErrAuth):
			return nil, err
		case timedOut, errors.Is(err, os.ErrDeadlineExceeded):
			return nil, fmt.Errorf("connecting to %s: no answer within %s: %w", c.addr, c.cfg.DialTimeout, connectors.ErrTransient)
		}
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	if c.cfg.KeepAlive > 0 {
		go c.keepAlive(s)
	}
	c.log.Debug("sftp connected", "user", c.cfg.User)
	return s, nil
}

// start runs the SSH handshake on conn and starts SFTP.
func (c *Client) start(conn net.Conn, check ssh.HostKeyCallback, algos []string) (*session, error) {
	sc, chans, reqs, err := ssh.NewClientConn(conn, c.addr, &ssh.ClientConfig{
		User:              c.cfg.User,
		Auth:              c.cfg.Auth,
		HostKeyCallback:   check,
		HostKeyAlgorithms: algos,
	})
	if err != nil {
		return nil, fmt.Errorf("connecting to %s as %s: %w", c.addr, c.cfg.User, classify(err))
	}
	client := ssh.NewClient(sc, chans, reqs)
	sf, err := pkgsftp.NewClient(client, pkgsftp.UseConcurrentWrites(true))
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("starting sftp on %s: %w", c.addr, classify(err))
	}
	return &session{ssh: client, sftp: sf, done: make(chan struct{})}, nil
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

// op is an operation on the connection. It calls alive whenever it makes progress
// (a chunk of a transfer written or read, a request answered), which restarts the
// operation timeout.
type op func(ctx context.Context, sf *pkgsftp.Client, alive func()) error

// do runs op on the connection, reconnecting as needed. Network failures are retried
// with backoff; when retry is false, only the connecting is, and a failure of op is
// returned at once (still wrapping ErrTransient, for the caller to decide). While op
// runs, the end of ctx closes the connection, which ends op, and so does an
// operation timeout (Config.OpTimeout without progress), which counts as a network
// failure.
func (c *Client) do(ctx context.Context, retry bool, fn op) error {
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
		w := c.watch(s)
		err = fn(ctx, s.sftp, w.alive)
		expired := w.stop()
		cancelled := !stop()
		switch {
		case err == nil:
			return nil
		case cancelled:
			err = errors.Join(ctx.Err(), err)
		case expired:
			c.drop(s)
			err = fmt.Errorf("no answer from the server for %s (%v): %w", c.cfg.OpTimeout, err, connectors.ErrTransient)
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

// watchdog closes a connection on which an operation made no progress for the
// operation timeout.
type watchdog struct {
	d       time.Duration
	t       *time.Timer
	expired atomic.Bool
}

func (c *Client) watch(s *session) *watchdog {
	w := &watchdog{d: c.cfg.OpTimeout}
	if w.d > 0 {
		w.t = time.AfterFunc(w.d, func() {
			w.expired.Store(true)
			c.log.Warn("sftp server stopped answering, dropping the connection", "timeout", w.d.String())
			c.drop(s)
		})
	}
	return w
}

// alive restarts the timeout.
func (w *watchdog) alive() {
	if w.t != nil && !w.expired.Load() {
		w.t.Reset(w.d)
	}
}

// stop ends the watch and reports whether the timeout ran out.
func (w *watchdog) stop() bool {
	if w.t != nil {
		w.t.Stop()
	}
	return w.expired.Load()
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
	case strings.Contains(err.Error(), "no common algorithm for host key"):
		// Every algorithm we know is offered (see HostKeys.callback): the server has
		// no key of a type we can check.
		return fmt.Errorf("%v: %w", err, connectors.ErrHostKey)
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

// Upload implements [connectors.Connector]. The bytes go to a temporary name of this
// attempt (the name, a random part and the layout's temporary suffix), the temporary
// file's size is checked on the server, it is renamed to the final name (SFTP
// rename, which does not overwrite) and the final file's size is checked again when
// it is still there. A file already under the final name is read back: the same
// content is an earlier attempt's (Earlier); without a temporary suffix, a shorter
// file holding the start of ours is an attempt that was cut off, and is finished;
// anything else gives connectors.ErrExists. Network failures are retried when r is
// an io.Seeker; otherwise the error is returned wrapping connectors.ErrTransient and
// the caller may call Upload again with the content.
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
	err := c.do(ctx, canRetry, func(ctx context.Context, sf *pkgsftp.Client, alive func()) error {
		if canRetry {
			if _, err := seeker.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("rewinding: %w", err)
			}
		}
		var err error
		rec, err = c.upload(ctx, sf, name, remote, localReader{r}, size, alive)
		return err
	})
	if err != nil {
		return connectors.Receipt{}, fmt.Errorf("uploading %s to %s: %w", name, c.addr, err)
	}
	c.log.Info("sftp uploaded", "path", rec.RemotePath, "bytes", rec.Bytes, "earlier", rec.Earlier)
	return rec, nil
}

func (c *Client) upload(ctx context.Context, sf *pkgsftp.Client, name, remote string, r io.Reader, size int64, alive func()) (connectors.Receipt, error) {
	rec := connectors.Receipt{Name: name, RemotePath: remote}
	if fi, err := sf.Stat(remote); err == nil {
		return c.existing(ctx, sf, rec, fi.Size(), r, size, alive)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return rec, fmt.Errorf("checking %s: %w", remote, err)
	}
	suffix := c.cfg.Layout.TempSuffix
	if suffix == "" {
		// Straight to the final name, created exclusively: a file found there later
		// is another's, or ours from an attempt cut off (existing tells them apart).
		return c.write(ctx, sf, rec, remote, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0, sha256.New(), r, size, alive)
	}
	c.removeLeftovers(sf)
	// A name of this attempt's own: two attempts at once (a message delivered
	// again while its first worker is still sending) never write the same file.
	tmp := remote + "." + fmt.Sprintf("%08x", rand.Uint32()) + suffix
	rec, err := c.write(ctx, sf, rec, tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0, sha256.New(), r, size, alive)
	if err != nil {
		c.leftover(tmp)
		return rec, err
	}
	if err := sf.Rename(tmp, remote); err != nil {
		if errors.Is(classify(err), connectors.ErrTransient) {
			c.leftover(tmp)
			return rec, fmt.Errorf("renaming %s: %w", tmp, err)
		}
		fi, serr := sf.Stat(remote)
		if serr != nil {
			c.leftover(tmp)
			return rec, fmt.Errorf("renaming %s to %s: %w", tmp, remote, err)
		}
		// Another attempt got there first; the same content is as good as ours.
		sf.Remove(tmp)
		if fi.Size() == size {
			sum, err := remoteSHA256(sf, remote, size, alive)
			if err != nil {
				return rec, err
			}
			if sum == rec.SHA256 {
				rec.Earlier = true
				return rec, nil
			}
		}
		return rec, fmt.Errorf("renaming %s: %s appeared meanwhile: %w", tmp, remote, connectors.ErrExists)
	}
	if err := verifySize(sf, remote, size); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rec, err
	}
	c.removeStale(ctx, sf, name)
	return rec, nil
}

// existing decides about a file of have bytes already under the final name. The
// same content as ours (read back and compared by sha256) is an earlier attempt that
// got as far as the final name: nothing is sent. Without a temporary suffix, a
// shorter file holding the start of ours is an attempt that was cut off: the rest is
// written. Anything else is another file (ErrExists).
func (c *Client) existing(ctx context.Context, sf *pkgsftp.Client, rec connectors.Receipt, have int64, r io.Reader, size int64, alive func()) (connectors.Receipt, error) {
	resume := c.cfg.Layout.TempSuffix == "" && have < size
	if have != size && !resume {
		return rec, fmt.Errorf("%s has %d bytes, ours %d: %w", rec.RemotePath, have, size, connectors.ErrExists)
	}
	theirs, err := remoteSHA256(sf, rec.RemotePath, have, alive)
	if err != nil {
		return rec, err
	}
	h := sha256.New()
	n, ours, err := connectors.CopyHashing(ctx, h, io.LimitReader(r, have))
	if err != nil {
		return rec, err
	}
	if n != have {
		return rec, fmt.Errorf("read %d bytes, expected %d", n, size)
	}
	switch {
	case ours != theirs && have == size:
		return rec, fmt.Errorf("%s holds other content of the same size (%d bytes): %w", rec.RemotePath, size, connectors.ErrExists)
	case ours != theirs:
		return rec, fmt.Errorf("%s has %d bytes that are not the start of ours (%d bytes): %w", rec.RemotePath, have, size, connectors.ErrExists)
	case resume:
		c.log.Info("sftp finishing an upload that was cut off", "path", rec.RemotePath, "bytes", have)
		return c.write(ctx, sf, rec, rec.RemotePath, os.O_WRONLY, have, h, r, size, alive)
	}
	if extra, err := r.Read(make([]byte, 1)); extra > 0 || (err != nil && err != io.EOF) {
		return rec, errors.Join(fmt.Errorf("read more than %d bytes", size), err)
	}
	rec.Bytes, rec.SHA256, rec.Time, rec.Earlier = size, ours, time.Now().UTC(), true
	return rec, nil
}

// write copies r into the remote file p opened with flag, from offset on (the bytes
// before it are in the file, and in h, already), and checks the file's size. The
// receipt's sha256 is h's. After a failure that leaves the connection usable, p is
// removed (it is ours: created or finished by this attempt); after a network failure
// it stays, for the retry to finish (no temporary suffix) or for removeStale.
func (c *Client) write(ctx context.Context, sf *pkgsftp.Client, rec connectors.Receipt, p string, flag int, offset int64, h hash.Hash, r io.Reader, size int64, alive func()) (connectors.Receipt, error) {
	f, err := sf.OpenFile(p, flag)
	if err != nil {
		return rec, fmt.Errorf("opening %s: %w", p, err)
	}
	if offset > 0 {
		if _, err = f.Seek(offset, io.SeekStart); err != nil {
			err = fmt.Errorf("seeking in %s: %w", p, err)
		}
	}
	n := offset
	if err == nil {
		var m int64
		m, _, err = connectors.CopyHashing(ctx, io.MultiWriter(progressWriter{f, alive}, h), r)
		n += m
	}
	if err == nil && n != size {
		err = fmt.Errorf("read %d bytes, expected %d", n, size)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing %s: %w", p, cerr)
	}
	if err == nil {
		err = verifySize(sf, p, size)
	}
	if err != nil {
		if !errors.Is(classify(err), connectors.ErrTransient) {
			sf.Remove(p) // best effort
		}
		return rec, err
	}
	rec.Bytes, rec.SHA256, rec.Time = size, hex.EncodeToString(h.Sum(nil)), time.Now().UTC()
	return rec, nil
}

// remoteSHA256 reads the remote file p, which must have size bytes, and returns the
// hex sha256 of its content.
func remoteSHA256(sf *pkgsftp.Client, p string, size int64, alive func()) (string, error) {
	f, err := sf.Open(p)
	if err != nil {
		return "", fmt.Errorf("reading %s back: %w", p, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := f.WriteTo(progressWriter{h, alive})
	if err != nil {
		return "", fmt.Errorf("reading %s back: %w", p, err)
	}
	if n != size {
		return "", fmt.Errorf("reading %s back: %d bytes, expected %d (changed meanwhile)", p, n, size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// staleAfter is how old a temporary file of another attempt at the same name must
// be for removeStale to take it away: no attempt still alive leaves its file
// untouched that long.
const staleAfter = time.Hour

// removeStale removes, best effort, what earlier attempts at name left in the upload
// folder: the temporary files of this client's attempts that failed on the network
// (remembered), name<suffix> (the temporary name of older versions), and
// name.<8 hex digits><suffix> files older than staleAfter (a process killed while
// sending).
func (c *Client) removeStale(ctx context.Context, sf *pkgsftp.Client, name string) {
	suffix := c.cfg.Layout.TempSuffix
	c.removeLeftovers(sf)
	sf.Remove(path.Join(c.cfg.Layout.UploadDir, name+suffix))
	entries, err := sf.ReadDirContext(ctx, c.cfg.Layout.UploadDir)
	if err != nil {
		return // some servers do not let the upload folder be listed
	}
	for _, fi := range entries {
		mid, ok := strings.CutPrefix(fi.Name(), name)
		if ok {
			mid, ok = strings.CutSuffix(mid, suffix)
		}
		if ok && isAttempt(mid) && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > staleAfter {
			sf.Remove(path.Join(c.cfg.Layout.UploadDir, fi.Name()))
		}
	}
}

// leftover remembers the temporary file of an attempt that failed, for the next
// attempt to remove.
func (c *Client) leftover(p string) {
	c.mu.Lock()
	c.leftovers[p] = struct{}{}
	c.mu.Unlock()
}

// removeLeftovers removes the temporary files of this client's failed attempts.
func (c *Client) removeLeftovers(sf *pkgsftp.Client) {
	c.mu.Lock()
	ps := slices.Collect(maps.Keys(c.leftovers))
	c.mu.Unlock()
	for _, p := range ps {
		if err := sf.Remove(p); err == nil || errors.Is(err, fs.ErrNotExist) {
			c.mu.Lock()
			delete(c.leftovers, p)
			c.mu.Unlock()
		}
	}
}

// isAttempt reports whether s is the part Upload adds to a temporary name: a dot
// and 8 hex digits.
func isAttempt(s string) bool {
	if len(s) != 9 || s[0] != '.' {
		return false
	}
	_, err := hex.DecodeString(s[1:])
	return err == nil
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
// and names with the temporary suffix are left out, and so are files that may still
// be being written: a file modified less than Config.Settle ago is taken at once
// only when it holds whole X12 interchanges (ISA first, IEA last); otherwise the
// folders are listed again after Settle, and it is returned only when its size and
// mtime did not change (a later poll takes the others).
func (c *Client) List(ctx context.Context) ([]connectors.RemoteFile, error) {
	files, err := c.list(ctx)
	if err != nil || c.cfg.Settle <= 0 {
		return files, err
	}
	// SFTP mtimes are whole seconds: a file may have changed up to a second after
	// the mtime listed.
	fresh := func(f connectors.RemoteFile, now time.Time) bool {
		return now.Before(f.ModTime.Add(time.Second + c.cfg.Settle))
	}
	now := time.Now()
	var young []connectors.RemoteFile
	for _, f := range files {
		if fresh(f, now) {
			young = append(young, f)
		}
	}
	if len(young) == 0 {
		return files, nil
	}
	unsettled := false
	err = c.do(ctx, true, func(ctx context.Context, sf *pkgsftp.Client, alive func()) error {
		for _, f := range young {
			if !wholeX12(sf, f) {
				unsettled = true
				return nil
			}
			alive()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing inbound files on %s: %w", c.addr, err)
	}
	if !unsettled {
		return files, nil
	}
	t := time.NewTimer(c.cfg.Settle)
	select {
	case <-ctx.Done():
		t.Stop()
		return nil, fmt.Errorf("listing inbound files on %s: %w", c.addr, ctx.Err())
	case <-t.C:
	}
	before := make(map[string]connectors.RemoteFile, len(files))
	for _, f := range files {
		before[f.Path] = f
	}
	again, err := c.list(ctx)
	if err != nil {
		return nil, err
	}
	now = time.Now()
	settled := again[:0]
	for _, f := range again {
		b, seen := before[f.Path]
		if seen && b.Size == f.Size && b.ModTime.Equal(f.ModTime) || !seen && !fresh(f, now) {
			settled = append(settled, f)
			continue
		}
		c.log.Debug("sftp file still changing, left for the next poll", "path", f.Path, "bytes", f.Size)
	}
	return settled, nil
}

// wholeX12 reports whether the remote file f, as listed, holds whole X12
// interchanges: it starts with an ISA segment and its last segment is an IEA (the
// separators are the ones the ISA declares; line breaks between segments are
// allowed). A response still being written ends elsewhere.
func wholeX12(sf *pkgsftp.Client, f connectors.RemoteFile) bool {
	const isaLen = 106
	if f.Size < int64(isaLen+len("IEA*1*000000001~")) {
		return false
	}
	r, err := sf.Open(f.Path)
	if err != nil {
		return false
	}
	defer r.Close()
	isa := make([]byte, isaLen)
	if _, err := r.ReadAt(isa, 0); err != nil || string(isa[:3]) != "ISA" {
		return false
	}
	sep, term := isa[3], isa[isaLen-1]
	tail := make([]byte, min(f.Size-isaLen, 256))
	if _, err := r.ReadAt(tail, f.Size-int64(len(tail))); err != nil {
		return false
	}
	tail = bytes.TrimRight(tail, " \t\r\n")
	if len(tail) == 0 || tail[len(tail)-1] != term {
		return false
	}
	last := tail[bytes.LastIndexByte(tail[:len(tail)-1], term)+1:]
	return bytes.HasPrefix(bytes.TrimLeft(last, " \t\r\n"), []byte{'I', 'E', 'A', sep})
}

// list lists the inbound folders once.
func (c *Client) list(ctx context.Context) ([]connectors.RemoteFile, error) {
	var files []connectors.RemoteFile
	err := c.do(ctx, true, func(ctx context.Context, sf *pkgsftp.Client, alive func()) error {
		files = files[:0]
		for _, in := range c.cfg.Layout.Inbound {
			got, err := c.listDir(ctx, sf, in, path.Clean(in.Dir), in.Subdirs, alive)
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

func (c *Client) listDir(ctx context.Context, sf *pkgsftp.Client, in connectors.Inbound, dir string, sub bool, alive func()) ([]connectors.RemoteFile, error) {
	entries, err := sf.ReadDirContext(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	alive()
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
				more, err := c.listDir(ctx, sf, in, p, false, alive)
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
	err := c.do(ctx, canRetry, func(ctx context.Context, sf *pkgsftp.Client, alive func()) error {
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
		n, _, err := connectors.CopyHashing(ctx, progressWriter{localWriter{w}, alive}, src)
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
// earlier attempt whose reply was lost). A file whose size or mtime differ from f's
// is not the one fetched (it was still being written, or was replaced under the same
// name): it is left where it is, for the next poll to fetch.
func (c *Client) Done(ctx context.Context, f connectors.RemoteFile) error {
	if !connectors.InInbound(c.cfg.Layout, f.Path) {
		return fmt.Errorf("disposing of %s: not in an inbound folder: %w", f.Path, connectors.ErrNotAllowed)
	}
	l := c.cfg.Layout
	if l.After == connectors.Keep || l.After == "" {
		return nil
	}
	err := c.do(ctx, true, func(ctx context.Context, sf *pkgsftp.Client, alive func()) error {
		if same, err := c.unchanged(sf, f); err != nil || !same {
			return err
		}
		alive()
		if l.After == connectors.Delete {
			if err := sf.Remove(f.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return nil
		}
		if _, err := sf.Stat(l.ArchiveDir); errors.Is(err, fs.ErrNotExist) {
			if err := sf.MkdirAll(l.ArchiveDir); err != nil {
				return fmt.Errorf("creating %s: %w", l.ArchiveDir, err)
			}
		}
		return c.archive(sf, f, alive)
	})
	if err != nil {
		return fmt.Errorf("disposing of %s on %s (%s): %w", f.Path, c.addr, l.After, err)
	}
	return nil
}

// unchanged reports whether the file at f.Path is still f as listed: the same size
// and mtime. A file gone is not (and needs nothing more).
func (c *Client) unchanged(sf *pkgsftp.Client, f connectors.RemoteFile) (bool, error) {
	fi, err := sf.Stat(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("checking %s: %w", f.Path, err)
	}
	if fi.Size() != f.Size || !fi.ModTime().Equal(f.ModTime) {
		c.log.Info("sftp file changed since it was fetched, left for the next poll", "path", f.Path,
			"bytes", fi.Size(), "fetched", f.Size)
		return false, nil
	}
	return true, nil
}

// maxArchiveNames bounds the names archive tries for one file.
const maxArchiveNames = 1000

// archive renames f into the archive folder under the first name no file has there:
// its own, then <name>.<mtime unix seconds>, then <name>.<mtime>.2, .3, and so on.
// Clearinghouses reuse names (one per day and type; the same name in several TaxID
// sub-folders), and rename never overwrites.
func (c *Client) archive(sf *pkgsftp.Client, f connectors.RemoteFile, alive func()) error {
	base := path.Join(c.cfg.Layout.ArchiveDir, f.Name)
	stamped := base + "." + strconv.FormatInt(f.ModTime.Unix(), 10)
	for i := range maxArchiveNames {
		dst := base
		switch {
		case i == 1:
			dst = stamped
		case i > 1:
			dst = stamped + "." + strconv.Itoa(i)
		}
		if _, err := sf.Lstat(dst); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checking %s: %w", dst, err)
		}
		err := sf.Rename(f.Path, dst)
		if err == nil {
			return nil
		}
		alive()
		if errors.Is(classify(err), connectors.ErrTransient) {
			return err
		}
		if _, serr := sf.Lstat(dst); serr == nil {
			continue // taken meanwhile
		}
		if _, serr := sf.Stat(f.Path); errors.Is(serr, fs.ErrNotExist) {
			return nil // disposed of meanwhile
		}
		return fmt.Errorf("renaming to %s: %w", dst, err)
	}
	return fmt.Errorf("no free name for %s in %s after %d tries", f.Name, c.cfg.Layout.ArchiveDir, maxArchiveNames)
}

// Close implements [connectors.Connector]. It is idempotent, and does not wait for a
// connection being made: that is cancelled, and the operation making it fails.
func (c *Client) Close(context.Context) error {
	c.mu.Lock()
	s := c.cur
	c.cur, c.closed = nil, true
	for d := range c.dials {
		d.cancel()
	}
	c.mu.Unlock()
	if s != nil {
		s.close()
	}
	return nil
}

// progressWriter calls alive after every write that moved bytes.
type progressWriter struct {
	w     io.Writer
	alive func()
}

func (p progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if n > 0 {
		p.alive()
	}
	return n, err
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
