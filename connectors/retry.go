package connectors

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Backoff bounds the retries of transient failures: at most Attempts tries in all,
// waiting a random time up to Base*2^n (capped at Max) between tries n and n+1.
type Backoff struct {
	Attempts int
	Base     time.Duration
	Max      time.Duration
}

// DefaultBackoff is used where a zero Backoff is given: 5 tries over about 30 s.
var DefaultBackoff = Backoff{Attempts: 5, Base: time.Second, Max: 15 * time.Second}

// NoRetry makes a single attempt.
var NoRetry = Backoff{Attempts: 1}

// Retry calls op until it succeeds, fails with an error that does not wrap
// [ErrTransient], the attempts run out or ctx is done. It returns op's last error, or
// the context's error when ctx ended a wait.
func Retry(ctx context.Context, b Backoff, op func(ctx context.Context) error) error {
	if b.Attempts <= 0 {
		b = DefaultBackoff
	}
	var err error
	for attempt := 0; attempt < b.Attempts; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(b.delay(attempt - 1))
			select {
			case <-ctx.Done():
				t.Stop()
				return errors.Join(ctx.Err(), err)
			case <-t.C:
			}
		}
		if err = op(ctx); err == nil || !errors.Is(err, ErrTransient) {
			return err
		}
		if ctx.Err() != nil {
			return errors.Join(ctx.Err(), err)
		}
	}
	return err
}

// delay is the wait after the n-th failed try (from 0): half an exponentially growing
// window plus a random part of the other half, so that clients do not retry in step.
func (b Backoff) delay(n int) time.Duration {
	window := b.Base
	for i := 0; i < n && (b.Max <= 0 || window < b.Max); i++ {
		window *= 2
	}
	if b.Max > 0 && window > b.Max {
		window = b.Max
	}
	if window <= 0 {
		return 0
	}
	return window/2 + rand.N(window/2+1)
}
