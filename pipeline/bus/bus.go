package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrInvalidOption is wrapped by every error about a bad Config field or option.
	ErrInvalidOption = errors.New("invalid bus option")
	// ErrUnknownStage is returned for a stage that is not one of Stages.
	ErrUnknownStage = errors.New("unknown stage")
	// ErrPoison marks a handler error for a message that can never succeed: the
	// message is terminated and handed to the DeadLetter. Wrap it:
	// fmt.Errorf("parsing 835 %s: %w", id, bus.ErrPoison).
	ErrPoison = errors.New("poison message")
	// ErrClosed is returned by calls on a closed Bus.
	ErrClosed = errors.New("bus closed")
)

// Defaults for Config fields left zero.
const (
	DefaultDuplicateWindow = 2 * time.Minute
	DefaultEventsMaxAge    = 7 * 24 * time.Hour
	DefaultAckWait         = 30 * time.Second
	DefaultMaxDeliver      = 10
)

// DefaultBackOff is the redelivery schedule of a message whose handler neither
// acked nor nacked it (a crashed or stuck worker): the n-th delivery waits
// BackOff[n-1] for an answer, the last step repeating.
func DefaultBackOff() []time.Duration {
	return []time.Duration{30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute}
}

// Config says how to reach NATS and how to shape the streams and consumers.
type Config struct {
	// Embedded, when set, connects to this in-process server; URLs are ignored.
	Embedded *EmbeddedServer
	// URLs of the NATS cluster: nats://host:4222 or tls://host:4222.
	URLs []string
	// Name is the connection name servers show in monitoring.
	Name string
	// CredsFile is a NATS .creds file (JWT and nkey seed).
	CredsFile string
	// User and Password, when set, authenticate instead of CredsFile. Take the
	// password from the environment or a file, never from a flag.
	User, Password string
	// TLS files, PEM. CAFile alone verifies the servers; CertFile and KeyFile
	// together present a client certificate.
	CAFile, CertFile, KeyFile string

	// Namespace prefixes every subject, stream and bucket; DefaultNamespace when
	// empty. Tests use a random one.
	Namespace string
	// Replicas of each stream and consumer: 1 (default) embedded, 3 in a cluster.
	Replicas int
	// DuplicateWindow is how long a stream remembers Nats-Msg-Id values.
	DuplicateWindow time.Duration
	// EventsMaxAge is how long the event stream keeps messages.
	EventsMaxAge time.Duration
	// AckWait is how long a delivered message waits for an answer before it is
	// delivered again, when BackOff is empty; a consumer sends progress while its
	// handler runs, so a slow handler is not redelivered.
	AckWait time.Duration
	// BackOff replaces AckWait per delivery: the n-th delivery waits BackOff[n-1]
	// (the last step repeating). Nil means DefaultBackOff; an empty non-nil slice
	// means AckWait for every delivery.
	BackOff []time.Duration
	// MaxDeliver is how many times a message is delivered before it is given up:
	// the last delivery's failure goes to the dead letter, and so does a delivery
	// past it (the last ended without an answer). More than len(BackOff).
	MaxDeliver int
	// SkipSetup leaves streams and consumers alone at Connect (call Setup later).
	SkipSetup bool
	// Logger receives connection events (ids only); slog.Default when nil.
	Logger *slog.Logger
}

