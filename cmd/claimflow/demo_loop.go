package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// How the demo watches the pipeline: it polls the backlog, and calls the pipeline
// quiet when nothing moved for settleFor.
const (
	pollEvery = 50 * time.Millisecond
	// maxPoll caps the wait between polls; a poll waits pollCost times as long as
	// the last backlog read took, so that counting a large claims table never takes
	// more than a fifth of a core from the stages.
	maxPoll   = time.Second
	pollCost  = 4
	settleFor = 600 * time.Millisecond
	// maxIdleRounds is how many batch-and-fetch rounds in a row may change nothing
	// before the demo gives up on the claims still in flight.
	maxIdleRounds = 4
)

// demo generates the claims, runs every stage on them until no claim is in flight,
// and reads the summary.
func demo(ctx context.Context, f *demoFlags, dataDir string, prog *progress, log *slog.Logger) (*demoResult, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	gen, err := fixtures.NewClaimGenerator(fixtures.ClaimOptions{
		Seed: f.seed, Claims: f.claims, BadShare: f.badShare, SecondaryShare: f.secondaryShare,
		Today: billing.DateOf(time.Now()), UnknownMemberPrefix: demoRules().UnknownMemberPrefixes[0],
	})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	res := &demoResult{plan: gen.Plan()}
	sys, err := startDemoSystem(ctx, dataDir, f.seed, demoRules(), log)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer sys.Close(context.WithoutCancel(ctx))

	runner, err := pipeline.NewRunner(sys.env, sys.bus)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := pipeline.RegisterAll(runner, sys.env, nil); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	runCtx, stopRunner := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- runner.Run(runCtx) }()
	defer func() {
		stopRunner()
		<-runDone
	}()

	w := &demoWatch{sys: sys, prog: prog, runDone: runDone}
	if err := w.intake(ctx, gen); err != nil {
		return nil, err
	}
	if err := w.scrubbed(ctx, int64(f.claims)); err != nil {
		return nil, err
	}
	if res.rounds, res.stuck, err = w.rounds(ctx); err != nil {
		return nil, err
	}
	prog.end()
	if res.summary, err = sys.store.Summary(ctx); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if res.aging, err = sys.store.AgingTable(ctx, billing.DateOf(time.Now()), storage.AgeFromService); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	res.took = time.Since(start)
	return res, nil
}

// demoWatch drives the stages through the bus and watches the store.
type demoWatch struct {
	sys     *demoSystem
	prog    *progress
	runDone chan error
	// lastRead is how long the last backlog read took.
	lastRead time.Duration
}

// pause waits before the next poll: pollEvery, or longer when reading the backlog
// is expensive (see pollCost).
func (w *demoWatch) pause(ctx context.Context) error {
	return sleep(ctx, min(max(pollEvery, pollCost*w.lastRead), maxPoll))
}

// intake generates and takes in the claims a chunk at a time.
func (w *demoWatch) intake(ctx context.Context, gen *fixtures.ClaimGenerator) error {
	n := gen.Len()
	buf := make([]billing.Claim, 0, min(demoChunk, n))
	for from := 0; from < n; from += demoChunk {
		buf = gen.Chunk(buf, from, demoChunk)
		if _, err := pipeline.Intake(ctx, w.sys.env, buf, "demo"); err != nil {
			return fmt.Errorf("demo: taking in claims %d-%d: %w", from, from+len(buf)-1, err)
		}
		w.prog.update("taking claims in", int64(from+len(buf)), int64(n))
	}
	return nil
}

// backlog reads the backlog, failing when the runner stopped.
func (w *demoWatch) backlog(ctx context.Context) (storage.Backlog, error) {
	select {
	case err := <-w.runDone:
		w.runDone <- err
		return storage.Backlog{}, fmt.Errorf("demo: the stages stopped: %w", errors.Join(err, errors.New("runner returned")))
	default:
	}
	start := time.Now()
	b, err := w.sys.store.Backlog(ctx)
	w.lastRead = time.Since(start)
	if err != nil {
		return b, fmt.Errorf("demo: %w", err)
	}
	return b, nil
}

// scrubbed waits until no claim is left in draft.
func (w *demoWatch) scrubbed(ctx context.Context, total int64) error {
	for {
		b, err := w.backlog(ctx)
		if err != nil {
			return err
		}
		left := b.ByState[storage.StateDraft]
		w.prog.update("scrubbing", total-left, total)
		if left == 0 {
			return nil
		}
		if err := w.pause(ctx); err != nil {
			return fmt.Errorf("demo: waiting for the scrubber (%d claims left): %w", left, err)
		}
	}
}

