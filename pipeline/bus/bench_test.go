package bus

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPublishConsume measures the embedded server end to end: b.N outbox rows
// relayed in with message ids (in_msgs/s), then consumed by one process with
// concurrency 4 and acked (out_msgs/s). 64-byte payloads: a batch of claim ids.
func BenchmarkPublishConsume(b *testing.B) {
	srv := embedded(b)
	bus := connect(b, Config{Embedded: srv})
	ctx := context.Background()
	out := newOutbox()
	payload := make([]byte, 64)
	subject := bus.Topology().WorkSubject(Scrub)
	for range b.N {
		out.add(subject, payload)
	}
	relay, err := NewRelay(bus, out, WithRelayBatch(4096))
	if err != nil {
		b.Fatal(err)
	}
	var handled atomic.Int64
	total := int64(b.N)
	done := make(chan struct{})
	h := HandlerFunc(func(ctx context.Context, m Message) error {
		if handled.Add(1) == total {
			close(done)
		}
		return nil
	})

	b.ResetTimer()
	t0 := time.Now()
	for out.pending() > 0 {
		if _, err := relay.Once(ctx); err != nil {
			b.Fatal(err)
		}
	}
	in := time.Since(t0)
	t1 := time.Now()
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- bus.Consume(cctx, Scrub, h, WithConcurrency(4), WithBatch(512)) }()
	<-done
	outDur := time.Since(t1)
	cancel()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/in.Seconds(), "in_msgs/s")
	b.ReportMetric(float64(b.N)/outDur.Seconds(), "out_msgs/s")
}

// BenchmarkPublishSync is one Publish at a time, waiting for each answer: what a
// caller outside the relay gets.
func BenchmarkPublishSync(b *testing.B) {
	bus := connect(b, Config{Embedded: embedded(b)})
	ctx := context.Background()
	payload := make([]byte, 64)
	b.ResetTimer()
	for i := range b.N {
		if _, err := bus.PublishWork(ctx, Scrub, payload, MsgID(int64(i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
