package bus

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// externalNATS connects to the server $CLAIMFLOW_TEST_NATS names (the CI
// machine's nats-server on 127.0.0.1:4222) in a fresh namespace, and deletes the
// namespace's streams and bucket when the test ends. It skips without the variable.
func externalNATS(t *testing.T, ns string) *Bus {
	t.Helper()
	url := os.Getenv("CLAIMFLOW_TEST_NATS")
	if url == "" {
		t.Skip("CLAIMFLOW_TEST_NATS is not set; set it to nats://127.0.0.1:4222 to run the bus against a real nats-server")
	}
	if !strings.Contains(url, "127.0.0.1") && !strings.Contains(url, "localhost") {
		t.Fatalf("CLAIMFLOW_TEST_NATS=%s: tests talk to 127.0.0.1 only", url)
	}
	b := connect(t, Config{
		URLs:       []string{url},
		Name:       "claimflow-test",
		Namespace:  ns,
		AckWait:    2 * time.Second,
		BackOff:    []time.Duration{2 * time.Second},
		MaxDeliver: 3,
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		topo := b.Topology()
		for _, s := range []string{topo.WorkStream(), topo.EventStream()} {
			_ = b.js.DeleteStream(ctx, s)
		}
		_ = b.js.DeleteKeyValue(ctx, topo.LeaderBucket())
	})
	return b
}

func TestExternalRelayAndSharedConsumer(t *testing.T) {
	t.Parallel()
	ns := namespace()
	b1 := externalNATS(t, ns)
	b2 := externalNATS(t, ns) // a second worker process
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	out := newOutbox()
	const rows = 300
	for i := range rows {
		out.add(b1.Topology().WorkSubject(Remit), []byte("835 "+strconv.Itoa(i)))
	}
	relay, err := NewRelay(b1, out, WithRelayBatch(100))
	if err != nil {
		t.Fatal(err)
	}
	out.failMarks = 1 // the first round is published but not marked: a crash
	if _, err := relay.Once(ctx); err == nil {
		t.Fatal("crash not reported")
	}
	for out.pending() > 0 {
		if _, err := relay.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := streamMsgs(t, b1, b1.Topology().WorkStream()); n != rows {
		t.Fatalf("stream holds %d, want %d", n, rows)
	}

	s := newSeen()
	var handled, byFirst, bySecond atomic.Int64
	handler := func(count *atomic.Int64) Handler {
		return HandlerFunc(func(ctx context.Context, m Message) error {
			s.add(m.ID)
			count.Add(1)
			handled.Add(1)
			time.Sleep(time.Millisecond) // some work, so both workers get a share
			return nil
		})
	}
	stop1 := consumeInBackground(t, b1, Remit, handler(&byFirst), WithConcurrency(2), WithBatch(10))
	stop2 := consumeInBackground(t, b2, Remit, handler(&bySecond), WithConcurrency(2), WithBatch(10), WithAckSync())
	eventually(t, 20*time.Second, "every message handled", func() bool { return handled.Load() >= rows })
	if err := stop1(); err != nil {
		t.Fatal(err)
	}
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	if d, all := s.total(); d != rows || all != rows {
		t.Errorf("%d distinct messages handled %d times, want %d once each (twice: %v)", d, all, rows, s.twice())
	}
	if byFirst.Load() == 0 || bySecond.Load() == 0 {
		t.Logf("one worker took everything: %d and %d", byFirst.Load(), bySecond.Load())
	}
	if n := streamMsgs(t, b1, b1.Topology().WorkStream()); n != 0 {
		t.Errorf("%d messages left unacked", n)
	}
}

func TestExternalLeader(t *testing.T) {
	t.Parallel()
	b := externalNATS(t, namespace())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	bucket := b.Topology().LeaderBucket()
	a, err := b.Leader(ctx, bucket, "submit", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.Leader(ctx, bucket, "submit", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	stopWatch := watchLeaders(a, c)
	eventually(t, 5*time.Second, "a leader", func() bool { return leaders(a, c) == 1 })
	holder, other := a, c
	if c.IsLeader() {
		holder, other = c, a
	}
	if err := holder.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "takeover", other.IsLeader)
	if err := other.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if stopWatch() {
		t.Error("split brain")
	}
}

// On a real nats-server (which may predate consumer metadata) a message whose last
// allowed delivery ended without an answer is dead-lettered, not left in the queue.
func TestExternalUnansweredLastDelivery(t *testing.T) {
	t.Parallel()
	testUnansweredLastDelivery(t, externalNATS(t, namespace()), 3)
}
