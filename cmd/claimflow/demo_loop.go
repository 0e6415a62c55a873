package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/storage"
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
	sys, err := startDemoSystem(ctx, dataDir, f.database, f.keep != "", f.seed, demoRules(), log)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer sys.Close(context.WithoutCancel(ctx))
	if sys.store.Driver() == storage.SQLite {
		prog.busy = sys.store.WriterBusy
	}

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

	if err := demoIntake(ctx, sys.env, gen, prog); err != nil {
		return nil, err
	}
	d := &pipeline.Driver{
		Env: sys.env, Clearinghouse: demoClearinghouse, Progress: prog.update,
		CountEvery: countEvery(prog),
		Alive: func() error {
			select {
			case err := <-runDone:
				runDone <- err
				return errors.Join(err, errors.New("runner returned"))
			default:
				return nil
			}
		},
	}
	if err := d.WaitScrubbed(ctx); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	run, err := d.Run(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	res.rounds, res.stuck = run.Rounds, run.Stuck
	prog.end()
	// The summary and the aging table each read most of the ledger (1.7 and 1.4 s of
	// CPU at 100,000 claims): side by side on the read pool, the second core helps.
	var wg sync.WaitGroup
	var agingErr error
	wg.Go(func() {
		res.aging, agingErr = sys.store.AgingTable(ctx, billing.DateOf(time.Now()), storage.AgeFromService)
	})
	res.summary, err = sys.store.Summary(ctx)
	wg.Wait()
	if err = errors.Join(err, agingErr); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	res.took, res.busy = time.Since(start), sys.store.WriterBusy()
	return res, nil
}

// demoIntake generates and takes in the claims a chunk at a time, so that memory
// stays bounded whatever --claims says; the next chunk is generated while the
// current one is taken in.
func demoIntake(ctx context.Context, env *pipeline.Env, gen *fixtures.ClaimGenerator, prog *progress) error {
	n := gen.Len()
	if n == 0 {
		return nil
	}
	// The phase starts now: its time includes the first chunk.
	prog.update("taking claims in", 0, int64(n))
	bufs := [2][]billing.Claim{make([]billing.Claim, 0, min(demoChunk, n)), make([]billing.Claim, 0, min(demoChunk, n))}
	buf := gen.Chunk(bufs[0], 0, demoChunk)
	for k, from := 0, 0; from < n; k, from = k+1, from+demoChunk {
		var next chan []billing.Claim
		if from+demoChunk < n {
			next = make(chan []billing.Claim, 1)
			go func(dst []billing.Claim) { next <- gen.Chunk(dst, from+demoChunk, demoChunk) }(bufs[(k+1)%2])
		}
		_, err := pipeline.Intake(ctx, env, buf, "demo")
		if err != nil {
			if next != nil {
				<-next
			}
			return fmt.Errorf("demo: taking in claims %d-%d: %w", from, from+len(buf)-1, err)
		}
		prog.update("taking claims in", int64(from+len(buf)), int64(n))
		if next != nil {
			buf = <-next
			bufs[(k+1)%2] = buf
		}
	}
	return nil
}

// countEvery is how often the driver counts the claims for the progress bar: only
// when a phase starts when no bar is drawn (the counts are not shown).
func countEvery(prog *progress) time.Duration {
	if prog.terminal {
		return 0
	}
	return -1
}

func sum[K comparable](m map[K]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
