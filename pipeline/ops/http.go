package ops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// Check is one readiness probe: Probe returns nil when the part it checks can
// do its work now.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// checkTimeout bounds each probe of a /readyz request.
const checkTimeout = 2 * time.Second

// StoreCheck probes the database with a ping.
func StoreCheck(st *storage.Store) Check {
	return Check{Name: "store", Probe: func(ctx context.Context) error {
		if err := st.DB().PingContext(ctx); err != nil {
			return fmt.Errorf("database does not answer: %w", err)
		}
		return nil
	}}
}

// BusCheck probes NATS: the connection is up and JetStream answers for the
// account.
func BusCheck(b *bus.Bus) Check {
	return Check{Name: "bus", Probe: func(ctx context.Context) error {
		js := b.JetStream()
		if nc := js.Conn(); nc == nil || !nc.IsConnected() {
			return errors.New("not connected to NATS")
		}
		if _, err := js.AccountInfo(ctx); err != nil {
			return fmt.Errorf("JetStream does not answer: %w", err)
		}
		return nil
	}}
}

// Handler serves /metrics from m (when not nil), /healthz, and /readyz from the
// checks.
func Handler(m *Metrics, checks ...Check) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		ready := true
		for _, c := range checks {
			ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
			err := c.Probe(ctx)
			cancel()
			if err != nil {
				ready = false
				fmt.Fprintf(&body, "%s: %s\n", c.Name, redact(err.Error()))
			} else {
				fmt.Fprintf(&body, "%s: ok\n", c.Name)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write(body.Bytes())
	})
	if m != nil {
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			var buf bytes.Buffer
			// A gauge that cannot be read is left out and claimflow_up says so;
			// the rest is still worth scraping.
			_ = m.WriteTo(r.Context(), &buf)
			w.Header().Set("Content-Type", contentType)
			w.Write(buf.Bytes())
		})
	}
	return mux
}

// userinfo matches the credentials of a URL: what stands between "://" and "@".
var userinfo = regexp.MustCompile(`://[^/@\s]*@`)

// redact removes URL credentials and keeps one line: probe errors come from
// drivers, which may quote a connection string.
func redact(s string) string {
	s = userinfo.ReplaceAllString(s, "://***@")
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// Server is the HTTP listener of a process.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// Listen binds addr (host:port; port 0 picks a free one) and serves h on it in
// the background until Shutdown.
func Listen(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for HTTP on %s: %w", addr, err)
	}
	s := &Server{
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute},
		ln:   ln,
		done: make(chan error, 1),
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
		close(s.done)
	}()
	return s, nil
}

// Addr is the address the server listens on, with the port chosen.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Done receives the error that stopped the server (nil after Shutdown) and is
// then closed.
func (s *Server) Done() <-chan error { return s.done }

// Shutdown stops accepting requests and waits for those running, or ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("stopping the HTTP server on %s: %w", s.Addr(), err)
	}
	return nil
}
