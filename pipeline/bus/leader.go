package bus

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LeaderOption configures Leader.
type LeaderOption func(*leaderOptions) error

type leaderOptions struct {
	id       string
	onChange func(leader bool)
}

// WithLeaderID sets the value a leader writes under its key, to tell contenders
// apart in monitoring (default a random id; a host name and pid is a good one).
// It must be unique among contenders.
func WithLeaderID(id string) LeaderOption {
	return func(o *leaderOptions) error {
		if id == "" {
			return fmt.Errorf("%w: empty leader id", ErrInvalidOption)
		}
		o.id = id
		return nil
	}
}

// WithLeaderChange calls f, from the campaign goroutine, each time leadership is
// won (true) or lost (false). It must not block.
func WithLeaderChange(f func(leader bool)) LeaderOption {
	return func(o *leaderOptions) error {
		if f == nil {
			return fmt.Errorf("%w: nil leader callback", ErrInvalidOption)
		}
		o.onChange = f
		return nil
	}
}

// Leadership is one contender for a named lock: the schedules run only where
// IsLeader is true. A contender takes the lock by creating its key in a KV bucket
// whose TTL is the lease; the leader renews it every third of the TTL, updating
// at the revision it last wrote. A failed renewal, or a renewal not done in
// time, ends leadership at once; since the key expires on the server no sooner
// than a TTL after the leader's last write, and the leader counts that TTL from
// before sending the write, two contenders are never leader at the same moment.
type Leadership struct {
	kv   jetstream.KeyValue
	name string
	ttl  time.Duration
	o    leaderOptions
	log  *slog.Logger

	mu        sync.Mutex
	leader    bool
	rev       uint64
	validTill time.Time // monotonic; leadership ends here unless renewed

	paused atomic.Bool // tests: stop renewing, as a stuck process would

	cancel   context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
	stopErr  error
}

// Leader starts campaigning for lock name in KV bucket (created with the TTL if
// missing, updated to it if different: every lock in a bucket shares one TTL) and
// returns at once. Campaigning
// stops, releasing the lock if held, when ctx ends or Stop is called. The TTL is
// at least 300ms; a few seconds to a minute suits schedules.
func (b *Bus) Leader(ctx context.Context, bucket, name string, ttl time.Duration, opts ...LeaderOption) (*Leadership, error) {
	o := leaderOptions{id: rand.Text()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("electing %s: %w", name, err)
		}
	}
	if ttl < 300*time.Millisecond {
		return nil, fmt.Errorf("electing %s: %w: ttl %v is under 300ms", name, ErrInvalidOption, ttl)
	}
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "claimflow leader locks",
		History:     1,
		TTL:         ttl,
		Storage:     jetstream.FileStorage,
		Replicas:    b.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("electing %s: opening bucket %s: %w", name, bucket, err)
	}
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l := &Leadership{
		kv: kv, name: name, ttl: ttl, o: o,
		log:    b.log.With("lock", name, "id", o.id),
		cancel: cancel, done: make(chan struct{}),
	}
	stopWithCtx := context.AfterFunc(ctx, cancel)
	go func() {
		defer close(l.done)
		defer stopWithCtx()
		l.campaign(cctx)
	}()
	return l, nil
}

// ID is this contender's id, the value written under the key while leader.
func (l *Leadership) ID() string { return l.o.id }

// IsLeader reports whether this contender holds the lock now.
func (l *Leadership) IsLeader() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leader && time.Now().Before(l.validTill)
}

// Stop ends the campaign and, if leader, deletes the key so that another
// contender takes over at its next try rather than after the TTL. It is
// idempotent and waits for the campaign to end or ctx.
func (l *Leadership) Stop(ctx context.Context) error {
	l.stopOnce.Do(l.cancel)
	select {
	case <-l.done:
		return l.stopErr
	case <-ctx.Done():
		return fmt.Errorf("stopping leadership %s: %w", l.name, ctx.Err())
	}
}

func (l *Leadership) campaign(ctx context.Context) {
	every := l.ttl / 3
	for {
		l.tryOnce(ctx)
		wait := every
		if !l.IsLeader() {
			wait = l.ttl / 4 // a contender retries a little more often than the leader renews
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			l.release()
			return
		case <-t.C:
		}
	}
}

// tryOnce acquires the lock if free, or renews it if held.
func (l *Leadership) tryOnce(ctx context.Context) {
	l.mu.Lock()
	leader, rev := l.leader, l.rev
	l.mu.Unlock()
	if leader && !time.Now().Before(l.validUntil()) {
		l.lose("lease expired before renewal")
		leader = false
	}
	if leader && l.paused.Load() {
		return
	}
	octx, cancel := context.WithTimeout(ctx, l.ttl/3)
	defer cancel()
	start := time.Now() // the lease runs from before the write is sent
	if leader {
		newRev, err := l.kv.Update(octx, l.name, []byte(l.o.id), rev)
		if err != nil {
			l.lose("renewal failed: " + err.Error())
			return
		}
		l.mu.Lock()
		if l.leader && l.rev == rev {
			l.rev, l.validTill = newRev, start.Add(l.ttl)
		}
		l.mu.Unlock()
		return
	}
	newRev, err := l.kv.Create(octx, l.name, []byte(l.o.id))
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) && ctx.Err() == nil {
			l.log.Debug("leader lock not taken", "err", err)
		}
		return
	}
	l.mu.Lock()
	l.leader, l.rev, l.validTill = true, newRev, start.Add(l.ttl)
	l.mu.Unlock()
	l.log.Info("leadership won")
	if l.o.onChange != nil {
		l.o.onChange(true)
	}
}

func (l *Leadership) validUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.validTill
}

func (l *Leadership) lose(reason string) {
	l.mu.Lock()
	was := l.leader
	l.leader = false
	l.mu.Unlock()
	if was {
		l.log.Warn("leadership lost", "reason", reason)
		if l.o.onChange != nil {
			l.o.onChange(false)
		}
	}
}

// release deletes the key if this contender still holds it, at its revision so
// that a newer holder's key is never removed.
func (l *Leadership) release() {
	l.mu.Lock()
	leader, rev := l.leader && time.Now().Before(l.validTill), l.rev
	l.leader = false
	l.mu.Unlock()
	if !leader {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.ttl)
	defer cancel()
	if err := l.kv.Delete(ctx, l.name, jetstream.LastRevision(rev)); err != nil {
		l.stopErr = fmt.Errorf("releasing leadership %s: %w", l.name, err)
	}
	l.log.Info("leadership released")
	if l.o.onChange != nil {
		l.o.onChange(false)
	}
}
