package ops_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/pipeline/ops"
)

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

// TestReadyzFollowsTheBus: /readyz is 200 with the store and the bus up, and
// 503 naming the bus once its server is gone; /healthz stays 200 throughout.
func TestReadyzFollowsTheBus(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	srv := testenv.Embedded(t)
	b := testenv.Connect(t, bus.Config{Embedded: srv})
	m, err := ops.NewMetrics(ops.WithCounts(st))
	if err != nil {
		t.Fatal(err)
	}
	hs, err := ops.Listen("127.0.0.1:0", ops.Handler(m, ops.StoreCheck(st), ops.BusCheck(b)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hs.Shutdown(context.Background()) })
	base := "http://" + hs.Addr()

	if code, body, _ := get(t, base+"/readyz"); code != 200 || body != "store: ok\nbus: ok\n" {
		t.Fatalf("/readyz = %d %q, want 200 with both ok", code, body)
	}
	code, body, hdr := get(t, base+"/metrics")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics = %d, content type %q", code, hdr.Get("Content-Type"))
	}
	parseExposition(t, body)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	code, body, _ = get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store: ok\n") || !strings.Contains(body, "bus: ") ||
		strings.Contains(body, "bus: ok") {
		t.Fatalf("/readyz with the bus down = %d %q, want 503 naming the bus", code, body)
	}
	if code, body, _ := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}

	st.Close(context.Background())
	if code, body, _ := get(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "store: database does not answer") {
		t.Fatalf("/readyz with the store closed = %d %q", code, body)
	}
}

// TestReadyzHidesCredentials: a probe error quoting a URL with a password is
// shown without it.
func TestReadyzHidesCredentials(t *testing.T) {
	t.Parallel()
	h := ops.Handler(nil, ops.Check{Name: "store", Probe: func(context.Context) error {
		return io.ErrUnexpectedEOF
	}}, ops.Check{Name: "db", Probe: func(context.Context) error {
		return &urlError{"postgres://claimflow:s3cret@db:5432/claimflow: connection refused"}
	}})
	hs, err := ops.Listen("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hs.Shutdown(context.Background()) })
	code, body, _ := get(t, "http://"+hs.Addr()+"/readyz")
	if code != 503 || strings.Contains(body, "s3cret") || !strings.Contains(body, "postgres://***@db:5432") {
		t.Fatalf("/readyz = %d %q", code, body)
	}
	if code, _, _ := get(t, "http://"+hs.Addr()+"/metrics"); code != 404 {
		t.Fatalf("/metrics without metrics = %d, want 404", code)
	}
}

type urlError struct{ s string }

func (e *urlError) Error() string { return e.s }