// withDefaults returns c with zero fields set to their defaults, or an error
// naming the first bad field.
func (c Config) withDefaults() (Config, error) {
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.EventsMaxAge == 0 {
		c.EventsMaxAge = DefaultEventsMaxAge
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.BackOff == nil {
		c.BackOff = DefaultBackOff()
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Name == "" {
		c.Name = "claimflow"
	}
	switch {
	case c.Embedded == nil && len(c.URLs) == 0:
		return c, fmt.Errorf("%w: no URLs and no embedded server", ErrInvalidOption)
	case c.Replicas < 1 || c.Replicas > 5:
		return c, fmt.Errorf("%w: replicas %d: want 1 to 5", ErrInvalidOption, c.Replicas)
	case c.DuplicateWindow < 0:
		return c, fmt.Errorf("%w: duplicate window %v is negative", ErrInvalidOption, c.DuplicateWindow)
	case c.EventsMaxAge < c.DuplicateWindow:
		return c, fmt.Errorf("%w: events max age %v is shorter than the duplicate window %v", ErrInvalidOption, c.EventsMaxAge, c.DuplicateWindow)
	case c.AckWait < 0:
		return c, fmt.Errorf("%w: ack wait %v is negative", ErrInvalidOption, c.AckWait)
	case c.MaxDeliver < 1:
		return c, fmt.Errorf("%w: max deliver %d: want at least 1", ErrInvalidOption, c.MaxDeliver)
	case c.MaxDeliver >= serverMaxDeliver:
		return c, fmt.Errorf("%w: max deliver %d: want below %d", ErrInvalidOption, c.MaxDeliver, serverMaxDeliver)
	case len(c.BackOff) >= c.MaxDeliver:
		return c, fmt.Errorf("%w: %d back-off steps need max deliver above %d, not %d", ErrInvalidOption, len(c.BackOff), len(c.BackOff), c.MaxDeliver)
	case c.User != "" && c.CredsFile != "":
		return c, fmt.Errorf("%w: both user and creds file set", ErrInvalidOption)
	case (c.CertFile == "") != (c.KeyFile == ""):
		return c, fmt.Errorf("%w: a TLS client certificate needs both cert and key files", ErrInvalidOption)
	}
	for _, d := range c.BackOff {
		if d <= 0 {
			return c, fmt.Errorf("%w: back-off step %v: want positive", ErrInvalidOption, d)
		}
	}
	if err := validNamespace(c.Namespace); err != nil {
		return c, err
	}
	return c, nil
}

// Bus is a connection to NATS JetStream with claimflow's streams: publish work and
// events, consume a stage's work, run the outbox relay, elect leaders. It is safe
// for concurrent use. Close it when done.
type Bus struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	cfg  Config
	topo Topology
	log  *slog.Logger

	closeOnce sync.Once
	closeErr  error
}

// Connect connects to the embedded server or the cluster cfg names and, unless
// cfg.SkipSetup, creates or updates the streams and consumers.
func Connect(ctx context.Context, cfg Config) (*Bus, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS: %w", err)
	}
	log := cfg.Logger
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "server", nc.ConnectedServerId()) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Warn("nats async error", "subject", subject, "err", err)
		}),
	}
	if dl, ok := ctx.Deadline(); ok {
		opts = append(opts, nats.Timeout(time.Until(dl)))
	}
	url := ""
	if cfg.Embedded != nil {
		opts = append(opts, nats.InProcessServer(cfg.Embedded.srv))
	} else {
		url = strings.Join(cfg.URLs, ",")
		if cfg.CredsFile != "" {
			opts = append(opts, nats.UserCredentials(cfg.CredsFile))
		}
		if cfg.User != "" {
			opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
		}
		if cfg.CAFile != "" {
			opts = append(opts, nats.RootCAs(cfg.CAFile))
		}
		if cfg.CertFile != "" {
			opts = append(opts, nats.ClientCert(cfg.CertFile, cfg.KeyFile))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("connecting to NATS: %w", err)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS %s: %w", redactURLs(cfg), err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(30*time.Second))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("opening JetStream: %w", err)
	}
	topo, _ := NewTopology(cfg.Namespace) // validated by withDefaults
	b := &Bus{nc: nc, js: js, cfg: cfg, topo: topo, log: log}
	if !cfg.SkipSetup {
		if err := b.Setup(ctx); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return b, nil
}

// redactURLs names the servers for an error message without any user info.
func redactURLs(cfg Config) string {
	if cfg.Embedded != nil {
		return "(embedded)"
	}
	list := make([]string, 0, len(cfg.URLs))
	for _, u := range cfg.URLs {
		if at, i := strings.LastIndexByte(u, '@'), strings.Index(u, "://"); at >= 0 && i >= 0 && i < at {
			u = u[:i+3] + "***" + u[at:]
		}
		list = append(list, u)
	}
	return strings.Join(list, ",")
}

// flush waits until the server has processed everything sent so far (acks
// included), for at most ctx's deadline or 10 seconds.
func flush(ctx context.Context, nc *nats.Conn) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	return nc.FlushWithContext(ctx)
}

// Topology returns the names this Bus uses.
func (b *Bus) Topology() Topology { return b.topo }

// JetStream returns the underlying JetStream handle, for what the Bus does not
// wrap (monitoring, administration).
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// Setup creates or updates the streams and every stage's durable pull consumer.
// It is idempotent: running it again, from any process, changes nothing unless the
// configuration changed.
func (b *Bus) Setup(ctx context.Context) error {
	t := b.topo
	streams := []jetstream.StreamConfig{{
		Name:        t.WorkStream(),
		Description: "claimflow stage work: one subject per stage, removed when acked",
		Subjects:    t.WorkSubjects(),
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    b.cfg.Replicas,
		Duplicates:  b.cfg.DuplicateWindow,
		Discard:     jetstream.DiscardOld,
	}, {
		Name:        t.EventStream(),
		Description: "claimflow events for observers",
		Subjects:    []string{t.EventWildcard()},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    b.cfg.Replicas,
		Duplicates:  b.cfg.DuplicateWindow,
		MaxAge:      b.cfg.EventsMaxAge,
		Discard:     jetstream.DiscardOld,
	}}
	for _, sc := range streams {
		if _, err := b.js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("creating stream %s: %w", sc.Name, err)
		}
	}
	for _, s := range Stages() {
		if _, err := b.js.CreateOrUpdateConsumer(ctx, t.WorkStream(), b.consumerConfig(s)); err != nil {
			return fmt.Errorf("creating consumer %s on %s: %w", t.Consumer(s), t.WorkStream(), err)
		}
	}
	return nil
}

