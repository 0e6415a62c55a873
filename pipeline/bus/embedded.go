package bus

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedServer is a nats-server with JetStream running inside this process: the
// single-machine default and the tests' server. Connect to it with
// Connect(ctx, Config{Embedded: srv}); other processes on the machine reach it at
// ClientURL unless it was started WithoutListener.
type EmbeddedServer struct {
	srv *server.Server

	stopOnce sync.Once
	stopped  chan struct{}
}

// EmbeddedOption configures Embedded.
type EmbeddedOption func(*embeddedOptions) error

type embeddedOptions struct {
	host     string
	port     int
	noListen bool
	logger   *slog.Logger
	name     string
}

// WithListen makes the server listen on host:port (port 0 picks a free one). The
// default is 127.0.0.1 on a free port.
func WithListen(host string, port int) EmbeddedOption {
	return func(o *embeddedOptions) error {
		if host == "" || port < 0 || port > 65535 {
			return fmt.Errorf("%w: listen %q port %d", ErrInvalidOption, host, port)
		}
		o.host, o.port = host, port
		return nil
	}
}

// WithoutListener serves in-process connections only.
func WithoutListener() EmbeddedOption {
	return func(o *embeddedOptions) error { o.noListen = true; return nil }
}

// WithServerLogger sends the server's log to l (notices at Info, warnings, errors;
// debug and trace are off).
func WithServerLogger(l *slog.Logger) EmbeddedOption {
	return func(o *embeddedOptions) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		o.logger = l
		return nil
	}
}

// WithServerName names the server (default "claimflow").
func WithServerName(name string) EmbeddedOption {
	return func(o *embeddedOptions) error {
		if name == "" {
			return fmt.Errorf("%w: empty server name", ErrInvalidOption)
		}
		o.name = name
		return nil
	}
}

// Embedded starts a nats-server in this process with JetStream storing under dir
// (created if missing) and waits until it accepts connections or ctx ends.
func Embedded(ctx context.Context, dir string, opts ...EmbeddedOption) (*EmbeddedServer, error) {
	o := embeddedOptions{host: "127.0.0.1", port: 0, name: "claimflow"}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("starting embedded NATS: %w", err)
		}
	}
	if dir == "" {
		return nil, fmt.Errorf("starting embedded NATS: %w: no data directory", ErrInvalidOption)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("starting embedded NATS: %w", err)
	}
	port := o.port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	sopts := &server.Options{
		ServerName: o.name,
		Host:       o.host,
		Port:       port,
		DontListen: o.noListen,
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		NoLog:      o.logger == nil,
		// No HTTP monitoring, no cluster, no leaf nodes: a single local server.
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("starting embedded NATS: %w", err)
	}
	if o.logger != nil {
		srv.SetLoggerV2(slogLogger{o.logger}, false, false, false)
	}
	srv.Start()
	e := &EmbeddedServer{srv: srv, stopped: make(chan struct{})}
	for !srv.ReadyForConnections(50 * time.Millisecond) {
		if err := ctx.Err(); err != nil {
			_ = e.Shutdown(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("starting embedded NATS: %w", err)
		}
	}
	if !srv.JetStreamEnabled() {
		_ = e.Shutdown(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("starting embedded NATS: JetStream did not start (store %s)", dir)
	}
	return e, nil
}

// ClientURL is the nats:// URL other processes connect to; empty WithoutListener.
func (e *EmbeddedServer) ClientURL() string {
	if e.srv.Addr() == nil {
		return ""
	}
	return e.srv.ClientURL()
}

// Shutdown stops the server, closing its client connections, and waits until it
// has stopped or ctx ends. It is idempotent: later calls wait for the same stop.
func (e *EmbeddedServer) Shutdown(ctx context.Context) error {
	e.stopOnce.Do(func() {
		go func() {
			e.srv.Shutdown()
			e.srv.WaitForShutdown()
			close(e.stopped)
		}()
	})
	select {
	case <-e.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping embedded NATS: %w", ctx.Err())
	}
}

// slogLogger adapts slog to the server's Logger.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Noticef(format string, v ...any) { s.l.Info(fmt.Sprintf(format, v...)) }
func (s slogLogger) Warnf(format string, v ...any)   { s.l.Warn(fmt.Sprintf(format, v...)) }
func (s slogLogger) Fatalf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s slogLogger) Errorf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s slogLogger) Debugf(format string, v ...any)  { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s slogLogger) Tracef(format string, v ...any)  { s.l.Debug(fmt.Sprintf(format, v...)) }