// emit writes one work message to the outbox; the runner's relay publishes it.
func (w *demoWatch) emit(ctx context.Context, s bus.Stage) error {
	env := w.sys.env
	err := env.InTx(ctx, func(tx *storage.Tx) error {
		return env.Emit(ctx, tx, s, pipeline.ClearinghouseWork{Clearinghouse: demoClearinghouse})
	})
	if err != nil {
		return fmt.Errorf("demo: emitting %s work: %w", s, err)
	}
	return nil
}

// rounds batches and sends what is ready, fetches what came back, and lets the
// acknowledgement, remittance and secondary stages work, until no claim is in flight
// or rounds in a row change nothing. It returns the rounds run and the claims left in
// flight by state.
func (w *demoWatch) rounds(ctx context.Context) (int, map[storage.ClaimState]int64, error) {
	idle := 0
	var last map[storage.ClaimState]int64
	for round := 1; ; round++ {
		b, err := w.backlog(ctx)
		if err != nil {
			return round, nil, err
		}
		if b.ByState[storage.StateValidated]+b.ByState[storage.StateSecondaryBilled] > 0 {
			if err := w.emit(ctx, bus.Batch); err != nil {
				return round, nil, err
			}
			if err := w.sent(ctx); err != nil {
				return round, nil, err
			}
		}
		if err := w.emit(ctx, bus.Fetch); err != nil {
			return round, nil, err
		}
		if b, err = w.settle(ctx); err != nil {
			return round, nil, err
		}
		if b.InFlight() == 0 {
			return round, nil, nil
		}
		if maps.Equal(b.ByState, last) {
			idle++
		} else {
			idle = 0
		}
		if idle >= maxIdleRounds {
			stuck := map[storage.ClaimState]int64{}
			for s, n := range b.ByState {
				if n > 0 && isPending(s) {
					stuck[s] = n
				}
			}
			return round, stuck, nil
		}
		last = b.ByState
	}
}

// sent waits until every ready claim is in a transmitted file.
func (w *demoWatch) sent(ctx context.Context) error {
	asked := time.Now()
	for {
		b, err := w.backlog(ctx)
		if err != nil {
			return err
		}
		total := sum(b.ByState)
		unbatched := b.ByState[storage.StateValidated] + b.ByState[storage.StateSecondaryBilled]
		ready := unbatched + b.ByState[storage.StateBatched]
		w.prog.update("sending 837P files", total-ready, total)
		if ready == 0 && b.Unsent == 0 {
			return nil
		}
		// Claims that became ready after the batch ran (re-billed to a secondary
		// payer while an 835 was still posting) need another batch.
		if unbatched > 0 && time.Since(asked) >= settleFor {
			if err := w.emit(ctx, bus.Batch); err != nil {
				return err
			}
			asked = time.Now()
		}
		if err := w.pause(ctx); err != nil {
			return fmt.Errorf("demo: waiting for the uploads (%d claims, %d files left): %w", ready, b.Unsent, err)
		}
	}
}

// settle waits until the pipeline is quiet: nothing in the outbox, every received
// file processed, and no claim changing state for settleFor.
func (w *demoWatch) settle(ctx context.Context) (storage.Backlog, error) {
	var prev map[storage.ClaimState]int64
	since := time.Now()
	for {
		b, err := w.backlog(ctx)
		if err != nil {
			return b, err
		}
		total := sum(b.ByState)
		w.prog.update("acknowledged and paid", total-b.InFlight(), total)
		if !maps.Equal(b.ByState, prev) || b.Outbox > 0 || b.Inbound > 0 {
			prev, since = b.ByState, time.Now()
		} else if time.Since(since) >= settleFor || b.InFlight() == 0 && b.ByState != nil && time.Since(since) >= settleFor/4 {
			return b, nil
		}
		if err := w.pause(ctx); err != nil {
			return b, fmt.Errorf("demo: waiting for the answers (%d claims in flight): %w", b.InFlight(), err)
		}
	}
}

func isPending(s storage.ClaimState) bool {
	return storage.Backlog{ByState: map[storage.ClaimState]int64{s: 1}}.InFlight() == 1
}

func sum[K comparable](m map[K]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
