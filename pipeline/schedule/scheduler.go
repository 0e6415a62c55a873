package schedule

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
)

// LockName is the leader lock every Scheduler contends for, in the bus's
// leader bucket.
const LockName = "schedules"

// Defaults.
const (
	// DefaultLeaderTTL is the lease of the leader lock: a dead leader is replaced
	// within it.
	DefaultLeaderTTL = 15 * time.Second
	// DefaultAlarmSchedule is when the missing-acknowledgement alarm runs.
	DefaultAlarmSchedule = "*/5 * * * *"
)

// alarmJob is the name of the alarm's schedule.
const alarmJob = "ack-alarm"

// Option configures New.
type Option func(*Scheduler) error

// WithClock reads the time from c instead of the system clock.
func WithClock(c Clock) Option {
	return func(s *Scheduler) error {
		if c == nil {
			return errors.New("schedule: nil clock")
		}
		s.clock = c
		return nil
	}
}

// WithLeaderTTL sets the leader lock's lease (default 15s, at least 300ms).
func WithLeaderTTL(d time.Duration) Option {
	return func(s *Scheduler) error {
		if d < 300*time.Millisecond {
			return fmt.Errorf("schedule: leader ttl %v: want at least 300ms", d)
		}
		s.ttl = d
		return nil
	}
}

// WithAlarmSchedule sets when the missing-acknowledgement alarm runs besides at
// start (a cron expression, default every five minutes; "off" never).
func WithAlarmSchedule(expr string) Option {
	return func(s *Scheduler) error {
		var c config.Cron
		if err := c.UnmarshalText([]byte(expr)); err != nil {
			return fmt.Errorf("schedule: alarm schedule: %w", err)
		}
		s.alarm = c
		return nil
	}
}

// WithLeaderID names this process in the leader lock (default host:pid:random).
func WithLeaderID(id string) Option {
	return func(s *Scheduler) error {
		if id == "" {
			return errors.New("schedule: empty leader id")
		}
		s.id = id
		return nil
	}
}

// Scheduler fires the schedules of env's clearinghouses and the alarm while this
// process holds the leader lock. Build it with New and call Run.
type Scheduler struct {
	env   *pipeline.Env
	bus   *bus.Bus
	clock Clock
	ttl   time.Duration
	alarm config.Cron
	id    string
	log   *slog.Logger
	jobs  []job

	leader atomic.Bool
}

// New returns a scheduler of env's clearinghouses that elects its leader and
// keeps its firings on b.
func New(env *pipeline.Env, b *bus.Bus, opts ...Option) (*Scheduler, error) {
	if env == nil || env.Store == nil || b == nil {
		return nil, errors.New("schedule: nil env, store or bus")
	}
	host, _ := os.Hostname()
	s := &Scheduler{env: env, bus: b, clock: SystemClock{}, ttl: DefaultLeaderTTL,
		id: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), rand.Text()[:6])}
	if err := WithAlarmSchedule(DefaultAlarmSchedule)(s); err != nil {
		return nil, err
	}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	s.log = env.Log().With("component", "schedule")
	names := make([]string, 0, len(env.Clearinghouses))
	for name := range env.Clearinghouses {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		s.jobs = append(s.jobs, clearinghouseJobs(env, env.Clearinghouses[name])...)
	}
	s.jobs = append(s.jobs, job{name: alarmJob, cron: s.alarm, eachStart: true,
		fire: func(ctx context.Context, at time.Time) error {
			_, err := CheckAcks(ctx, env, at)
			return err
		}})
	return s, nil
}

// Jobs returns the names of the schedules, "submit.availity" or "ack-alarm".
func (s *Scheduler) Jobs() []string {
	names := make([]string, len(s.jobs))
	for i, j := range s.jobs {
		names[i] = j.name
	}
	return names
}

// ID is this process's name in the leader lock.
func (s *Scheduler) ID() string { return s.id }

// IsLeader reports whether this process runs the schedules now.
func (s *Scheduler) IsLeader() bool { return s.leader.Load() }

