package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestSetupIsIdempotent(t *testing.T) {
	t.Parallel()
	srv := embedded(t)
	cfg := fastConfig(srv)
	cfg.Namespace = namespace()
	b := connect(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	infoOf := func() map[string]jetstream.ConsumerConfig {
		got := map[string]jetstream.ConsumerConfig{}
		for _, s := range Stages() {
			c, err := b.js.Consumer(ctx, b.topo.WorkStream(), b.topo.Consumer(s))
			if err != nil {
				t.Fatalf("consumer %s: %v", s, err)
			}
			got[string(s)] = c.CachedInfo().Config
		}
		return got
	}
	before := infoOf()
	if err := b.Setup(ctx); err != nil {
		t.Fatalf("second Setup: %v", err)
	}
	// A second process with the same configuration sets up again.
	other := connect(t, cfg)
	if err := other.Setup(ctx); err != nil {
		t.Fatalf("third Setup: %v", err)
	}
	after := infoOf()
	for name, c := range before {
		a := after[name]
		if a.FilterSubject != c.FilterSubject || a.Metadata[maxDeliverKey] != c.Metadata[maxDeliverKey] || a.AckWait != c.AckWait || len(a.BackOff) != len(c.BackOff) {
			t.Errorf("consumer %s changed: %+v -> %+v", name, c, a)
		}
	}
	if len(after) != len(Stages()) {
		t.Errorf("%d consumers, want %d", len(after), len(Stages()))
	}
	for _, name := range []string{b.topo.WorkStream(), b.topo.EventStream()} {
		s, err := b.js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		if got := s.CachedInfo().Config.Duplicates; got != DefaultDuplicateWindow {
			t.Errorf("stream %s duplicate window %v, want %v", name, got, DefaultDuplicateWindow)
		}
	}
	ws, _ := b.js.Stream(ctx, b.topo.WorkStream())
	if got := ws.CachedInfo().Config.Retention; got != jetstream.WorkQueuePolicy {
		t.Errorf("work stream retention %v", got)
	}
	// A changed setting is applied by the next Setup.
	cfg.MaxDeliver = 5
	changed := connect(t, cfg)
	c, err := changed.js.Consumer(ctx, b.topo.WorkStream(), b.topo.Consumer(Scrub))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.CachedInfo().Config; changed.maxDeliverOf(got) != 5 || got.Metadata[maxDeliverKey] != "5" || got.MaxDeliver != serverMaxDeliver {
		t.Errorf("max deliver not updated: ours %d, the server's %d (want 5 and %d)", changed.maxDeliverOf(got), got.MaxDeliver, serverMaxDeliver)
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	srv := &EmbeddedServer{}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"nothing to connect to", Config{}},
		{"bad namespace", Config{Embedded: srv, Namespace: "Bad.Name"}},
		{"backoff too long", Config{Embedded: srv, BackOff: []time.Duration{time.Second, time.Second}, MaxDeliver: 2}},
		{"negative backoff", Config{Embedded: srv, BackOff: []time.Duration{-time.Second}}},
		{"user and creds", Config{URLs: []string{"nats://127.0.0.1:4222"}, User: "u", CredsFile: "x.creds"}},
		{"cert without key", Config{URLs: []string{"tls://127.0.0.1:4222"}, CertFile: "c.pem"}},
		{"replicas", Config{Embedded: srv, Replicas: 7}},
	} {
		_, err := Connect(context.Background(), tc.cfg)
		if !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%s: got %v, want ErrInvalidOption", tc.name, err)
		}
	}
	if _, err := NewTopology("claimflow"); err != nil {
		t.Error(err)
	}
	if err := validNamespace(""); err == nil {
		t.Error("empty namespace accepted")
	}
}

