// Package bus moves claimflow's work between stages over NATS JetStream: an
// embedded nats-server for one machine, or a NATS cluster in production.
//
// The database is the system of record; the bus only moves work. A stage writes
// its state change and its outgoing message to the outbox in one transaction; a
// Relay publishes outbox rows with Nats-Msg-Id set to the row id, so the stream
// drops a row published twice. Each stage consumes its work subject through a
// durable pull consumer shared by every worker process, and acks a message only
// after its own transaction has committed. Every subject, stream, consumer and
// bucket is listed in subjects.go.
//
// Single machine:
//
//	srv, err := bus.Embedded(ctx, filepath.Join(dataDir, "nats"))
//	b, err := bus.Connect(ctx, bus.Config{Embedded: srv})
//	defer srv.Shutdown(ctx)
//	defer b.Close(ctx)
//
// Cluster:
//
//	b, err := bus.Connect(ctx, bus.Config{
//		URLs: []string{"tls://nats1:4222", "tls://nats2:4222", "tls://nats3:4222"},
//		CredsFile: "/etc/claimflow/nats.creds", CAFile: "/etc/claimflow/ca.pem",
//		Replicas: 3,
//	})
//
// A stage:
//
//	relay, _ := bus.NewRelay(b, outbox) // outbox: storage's table as an OutboxSource
//	go relay.Run(ctx)
//	err = b.Consume(ctx, bus.Remit, bus.HandlerFunc(func(ctx context.Context, m bus.Message) error {
//		// post the 835 named in m.Data in one transaction, keyed on natural ids,
//		// writing the next stage's outbox rows in the same transaction
//		return nil // or fmt.Errorf("835 %s unbalanced: %w", id, bus.ErrPoison)
//	}), bus.WithConcurrency(4), bus.WithDeadLetter(queue))
//
// A schedule that must run in one process only:
//
//	lead, _ := b.Leader(ctx, b.Topology().LeaderBucket(), "batch-availity", 15*time.Second)
//	if lead.IsLeader() { ... }
package bus
