package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// OutboxRow is an outbox message: written by a stage in the same database
// transaction as the change it announces.
type OutboxRow struct {
	ID      int64 // the row id; published as Nats-Msg-Id
	Subject string
	Payload []byte
}

// OutboxSource is the outbox table as the relay sees it; storage provides it.
type OutboxSource interface {
	// PendingOutbox returns up to limit unpublished rows, oldest first.
	PendingOutbox(ctx context.Context, limit int) ([]OutboxRow, error)
	// MarkOutboxPublished records that rows were published; marking one twice is
	// harmless.
	MarkOutboxPublished(ctx context.Context, ids ...int64) error
}

// MsgID is the Nats-Msg-Id of an outbox row.
func MsgID(rowID int64) string { return strconv.FormatInt(rowID, 10) }

// RelayOption configures a Relay.
type RelayOption func(*Relay) error

// WithRelayBatch sets how many rows one round publishes (default 500, at most 4096).
func WithRelayBatch(n int) RelayOption {
	return func(r *Relay) error {
		if n < 1 || n > 4096 {
			return fmt.Errorf("%w: relay batch %d: want 1 to 4096", ErrInvalidOption, n)
		}
		r.batch = n
		return nil
	}
}

// WithRelayInterval sets how long the relay sleeps when the outbox is empty
// (default 200ms); Notify wakes it sooner.
func WithRelayInterval(d time.Duration) RelayOption {
	return func(r *Relay) error {
		if d <= 0 {
			return fmt.Errorf("%w: relay interval %v", ErrInvalidOption, d)
		}
		r.interval = d
		return nil
	}
}

// WithRelayLogger logs through l instead of the Bus's logger.
func WithRelayLogger(l *slog.Logger) RelayOption {
	return func(r *Relay) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		r.log = l
		return nil
	}
}

// shutdownGrace is how long Relay.Once still waits for the stream's answers to
// rows it sent once its context has ended.
const shutdownGrace = 5 * time.Second

// Relay publishes outbox rows to JetStream with Nats-Msg-Id set to the row id and
// marks them published once the stream has stored them. It is at-least-once: a
// crash between publish and mark publishes the row again, and the stream drops
// the duplicate if it comes within the duplicate window. Run one relay per
// process or per database; several are safe, only wasteful.
type Relay struct {
	bus      *Bus
	src      OutboxSource
	batch    int
	interval time.Duration
	log      *slog.Logger
	wake     chan struct{}
}

// NewRelay returns a relay from src to b.
func NewRelay(b *Bus, src OutboxSource, opts ...RelayOption) (*Relay, error) {
	if b == nil || src == nil {
		return nil, fmt.Errorf("creating relay: %w: nil bus or source", ErrInvalidOption)
	}
	r := &Relay{bus: b, src: src, batch: 500, interval: 200 * time.Millisecond, log: b.log, wake: make(chan struct{}, 1)}
	for _, opt := range opts {
		if err := opt(r); err != nil {
			return nil, fmt.Errorf("creating relay: %w", err)
		}
	}
	return r, nil
}

// Notify wakes a sleeping Run: call it after committing a transaction that wrote
// outbox rows. It never blocks.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends, then returns nil (the round in progress still marks
// the rows it sent: see Once). Failures are logged and retried after the
// interval, growing to 30 times it while they last.
func (r *Relay) Run(ctx context.Context) error {
	failures := 0
	for {
		n, err := r.Once(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := r.interval
		switch {
		case err != nil:
			failures++
			wait = r.interval * time.Duration(min(1<<min(failures, 5), 30))
			r.log.Warn("relaying outbox", "published", n, "err", err, "retry_in", wait)
		case n == r.batch:
			failures = 0
			continue // more waiting
		default:
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// Once publishes up to one batch of pending rows, marks those the stream stored
// (or had already stored: duplicates) and returns how many it marked; when ctx
// ends after the rows were sent, it still waits a few seconds for the answers.
// Rows that failed stay pending for the next round; the error names the first.
func (r *Relay) Once(ctx context.Context) (int, error) {
	rows, err := r.src.PendingOutbox(ctx, r.batch)
	if err != nil {
		return 0, fmt.Errorf("relaying outbox: reading: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	futures := make([]jetstream.PubAckFuture, len(rows))
	var firstErr error
	for i, row := range rows {
		msg := &nats.Msg{Subject: row.Subject, Data: row.Payload}
		f, err := r.bus.js.PublishMsgAsync(msg, jetstream.WithMsgID(MsgID(row.ID)))
		if err != nil {
			firstErr = fmt.Errorf("publishing outbox row %d to %s: %w", row.ID, row.Subject, err)
			break
		}
		futures[i] = f
	}
	// The rows are sent: when ctx ends meanwhile, the stream's answers still get
	// a short grace period, so that a clean stop leaves no stored row unmarked (it
	// would be published again at the next start, and delivered again if that comes
	// after the duplicate window).
	done := make([]int64, 0, len(rows))
	stopped := ctx.Done()
	var expired <-chan time.Time
futures:
	for i, f := range futures {
		if f == nil {
			break
		}
		for {
			select {
			case <-f.Ok():
				done = append(done, rows[i].ID)
			case err := <-f.Err():
				if firstErr == nil {
					firstErr = fmt.Errorf("publishing outbox row %d to %s: %w", rows[i].ID, rows[i].Subject, err)
				}
			case <-stopped:
				stopped = nil
				t := time.NewTimer(shutdownGrace)
				defer t.Stop()
				expired = t.C
				continue
			case <-expired:
				if firstErr == nil {
					firstErr = fmt.Errorf("publishing outbox row %d: no answer %v after %w", rows[i].ID, shutdownGrace, ctx.Err())
				}
				break futures
			}
			break
		}
	}
	if len(done) > 0 {
		// Marking must not be skipped because ctx ended: the rows are published.
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := r.src.MarkOutboxPublished(mctx, done...); err != nil {
			return 0, errors.Join(firstErr, fmt.Errorf("marking %d outbox rows published: %w", len(done), err))
		}
	}
	return len(done), firstErr
}
