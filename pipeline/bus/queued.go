package bus

import (
	"context"
	"fmt"
)

// Queued is what the work stream holds at one moment: the work published and not
// yet finished by its stage.
type Queued struct {
	// LastSeq is the work stream's last sequence: it grows with every message
	// stored (a duplicate dropped by its Nats-Msg-Id stores nothing).
	LastSeq uint64
	// Messages counts the messages the stream holds: published and not yet acked
	// or terminated.
	Messages uint64
	// Waiting counts, by stage, the messages its consumer has still to deliver
	// (NumPending) or has delivered without an answer yet or will deliver again
	// (NumAckPending). Stages with none are left out; it is nil when Messages is 0.
	Waiting map[Stage]uint64
}

// Idle reports whether no stage has work waiting. A message a consumer will
// never deliver again (delivered MaxDeliver times without an answer) does not
// count.
func (q Queued) Idle() bool { return q.Messages == 0 || len(q.Waiting) == 0 }

// Queued reads the work stream and, when it holds messages, every stage's
// consumer: one request to the server when the stream is empty, one more per
// stage otherwise.
func (b *Bus) Queued(ctx context.Context) (Queued, error) {
	name := b.topo.WorkStream()
	st, err := b.js.Stream(ctx, name)
	if err != nil {
		return Queued{}, fmt.Errorf("reading stream %s: %w", name, err)
	}
	info := st.CachedInfo()
	q := Queued{LastSeq: info.State.LastSeq, Messages: info.State.Msgs}
	if q.Messages == 0 {
		return q, nil
	}
	for _, s := range Stages() {
		c, err := st.Consumer(ctx, b.topo.Consumer(s))
		if err != nil {
			return Queued{}, fmt.Errorf("reading consumer %s on %s: %w", b.topo.Consumer(s), name, err)
		}
		ci := c.CachedInfo()
		if n := ci.NumPending + uint64(ci.NumAckPending); n > 0 {
			if q.Waiting == nil {
				q.Waiting = map[Stage]uint64{}
			}
			q.Waiting[s] = n
		}
	}
	return q, nil
}
