package ops

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// DefaultBuckets are the upper bounds, in seconds, of the stage duration
// histogram: from a 5ms scrub of a few claims to a 5-minute upload or 835 post.
func DefaultBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}
}

// DefaultCacheTTL is how long database gauges read at a scrape are reused.
const DefaultCacheTTL = 10 * time.Second

// Counter reads the database gauges; *storage.Store is one.
type Counter interface {
	OpsCounts(ctx context.Context) (storage.OpsCounts, error)
}

// Option configures NewMetrics.
type Option func(*Metrics) error

// WithCounts reads the outbox, work-queue and inbound gauges from c when scraped.
func WithCounts(c Counter) Option {
	return func(m *Metrics) error {
		if c == nil {
			return errors.New("ops: nil counter")
		}
		m.counter = c
		return nil
	}
}

// WithCacheTTL sets how long database gauges are reused (default 10s; 0 reads
// them at every scrape).
func WithCacheTTL(d time.Duration) Option {
	return func(m *Metrics) error {
		if d < 0 {
			return fmt.Errorf("ops: negative cache period %v", d)
		}
		m.cacheTTL = d
		return nil
	}
}

// WithBuckets sets the duration histogram's upper bounds, in seconds, strictly
// increasing (default DefaultBuckets).
func WithBuckets(bounds ...float64) Option {
	return func(m *Metrics) error {
		for i, b := range bounds {
			if b <= 0 || math.IsInf(b, 0) || math.IsNaN(b) || i > 0 && b <= bounds[i-1] {
				return fmt.Errorf("ops: buckets %v: want finite, positive, strictly increasing bounds", bounds)
			}
		}
		if len(bounds) == 0 {
			return errors.New("ops: no buckets")
		}
		m.bounds = slices.Clone(bounds)
		return nil
	}
}

// Metrics counts and times stage handlers (it is a pipeline.Observer) and writes
// them, with the database gauges, in the Prometheus text format. It is safe for
// concurrent use.
type Metrics struct {
	bounds   []float64
	counter  Counter
	cacheTTL time.Duration

	mu     sync.RWMutex
	stages map[bus.Stage]*stageStats
	gauges []gauge

	cacheMu  sync.Mutex
	cached   storage.OpsCounts
	cachedAt time.Time
	cacheErr error
}

type stageStats struct {
	ok, retry, poison atomic.Uint64
	inFlight          atomic.Int64
	counts            []atomic.Uint64 // per bucket, not cumulative; the last is +Inf
	sumNanos          atomic.Int64
}

type gauge struct {
	name, help string
	read       func() float64
}