// Run contends for the leader lock and, while it holds it, fires the schedules,
// until ctx ends; it then releases the lock and returns nil. It returns an
// error only when it cannot start (the bus refuses the buckets).
func (s *Scheduler) Run(ctx context.Context) error {
	state, err := openFirings(ctx, s.bus)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	changed := make(chan struct{}, 1)
	lead, err := s.bus.Leader(ctx, s.bus.Topology().LeaderBucket(), LockName, s.ttl,
		bus.WithLeaderID(s.id),
		bus.WithLeaderChange(func(bool) {
			select {
			case changed <- struct{}{}:
			default:
			}
		}))
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("running schedules: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.ttl)
		defer cancel()
		if err := lead.Stop(sctx); err != nil {
			s.log.Warn("releasing the schedule lock", "err", err)
		}
	}()

	// Leadership is also polled: a lease can run out between two callbacks.
	tick := time.NewTicker(max(s.ttl/4, 50*time.Millisecond))
	defer tick.Stop()
	startJobs := func() (stop func()) {
		jctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.runJobs(jctx, state, lead)
		}()
		return func() { cancel(); <-done }
	}
	var stopJobs func()
	stop := func() {
		if stopJobs != nil {
			stopJobs()
			stopJobs = nil
			s.leader.Store(false)
		}
	}
	defer stop()
	for {
		leader := lead.IsLeader()
		switch {
		case leader && stopJobs == nil:
			s.leader.Store(true)
			s.log.Info("running the schedules", "id", s.id, "schedules", len(s.jobs))
			stopJobs = startJobs()
		case !leader && stopJobs != nil:
			s.log.Info("no longer running the schedules", "id", s.id)
			stop()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-tick.C:
		}
	}
}

// runJobs runs every job until ctx ends.
func (s *Scheduler) runJobs(ctx context.Context, state *firings, lead *bus.Leadership) {
	var wg sync.WaitGroup
	for _, j := range s.jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runJob(ctx, j, state, lead)
		}()
	}
	wg.Wait()
}

// runJob fires j at start when a slot was missed (or always, for eachStart),
// then at each slot of its cron.
func (s *Scheduler) runJob(ctx context.Context, j job, state *firings, lead *bus.Leadership) {
	log := s.log.With("schedule", j.name)
	now := s.clock.Now()
	last := now
	switch {
	case j.eachStart:
		s.fire(ctx, j, now, state, log)
	default:
		prev, ok, err := state.last(ctx, j.name)
		switch {
		case err != nil:
			// Without the record, counting from now misses at most one slot; firing
			// could repeat one. Missing is the lesser harm for a nightly batch.
			log.Warn("reading last firing; counting from now", "err", err)
		case !ok:
			if err := state.record(ctx, j.name, now); err != nil {
				log.Warn("recording the first sight of a schedule", "err", err)
			}
		case !j.cron.Next(prev).After(now):
			log.Info("schedule missed while no process was leading: firing once now", "last", prev)
			s.fire(ctx, j, now, state, log)
		}
	}
	for {
		next := j.cron.Next(last)
		if next.IsZero() {
			return
		}
		if err := s.clock.SleepUntil(ctx, next); err != nil {
			return
		}
		if !lead.IsLeader() {
			return
		}
		s.fire(ctx, j, next, state, log)
		last = next
		if now := s.clock.Now(); now.After(last) {
			// A firing that took past the next slot (or a clock that jumped) runs
			// once, not once per slot passed.
			last = now
		}
	}
}

// fire runs j for the slot at, retrying with back-off until it succeeds, the
// next slot comes or ctx ends, then records it.
func (s *Scheduler) fire(ctx context.Context, j job, at time.Time, state *firings, log *slog.Logger) {
	next := j.cron.Next(at)
	for wait := time.Second; ; wait = min(2*wait, 5*time.Minute) {
		err := j.fire(ctx, at)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		retry := s.clock.Now().Add(wait)
		if !next.IsZero() && !retry.Before(next) {
			log.Error("schedule firing failed; giving up until the next slot", "slot", at, "err", err)
			return
		}
		log.Warn("schedule firing failed; retrying", "slot", at, "retry_in", wait, "err", err)
		if s.clock.SleepUntil(ctx, retry) != nil {
			return
		}
	}
	log.Debug("schedule fired", "slot", at)
	if j.eachStart {
		return
	}
	if err := state.record(ctx, j.name, at); err != nil {
		log.Warn("schedule fired but not recorded: a restart may fire it again", "err", err)
	}
}
