package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Message is one delivery of a stage's work.
type Message struct {
	Stage   Stage
	Subject string
	Data    []byte
	// ID is the Nats-Msg-Id it was published with (an outbox row id), or empty.
	ID string
	// Delivery counts deliveries: 1 the first time, more after a nak or a crash.
	Delivery uint64
	// Sequence is the message's sequence in the work stream.
	Sequence uint64
	// Published is when the stream stored it.
	Published time.Time
}

// Handler does a stage's work for one message. It returns nil once its database
// transaction has committed (the message is then acked), an error wrapping
// ErrPoison when the message can never succeed (it is terminated and dead-lettered),
// or any other error for a transient failure (it is delivered again later, with
// exponential back-off). Handlers must be idempotent, keyed on natural ids: a
// message may arrive more than once.
type Handler interface {
	Handle(ctx context.Context, m Message) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m Message) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, m Message) error { return f(ctx, m) }

// Dead is a message given up on: poison, or out of deliveries.
type Dead struct {
	Message
	// Reason says why, from the handler's error; no PHI if handlers keep to ids.
	Reason string
}

// DeadLetter records a message given up on, so that a person sees it (storage
// makes it a work-queue item). The message is terminated only after DeadLetter
// returns nil; an error sends it back for another delivery.
type DeadLetter interface {
	DeadLetter(ctx context.Context, d Dead) error
}

// DeadLetterFunc adapts a function to DeadLetter.
type DeadLetterFunc func(ctx context.Context, d Dead) error

// DeadLetter calls f.
func (f DeadLetterFunc) DeadLetter(ctx context.Context, d Dead) error { return f(ctx, d) }

// ConsumeOption configures Consume.
type ConsumeOption func(*consumeOptions) error

type consumeOptions struct {
	concurrency  int
	batch        int
	deadLetter   DeadLetter
	retryBase    time.Duration
	retryMax     time.Duration
	drainTimeout time.Duration
	ackSync      bool
	logger       *slog.Logger
}

// WithConcurrency runs n handlers at once in this process (default 4, at most
// 1024). Processes sharing a stage's durable consumer split its messages.
func WithConcurrency(n int) ConsumeOption {
	return func(o *consumeOptions) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("%w: concurrency %d: want 1 to 1024", ErrInvalidOption, n)
		}
		o.concurrency = n
		return nil
	}
}

// WithBatch bounds how many messages are pulled ahead of the handlers (default
// 64, at most 10000).
func WithBatch(n int) ConsumeOption {
	return func(o *consumeOptions) error {
		if n < 1 || n > 10000 {
			return fmt.Errorf("%w: batch %d: want 1 to 10000", ErrInvalidOption, n)
		}
		o.batch = n
		return nil
	}
}

// WithDeadLetter receives every message given up on. Without it such messages are
// only logged (by stream sequence and id) before they are terminated.
func WithDeadLetter(d DeadLetter) ConsumeOption {
	return func(o *consumeOptions) error {
		if d == nil {
			return fmt.Errorf("%w: nil dead letter", ErrInvalidOption)
		}
		o.deadLetter = d
		return nil
	}
}

// WithRetryDelay sets the back-off after a transient failure: base after the
// first delivery, doubling per delivery up to max, with ±10% jitter (default 1s
// and 5m).
func WithRetryDelay(base, max time.Duration) ConsumeOption {
	return func(o *consumeOptions) error {
		if base <= 0 || max < base {
			return fmt.Errorf("%w: retry delay %v to %v", ErrInvalidOption, base, max)
		}
		o.retryBase, o.retryMax = base, max
		return nil
	}
}

// WithDrainTimeout bounds how long handlers already running may take to finish
// once Consume's context ends (default 30s); after it their context is canceled.
func WithDrainTimeout(d time.Duration) ConsumeOption {
	return func(o *consumeOptions) error {
		if d <= 0 {
			return fmt.Errorf("%w: drain timeout %v", ErrInvalidOption, d)
		}
		o.drainTimeout = d
		return nil
	}
}

// WithAckSync waits for the server to confirm each ack (one round trip per
// message). Without it acks are sent without waiting and flushed when Consume
// returns; a lost ack only means a redelivery, which handlers tolerate.
func WithAckSync() ConsumeOption {
	return func(o *consumeOptions) error { o.ackSync = true; return nil }
}

// WithConsumeLogger logs through l instead of the Bus's logger.
func WithConsumeLogger(l *slog.Logger) ConsumeOption {
	return func(o *consumeOptions) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		o.logger = l
		return nil
	}
}