// NewMetrics returns metrics with no stage yet: Wrap adds each.
func NewMetrics(opts ...Option) (*Metrics, error) {
	m := &Metrics{bounds: DefaultBuckets(), cacheTTL: DefaultCacheTTL, stages: map[bus.Stage]*stageStats{}}
	for _, opt := range opts {
		if err := opt(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) stage(s bus.Stage) *stageStats {
	m.mu.RLock()
	st := m.stages[s]
	m.mu.RUnlock()
	if st != nil {
		return st
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if st = m.stages[s]; st == nil {
		st = &stageStats{counts: make([]atomic.Uint64, len(m.bounds)+1)}
		m.stages[s] = st
	}
	return st
}

// Wrap returns h counted and timed as stage s: it implements pipeline.Observer.
func (m *Metrics) Wrap(s bus.Stage, h bus.Handler) bus.Handler {
	st := m.stage(s)
	return bus.HandlerFunc(func(ctx context.Context, msg bus.Message) error {
		st.inFlight.Add(1)
		start := time.Now()
		err := h.Handle(ctx, msg)
		m.observe(st, time.Since(start), err)
		st.inFlight.Add(-1)
		return err
	})
}

func (m *Metrics) observe(st *stageStats, d time.Duration, err error) {
	switch {
	case err == nil:
		st.ok.Add(1)
	case errors.Is(err, bus.ErrPoison):
		st.poison.Add(1)
	default:
		st.retry.Add(1)
	}
	secs := d.Seconds()
	i, _ := slices.BinarySearch(m.bounds, secs) // the first bound >= secs: le is inclusive
	st.counts[i].Add(1)
	st.sumNanos.Add(int64(d))
}

var metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// Gauge adds a gauge read at each scrape by read, which must be quick and safe
// for concurrent use (an atomic load). It panics on a name Prometheus refuses or
// one already used: both are programming errors.
func (m *Metrics) Gauge(name, help string, read func() float64) {
	if !metricName.MatchString(name) || read == nil {
		panic("ops: bad gauge " + name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range m.gauges {
		if g.name == name {
			panic("ops: gauge " + name + " added twice")
		}
	}
	m.gauges = append(m.gauges, gauge{name, help, read})
}

// counts returns the database gauges, from the cache when fresh enough.
func (m *Metrics) counts(ctx context.Context) (storage.OpsCounts, error) {
	m.cacheMu.Lock()
	defer m.cacheMu.Unlock()
	if !m.cachedAt.IsZero() && time.Since(m.cachedAt) < m.cacheTTL {
		return m.cached, m.cacheErr
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	m.cached, m.cacheErr = m.counter.OpsCounts(ctx)
	m.cachedAt = time.Now()
	return m.cached, m.cacheErr
}

// WriteTo writes every metric in the text format. A database gauge that cannot
// be read is left out and claimflow_up is 0; the error is returned after the
// rest was written.
func (m *Metrics) WriteTo(ctx context.Context, w io.Writer) error {
	var fams []family
	fams = append(fams, m.stageFamilies()...)
	up := 1.0
	var countErr error
	if m.counter != nil {
		n, err := m.counts(ctx)
		if err != nil {
			up, countErr = 0, err
		} else {
			fams = append(fams, countFamilies(n)...)
		}
	}
	fams = append(fams,
		family{name: "claimflow_up", help: "1 when the process and its database gauges are readable, else 0.", typ: "gauge",
			samples: []sample{{value: up}}},
		family{name: "go_goroutines", help: "Number of goroutines that currently exist.", typ: "gauge",
			samples: []sample{{value: float64(runtime.NumGoroutine())}}},
	)
	m.mu.RLock()
	for _, g := range m.gauges {
		fams = append(fams, family{name: g.name, help: g.help, typ: "gauge", samples: []sample{{value: g.read()}}})
	}
	m.mu.RUnlock()
	if err := writeFamilies(bufio.NewWriter(w), fams); err != nil {
		return fmt.Errorf("writing metrics: %w", err)
	}
	if countErr != nil {
		return fmt.Errorf("reading database gauges: %w", countErr)
	}
	return nil
}

func (m *Metrics) stageFamilies() []family {
	m.mu.RLock()
	names := make([]bus.Stage, 0, len(m.stages))
	for s := range m.stages {
		names = append(names, s)
	}
	m.mu.RUnlock()
	slices.Sort(names)
	msgs := family{name: "claimflow_stage_messages_total", typ: "counter",
		help: "Stage messages handled, by outcome: ok (acked), retry (transient failure, delivered again) or poison (dead-lettered)."}
	dur := family{name: "claimflow_stage_duration_seconds", typ: "histogram", help: "Time a stage handler took, whatever its outcome."}
	inflight := family{name: "claimflow_stage_in_flight", typ: "gauge", help: "Stage handlers running now."}
	for _, s := range names {
		st := m.stage(s)
		stage := label{"stage", string(s)}
		for _, o := range []struct {
			outcome string
			n       *atomic.Uint64
		}{{"ok", &st.ok}, {"retry", &st.retry}, {"poison", &st.poison}} {
			msgs.samples = append(msgs.samples, sample{labels: []label{stage, {"outcome", o.outcome}}, value: float64(o.n.Load())})
		}
		// Read the buckets first: the count is their total, so that a handler
		// finishing meanwhile never makes _count disagree with +Inf.
		var cum uint64
		for i := range st.counts {
			cum += st.counts[i].Load()
			le := "+Inf"
			if i < len(m.bounds) {
				le = formatValue(m.bounds[i])
			}
			dur.samples = append(dur.samples, sample{suffix: "_bucket", labels: []label{stage, {"le", le}}, value: float64(cum)})
		}
		dur.samples = append(dur.samples,
			sample{suffix: "_sum", labels: []label{stage}, value: time.Duration(st.sumNanos.Load()).Seconds()},
			sample{suffix: "_count", labels: []label{stage}, value: float64(cum)})
		inflight.samples = append(inflight.samples, sample{labels: []label{stage}, value: float64(st.inFlight.Load())})
	}
	return []family{msgs, dur, inflight}
}

func countFamilies(n storage.OpsCounts) []family {
	out := family{name: "claimflow_outbox_pending", typ: "gauge", help: "Outbox messages not yet published to the bus.",
		samples: []sample{{value: float64(n.OutboxPending)}}}
	work := family{name: "claimflow_work_items", typ: "gauge", help: "Work items waiting for a person, by queue and status."}
	kinds := []storage.WorkKind{storage.WorkRejection, storage.WorkDenial, storage.WorkUnmatchedRemittance, storage.WorkException, storage.WorkMissingAck}
	var extra []storage.WorkKind
	for k := range n.WorkItems {
		if !slices.Contains(kinds, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	kinds = append(kinds, extra...)
	for _, k := range kinds {
		for _, s := range []storage.WorkStatus{storage.WorkOpen, storage.WorkInProgress} {
			work.samples = append(work.samples, sample{labels: []label{{"kind", string(k)}, {"status", string(s)}}, value: float64(n.WorkItems[k][s])})
		}
	}
	inbound := family{name: "claimflow_inbound_files", typ: "gauge", help: "Received files not processed yet, by status."}
	for _, s := range []storage.InboundStatus{storage.InboundNew, storage.InboundQuarantined} {
		inbound.samples = append(inbound.samples, sample{labels: []label{{"status", string(s)}}, value: float64(n.Inbound[s])})
	}
	return []family{out, work, inbound}
}
