package ops_test

import (
	"context"
	"io"
	"testing"

	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/pipeline/ops"
)

// BenchmarkWrap measures what counting and timing adds to one message.
func BenchmarkWrap(b *testing.B) {
	m, err := ops.NewMetrics()
	if err != nil {
		b.Fatal(err)
	}
	h := m.Wrap(bus.Scrub, bus.HandlerFunc(func(context.Context, bus.Message) error { return nil }))
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = h.Handle(ctx, bus.Message{})
		}
	})
}

// BenchmarkWriteTo measures one scrape of nine stages (database gauges aside).
func BenchmarkWriteTo(b *testing.B) {
	m, err := ops.NewMetrics()
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range bus.Stages() {
		m.Wrap(s, bus.HandlerFunc(func(context.Context, bus.Message) error { return nil }))
	}
	ctx := context.Background()
	for b.Loop() {
		if err := m.WriteTo(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
