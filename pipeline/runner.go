package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// Runner runs stage handlers as consumers of the bus, and the relay that
// publishes the outbox. Any number of processes may run the same stages: they
// share the durable consumers.
type Runner struct {
	env      *Env
	bus      *bus.Bus
	relay    *bus.Relay
	handlers []registered
}

type registered struct {
	stage bus.Stage
	h     bus.Handler
	opts  []bus.ConsumeOption
}

// NewRunner returns a runner of env's stages on b. It takes over env's relay
// wake-up: commits made through env.InTx publish their messages at once.
func NewRunner(env *Env, b *bus.Bus, relayOpts ...bus.RelayOption) (*Runner, error) {
	relayOpts = append([]bus.RelayOption{bus.WithRelayLogger(env.Log())}, relayOpts...)
	relay, err := bus.NewRelay(b, OutboxSource(env.Store), relayOpts...)
	if err != nil {
		return nil, fmt.Errorf("starting the outbox relay: %w", err)
	}
	env.kick = relay.Notify
	return &Runner{env: env, bus: b, relay: relay}, nil
}

// Handle registers h as stage s's handler. Options come after the runner's own
// (logger, dead letter), so they may override them.
func (r *Runner) Handle(s bus.Stage, h bus.Handler, opts ...bus.ConsumeOption) {
	r.handlers = append(r.handlers, registered{s, h, opts})
}

// Relay returns the outbox relay (Once publishes what is pending now).
func (r *Runner) Relay() *bus.Relay { return r.relay }

// Run consumes every registered stage and relays the outbox until ctx ends, then
// drains and returns nil; it returns the first error that stops a consumer or the
// relay (cancelling the others).
func (r *Runner) Run(ctx context.Context) error {
	if len(r.handlers) == 0 {
		return errors.New("pipeline: no stage to run")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	fail := func(err error) {
		if err != nil && ctx.Err() == nil {
			once.Do(func() { first = err; cancel() })
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := r.relay.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			fail(fmt.Errorf("outbox relay: %w", err))
		}
	}()
	for _, reg := range r.handlers {
		h := reg.h
		if r.env.Observer != nil {
			h = r.env.Observer.Wrap(reg.stage, h)
		}
		opts := append([]bus.ConsumeOption{
			bus.WithConsumeLogger(r.env.Log()),
			bus.WithDeadLetter(bus.DeadLetterFunc(r.deadLetter)),
		}, reg.opts...)
		wg.Add(1)
		go func(s bus.Stage) {
			defer wg.Done()
			if err := r.bus.Consume(ctx, s, h, opts...); err != nil {
				fail(fmt.Errorf("stage %s: %w", s, err))
			}
		}(reg.stage)
	}
	wg.Wait()
	return first
}

// deadLetter turns a message given up on into an exception work item, once per
// message: a person sees the stage, the reason and the message's ids.
func (r *Runner) deadLetter(ctx context.Context, d bus.Dead) error {
	key := "dead-letter:" + string(d.Stage) + ":" + d.ID
	if d.ID == "" {
		key = "dead-letter:" + string(d.Stage) + ":seq:" + strconv.FormatUint(d.Sequence, 10)
	}
	msg := fmt.Sprintf("stage %s gave up on message %s (delivery %d): %s; payload %s", d.Stage, d.ID, d.Delivery, d.Reason, truncate(d.Data, 200))
	_, _, err := r.env.Store.AddWorkItem(ctx, storage.WorkItem{
		Kind: storage.WorkException, DedupKey: key, Codes: []string{"dead-letter", string(d.Stage)}, Message: msg,
	})
	if err != nil {
		return fmt.Errorf("queueing dead letter of stage %s: %w", d.Stage, err)
	}
	r.env.Log().Warn("message dead-lettered", "stage", d.Stage, "msg_id", d.ID, "delivery", d.Delivery, "reason", d.Reason)
	return nil
}

// truncate returns b as text, cut to n bytes. Payloads carry ids only, never PHI.
func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
