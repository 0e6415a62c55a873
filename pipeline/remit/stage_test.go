package remit_test

import (
	"context"
	"testing"
	"time"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// TestStageSQLite and TestStagePostgres run the remit stage through a Runner on the
// embedded bus: InboundWork for a stored 835 posts it; the same work again (a
// redelivery) changes nothing.
func TestStageSQLite(t *testing.T) {
	t.Parallel()
	runStage(t, testenv.SQLite(t))
}

func TestStagePostgres(t *testing.T) {
	t.Parallel()
	runStage(t, testenv.Postgres(t))
}

func runStage(t *testing.T, st *storage.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := newWorld(t, st)
	id := w.claim("A17", true, "99213", 20000)
	b := testenv.Connect(t, bus.Config{Embedded: testenv.Embedded(t)})
	env := &pipeline.Env{Store: st, Topology: b.Topology(), Logger: testenv.Quiet()}
	r, err := pipeline.NewRunner(env, b, bus.WithRelayInterval(50*time.Millisecond))
	must(t, err)
	must(t, pipeline.RegisterAll(r, env, []bus.Stage{bus.Remit}))
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()

	fileID, _, err := st.InsertInboundFile(ctx, storage.InboundFile{Source: "test", Name: "era.835", Kind: "835",
		Content: []byte(build835("000000301", [3]string{"122.15", "EFT66", example66 + "PLB*1234567893*20251231*L6:A17*-2.15~"}))})
	must(t, err)
	for range 2 {
		must(t, env.InTx(ctx, func(tx *storage.Tx) error {
			return env.Emit(ctx, tx, bus.Remit, pipeline.InboundWork{InboundID: fileID, Kind: "835"})
		}))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, _, err := st.InboundState(ctx, fileID)
		must(t, err)
		if status == storage.InboundProcessed {
			break
		}
		select {
		case err := <-errc:
			t.Fatalf("runner stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("file still %s", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Let the second message be handled too, then check the books once.
	time.Sleep(300 * time.Millisecond)
	lines(t, w.ledger(id),
		"insurance-payment insurance -120.00 ",
		"contractual-adjustment insurance -50.00 CO-45",
		"coinsurance insurance -30.00 PR-2",
		"coinsurance patient 30.00 PR-2",
		"provider-adjustment provider -2.15 PLB-L6",
	)
	if s := w.state(id); s != storage.StatePaid {
		t.Errorf("state %s", s)
	}
	if ex := w.items(storage.WorkException); len(ex) != 0 {
		t.Errorf("exceptions: %+v", ex)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