// Consume runs h on stage s's work until ctx ends, sharing the stage's durable
// consumer with every other process consuming it. For each message: nil from h
// acks it; an ErrPoison error, or any error on the last allowed delivery, hands
// it to the DeadLetter and terminates it; another error naks it with a delay
// growing with its delivery count. While h runs, progress is sent so the server
// does not redeliver a slow message.
//
// When ctx ends Consume stops pulling, lets the messages already received finish
// (handlers keep a live context for the drain timeout), flushes the acks and
// returns nil. It returns an error when it cannot start or the connection closes.
func (b *Bus) Consume(ctx context.Context, s Stage, h Handler, opts ...ConsumeOption) error {
	o := consumeOptions{
		concurrency:  4,
		batch:        64,
		retryBase:    time.Second,
		retryMax:     5 * time.Minute,
		drainTimeout: 30 * time.Second,
		logger:       b.log,
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return fmt.Errorf("consuming %s: %w", s, err)
		}
	}
	if !s.Valid() {
		return fmt.Errorf("consuming: %w: %q", ErrUnknownStage, s)
	}
	if h == nil {
		return fmt.Errorf("consuming %s: %w: nil handler", s, ErrInvalidOption)
	}
	cons, err := b.js.Consumer(ctx, b.topo.WorkStream(), b.topo.Consumer(s))
	if err != nil {
		return fmt.Errorf("consuming %s: finding consumer: %w", s, err)
	}
	cfg := cons.CachedInfo().Config
	w := worker{
		bus:        b,
		stage:      s,
		h:          h,
		o:          o,
		log:        o.logger.With("stage", string(s)),
		maxDeliver: b.maxDeliverOf(cfg),
		progress:   progressEvery(cfg),
		ackWait:    cfg.AckWait,
		backOff:    cfg.BackOff,
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(o.batch))
	if err != nil {
		return fmt.Errorf("consuming %s: %w", s, err)
	}
	defer iter.Stop()

	// Handlers run on hctx: it outlives ctx by the drain timeout, so work already
	// received can commit and be acked.
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()
	stopDrainTimer := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(o.drainTimeout, hcancel)
		context.AfterFunc(hctx, func() { t.Stop() })
	})
	defer stopDrainTimer()

	work := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Go(func() {
			for m := range work {
				w.handle(hctx, m)
			}
		})
	}

	var runErr error
	for {
		m, err := iter.Next(jetstream.NextContext(ctx))
		if err == nil {
			work <- m
			continue
		}
		if ctx.Err() != nil {
			break
		}
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			runErr = fmt.Errorf("consuming %s: %w", s, err)
			break
		}
		w.log.Warn("pulling messages", "err", err)
	}

	// Drain: stop pulling, hand out what is already buffered.
	iter.Drain()
	for {
		m, err := iter.Next(jetstream.NextContext(hctx))
		if err != nil {
			break
		}
		work <- m
	}
	close(work)
	wg.Wait()
	// Retries still waiting for their delay go back now, for another consumer to
	// take at once, rather than when the server's back-off step ends.
	w.retries.flush()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := flush(fctx, b.nc); err != nil && runErr == nil && !b.nc.IsClosed() {
		runErr = fmt.Errorf("consuming %s: flushing acks: %w", s, err)
	}
	return runErr
}

// progressEvery is how often a running handler tells the server it is still
// working: a third of the shortest wait for an answer.
func progressEvery(cfg jetstream.ConsumerConfig) time.Duration {
	w := cfg.AckWait
	for _, d := range cfg.BackOff {
		if w <= 0 || d < w {
			w = d
		}
	}
	if w <= 0 {
		w = DefaultAckWait
	}
	return max(w/3, 10*time.Millisecond)
}

type worker struct {
	bus        *Bus
	stage      Stage
	h          Handler
	o          consumeOptions
	log        *slog.Logger
	maxDeliver int
	progress   time.Duration
	ackWait    time.Duration   // the consumer's, as the server holds it
	backOff    []time.Duration // the consumer's redelivery schedule, if any
	retries    pendingNaks     // plain naks waiting for their retry delay
}

// pendingNaks are the plain naks retryAfter holds back for their delay.
type pendingNaks struct {
	mu      sync.Mutex
	timers  map[*time.Timer]jetstream.Msg
	flushed bool
}

// after sends a plain nak for m once d has passed, unless flush sends it first.
func (p *pendingNaks) after(d time.Duration, m jetstream.Msg, failed func(error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.flushed {
		if err := m.Nak(); err != nil {
			failed(err)
		}
		return
	}
	if p.timers == nil {
		p.timers = map[*time.Timer]jetstream.Msg{}
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		p.mu.Lock()
		_, mine := p.timers[t]
		delete(p.timers, t)
		p.mu.Unlock()
		if mine {
			if err := m.Nak(); err != nil {
				failed(err)
			}
		}
	})
	p.timers[t] = m
}

// flush sends every nak still waiting now; later ones go at once.
func (p *pendingNaks) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushed = true
	for t, m := range p.timers {
		t.Stop()
		_ = m.Nak()
	}
	p.timers = nil
}

