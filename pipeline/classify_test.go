package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// eventually polls cond until it holds, failing the test after 30 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFrontHalfOverBusSQLite(t *testing.T) {
	t.Parallel()
	testFrontHalfOverBus(t, testenv.SQLite(t), bus.Config{Embedded: testenv.Embedded(t)})
}

// TestFrontHalfOverBusPostgres runs the same flow on PostgreSQL and the CI
// machine's NATS server.
func TestFrontHalfOverBusPostgres(t *testing.T) {
	t.Parallel()
	url := testenv.ExternalNATS(t)
	testFrontHalfOverBus(t, testenv.Postgres(t), bus.Config{URLs: []string{url}})
}

// testFrontHalfOverBus runs intake -> scrub -> batch -> submit -> (simulator) ->
// fetch -> classify through a Runner on a real NATS server: each stage's handler
// registered from its init, each message emitted through the outbox.
func testFrontHalfOverBus(t *testing.T, st *storage.Store, cfg bus.Config) {
	ctx := ctxT(t)
	b := testenv.Connect(t, cfg)
	f := newFront(t, st, simConfig{autoRespond: true})
	env := f.env
	env.Topology = b.Topology()
	r, err := pipeline.NewRunner(env, b, bus.WithRelayInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := pipeline.RegisterAll(r, env, []bus.Stage{bus.Scrub, bus.Batch, bus.Submit, bus.Fetch, bus.Classify}); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- r.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("runner: %v", err)
		}
	}()

	claims := fixtureClaims(t, 51, 8)
	ids, err := pipeline.Intake(ctx, env, claims, "tester")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the claims are validated", func() bool { return states(t, st, ids)[storage.StateValidated] == len(ids) })

	emit := func(s bus.Stage) {
		t.Helper()
		if err := env.InTx(ctx, func(tx *storage.Tx) error {
			return env.Emit(ctx, tx, s, pipeline.ClearinghouseWork{Clearinghouse: simName})
		}); err != nil {
			t.Fatal(err)
		}
	}
	emit(bus.Batch)
	eventually(t, "the claims are transmitted", func() bool { return states(t, st, ids)[storage.StateTransmitted] == len(ids) })
	if up := f.uploads(t); len(up) != 1 {
		t.Fatalf("server holds %v", up)
	}

	download := filepath.Join(f.root, f.sim.Layout().Inbound[0].Dir)
	answers, err := os.ReadDir(download)
	if err != nil || len(answers) < 4 {
		t.Fatalf("the simulator wrote %d files (%v)", len(answers), err)
	}
	emit(bus.Fetch)
	kinds := map[string]int{}
	eventually(t, "the answers are classified", func() bool {
		files, err := st.InboundFiles(ctx, storage.InboundNew, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		clear(kinds)
		for _, in := range files {
			if in.Kind != "unknown" {
				kinds[in.Kind]++
			}
		}
		return len(files) == len(answers) && kinds["ta1"]+kinds["999"]+kinds["277ca"]+kinds["835"] == len(answers)
	})
	if kinds["ta1"] != 1 || kinds["999"] != 1 || kinds["835"] == 0 {
		t.Fatalf("classified %v", kinds)
	}
	eventually(t, "the outbox is published", func() bool {
		pending, err := st.PendingOutbox(ctx, 10)
		return err == nil && len(pending) == 0
	})
}
