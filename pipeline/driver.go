package pipeline

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// Driver's defaults.
const (
	DefaultPollEvery     = 50 * time.Millisecond
	DefaultMaxPoll       = 2 * time.Second
	DefaultPollCost      = 10
	DefaultSettleFor     = 600 * time.Millisecond
	DefaultMaxIdleRounds = 4
)

// Driver moves claims through the pipeline for one clearinghouse (claimflow demo
// and the end-to-end checks drive the loop with it): it asks for a
// batch while claims are ready to send, waits until they are sent, asks for a
// fetch, waits until the answers are processed, and goes round again until no
// claim is in flight or rounds in a row change nothing. It only writes work
// messages to the outbox (Env.Emit) and reads the store's backlog: the stages
// run wherever a pipeline.Runner consumes the bus (this process or others), and a
// relay somewhere publishes the outbox.
type Driver struct {
	// Env gives the store and the bus topology the work messages are written for.
	Env *Env
	// Clearinghouse is the one to batch for and fetch from.
	Clearinghouse string
	// PollEvery is how often the backlog is read at most (DefaultPollEvery when
	// zero). Reading it counts the claims by state, which takes longer as the claims
	// table grows: each wait is PollCost times as long as the last read took
	// (DefaultPollCost when zero), up to MaxPoll (DefaultMaxPoll when zero), so that
	// watching takes at most about a tenth of a core from the stages (at 100,000
	// claims a read takes a tenth of a second or more).
	PollEvery time.Duration
	PollCost  int
	MaxPoll   time.Duration
	// SettleFor is how long nothing must move before a round is over
	// (DefaultSettleFor when zero). Make it longer than a redelivery delay when
	// workers may die.
	SettleFor time.Duration
	// MaxIdleRounds is how many rounds in a row may change nothing before Run gives
	// up on the claims still in flight (DefaultMaxIdleRounds when zero).
	MaxIdleRounds int
	// Progress, when set, is told what is being waited for and how far it got.
	Progress func(phase string, done, total int64)
	// Alive, when set, is called at every poll: an error stops the driver (the
	// stages it relies on stopped).
	Alive func() error

	lastRead time.Duration // how long the last backlog read took
}

// DriveResult is what Driver.Run did.
type DriveResult struct {
	// Rounds counts the batch-and-fetch rounds.
	Rounds int
	// Stuck counts, by state, the claims still in flight when Run gave up; empty
	// when every claim reached an outcome.
	Stuck map[storage.ClaimState]int64
	// Final is the last backlog read.
	Final storage.Backlog
}

func (d *Driver) pollEvery() time.Duration {
	if d.PollEvery > 0 {
		return d.PollEvery
	}
	return DefaultPollEvery
}

// pause waits before the next poll: see PollEvery.
func (d *Driver) pause(ctx context.Context) error {
	cost, most := d.PollCost, d.MaxPoll
	if cost <= 0 {
		cost = DefaultPollCost
	}
	if most <= 0 {
		most = DefaultMaxPoll
	}
	return sleep(ctx, min(max(d.pollEvery(), time.Duration(cost)*d.lastRead), max(most, d.pollEvery())))
}

func (d *Driver) settleFor() time.Duration {
	if d.SettleFor > 0 {
		return d.SettleFor
	}
	return DefaultSettleFor
}

func (d *Driver) progress(phase string, done, total int64) {
	if d.Progress != nil {
		d.Progress(phase, done, total)
	}
}

// backlog reads the backlog, failing when Alive says the stages stopped.
func (d *Driver) backlog(ctx context.Context) (storage.Backlog, error) {
	if d.Alive != nil {
		if err := d.Alive(); err != nil {
			return storage.Backlog{}, fmt.Errorf("driving %s: the stages stopped: %w", d.Clearinghouse, err)
		}
	}
	start := time.Now()
	b, err := d.Env.Store.Backlog(ctx)
	d.lastRead = time.Since(start)
	if err != nil {
		return b, fmt.Errorf("driving %s: %w", d.Clearinghouse, err)
	}
	return b, nil
}

// WaitScrubbed waits until no claim is left in draft.
func (d *Driver) WaitScrubbed(ctx context.Context) error {
	for {
		b, err := d.backlog(ctx)
		if err != nil {
			return err
		}
		left := b.ByState[storage.StateDraft]
		total := sum(b.ByState)
		d.progress("scrubbing", total-left, total)
		if left == 0 {
			return nil
		}
		if err := d.pause(ctx); err != nil {
			return fmt.Errorf("driving %s: waiting for the scrubber (%d claims left): %w", d.Clearinghouse, left, err)
		}
	}
}

