package schedule

import (
	"context"
	"sync"
	"time"
)

// Clock is where a Scheduler reads the time and waits for it.
type Clock interface {
	Now() time.Time
	// SleepUntil returns nil once the clock reads t or later, or ctx's error
	// when ctx ends first.
	SleepUntil(ctx context.Context, t time.Time) error
}

// SystemClock is the machine's clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// maxNap bounds one sleep of SleepUntil, so that a wall-clock change (NTP, a
// daylight-saving shift of the local time) delays a firing by at most this.
const maxNap = time.Minute

// SleepUntil sleeps until the wall clock reads t, checking it at least every
// minute.
func (SystemClock) SleepUntil(ctx context.Context, t time.Time) error {
	for {
		d := time.Until(t)
		if d <= 0 {
			return nil
		}
		timer := time.NewTimer(min(d, maxNap))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// ManualClock is a clock that moves only when told: for tests and simulations.
// It is safe for concurrent use.
type ManualClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers map[*sleeper]struct{}
	changed  chan struct{} // closed and replaced when the sleepers change
}

type sleeper struct {
	until time.Time
	wake  chan struct{}
}

// NewManualClock returns a clock reading t.
func NewManualClock(t time.Time) *ManualClock {
	return &ManualClock{now: t, sleepers: map[*sleeper]struct{}{}, changed: make(chan struct{})}
}

// Now returns the time the clock was set to.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// SleepUntil blocks until Set or Advance moves the clock to t or later.
func (c *ManualClock) SleepUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if !c.now.Before(t) {
		c.mu.Unlock()
		return nil
	}
	s := &sleeper{until: t, wake: make(chan struct{})}
	c.sleepers[s] = struct{}{}
	c.notifyLocked()
	c.mu.Unlock()
	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		if _, ok := c.sleepers[s]; ok {
			delete(c.sleepers, s)
			c.notifyLocked()
		}
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Set moves the clock to t and wakes the sleepers whose time has come.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	for s := range c.sleepers {
		if !t.Before(s.until) {
			delete(c.sleepers, s)
			close(s.wake)
		}
	}
	c.notifyLocked()
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Sleepers returns how many goroutines are sleeping on the clock.
func (c *ManualClock) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers)
}

// WaitSleepers blocks until exactly n goroutines sleep on the clock, or ctx ends.
func (c *ManualClock) WaitSleepers(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		count, changed := len(c.sleepers), c.changed
		c.mu.Unlock()
		if count == n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *ManualClock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}
