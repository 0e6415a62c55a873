package pipeline_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
)

// TestDriverWaitsForWorkOnTheBus: a stage still working on a message changes no
// claim for longer than the driver's settle period; with the bus to read, the
// driver waits for it instead of calling the loop finished.
func TestDriverWaitsForWorkOnTheBus(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	st := testenv.SQLite(t)
	b := testenv.Connect(t, bus.Config{Embedded: testenv.Embedded(t)})
	env := &pipeline.Env{Store: st, Topology: b.Topology(), Logger: testenv.Quiet()}
	r, err := pipeline.NewRunner(env, b, bus.WithRelayInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 8)
	release := make(chan struct{})
	free := sync.OnceFunc(func() { close(release) })
	r.Handle(bus.Fetch, bus.HandlerFunc(func(ctx context.Context, m bus.Message) error {
		started <- struct{}{}
		select {
		case <-release: // a slow poll of the clearinghouse
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}))
	runCtx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- r.Run(runCtx) }()
	defer func() {
		free()
		stop()
		if err := <-errc; err != nil {
			t.Errorf("runner: %v", err)
		}
	}()

	const settle = 50 * time.Millisecond
	d := &pipeline.Driver{Env: env, Clearinghouse: "sim", Bus: b, SettleFor: settle, PollEvery: 10 * time.Millisecond}
	type result struct {
		res pipeline.DriveResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := d.Run(ctx)
		done <- result{res, err}
	}()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the fetch work did not arrive")
	}
	select {
	case got := <-done:
		t.Fatalf("Run returned %+v, %v while the fetch stage was still working", got.res, got.err)
	case <-time.After(20 * settle):
	}
	free()
	select {
	case got := <-done:
		if got.err != nil || got.res.Rounds != 1 || len(got.res.Stuck) != 0 {
			t.Fatalf("Run = %+v, %v; want one round and nothing stuck", got.res, got.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return once the stage finished")
	}
	q, err := b.Queued(ctx)
	if err != nil || !q.Idle() {
		t.Fatalf("queues after Run: %+v, %v", q, err)
	}
}
