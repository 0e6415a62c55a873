package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// TestRunnerOutboxToHandler: work emitted in a committed transaction reaches the
// stage's handler once; work emitted in a rolled-back one never does; poison
// becomes an exception work item naming the stage.
func TestRunnerOutboxToHandler(t *testing.T) {
	st := testenv.SQLite(t)
	b := testenv.Connect(t, bus.Config{Embedded: testenv.Embedded(t)})
	env := &pipeline.Env{Store: st, Topology: b.Topology(), Logger: testenv.Quiet()}
	r, err := pipeline.NewRunner(env, b, bus.WithRelayInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[int64]int{}
	done := make(chan struct{}, 16)
	r.Handle(bus.Scrub, bus.HandlerFunc(func(ctx context.Context, m bus.Message) error {
		var w pipeline.ClaimWork
		if err := pipeline.Decode(m, &w); err != nil {
			return err
		}
		mu.Lock()
		for _, id := range w.ClaimIDs {
			got[id]++
		}
		mu.Unlock()
		done <- struct{}{}
		return nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()

	if err := env.InTx(ctx, func(tx *storage.Tx) error {
		return env.Emit(ctx, tx, bus.Scrub, pipeline.ClaimWork{ClaimIDs: []int64{1, 2}})
	}); err != nil {
		t.Fatal(err)
	}
	rollback := errors.New("rolled back")
	if err := env.InTx(ctx, func(tx *storage.Tx) error {
		if err := env.Emit(ctx, tx, bus.Scrub, pipeline.ClaimWork{ClaimIDs: []int64{99}}); err != nil {
			return err
		}
		return rollback
	}); !errors.Is(err, rollback) {
		t.Fatalf("InTx = %v, want the rollback", err)
	}
	// Poison: a payload that is not JSON.
	if _, err := st.EnqueueOutbox(ctx, storage.OutboxMessage{Subject: b.Topology().WorkSubject(bus.Scrub), Payload: []byte("{not json")}); err != nil {
		t.Fatal(err)
	}
	if err := env.InTx(ctx, func(tx *storage.Tx) error {
		return env.Emit(ctx, tx, bus.Scrub, pipeline.ClaimWork{ClaimIDs: []int64{3}})
	}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case <-done:
		case err := <-errc:
			t.Fatalf("runner stopped: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("work did not arrive")
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	var items []storage.WorkItem
	for time.Now().Before(deadline) {
		items, err = st.WorkItems(ctx, storage.WorkFilter{Kind: storage.WorkException})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(items) != 1 || items[0].Codes[1] != "scrub" {
		t.Fatalf("exception items = %+v, want one for the poison scrub message", items)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := map[int64]int{1: 1, 2: 1, 3: 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("handled %v, want %v", got, want)
	}
	pending, err := st.PendingOutbox(context.Background(), 10)
	if err != nil || len(pending) != 0 {
		t.Fatalf("outbox still holds %d rows (%v)", len(pending), err)
	}
}
