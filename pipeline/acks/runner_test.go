package acks_test

import (
	"context"
	"testing"
	"time"

	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// TestThroughRunner: the stage registered for bus.Acks applies the files named by
// InboundWork messages on the embedded bus; the same message twice changes nothing
// more; a message for a file that does not exist becomes an exception work item.
func TestThroughRunner(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 19, 3), 801, 10, nil)
	b := testenv.Connect(t, bus.Config{Embedded: testenv.Embedded(t)})
	w.env.Topology = b.Topology()
	r, err := pipeline.NewRunner(w.env, b, bus.WithRelayInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := pipeline.RegisterAll(r, w.env, []bus.Stage{bus.Acks}, bus.WithRetryDelay(10*time.Millisecond, 50*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()

	rs, err := w.sim.Process(w.sub.FileName, w.file)
	if err != nil {
		t.Fatal(err)
	}
	ta1ID := w.receive(response(t, rs, profile.KindTA1))
	ackID := w.receive(response(t, rs, profile.Kind999))
	emit := func(id int64, kind string) {
		t.Helper()
		if err := w.env.InTx(ctx, func(tx *storage.Tx) error {
			return w.env.Emit(ctx, tx, bus.Acks, pipeline.InboundWork{InboundID: id, Kind: kind})
		}); err != nil {
			t.Fatal(err)
		}
	}
	emit(ta1ID, "ta1")
	waitProcessed(t, w, ta1ID, errc)
	emit(ackID, "999")
	emit(ackID, "999")
	emit(12345, "999") // no such file: poison, dead-lettered
	waitProcessed(t, w, ackID, errc)
	w.wantStates(storage.StateSyntaxAccepted, storage.StateSyntaxAccepted, storage.StateSyntaxAccepted)

	deadline := time.Now().Add(20 * time.Second)
	for {
		ex := w.work(storage.WorkException)
		if len(ex) == 1 && ex[0].Codes[0] == "dead-letter" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("exceptions %+v, want the dead letter of the missing file", ex)
		}
		time.Sleep(20 * time.Millisecond)
	}
	hist, err := w.st.ClaimHistory(w.ctx, w.ids[0])
	if err != nil {
		t.Fatal(err)
	}
	// inserted validated, batched, transmitted, envelope-accepted, syntax-accepted
	if len(hist) != 5 {
		t.Errorf("history of %d rows, want 5: %+v", len(hist), hist)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func waitProcessed(t *testing.T, w *world, id int64, errc chan error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		f, err := w.st.InboundFile(w.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if f.Status == storage.InboundProcessed {
			return
		}
		select {
		case err := <-errc:
			t.Fatalf("runner stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("inbound file %d not processed", id)
}
