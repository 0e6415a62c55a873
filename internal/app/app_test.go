package app_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/internal/app"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// load reads a configuration from variables only, in a fresh data directory.
func load(t *testing.T, vars ...string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load("", append([]string{"CLAIMFLOW_DATA_DIR=" + dir, "CLAIMFLOW_HTTP_LISTEN=127.0.0.1:0"}, vars...))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestEmbeddedDefault: with nothing configured, the process keeps SQLite and
// NATS under the data directory, serves HTTP, counts the work of its stages,
// and stops cleanly when its context ends.
func TestEmbeddedDefault(t *testing.T) {
	t.Parallel()
	cfg := load(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, app.Options{Config: cfg, Role: "serve", Migrate: true, HTTP: true, Logger: testenv.Quiet(),
		RelayOptions: []bus.RelayOption{bus.WithRelayInterval(50 * time.Millisecond)}})
	if err != nil {
		t.Fatal(err)
	}
	line := a.Describe()
	for _, want := range []string{"claimflow serve: stages scrub,batch,submit,fetch,classify", "outbox relay",
		"schedules (leader-elected) ack-alarm", "http 127.0.0.1:", filepath.Join(cfg.DataDir, "claimflow.db"),
		"bus embedded NATS in " + filepath.Join(cfg.DataDir, "nats") + ", namespace claimflow"} {
		if !strings.Contains(line, want) {
			t.Errorf("start line %q lacks %q", line, want)
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	base := "http://" + a.HTTP.Addr()
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %q", code, body)
	}

	// Work for a clearinghouse nobody configured is poison: counted, and an
	// exception work item.
	env := a.Env
	if err := env.InTx(ctx, func(tx *storage.Tx) error {
		return env.Emit(ctx, tx, bus.Fetch, pipeline.ClearinghouseWork{Clearinghouse: "nowhere"})
	}); err != nil {
		t.Fatal(err)
	}
	want := `claimflow_stage_messages_total{stage="fetch",outcome="poison"} 1`
	// The metric counts the handler's answer; the bus dead-letters the message
	// (the exception item) right after: wait for both.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, body := get(t, base+"/metrics")
		items, err := a.Store.WorkItems(ctx, storage.WorkFilter{Kind: storage.WorkException})
		if err != nil || len(items) > 1 {
			t.Fatalf("exception items %+v (%v), want one", items, err)
		}
		if strings.Contains(body, want) && strings.Contains(body, "claimflow_schedule_leader 1") && len(items) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %q and the schedule leader, or no exception item (%d):\n%s", want, len(items), body)
		}
		time.Sleep(50 * time.Millisecond)
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run = %v, want nil after the context ended", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	if err := a.Store.DB().Ping(); err == nil {
		t.Error("the store is still open after Run")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("HTTP still served after Run")
	}
	for _, p := range []string{"claimflow.db", "nats"} {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, p)); err != nil {
			t.Errorf("data directory: %v", err)
		}
	}
}

// TestOutdatedSchema: without Migrate, a database behind the binary stops the
// start, and nothing is left running.
func TestOutdatedSchema(t *testing.T) {
	t.Parallel()
	cfg := load(t)
	_, err := app.New(context.Background(), app.Options{Config: cfg, Role: "worker", Logger: testenv.Quiet()})
	if !errors.Is(err, storage.ErrSchemaOutdated) {
		t.Fatalf("New = %v, want ErrSchemaOutdated", err)
	}
}

// TestUnknownStage: a stage this build lacks stops the start.
func TestUnknownStage(t *testing.T) {
	t.Parallel()
	cfg := load(t)
	_, err := app.New(context.Background(), app.Options{Config: cfg, Migrate: true, Logger: testenv.Quiet(),
		Stages: []bus.Stage{"nope"}})
	if !errors.Is(err, bus.ErrUnknownStage) {
		t.Fatalf("New = %v, want ErrUnknownStage", err)
	}
}

// TestRedeliveryConfigured: the configuration's redelivery settings reach every
// stage's consumer on the bus.
func TestRedeliveryConfigured(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		vars    []string
		ackWait time.Duration
		backOff []time.Duration
	}{
		{[]string{"CLAIMFLOW_NATS_BACK_OFF=2s,9s", "CLAIMFLOW_NATS_MAX_DELIVER=4"}, 2 * time.Second, []time.Duration{2 * time.Second, 9 * time.Second}},
		{[]string{"CLAIMFLOW_NATS_ACK_WAIT=7s", "CLAIMFLOW_NATS_BACK_OFF=", "CLAIMFLOW_NATS_MAX_DELIVER=4"}, 7 * time.Second, nil},
	} {
		cfg := load(t, tc.vars...)
		ctx := context.Background()
		a, err := app.New(ctx, app.Options{Config: cfg, Role: "worker", Migrate: true, NoSchedules: true, Logger: testenv.Quiet()})
		if err != nil {
			t.Fatal(err)
		}
		topo := a.Bus.Topology()
		for _, s := range []bus.Stage{bus.Scrub, bus.Remit} {
			c, err := a.Bus.JetStream().Consumer(ctx, topo.WorkStream(), topo.Consumer(s))
			if err != nil {
				t.Fatalf("%v %s: %v", tc.vars, s, err)
			}
			got := c.CachedInfo().Config
			if got.AckWait != tc.ackWait || !slices.Equal(got.BackOff, tc.backOff) {
				t.Errorf("%v %s: ack wait %v, back-off %v; want %v and %v", tc.vars, s, got.AckWait, got.BackOff, tc.ackWait, tc.backOff)
			}
			if got.Metadata["claimflow_max_deliver"] != "4" {
				t.Errorf("%v %s: metadata %v; want claimflow_max_deliver 4", tc.vars, s, got.Metadata)
			}
		}
		if err := a.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
