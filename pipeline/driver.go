package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// Driver's defaults.
const (
	DefaultPollEvery     = 50 * time.Millisecond
	DefaultMaxPoll       = 2 * time.Second
	DefaultPollCost      = 10
	DefaultCountEvery    = 2 * time.Second
	DefaultSettleFor     = 600 * time.Millisecond
	DefaultFetchEvery    = time.Second
	DefaultMaxIdleRounds = 4
)

// Driver moves claims through the pipeline for one clearinghouse (claimflow demo
// and the end-to-end checks drive the loop with it): it asks for a
// batch while claims are ready to send, waits until they are sent, asks for a
// fetch, waits until the answers are processed, and goes round again until no
// claim is in flight or rounds in a row change nothing. It only writes work
// messages to the outbox (Env.Emit) and reads the store: the stages
// run wherever a pipeline.Runner consumes the bus (this process or others), and a
// relay somewhere publishes the outbox.
//
// What it decides on is the store's pulse (storage.Conn.Pulse: whether claims are
// in the states waited on, the newest history row, the files and messages left),
// a few index probes whatever the number of claims; it counts the claims by state
// (storage.Conn.Backlog, which reads every claim) only for Progress, now and then,
// and for the result.
type Driver struct {
	// Env gives the store and the bus topology the work messages are written for.
	Env *Env
	// Clearinghouse is the one to batch for and fetch from.
	Clearinghouse string
	// PollEvery is how often the pulse is read at most (DefaultPollEvery when
	// zero). Each wait is PollCost times as long as the last read took
	// (DefaultPollCost when zero), up to MaxPoll (DefaultMaxPoll when zero), so that
	// watching takes at most about a tenth of a core from the stages.
	PollEvery time.Duration
	PollCost  int
	MaxPoll   time.Duration
	// CountEvery is how often at most the claims are counted by state for Progress
	// (DefaultCountEvery when zero), and never more often than PollCost times as
	// long as the last count took (at 100,000 claims a count takes a tenth of a
	// second or more); negative: only when a wait starts. Counts are read again only
	// when a claim changed state since.
	CountEvery time.Duration
	// SettleFor is how long nothing must move before a round is over
	// (DefaultSettleFor when zero). Make it longer than a redelivery delay when
	// workers may die.
	SettleFor time.Duration
	// FetchEvery is how often at most a fetch is asked for while files are still
	// being sent, so that the answers to the first files are taken in while the
	// last ones go out (DefaultFetchEvery when zero; negative: only once every file
	// is sent).
	FetchEvery time.Duration
	// MaxIdleRounds is how many rounds in a row may change nothing before Run gives
	// up on the claims still in flight (DefaultMaxIdleRounds when zero).
	MaxIdleRounds int
	// Progress, when set, is told what is being waited for and how far it got.
	Progress func(phase string, done, total int64)
	// Alive, when set, is called at every poll: an error stops the driver (the
	// stages it relies on stopped).
	Alive func() error

	lastRead  time.Duration // how long the last pulse read took
	counts    storage.Backlog
	countedAt time.Time     // when counts were read; zero: never
	countedAs int64         // the pulse's LastEvent then
	lastCount time.Duration // how long reading them took
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

func (d *Driver) pollCost() time.Duration {
	if d.PollCost > 0 {
		return time.Duration(d.PollCost)
	}
	return DefaultPollCost
}

// pause waits before the next poll: see PollEvery.
func (d *Driver) pause(ctx context.Context) error {
	most := d.MaxPoll
	if most <= 0 {
		most = DefaultMaxPoll
	}
	return sleep(ctx, min(max(d.pollEvery(), d.pollCost()*d.lastRead), max(most, d.pollEvery())))
}

func (d *Driver) settleFor() time.Duration {
	if d.SettleFor > 0 {
		return d.SettleFor
	}
	return DefaultSettleFor
}

func (d *Driver) fetchEvery() time.Duration {
	if d.FetchEvery != 0 {
		return d.FetchEvery
	}
	return DefaultFetchEvery
}

func (d *Driver) alive() error {
	if d.Alive != nil {
		if err := d.Alive(); err != nil {
			return fmt.Errorf("driving %s: the stages stopped: %w", d.Clearinghouse, err)
		}
	}
	return nil
}

// pulse reads the pulse, failing when Alive says the stages stopped.
func (d *Driver) pulse(ctx context.Context) (storage.Pulse, error) {
	if err := d.alive(); err != nil {
		return storage.Pulse{}, err
	}
	start := time.Now()
	p, err := d.Env.Store.Pulse(ctx)
	d.lastRead = time.Since(start)
	if err != nil {
		return p, fmt.Errorf("driving %s: %w", d.Clearinghouse, err)
	}
	return p, nil
}

// backlog counts the claims by state (and reads the rest of the backlog).
func (d *Driver) backlog(ctx context.Context, p storage.Pulse) (storage.Backlog, error) {
	start := time.Now()
	b, err := d.Env.Store.Backlog(ctx)
	d.countedAt, d.lastCount = time.Now(), time.Since(start)
	if err != nil {
		return b, fmt.Errorf("driving %s: %w", d.Clearinghouse, err)
	}
	d.counts, d.countedAs = b, p.LastEvent
	return b, nil
}

// progress tells Progress how far the phase is: done of all the claims, by the
// counts read last, read again when due (see CountEvery) or when a wait starts.
func (d *Driver) progress(ctx context.Context, phase string, starts bool, p storage.Pulse, done func(map[storage.ClaimState]int64) int64) error {
	if d.Progress == nil {
		return nil
	}
	every := d.CountEvery
	if every == 0 {
		every = DefaultCountEvery
	}
	due := d.countedAt.IsZero() || starts ||
		every > 0 && d.countedAs != p.LastEvent && time.Since(d.countedAt) >= max(every, d.pollCost()*d.lastCount)
	if due {
		if _, err := d.backlog(ctx, p); err != nil {
			return err
		}
	}
	d.Progress(phase, done(d.counts.ByState), sum(d.counts.ByState))
	return nil
}

// WaitScrubbed waits until no claim is left in draft.
func (d *Driver) WaitScrubbed(ctx context.Context) error {
	for starts := true; ; starts = false {
		p, err := d.pulse(ctx)
		if err != nil {
			return err
		}
		if err := d.progress(ctx, "scrubbing", starts, p, func(by map[storage.ClaimState]int64) int64 {
			return sum(by) - by[storage.StateDraft]
		}); err != nil {
			return err
		}
		if !p.Present[storage.StateDraft] {
			return nil
		}
		if err := d.pause(ctx); err != nil {
			return fmt.Errorf("driving %s: waiting for the scrubber: %w", d.Clearinghouse, err)
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

// result ends Run: the claims counted by state, and those still in flight when
// stuck.
func (d *Driver) result(ctx context.Context, round int, p storage.Pulse, stuck bool) (DriveResult, error) {
	b, err := d.backlog(ctx, p)
	if err != nil {
		return DriveResult{Rounds: round}, err
	}
	res := DriveResult{Rounds: round, Final: b}
	if stuck {
		res.Stuck = map[storage.ClaimState]int64{}
		for s, n := range b.ByState {
			if n > 0 && pending(s) {
				res.Stuck[s] = n
			}
		}
	}
	return res, nil
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
	quiet := false    // the last round ended with nothing in flight
	last := int64(-1) // the pulse's LastEvent at the end of the last round
	for round := 1; ; round++ {
		p, err := d.pulse(ctx)
		if err != nil {
			return DriveResult{Rounds: round}, err
		}
		if p.Present[storage.StateValidated] || p.Present[storage.StateSecondaryBilled] {
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
		if p, err = d.settle(ctx, quiet); err != nil {
			return DriveResult{Rounds: round}, err
		}
		// Nothing in flight ends the run only when a further round confirms it: work a
		// stage has taken off the bus but not yet finished (the secondary stage
		// re-billing claims an 835 just paid) shows in no claim's state meanwhile.
		if !p.InFlight() {
			if quiet && p.LastEvent == last {
				return d.result(ctx, round, p, false)
			}
			quiet, last = true, p.LastEvent
			continue
		}
		quiet = false
		if p.LastEvent == last {
			idle++
		} else {
			idle = 0
		}
		if idle >= maxIdle {
			return d.result(ctx, round, p, true)
		}
		last = p.LastEvent
	}
}

// sent waits until every claim ready to send is in a transmitted file. Claims can
// become ready after the batch it asked for ran (the secondary stage re-bills a
// claim whose 835 was still being posted): when some wait unbatched for a settle
// period, it asks for another batch (batching is idempotent).
func (d *Driver) sent(ctx context.Context) error {
	asked := time.Now()
	fetched := asked
	for starts := true; ; starts = false {
		p, err := d.pulse(ctx)
		if err != nil {
			return err
		}
		if err := d.progress(ctx, "sending 837P files", starts, p, func(by map[storage.ClaimState]int64) int64 {
			return sum(by) - by[storage.StateValidated] - by[storage.StateSecondaryBilled] - by[storage.StateBatched]
		}); err != nil {
			return err
		}
		unbatched := p.Present[storage.StateValidated] || p.Present[storage.StateSecondaryBilled]
		if !unbatched && !p.Present[storage.StateBatched] && p.Unsent == 0 {
			return nil
		}
		if unbatched && time.Since(asked) >= d.settleFor() {
			if err := d.Emit(ctx, bus.Batch); err != nil {
				return err
			}
			asked = time.Now()
		}
		if every := d.fetchEvery(); every > 0 && time.Since(fetched) >= every {
			if err := d.Emit(ctx, bus.Fetch); err != nil {
				return err
			}
			fetched = time.Now()
		}
		if err := d.pause(ctx); err != nil {
			return fmt.Errorf("driving %s: waiting for the uploads (%d files left): %w", d.Clearinghouse, p.Unsent, err)
		}
	}
}

// settle waits until the pipeline is quiet: nothing in the outbox, every received
// file processed, and no claim changing state for SettleFor (a quarter of it once
// nothing is in flight, unless confirming). The round that confirms the end waits
// the whole SettleFor even with nothing in flight: a message whose worker died
// comes back only after its redelivery delay, and until then shows nowhere in the
// store (an 835's paid claims waiting for the secondary stage are not in flight).
func (d *Driver) settle(ctx context.Context, confirming bool) (storage.Pulse, error) {
	prev := int64(-1)
	since := time.Now()
	quiet := d.settleFor()
	shortcut := quiet / 4
	if confirming {
		shortcut = quiet
	}
	for starts := true; ; starts = false {
		p, err := d.pulse(ctx)
		if err != nil {
			return p, err
		}
		if err := d.progress(ctx, "acknowledged and paid", starts, p, func(by map[storage.ClaimState]int64) int64 {
			return sum(by) - storage.Backlog{ByState: by}.InFlight()
		}); err != nil {
			return p, err
		}
		if p.LastEvent != prev || p.Outbox > 0 || p.Inbound > 0 {
			prev, since = p.LastEvent, time.Now()
		} else if time.Since(since) >= quiet || !p.InFlight() && time.Since(since) >= shortcut {
			return p, nil
		}
		if err := d.pause(ctx); err != nil {
			return p, fmt.Errorf("driving %s: waiting for the answers: %w", d.Clearinghouse, err)
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