func (w *worker) handle(ctx context.Context, m jetstream.Msg) {
	meta, err := m.Metadata()
	if err != nil {
		// Not a JetStream delivery: nothing to ack.
		w.log.Error("message without JetStream metadata", "subject", m.Subject(), "err", err)
		return
	}
	msg := Message{
		Stage:     w.stage,
		Subject:   m.Subject(),
		Data:      m.Data(),
		ID:        m.Headers().Get(jetstream.MsgIDHeader),
		Delivery:  meta.NumDelivered,
		Sequence:  meta.Sequence.Stream,
		Published: meta.Timestamp,
	}
	if w.maxDeliver > 0 && msg.Delivery > uint64(w.maxDeliver) {
		// The last allowed delivery ended without an answer: its worker crashed or
		// stopped, or the dead letter failed. Give up now rather than run it again.
		w.dead(ctx, m, msg, fmt.Sprintf("gave up after %d deliveries: the last ended without an answer (a worker stopped or crashed while handling it, or dead-lettering failed)",
			msg.Delivery-1))
		return
	}
	stop := keepAlive(m, w.progress)
	err = w.call(ctx, msg)
	stop()

	switch {
	case err == nil:
		if w.o.ackSync {
			err = m.DoubleAck(ctx)
		} else {
			err = m.Ack()
		}
		if err != nil {
			w.log.Warn("acking", "seq", msg.Sequence, "id", msg.ID, "err", err)
		}
	case errors.Is(err, ErrPoison):
		w.dead(ctx, m, msg, err.Error())
	case w.maxDeliver > 0 && msg.Delivery >= uint64(w.maxDeliver):
		w.dead(ctx, m, msg, fmt.Sprintf("gave up after %d deliveries: %v", msg.Delivery, err))
	case ctx.Err() != nil:
		// Stopping: let another worker take it now.
		w.log.Info("handler stopped", "seq", msg.Sequence, "id", msg.ID, "err", err)
		_ = m.Nak()
	default:
		d := w.retryDelay(msg.Delivery)
		w.log.Info("handler failed, retrying", "seq", msg.Sequence, "id", msg.ID, "delivery", msg.Delivery, "delay", d, "err", err)
		w.retryAfter(m, msg, d)
	}
}

// retryAfter asks for m to be delivered again d from now.
//
// A delayed negative acknowledgement does not simply wait its delay when the
// consumer has a back-off schedule: the server dates the message AckWait before
// the nak plus the delay, then waits the schedule's step for the delivery count
// (BackOff[n-1] after the n-th delivery, the last step repeating). A delay d thus
// comes out as d + BackOff[n-1] - AckWait: with the default schedule, a handler's
// 1 s retry after its second delivery waited 31 s, and after its third 4 min 32 s.
// So the delay sent is shortened by that surplus; when the surplus is d or more,
// a plain nak (redelivered at once) is sent d from now instead. Meanwhile the
// message stays pending: when Consume stops, the nak goes at once, and if the
// process dies, the server redelivers the message on its own at the step's end.
func (w *worker) retryAfter(m jetstream.Msg, msg Message, d time.Duration) {
	if send := d - w.nakSurplus(msg.Delivery); send > 0 {
		if err := m.NakWithDelay(send); err != nil {
			w.log.Warn("nacking", "seq", msg.Sequence, "id", msg.ID, "err", err)
		}
		return
	}
	w.retries.after(d, m, func(err error) {
		w.log.Warn("nacking", "seq", msg.Sequence, "id", msg.ID, "err", err)
	})
}

// nakSurplus is what the server adds to a delayed nak's delay after the given
// delivery: the consumer's back-off step for it less AckWait (see retryAfter).
func (w *worker) nakSurplus(delivery uint64) time.Duration {
	if len(w.backOff) == 0 || delivery == 0 {
		return 0
	}
	step := w.backOff[min(delivery-1, uint64(len(w.backOff)-1))]
	return step - w.ackWait
}

// call runs the handler, turning a panic into a transient error.
func (w *worker) call(ctx context.Context, msg Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("handler panicked", "seq", msg.Sequence, "id", msg.ID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return w.h.Handle(ctx, msg)
}

// dead hands msg to the dead letter and terminates it; if the dead letter fails,
// the message is delivered again later instead.
func (w *worker) dead(ctx context.Context, m jetstream.Msg, msg Message, reason string) {
	if w.o.deadLetter != nil {
		if err := w.o.deadLetter.DeadLetter(ctx, Dead{Message: msg, Reason: reason}); err != nil {
			w.log.Error("dead-lettering failed; message kept", "seq", msg.Sequence, "id", msg.ID, "err", err)
			w.retryAfter(m, msg, w.retryDelay(msg.Delivery))
			return
		}
	} else {
		w.log.Error("message given up", "seq", msg.Sequence, "id", msg.ID, "reason", reason)
	}
	if err := m.Term(); err != nil {
		w.log.Warn("terminating", "seq", msg.Sequence, "id", msg.ID, "err", err)
	}
}

// retryDelay is base * 2^(delivery-1), capped, with ±10% jitter.
func (w *worker) retryDelay(delivery uint64) time.Duration {
	d := w.o.retryBase
	for i := uint64(1); i < delivery && d < w.o.retryMax; i++ {
		d *= 2
	}
	d = min(d, w.o.retryMax)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return max(d+jitter, time.Millisecond)
}

// keepAlive sends progress for m every interval until stop is called.
func keepAlive(m jetstream.Msg, every time.Duration) (stop func()) {
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	mu.Lock()
	t = time.AfterFunc(every, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		_ = m.InProgress()
		t.Reset(every)
	})
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}
}
