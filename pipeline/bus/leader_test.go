package bus

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// watchLeaders samples contenders until stop is called and reports whether two
// were ever leader at once. A contender counts as leader at a sample only if it
// was leader both before and after another contender was read as leader, so the
// sampling's own gaps cannot fake a split brain.
func watchLeaders(ls ...*Leadership) (stop func() (splitBrain bool)) {
	var split atomic.Bool
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			for i, a := range ls {
				for j, b := range ls {
					if i != j && a.IsLeader() && b.IsLeader() && a.IsLeader() {
						split.Store(true)
					}
				}
			}
			time.Sleep(time.Millisecond)
		}
	})
	return func() bool {
		close(done)
		wg.Wait()
		return split.Load()
	}
}

func leaders(ls ...*Leadership) int {
	n := 0
	for _, l := range ls {
		if l.IsLeader() {
			n++
		}
	}
	return n
}

func TestLeaderTakeoverAndNoSplitBrain(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const ttl = time.Second
	bucket := b.Topology().LeaderBucket()

	var changes sync.Map
	contender := func(id string) *Leadership {
		l, err := b.Leader(ctx, bucket, "batch-availity", ttl, WithLeaderID(id),
			WithLeaderChange(func(leader bool) {
				v, _ := changes.LoadOrStore(id, new(atomic.Int64))
				v.(*atomic.Int64).Add(1)
			}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Stop(context.Background()) })
		return l
	}
	a, c := contender("a"), contender("c")
	stopWatch := watchLeaders(a, c)
	eventually(t, 5*time.Second, "a leader", func() bool { return leaders(a, c) == 1 })
	holder, other := a, c
	if c.IsLeader() {
		holder, other = c, a
	}
	// Leadership holds across several renewals.
	time.Sleep(2 * ttl)
	if !holder.IsLeader() || other.IsLeader() {
		t.Fatalf("leadership moved while the holder renewed: holder %v other %v", holder.IsLeader(), other.IsLeader())
	}
	kv, err := b.JetStream().KeyValue(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, "batch-availity")
	if err != nil || string(e.Value()) != holder.ID() {
		t.Fatalf("key holds %v (%v), want %s", e, err, holder.ID())
	}

	// The holder stops: the other takes over (within the TTL on an idle machine;
	// the deadline is generous because a loaded one delays the campaign's timers,
	// and the watcher checks that two never lead at once).
	t0 := time.Now()
	if err := holder.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := holder.Stop(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	eventually(t, 10*ttl, "takeover after stop", other.IsLeader)
	t.Logf("takeover after stop in %v", time.Since(t0))
	if holder.IsLeader() {
		t.Error("stopped contender still leader")
	}

	// A new contender joins; the leader stops renewing (a stuck process). It stops
	// believing it leads before the lock expires, and only then does the newcomer
	// take over.
	d := contender("d")
	stopWatch2 := watchLeaders(other, d)
	time.Sleep(ttl / 2)
	if d.IsLeader() {
		t.Fatal("newcomer leader while the holder renews")
	}
	other.paused.Store(true)
	t1 := time.Now()
	eventually(t, 2*ttl, "the stuck leader steps down", func() bool { return !other.IsLeader() })
	if el := time.Since(t1); el > ttl+100*time.Millisecond {
		t.Errorf("stuck leader believed it led %v after its last renewal, TTL %v", el, ttl)
	}
	eventually(t, 15*ttl, "takeover after the lease expired", d.IsLeader)
	t.Logf("takeover after the lease expired in %v", time.Since(t1))
	// The stuck process wakes up: its renewal at the old revision fails.
	other.paused.Store(false)
	time.Sleep(ttl)
	if other.IsLeader() || !d.IsLeader() {
		t.Errorf("after the stuck leader resumed: old %v new %v, want only the new leader", other.IsLeader(), d.IsLeader())
	}
	if stopWatch() || stopWatch2() {
		t.Error("two contenders were leader at the same moment")
	}
	if v, ok := changes.Load("d"); !ok || v.(*atomic.Int64).Load() != 1 {
		t.Errorf("newcomer saw %v leadership changes, want 1", v)
	}
}

func TestLeaderReleasesWhenContextEnds(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t)))
	bucket := b.Topology().LeaderBucket()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := b.Leader(ctx, bucket, "post", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "leader", a.IsLeader)
	other, err := b.Leader(context.Background(), bucket, "post", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Stop(context.Background())
	// A different lock in the same bucket is independent.
	poll, err := b.Leader(context.Background(), bucket, "poll", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer poll.Stop(context.Background())
	eventually(t, 5*time.Second, "the other lock led", poll.IsLeader)

	cancel()
	eventually(t, 20*time.Second, "takeover after the context ended", other.IsLeader)
	if a.IsLeader() {
		t.Error("canceled contender still leader")
	}
	if _, err := b.Leader(context.Background(), bucket, "x", time.Millisecond); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("tiny ttl: %v", err)
	}
	if _, err := b.Leader(context.Background(), bucket, "x", time.Second, WithLeaderID("")); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("empty id: %v", err)
	}
}