// Emit writes one work message for stage s about the clearinghouse to the outbox.
func (d *Driver) Emit(ctx context.Context, s bus.Stage) error {
	env := d.Env
	err := env.InTx(ctx, func(tx *storage.Tx) error {
		return env.Emit(ctx, tx, s, ClearinghouseWork{Clearinghouse: d.Clearinghouse})
	})
	if err != nil {
		return fmt.Errorf("driving %s: emitting %s work: %w", d.Clearinghouse, s, err)
	}
	return nil
}

// Run goes round (batch, wait for the uploads, fetch, wait for the answers) until
// no claim is in flight, or MaxIdleRounds rounds in a row leave the claims' states
// unchanged; it then returns the claims still in flight in Result.Stuck.
func (d *Driver) Run(ctx context.Context) (DriveResult, error) {
	maxIdle := d.MaxIdleRounds
	if maxIdle <= 0 {
		maxIdle = DefaultMaxIdleRounds
	}
	idle := 0
	quiet := false // the last round ended with nothing in flight
	var last map[storage.ClaimState]int64
	for round := 1; ; round++ {
		b, err := d.backlog(ctx)
		if err != nil {
			return DriveResult{Rounds: round}, err
		}
		if b.ByState[storage.StateValidated]+b.ByState[storage.StateSecondaryBilled] > 0 {
			if err := d.Emit(ctx, bus.Batch); err != nil {
				return DriveResult{Rounds: round}, err
			}
			if err := d.sent(ctx); err != nil {
				return DriveResult{Rounds: round}, err
			}
		}
		if err := d.Emit(ctx, bus.Fetch); err != nil {
			return DriveResult{Rounds: round}, err
		}
		if b, err = d.settle(ctx); err != nil {
			return DriveResult{Rounds: round}, err
		}
		// Nothing in flight ends the run only when a further round confirms it: work a
		// stage has taken off the bus but not yet finished (the secondary stage
		// re-billing claims an 835 just paid) shows in no claim's state meanwhile.
		if b.InFlight() == 0 {
			if quiet && maps.Equal(b.ByState, last) {
				return DriveResult{Rounds: round, Final: b}, nil
			}
			quiet, last = true, b.ByState
			continue
		}
		quiet = false
		if maps.Equal(b.ByState, last) {
			idle++
		} else {
			idle = 0
		}
		if idle >= maxIdle {
			stuck := map[storage.ClaimState]int64{}
			for s, n := range b.ByState {
				if n > 0 && pending(s) {
					stuck[s] = n
				}
			}
			return DriveResult{Rounds: round, Stuck: stuck, Final: b}, nil
		}
		last = b.ByState
	}
}

// sent waits until every claim ready to send is in a transmitted file. Claims can
// become ready after the batch it asked for ran (the secondary stage re-bills a
// claim whose 835 was still being posted): when some wait unbatched for a settle
// period, it asks for another batch (batching is idempotent).
func (d *Driver) sent(ctx context.Context) error {
	asked := time.Now()
	for {
		b, err := d.backlog(ctx)
		if err != nil {
			return err
		}
		total := sum(b.ByState)
		unbatched := b.ByState[storage.StateValidated] + b.ByState[storage.StateSecondaryBilled]
		ready := unbatched + b.ByState[storage.StateBatched]
		d.progress("sending 837P files", total-ready, total)
		if ready == 0 && b.Unsent == 0 {
			return nil
		}
		if unbatched > 0 && time.Since(asked) >= d.settleFor() {
			if err := d.Emit(ctx, bus.Batch); err != nil {
				return err
			}
			asked = time.Now()
		}
		if err := d.pause(ctx); err != nil {
			return fmt.Errorf("driving %s: waiting for the uploads (%d claims, %d files left): %w", d.Clearinghouse, ready, b.Unsent, err)
		}
	}
}

// settle waits until the pipeline is quiet: nothing in the outbox, every received
// file processed, and no claim changing state for SettleFor (a quarter of it once
// nothing is in flight).
func (d *Driver) settle(ctx context.Context) (storage.Backlog, error) {
	var prev map[storage.ClaimState]int64
	since := time.Now()
	quiet := d.settleFor()
	for {
		b, err := d.backlog(ctx)
		if err != nil {
			return b, err
		}
		total := sum(b.ByState)
		d.progress("acknowledged and paid", total-b.InFlight(), total)
		if !maps.Equal(b.ByState, prev) || b.Outbox > 0 || b.Inbound > 0 {
			prev, since = b.ByState, time.Now()
		} else if time.Since(since) >= quiet || b.InFlight() == 0 && time.Since(since) >= quiet/4 {
			return b, nil
		}
		if err := d.pause(ctx); err != nil {
			return b, fmt.Errorf("driving %s: waiting for the answers (%d claims in flight): %w", d.Clearinghouse, b.InFlight(), err)
		}
	}
}

// pending reports whether claims in state s are still in flight.
func pending(s storage.ClaimState) bool {
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
