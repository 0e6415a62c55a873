package bus

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// quiet is the tests' logger: warnings and errors only.
func quiet() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// namespace returns a namespace no other test uses, on any server.
func namespace() string {
	return "t" + strings.ToLower(rand.Text()[:10])
}

// embedded starts an embedded server for one test.
func embedded(t testing.TB) *EmbeddedServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := Embedded(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return srv
}

// connect connects to cfg with a fresh namespace unless cfg has one, and closes
// the Bus when the test ends.
func connect(t testing.TB, cfg Config) *Bus {
	t.Helper()
	if cfg.Namespace == "" {
		cfg.Namespace = namespace()
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.Close(ctx)
	})
	return b
}

// fastConfig shortens redelivery for tests.
func fastConfig(srv *EmbeddedServer) Config {
	return Config{
		Embedded:   srv,
		AckWait:    2 * time.Second,
		BackOff:    []time.Duration{2 * time.Second},
		MaxDeliver: 3,
	}
}

// memOutbox is an in-memory outbox: what storage's table does, for these tests.
type memOutbox struct {
	mu        sync.Mutex
	rows      []OutboxRow
	published map[int64]bool
	failMarks int // the next n MarkOutboxPublished calls fail, as a crash would
	marks     int
	next      int // rows before it are published
}

func newOutbox() *memOutbox { return &memOutbox{published: map[int64]bool{}} }

func (o *memOutbox) add(subject string, payload []byte) int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := int64(len(o.rows) + 1)
	o.rows = append(o.rows, OutboxRow{ID: id, Subject: subject, Payload: payload})
	return id
}

func (o *memOutbox) PendingOutbox(ctx context.Context, limit int) ([]OutboxRow, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var list []OutboxRow
	for len(o.published) > 0 && o.next < len(o.rows) && o.published[o.rows[o.next].ID] {
		o.next++ // skip the published head, as an index on published_at would
	}
	for _, r := range o.rows[o.next:] {
		if len(list) == limit {
			break
		}
		if !o.published[r.ID] {
			list = append(list, r)
		}
	}
	return list, nil
}

var errCrash = errors.New("simulated crash before marking")

func (o *memOutbox) MarkOutboxPublished(ctx context.Context, ids ...int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failMarks > 0 {
		o.failMarks--
		return errCrash
	}
	o.marks++
	for _, id := range ids {
		o.published[id] = true
	}
	return nil
}

func (o *memOutbox) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.rows) - len(o.published)
}

// seen counts how often each message id was handled.
type seen struct {
	mu sync.Mutex
	n  map[string]int
}

func newSeen() *seen { return &seen{n: map[string]int{}} }

func (s *seen) add(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n[id]++
	return s.n[id]
}

func (s *seen) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[id]
}

func (s *seen) total() (distinct, all int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.n {
		distinct++
		all += n
	}
	return distinct, all
}

func (s *seen) twice() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, n := range s.n {
		if n > 1 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// streamMsgs is how many messages a stream holds now.
func streamMsgs(t testing.TB, b *Bus, stream string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := b.js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// consumeInBackground runs Consume until the returned stop is called; stop
// returns Consume's error.
func consumeInBackground(t testing.TB, b *Bus, s Stage, h Handler, opts ...ConsumeOption) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Consume(ctx, s, h, opts...) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(20 * time.Second):
				err = fmt.Errorf("consume did not stop")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