// maxDeliverKey names the consumer metadata that holds Config.MaxDeliver.
//
// The server itself does not stop delivering a message after MaxDeliver
// deliveries (its own limit is serverMaxDeliver): a message it stopped delivering would stay in the work queue forever, neither
// handled nor dead-lettered, whenever the last allowed delivery ended without an
// answer (a worker crashed or stopped during it, or the dead letter failed). The
// consumers give up instead: the last allowed delivery's failure is dead-lettered,
// and a delivery past it is dead-lettered without running the handler. Keeping
// the limit in the consumer's metadata makes every process use the same one
// (on servers that keep metadata).
const maxDeliverKey = "claimflow_max_deliver"

// serverMaxDeliver is the server's own delivery limit, far past any Config.MaxDeliver:
// every delivery past ours is answered (dead-lettered, or tried again later when
// the dead letter fails). It is not -1 (no limit) because servers before 2.10
// refuse -1 together with a BackOff.
const serverMaxDeliver = 10000

// maxDeliverOf returns a consumer's delivery limit: its claimflow metadata, else
// (servers before 2.10 keep no metadata) this process's Config.MaxDeliver.
func (b *Bus) maxDeliverOf(cfg jetstream.ConsumerConfig) int {
	if n, err := strconv.Atoi(cfg.Metadata[maxDeliverKey]); err == nil && n > 0 {
		return n
	}
	return b.cfg.MaxDeliver
}

func (b *Bus) consumerConfig(s Stage) jetstream.ConsumerConfig {
	cc := jetstream.ConsumerConfig{
		Durable:       b.topo.Consumer(s),
		Description:   "claimflow stage " + string(s),
		FilterSubject: b.topo.WorkSubject(s),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       b.cfg.AckWait,
		MaxDeliver:    serverMaxDeliver,
		MaxAckPending: 10000,
		Replicas:      b.cfg.Replicas,
		Metadata:      map[string]string{maxDeliverKey: strconv.Itoa(b.cfg.MaxDeliver)},
	}
	if len(b.cfg.BackOff) > 0 {
		cc.BackOff = slices.Clone(b.cfg.BackOff)
		cc.AckWait = cc.BackOff[0] // the server does the same
	}
	return cc
}

// ackWait is the shortest time the server waits for an answer to a delivery.
func (b *Bus) ackWait() time.Duration {
	w := b.cfg.AckWait
	for _, d := range b.cfg.BackOff {
		w = min(w, d)
	}
	return w
}

// Published is the stream's answer to a publish.
type Published struct {
	Stream   string
	Sequence uint64
	// Duplicate is true when the stream already held a message with this id
	// within the duplicate window and dropped this one.
	Duplicate bool
}

// Publish stores data on subject with Nats-Msg-Id msgID and waits for the stream's
// answer. A msgID seen within the duplicate window is dropped (Duplicate true);
// an empty msgID disables that.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte, msgID string) (Published, error) {
	if b.nc.IsClosed() {
		return Published{}, fmt.Errorf("publishing to %s: %w", subject, ErrClosed)
	}
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	ack, err := b.js.Publish(ctx, subject, data, opts...)
	if err != nil {
		return Published{}, fmt.Errorf("publishing %s to %s: %w", msgID, subject, err)
	}
	return Published{Stream: ack.Stream, Sequence: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// PublishWork publishes data to a stage's work subject; see Publish.
func (b *Bus) PublishWork(ctx context.Context, s Stage, data []byte, msgID string) (Published, error) {
	if !s.Valid() {
		return Published{}, fmt.Errorf("publishing work: %w: %q", ErrUnknownStage, s)
	}
	return b.Publish(ctx, b.topo.WorkSubject(s), data, msgID)
}

// Close flushes what was published and acked, then closes the connection. It is
// idempotent; ctx bounds the flush.
func (b *Bus) Close(ctx context.Context) error {
	b.closeOnce.Do(func() {
		if b.nc.IsConnected() {
			if err := flush(ctx, b.nc); err != nil {
				b.closeErr = fmt.Errorf("closing NATS connection: flushing: %w", err)
			}
		}
		b.nc.Close()
	})
	return b.closeErr
}
