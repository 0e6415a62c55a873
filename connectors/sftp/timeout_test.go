package sftp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/connectortest"
	"github.com/claimflow/claimflow/connectors/sftp"
	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// stallMode says where the in-process server stops answering.
type stallMode int

const (
	// stallSubsystem: SSH handshake and session channel fine, the "sftp" subsystem
	// request is never answered.
	stallSubsystem stallMode = iota
	// stallRequests: SFTP starts (INIT/VERSION), then every file request hangs; the
	// SSH connection stays healthy (keepalives are answered).
	stallRequests
)

// stallingServer is an in-process SSH/SFTP server (golang.org/x/crypto/ssh and
// pkg/sftp, as the simulator is built) that hangs as mode says.
type stallingServer struct {
	addr    string
	hostKey ssh.PublicKey
	release chan struct{}

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func startStallingServer(t *testing.T, mode stallMode) *stallingServer {
	t.Helper()
	signer := connectortest.NewSigner(t)
	cfg := &ssh.ServerConfig{NoClientAuth: true}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &stallingServer{addr: ln.Addr().String(), hostKey: signer.PublicKey(), release: make(chan struct{}), ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, conn)
			s.mu.Unlock()
			go s.serve(conn, cfg, mode)
		}
	}()
	t.Cleanup(s.stop)
	return s
}

func (s *stallingServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.release:
	default:
		close(s.release)
	}
	s.ln.Close()
	for _, c := range s.conns {
		c.Close()
	}
}

func (s *stallingServer) serve(conn net.Conn, cfg *ssh.ServerConfig, mode stallMode) {
	_, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs) // keepalive@openssh.com gets its answer
	for nc := range chans {
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go func() {
			for req := range creqs {
				if mode == stallSubsystem {
					continue // never answered
				}
				req.Reply(true, nil)
				go ssh.DiscardRequests(creqs)
				h := &blockingHandlers{release: s.release}
				rs := pkgsftp.NewRequestServer(ch, pkgsftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
				rs.Serve()
				rs.Close()
				return
			}
		}()
	}
}

// blockingHandlers hang every SFTP request until released (a server stuck on its
// storage: the SSH layer is alive, file operations never complete).
type blockingHandlers struct{ release chan struct{} }

func (b *blockingHandlers) wait() error { <-b.release; return pkgsftp.ErrSSHFxFailure }
func (b *blockingHandlers) Fileread(*pkgsftp.Request) (io.ReaderAt, error) {
	return nil, b.wait()
}
func (b *blockingHandlers) Filewrite(*pkgsftp.Request) (io.WriterAt, error) {
	return nil, b.wait()
}
func (b *blockingHandlers) Filecmd(*pkgsftp.Request) error { return b.wait() }
func (b *blockingHandlers) Filelist(*pkgsftp.Request) (pkgsftp.ListerAt, error) {
	return nil, b.wait()
}

func (s *stallingServer) config(t *testing.T) sftp.Config {
	t.Helper()
	keys, err := sftp.OpenHostKeys(filepath.Join(t.TempDir(), "known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Pin(s.addr, s.hostKey); err != nil {
		t.Fatal(err)
	}
	host, portText, _ := net.SplitHostPort(s.addr)
	port, _ := strconv.Atoi(portText)
	return sftp.Config{Host: host, Port: port, User: "tester", Auth: []ssh.AuthMethod{ssh.Password("x")},
		HostKeys: keys, Layout: connectortest.BaseLayout(), Backoff: connectors.NoRetry,
		DialTimeout: time.Second, KeepAlive: 100 * time.Millisecond, OpTimeout: 300 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)}
}

// connections is how many connections the server has accepted.
func (s *stallingServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// TestOpenBoundedWhenSFTPNeverStarts: the server completes the SSH handshake and
// never answers the sftp subsystem request. Starting SFTP is part of connecting:
// Open returns at the context's deadline, or at the dial timeout, whichever comes
// first.
func TestOpenBoundedWhenSFTPNeverStarts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		ctxTimeout  time.Duration
		dialTimeout time.Duration
		want        error
	}{
		{"context", 300 * time.Millisecond, time.Minute, context.DeadlineExceeded},
		{"dial timeout", time.Minute, 300 * time.Millisecond, connectors.ErrTransient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startStallingServer(t, stallSubsystem)
			cfg := s.config(t)
			cfg.DialTimeout = tc.dialTimeout
			ctx, cancel := context.WithTimeout(context.Background(), tc.ctxTimeout)
			defer cancel()
			result := make(chan error, 1)
			go func() {
				c, err := sftp.Open(ctx, cfg)
				if c != nil {
					c.Close(context.Background())
				}
				result <- err
			}()
			err, ok := waitDone(result, 3*time.Second)
			if !ok {
				s.stop() // cut the connection so that the goroutine ends
				t.Fatalf("Open still blocked after 3 s (context %s, dial timeout %s)", tc.ctxTimeout, tc.dialTimeout)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("Open: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestOperationTimeout: the server starts SFTP and then hangs on every request,
// while the SSH connection stays healthy (keepalives answered). Stages call the
// connector with contexts that have no deadline; the operation timeout ends the
// request with ErrTransient and drops the connection, so that the next call dials
// again.
func TestOperationTimeout(t *testing.T) {
	t.Parallel()
	s := startStallingServer(t, stallRequests)
	cfg := s.config(t)
	c, err := sftp.Open(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer c.Close(context.Background())
	for i := 1; i <= 2; i++ {
		result := make(chan error, 1)
		go func() {
			_, err := c.List(context.Background()) // as a bus handler's context: no deadline
			result <- err
		}()
		err, ok := waitDone(result, 3*time.Second)
		if !ok {
			s.stop()
			t.Fatalf("List against a server that never answers is still blocked after 3 s (operation timeout %s)", cfg.OpTimeout)
		}
		if !errors.Is(err, connectors.ErrTransient) {
			t.Errorf("List: %v, want ErrTransient", err)
		}
		if n := s.connections(); n != i {
			t.Errorf("after %d timed-out calls, %d connections; want a new one per call", i, n)
		}
	}
}

// TestCloseDuringDial: Close, called from another goroutine (a shutdown), returns at
// once while a connection is being made, and the operation making it fails.
func TestCloseDuringDial(t *testing.T) {
	t.Parallel()
	s := startStallingServer(t, stallSubsystem)
	cfg := s.config(t)
	cfg.DialTimeout = time.Minute // only Close ends this dial
	c, err := sftp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	listed := make(chan error, 1)
	go func() {
		_, err := c.List(context.Background())
		listed <- err
	}()
	for start := time.Now(); s.connections() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 3*time.Second {
			t.Fatal("List did not connect")
		}
	}
	time.Sleep(100 * time.Millisecond) // the handshake is done, SFTP is starting
	closed := make(chan struct{})
	go func() {
		c.Close(context.Background())
		close(closed)
	}()
	if _, ok := waitDone(closed, time.Second); !ok {
		s.stop()
		t.Fatal("Close is still blocked after 1 s behind a dial in progress")
	}
	err, ok := waitDone(listed, time.Second)
	if !ok {
		s.stop()
		t.Fatal("the List that was dialling did not end with Close")
	}
	if err == nil {
		t.Error("List succeeded on a closed client")
	}
}