func TestRedactURLs(t *testing.T) {
	t.Parallel()
	got := redactURLs(Config{URLs: []string{"nats://user:secret@127.0.0.1:4222", "nats://127.0.0.1:4223"}})
	if want := "nats://***@127.0.0.1:4222,nats://127.0.0.1:4223"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPublishDropsDuplicateMsgID(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	first, err := b.PublishWork(ctx, Scrub, []byte("claims 1-100"), "42")
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.PublishWork(ctx, Scrub, []byte("claims 1-100"), "42")
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate || !second.Duplicate || second.Sequence != first.Sequence {
		t.Errorf("first %+v, second %+v: want the second a duplicate of the first", first, second)
	}
	if _, err := b.PublishWork(ctx, Scrub, []byte("claims 101-200"), "43"); err != nil {
		t.Fatal(err)
	}
	if n := streamMsgs(t, b, b.topo.WorkStream()); n != 2 {
		t.Errorf("stream holds %d messages, want 2", n)
	}
	if _, err := b.PublishWork(ctx, Stage("billing"), nil, "1"); !errors.Is(err, ErrUnknownStage) {
		t.Errorf("unknown stage: %v", err)
	}
	// A subject no stream listens on is an error, not a silent loss.
	if _, err := b.Publish(ctx, b.topo.Namespace()+".work.nowhere", nil, "1"); err == nil {
		t.Error("publish to an unbound subject succeeded")
	}
	ev, err := b.Publish(ctx, b.topo.EventSubject("claim.state"), []byte("7"), "")
	if err != nil || ev.Stream != b.topo.EventStream() {
		t.Errorf("event publish: %+v, %v", ev, err)
	}
}

func TestRelayPublishesAndMarks(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := newOutbox()
	for i := range 25 {
		out.add(b.topo.WorkSubject(Remit), []byte("835 file "+strconv.Itoa(i)))
	}
	relay, err := NewRelay(b, out, WithRelayBatch(10))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := relay.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if p := out.pending(); p != 0 {
		t.Fatalf("%d rows still pending", p)
	}
	if n := streamMsgs(t, b, b.topo.WorkStream()); n != 25 {
		t.Fatalf("stream holds %d, want 25", n)
	}
	if n, err := relay.Once(ctx); n != 0 || err != nil {
		t.Errorf("empty outbox: %d, %v", n, err)
	}
}

func TestRelayCrashBeforeMarkPublishesOnce(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := newOutbox()
	const rows = 20
	for i := range rows {
		out.add(b.topo.WorkSubject(Acks), []byte("999 "+strconv.Itoa(i)))
	}
	relay, err := NewRelay(b, out)
	if err != nil {
		t.Fatal(err)
	}
	out.failMarks = 1 // published, then "crashed" before the rows were marked
	if _, err := relay.Once(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("first round: %v, want the crash", err)
	}
	if p := out.pending(); p != rows {
		t.Fatalf("%d pending after the crash, want %d", p, rows)
	}
	n, err := relay.Once(ctx) // the restarted relay publishes every row again
	if err != nil || n != rows {
		t.Fatalf("second round: %d, %v", n, err)
	}
	if got := streamMsgs(t, b, b.topo.WorkStream()); got != rows {
		t.Fatalf("stream holds %d messages, want %d: duplicates were stored", got, rows)
	}

	s := newSeen()
	var handled atomic.Int64
	stop := consumeInBackground(t, b, Acks, HandlerFunc(func(ctx context.Context, m Message) error {
		s.add(m.ID)
		handled.Add(1)
		return nil
	}))
	eventually(t, 10*time.Second, "every row consumed", func() bool { return handled.Load() >= rows })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if d, all := s.total(); d != rows || all != rows {
		t.Errorf("consumer saw %d distinct ids %d times, want %d once each (twice: %v)", d, all, rows, s.twice())
	}
	if s.count(MsgID(1)) != 1 {
		t.Error("row 1 not seen under its row id")
	}
}

// cancelAfterRead is an outbox whose reader's context ends as soon as the rows
// are read: the process is told to stop while the relay sends them.
type cancelAfterRead struct {
	*memOutbox
	cancel context.CancelFunc
}

func (o cancelAfterRead) PendingOutbox(ctx context.Context, limit int) ([]OutboxRow, error) {
	rows, err := o.memOutbox.PendingOutbox(ctx, limit)
	o.cancel()
	return rows, err
}

// TestRelayStopMarksWhatItSent: a relay stopped while it waits for the stream's
// answers still marks the rows the stream stored, so that a clean stop leaves
// nothing to publish again.
func TestRelayStopMarksWhatItSent(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := newOutbox()
	const rows = 50
	for i := range rows {
		out.add(b.topo.WorkSubject(Scrub), []byte("claims "+strconv.Itoa(i)))
	}
	relay, err := NewRelay(b, cancelAfterRead{out, cancel})
	if err != nil {
		t.Fatal(err)
	}
	n, err := relay.Once(ctx)
	if err != nil || n != rows {
		t.Fatalf("Once = %d, %v; want %d marked", n, err, rows)
	}
	if p := out.pending(); p != 0 {
		t.Fatalf("%d rows left unmarked after a clean stop", p)
	}
	if got := streamMsgs(t, b, b.topo.WorkStream()); got != rows {
		t.Fatalf("stream holds %d messages, want %d", got, rows)
	}
}

func TestRelayKeepsRowsThatFail(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := newOutbox()
	out.add(b.topo.WorkSubject(Scrub), []byte("a"))
	bad := out.add(b.topo.Namespace()+".work.nowhere", []byte("b")) // no stream: a bug in a stage
	out.add(b.topo.WorkSubject(Scrub), []byte("c"))
	relay, err := NewRelay(b, out)
	if err != nil {
		t.Fatal(err)
	}
	n, err := relay.Once(ctx)
	if err == nil || !strings.Contains(err.Error(), "outbox row "+strconv.FormatInt(bad, 10)) {
		t.Fatalf("error %v, want it to name row %d", err, bad)
	}
	if n != 2 || out.pending() != 1 {
		t.Errorf("marked %d, %d pending; want the two good rows marked and the bad one kept", n, out.pending())
	}
}

func TestRelayRunWakesOnNotify(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t)))
	out := newOutbox()
	relay, err := NewRelay(b, out, WithRelayInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()
	time.Sleep(50 * time.Millisecond) // Run has found the outbox empty and sleeps an hour
	out.add(b.topo.WorkSubject(Notify), []byte("statement run"))
	relay.Notify()
	eventually(t, 5*time.Second, "the row published", func() bool { return out.pending() == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConsumeAckNakTermDeadLetter(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t))) // MaxDeliver 3
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, id := range []string{"ok", "flaky", "poison", "always"} {
		if _, err := b.PublishWork(ctx, Classify, []byte(id), id); err != nil {
			t.Fatal(err)
		}
	}
	s := newSeen()
	var mu sync.Mutex
	dead := map[string]Dead{}
	deliveries := map[string][]uint64{}
	h := HandlerFunc(func(ctx context.Context, m Message) error {
		n := s.add(m.ID)
		mu.Lock()
		deliveries[m.ID] = append(deliveries[m.ID], m.Delivery)
		mu.Unlock()
		switch m.ID {
		case "flaky":
			if n < 3 {
				return errors.New("database busy")
			}
		case "poison":
			return fmt.Errorf("file %s is not X12: %w", m.ID, ErrPoison)
		case "always":
			return errors.New("clearinghouse down")
		}
		return nil
	})
	dl := DeadLetterFunc(func(ctx context.Context, d Dead) error {
		mu.Lock()
		defer mu.Unlock()
		dead[d.ID] = d
		return nil
	})
	stop := consumeInBackground(t, b, Classify, h,
		WithDeadLetter(dl), WithRetryDelay(20*time.Millisecond, 100*time.Millisecond), WithConcurrency(2))
	eventually(t, 15*time.Second, "the stream emptied", func() bool {
		return streamMsgs(t, b, b.topo.WorkStream()) == 0
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int{"ok": 1, "flaky": 3, "poison": 1, "always": 3} {
		if got := s.count(id); got != want {
			t.Errorf("%s handled %d times, want %d", id, got, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got := deliveries["flaky"]; len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Errorf("flaky deliveries %v, want [1 2 3]", got)
	}
	if len(dead) != 2 {
		t.Fatalf("dead letters %v, want poison and always", dead)
	}
	if d := dead["poison"]; d.Reason != "file poison is not X12: poison message" || d.Delivery != 1 || string(d.Data) != "poison" || d.Stage != Classify {
		t.Errorf("poison dead letter %+v", d)
	}
	if d := dead["always"]; d.Reason != "gave up after 3 deliveries: clearinghouse down" {
		t.Errorf("always dead letter reason %q", d.Reason)
	}
}

func TestConsumeDeadLetterFailureKeepsMessage(t *testing.T) {
	t.Parallel()
	cfg := fastConfig(embedded(t))
	cfg.MaxDeliver = 5
	cfg.BackOff = []time.Duration{2 * time.Second}
	b := connect(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := b.PublishWork(ctx, Remit, []byte("x"), "p1"); err != nil {
		t.Fatal(err)
	}
	var tries atomic.Int64
	dl := DeadLetterFunc(func(ctx context.Context, d Dead) error {
		if tries.Add(1) == 1 {
			return errors.New("database down")
		}
		return nil
	})
	stop := consumeInBackground(t, b, Remit, HandlerFunc(func(ctx context.Context, m Message) error {
		return ErrPoison
	}), WithDeadLetter(dl), WithRetryDelay(20*time.Millisecond, 50*time.Millisecond))
	eventually(t, 10*time.Second, "dead-lettered on the second try", func() bool {
		return tries.Load() == 2 && streamMsgs(t, b, b.topo.WorkStream()) == 0
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// retryBus connects a bus whose consumers wait AckWait 1 s, then the back-off
// steps, and publishes one message to Remit.
func retryBus(t *testing.T, maxDeliver int, backOff ...time.Duration) *Bus {
	t.Helper()
	cfg := fastConfig(embedded(t))
	cfg.AckWait = time.Second
	cfg.BackOff = backOff
	cfg.MaxDeliver = maxDeliver
	b := connect(t, cfg)
	if _, err := b.PublishWork(context.Background(), Remit, []byte("x"), "p1"); err != nil {
		t.Fatal(err)
	}
	return b
}

// deliveries is a handler that notes when each delivery came and fails those
// before okAt; second is closed at the second delivery.
type deliveries struct {
	okAt   uint64
	mu     sync.Mutex
	at     []time.Time
	second chan struct{}
}

func newDeliveries(okAt uint64) *deliveries {
	return &deliveries{okAt: okAt, second: make(chan struct{})}
}

func (d *deliveries) Handle(ctx context.Context, m Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at = append(d.at, time.Now())
	if m.Delivery == 2 {
		close(d.second)
	}
	if m.Delivery < d.okAt {
		return errors.New("not yet")
	}
	return nil
}

// acked waits until the handler has seen okAt deliveries and the message has
// left the stream, and returns when each delivery came.
func (d *deliveries) acked(t *testing.T, b *Bus, timeout time.Duration) []time.Time {
	t.Helper()
	eventually(t, timeout, fmt.Sprintf("delivery %d acked", d.okAt), func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return uint64(len(d.at)) == d.okAt && streamMsgs(t, b, b.topo.WorkStream()) == 0
	})
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.at)
}

// A failed handler's message comes back after the stage's retry delay on every
// delivery, not after the consumer's longer back-off step: JetStream adds the
// step less AckWait to a delayed nak, which made the demo's second retry of an
// early 999 wait 31 s instead of 2.
func TestConsumeRetryDelayHoldsUnderBackOff(t *testing.T) {
	t.Parallel()
	b := retryBus(t, 6, time.Second, 20*time.Second, 40*time.Second)
	d := newDeliveries(4)
	stop := consumeInBackground(t, b, Remit, d, WithRetryDelay(50*time.Millisecond, 100*time.Millisecond))
	times := d.acked(t, b, 50*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(times); i++ {
		// The back-off steps would add 19 s and 39 s; the retry delay is at most
		// 110 ms. Allow a slow machine plenty between the two.
		if gap := times[i].Sub(times[i-1]); gap > 10*time.Second {
			t.Errorf("delivery %d came %v after the one before; the retry delay is 100 ms at most", i+1, gap)
		}
	}
}

// A retry held back for its delay goes back to the server when its consumer
// stops, so that another takes it at once, not when the back-off step ends.
func TestConsumeStopSendsHeldRetries(t *testing.T) {
	t.Parallel()
	b := retryBus(t, 5, time.Second, 30*time.Second)
	d := newDeliveries(3)
	// The second delivery's retry (4 s) is shorter than the step's surplus (29 s):
	// it is held back as a plain nak.
	first := consumeInBackground(t, b, Remit, d, WithRetryDelay(2*time.Second, 4*time.Second))
	select {
	case <-d.second:
	case <-time.After(60 * time.Second):
		t.Fatal("no second delivery")
	}
	time.Sleep(100 * time.Millisecond) // let the handler's answer be sent
	if err := first(); err != nil {
		t.Fatal(err)
	}
	consumeInBackground(t, b, Remit, d)
	times := d.acked(t, b, 30*time.Second)
	if gap := times[2].Sub(times[1]); gap > 2*time.Second {
		t.Errorf("the third delivery came %v after the second; the stopped consumer should have handed it back at once", gap)
	}
}

func TestNakSurplus(t *testing.T) {
	t.Parallel()
	w := worker{ackWait: 30 * time.Second, backOff: []time.Duration{30 * time.Second, time.Minute, 5 * time.Minute}}
	for delivery, want := range map[uint64]time.Duration{1: 0, 2: 30 * time.Second, 3: 270 * time.Second, 9: 270 * time.Second} {
		if got := w.nakSurplus(delivery); got != want {
			t.Errorf("delivery %d: surplus %v, want %v", delivery, got, want)
		}
	}
	if got := (&worker{ackWait: 30 * time.Second}).nakSurplus(3); got != 0 {
		t.Errorf("without a back-off schedule: surplus %v, want 0", got)
	}
}

// A message whose last allowed delivery ends without an answer (its worker
// crashed) is dead-lettered by the next consumer, not left in the work queue.
func TestConsumeUnansweredLastDeliveryIsDeadLettered(t *testing.T) {
	t.Parallel()
	cfg := fastConfig(embedded(t))
	cfg.MaxDeliver = 2
	cfg.BackOff = []time.Duration{200 * time.Millisecond}
	testUnansweredLastDelivery(t, connect(t, cfg), cfg.MaxDeliver)
}

// testUnansweredLastDelivery has a worker take all of a message's allowed
// deliveries without answering, then checks that a consumer dead-letters the
// next delivery without running its handler.
func testUnansweredLastDelivery(t *testing.T, b *Bus, maxDeliver int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := b.PublishWork(ctx, Acks, []byte("lost"), "lost"); err != nil {
		t.Fatal(err)
	}
	// A worker that takes both allowed deliveries and dies without answering.
	cons, err := b.js.Consumer(ctx, b.topo.WorkStream(), b.topo.Consumer(Acks))
	if err != nil {
		t.Fatal(err)
	}
	for want := uint64(1); want <= uint64(maxDeliver); {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			if meta.NumDelivered != want {
				t.Fatalf("delivery %d, want %d", meta.NumDelivered, want)
			}
			want++
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
	}
	var handled atomic.Int64
	var mu sync.Mutex
	var dead []Dead
	stop := consumeInBackground(t, b, Acks, HandlerFunc(func(ctx context.Context, m Message) error {
		handled.Add(1)
		return nil
	}), WithDeadLetter(DeadLetterFunc(func(ctx context.Context, d Dead) error {
		mu.Lock()
		defer mu.Unlock()
		dead = append(dead, d)
		return nil
	})))
	eventually(t, 15*time.Second, "the message dead-lettered and gone from the work queue", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(dead) == 1 && streamMsgs(t, b, b.topo.WorkStream()) == 0
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := handled.Load(); n != 0 {
		t.Errorf("the handler ran %d times past the last allowed delivery", n)
	}
	if d := dead[0]; d.ID != "lost" || d.Delivery != uint64(maxDeliver)+1 || !strings.Contains(d.Reason, fmt.Sprintf("gave up after %d deliveries", maxDeliver)) {
		t.Errorf("dead letter %+v", d)
	}
}

func TestConsumeSendsProgressForSlowHandlers(t *testing.T) {
	t.Parallel()
	cfg := fastConfig(embedded(t))
	cfg.AckWait = time.Second       // roomy enough for a loaded machine
	cfg.BackOff = []time.Duration{} // AckWait for every delivery
	b := connect(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	if _, err := b.PublishWork(ctx, Submit, []byte("file 1"), "f1"); err != nil {
		t.Fatal(err)
	}
	s := newSeen()
	stop := consumeInBackground(t, b, Submit, HandlerFunc(func(ctx context.Context, m Message) error {
		s.add(m.ID)
		time.Sleep(4 * time.Second) // four ack waits
		return nil
	}), WithConcurrency(2))
	eventually(t, 20*time.Second, "the message acked", func() bool {
		return streamMsgs(t, b, b.topo.WorkStream()) == 0
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := s.count("f1"); n != 1 {
		t.Errorf("slow message handled %d times: redelivered while running", n)
	}
}

func TestConsumeRecoversPanic(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := b.PublishWork(ctx, Notify, []byte("x"), "n1"); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	stop := consumeInBackground(t, b, Notify, HandlerFunc(func(ctx context.Context, m Message) error {
		if calls.Add(1) == 1 {
			panic("nil map")
		}
		return nil
	}), WithRetryDelay(10*time.Millisecond, 10*time.Millisecond))
	eventually(t, 10*time.Second, "retried after the panic", func() bool {
		return streamMsgs(t, b, b.topo.WorkStream()) == 0
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls, want 2", calls.Load())
	}
}

func TestConsumeGracefulStop(t *testing.T) {
	t.Parallel()
	cfg := fastConfig(embedded(t))
	cfg.AckWait = 30 * time.Second // a lost ack would show as a long wait, not a quick redelivery
	cfg.BackOff = []time.Duration{}
	b := connect(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const total = 200
	for i := range total {
		if _, err := b.PublishWork(ctx, Batch, nil, strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	s := newSeen()
	var started atomic.Int64
	slow := HandlerFunc(func(ctx context.Context, m Message) error {
		started.Add(1)
		select {
		case <-time.After(100 * time.Millisecond): // a transaction committing
		case <-ctx.Done():
			return ctx.Err()
		}
		s.add(m.ID)
		return nil
	})
	stop := consumeInBackground(t, b, Batch, slow, WithConcurrency(4), WithBatch(16))
	eventually(t, 10*time.Second, "handlers running", func() bool { return started.Load() >= 8 })
	if err := stop(); err != nil { // handlers in flight finish and are acked
		t.Fatal(err)
	}
	firstRun, _ := s.total()
	if firstRun == 0 || firstRun == total {
		t.Fatalf("first run handled %d of %d; the test wants a stop half way", firstRun, total)
	}
	// Consume flushed its acks, but the server applies them on its own goroutine:
	// the stream may still count an acked message for a moment.
	var left uint64
	deadline := time.Now().Add(10 * time.Second)
	for left = streamMsgs(t, b, b.topo.WorkStream()); left != uint64(total-firstRun) && time.Now().Before(deadline); left = streamMsgs(t, b, b.topo.WorkStream()) {
		time.Sleep(10 * time.Millisecond)
	}
	if left != uint64(total-firstRun) {
		t.Fatalf("%d handled, %d left: acks were lost or handled messages not acked", firstRun, left)
	}
	// Messages pulled but never handled go back at once (nak), not after AckWait.
	fast := HandlerFunc(func(ctx context.Context, m Message) error { s.add(m.ID); return nil })
	stop = consumeInBackground(t, b, Batch, fast, WithConcurrency(4))
	eventually(t, 10*time.Second, "the rest handled", func() bool {
		d, _ := s.total()
		return d == total
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if twice := s.twice(); len(twice) > 0 {
		t.Errorf("handled twice: %v", twice)
	}
}

func TestConsumeDrainTimeoutCancelsHandlers(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := b.PublishWork(ctx, Fetch, nil, "stuck"); err != nil {
		t.Fatal(err)
	}
	var started atomic.Bool
	stop := consumeInBackground(t, b, Fetch, HandlerFunc(func(ctx context.Context, m Message) error {
		started.Store(true)
		<-ctx.Done() // a handler that never finishes by itself
		return ctx.Err()
	}), WithDrainTimeout(200*time.Millisecond))
	eventually(t, 5*time.Second, "handler started", started.Load)
	t0 := time.Now()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("stop took %v with a 200ms drain timeout", d)
	}
	if n := streamMsgs(t, b, b.topo.WorkStream()); n != 1 {
		t.Errorf("stream holds %d, want the unfinished message kept", n)
	}
}

func TestConsumeOptionsValidate(t *testing.T) {
	t.Parallel()
	b := connect(t, fastConfig(embedded(t)))
	ctx := context.Background()
	h := HandlerFunc(func(context.Context, Message) error { return nil })
	for name, err := range map[string]error{
		"concurrency": b.Consume(ctx, Scrub, h, WithConcurrency(0)),
		"batch":       b.Consume(ctx, Scrub, h, WithBatch(-1)),
		"retry":       b.Consume(ctx, Scrub, h, WithRetryDelay(time.Second, time.Millisecond)),
		"drain":       b.Consume(ctx, Scrub, h, WithDrainTimeout(0)),
		"dead letter": b.Consume(ctx, Scrub, h, WithDeadLetter(nil)),
		"handler":     b.Consume(ctx, Scrub, nil),
	} {
		if !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := b.Consume(ctx, Stage("nope"), h); !errors.Is(err, ErrUnknownStage) {
		t.Errorf("unknown stage: %v", err)
	}
}

func TestRetryDelayGrowsAndCaps(t *testing.T) {
	t.Parallel()
	w := worker{o: consumeOptions{retryBase: time.Second, retryMax: 10 * time.Second}}
	for delivery, want := range map[uint64]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 50: 10 * time.Second} {
		got := w.retryDelay(delivery)
		if got < want*9/10 || got > want*11/10 {
			t.Errorf("delivery %d: delay %v, want %v ±10%%", delivery, got, want)
		}
	}
}

func TestEmbeddedShutdownIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := Embedded(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if u := srv.ClientURL(); u == "" {
		t.Error("no client URL")
	}
	b, err := Connect(ctx, Config{Embedded: srv, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	if _, err := b.PublishWork(short, Scrub, nil, "1"); err == nil { // reconnecting: waits, then fails
		t.Error("publish after shutdown succeeded")
	}
	if err := b.Close(ctx); err != nil {
		t.Errorf("close after shutdown: %v", err)
	}
	if err := b.Close(ctx); err != nil {
		t.Errorf("second close: %v", err)
	}

	// The store survives a restart: a new server on the same directory keeps the
	// messages published before.
	dir := t.TempDir()
	srv, err = Embedded(ctx, dir, WithoutListener())
	if err != nil {
		t.Fatal(err)
	}
	if srv.ClientURL() != "" {
		t.Error("client URL without a listener")
	}
	b, err = Connect(ctx, Config{Embedded: srv, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.PublishWork(ctx, Scrub, []byte("kept"), "k1"); err != nil {
		t.Fatal(err)
	}
	_ = b.Close(ctx)
	_ = srv.Shutdown(ctx)
	srv = embeddedAt(t, dir)
	b = connect(t, Config{Embedded: srv, Namespace: DefaultNamespace})
	if n := streamMsgs(t, b, b.topo.WorkStream()); n != 1 {
		t.Errorf("after restart the stream holds %d, want 1", n)
	}

	canceled, stop := context.WithCancel(context.Background())
	stop()
	if srv, err := Embedded(canceled, t.TempDir()); err == nil {
		// Starting may win the race against the canceled context; both are fine
		// as long as nothing hangs.
		_ = srv.Shutdown(ctx)
	}
	if _, err := Embedded(ctx, ""); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("empty dir: %v", err)
	}
}

func embeddedAt(t testing.TB, dir string) *EmbeddedServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := Embedded(ctx, dir, WithoutListener())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return srv
}
