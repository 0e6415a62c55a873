package remit

import (
	"context"
	"errors"
	"fmt"

	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
)

func init() {
	pipeline.Register(bus.Remit, func(env *pipeline.Env) (bus.Handler, error) {
		p := &Poster{Store: env.Store, Logger: env.Log(), Emit: env.Emit, InTx: env.InTx, Actor: "remit"}
		return bus.HandlerFunc(func(ctx context.Context, m bus.Message) error { return p.handle(ctx, m) }), nil
	})
}

// holdDeliveries is how many deliveries of a file wait for the originals of its
// reversals (with the bus's back-off between them) before posting them as exceptions.
const holdDeliveries = 4

// handle posts the 835 an InboundWork names. The file being quarantined is a
// success: the message is done, the exception queue has the file.
func (p *Poster) handle(ctx context.Context, m bus.Message) error {
	var w pipeline.InboundWork
	if err := pipeline.Decode(m, &w); err != nil {
		return err
	}
	if w.Kind != "" && w.Kind != "835" {
		return pipeline.Poison(fmt.Errorf("remit: inbound file %d is a %s, not an 835", w.InboundID, w.Kind))
	}
	// The first deliveries wait for a reversal's original payment, which may be in
	// another file posted meanwhile; after that the reversal goes to a person.
	q := *p
	q.HoldOrphanReversals = m.Delivery < holdDeliveries
	_, err := q.PostInbound(ctx, w.InboundID)
	if errors.Is(err, ErrOriginalPending) {
		q.log().Info("835 holds a reversal of a payment not posted yet: the file will be posted again",
			"inbound_file", w.InboundID, "delivery", m.Delivery)
	}
	if errors.Is(err, ErrNoFile) {
		return pipeline.Poison(err)
	}
	return err
}
