package ops_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/pipeline/ops"
	"github.com/claimflow/claimflow/storage"
)

var _ pipeline.Observer = (*ops.Metrics)(nil)

// parsed is an exposition read back: family types and samples by their full
// text key `name{labels}` with labels in the order written.
type parsed struct {
	types   map[string]string
	samples map[string]float64
}

// parseExposition reads the text format strictly: every sample belongs to the
// family whose TYPE came last, label values are quoted with escapes, values are
// floats, and no sample appears twice.
func parseExposition(t *testing.T, text string) parsed {
	t.Helper()
	p := parsed{types: map[string]string{}, samples: map[string]float64{}}
	family := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
			family = name
		case strings.HasPrefix(line, "# TYPE "):
			name, typ, _ := strings.Cut(strings.TrimPrefix(line, "# TYPE "), " ")
			if name != family {
				t.Fatalf("line %d: TYPE of %s after HELP of %s", n, name, family)
			}
			if typ != "counter" && typ != "gauge" && typ != "histogram" {
				t.Fatalf("line %d: type %q", n, typ)
			}
			if _, dup := p.types[name]; dup {
				t.Fatalf("line %d: family %s twice", n, name)
			}
			p.types[name] = typ
		case line == "" || strings.HasPrefix(line, "#"):
			t.Fatalf("line %d: unexpected %q", n, line)
		default:
			key, value := parseSample(t, n, line)
			name, _, _ := strings.Cut(key, "{")
			base := name
			if p.types[family] == "histogram" {
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(name, suf); ok {
						base = b
					}
				}
			}
			if base != family {
				t.Fatalf("line %d: sample %s in family %s", n, name, family)
			}
			if _, dup := p.samples[key]; dup {
				t.Fatalf("line %d: sample %s twice", n, key)
			}
			p.samples[key] = value
		}
	}
	return p
}

func parseSample(t *testing.T, n int, line string) (string, float64) {
	t.Helper()
	var key strings.Builder
	i := 0
	for i < len(line) && line[i] != '{' && line[i] != ' ' {
		i++
	}
	key.WriteString(line[:i])
	if i < len(line) && line[i] == '{' {
		key.WriteByte('{')
		i++
		for first := true; line[i] != '}'; first = false {
			if !first {
				if line[i] != ',' {
					t.Fatalf("line %d: want ',' at %d: %q", n, i, line)
				}
				key.WriteByte(',')
				i++
			}
			eq := strings.Index(line[i:], `="`)
			if eq <= 0 {
				t.Fatalf("line %d: bad label at %d: %q", n, i, line)
			}
			key.WriteString(line[i : i+eq])
			key.WriteString(`="`)
			i += eq + 2
			for line[i] != '"' {
				if line[i] == '\\' {
					i++
					switch line[i] {
					case '\\', '"':
						key.WriteByte(line[i])
					case 'n':
						key.WriteByte('\n')
					default:
						t.Fatalf("line %d: bad escape %q", n, line[i])
					}
				} else {
					key.WriteByte(line[i])
				}
				i++
			}
			key.WriteByte('"')
			i++
		}
		key.WriteByte('}')
		i++
	}
	if i >= len(line) || line[i] != ' ' {
		t.Fatalf("line %d: no value: %q", n, line)
	}
	v, err := strconv.ParseFloat(line[i+1:], 64)
	if err != nil {
		t.Fatalf("line %d: value: %v", n, err)
	}
	return key.String(), v
}

// TestMetricsExposition counts ok, retry and poison outcomes of two stages and
// reads the exposition back.
func TestMetricsExposition(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	ctx := context.Background()
	for range 2 {
		if _, err := st.EnqueueOutbox(ctx, storage.OutboxMessage{Subject: "x", Payload: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkMissingAck, Message: "late"}); err != nil {
		t.Fatal(err)
	}
	m, err := ops.NewMetrics(ops.WithCounts(st), ops.WithBuckets(0.01, 0.1, 1))
	if err != nil {
		t.Fatal(err)
	}
	m.Gauge("claimflow_schedule_leader", "1 while this process runs the schedules.", func() float64 { return 1 })

	var fail error
	h := m.Wrap(bus.Scrub, bus.HandlerFunc(func(ctx context.Context, _ bus.Message) error { return fail }))
	slow := m.Wrap(bus.Remit, bus.HandlerFunc(func(ctx context.Context, _ bus.Message) error {
		time.Sleep(20 * time.Millisecond)
		return nil
	}))
	for _, e := range []error{nil, nil, nil, errors.New("db busy"), fmt.Errorf("bad json: %w", bus.ErrPoison)} {
		fail = e
		if got := h.Handle(ctx, bus.Message{}); !errors.Is(got, e) {
			t.Fatalf("handler returned %v, want %v", got, e)
		}
	}
	if err := slow.Handle(ctx, bus.Message{}); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	if err := m.WriteTo(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	p := parseExposition(t, buf.String())
	want := map[string]float64{
		`claimflow_stage_messages_total{stage="scrub",outcome="ok"}`:       3,
		`claimflow_stage_messages_total{stage="scrub",outcome="retry"}`:    1,
		`claimflow_stage_messages_total{stage="scrub",outcome="poison"}`:   1,
		`claimflow_stage_messages_total{stage="remit",outcome="ok"}`:       1,
		`claimflow_stage_duration_seconds_count{stage="scrub"}`:            5,
		`claimflow_stage_duration_seconds_bucket{stage="scrub",le="+Inf"}`: 5,
		`claimflow_stage_duration_seconds_bucket{stage="remit",le="0.01"}`: 0,
		`claimflow_stage_duration_seconds_bucket{stage="remit",le="0.1"}`:  1,
		`claimflow_stage_in_flight{stage="scrub"}`:                         0,
		`claimflow_outbox_pending`:                                         2,
		`claimflow_work_items{kind="missing-ack",status="open"}`:           1,
		`claimflow_work_items{kind="denial",status="open"}`:                0,
		`claimflow_inbound_files{status="new"}`:                            0,
		`claimflow_up`:                                                     1,
		`claimflow_schedule_leader`:                                        1,
	}
	for k, v := range want {
		got, ok := p.samples[k]
		if !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	for name, typ := range map[string]string{"claimflow_stage_messages_total": "counter", "claimflow_stage_duration_seconds": "histogram", "claimflow_outbox_pending": "gauge"} {
		if p.types[name] != typ {
			t.Errorf("type of %s = %q, want %s", name, p.types[name], typ)
		}
	}
	// Buckets are cumulative and end with the count; the sum is at least the sleep.
	prev := 0.0
	for _, le := range []string{"0.01", "0.1", "1", "+Inf"} {
		v := p.samples[`claimflow_stage_duration_seconds_bucket{stage="remit",le="`+le+`"}`]
		if v < prev {
			t.Errorf("bucket le=%s = %v below the one before (%v)", le, v, prev)
		}
		prev = v
	}
	if sum := p.samples[`claimflow_stage_duration_seconds_sum{stage="remit"}`]; sum < 0.02 || math.IsNaN(sum) {
		t.Errorf("remit duration sum %v, want at least the 20ms slept", sum)
	}
}

// TestMetricsGaugeCache: database gauges are reused within the cache period and
// a store that fails leaves them out with claimflow_up 0.
func TestMetricsGaugeCache(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	ctx := context.Background()
	m, err := ops.NewMetrics(ops.WithCounts(st), ops.WithCacheTTL(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	read := func() parsed {
		var buf bytes.Buffer
		_ = m.WriteTo(ctx, &buf)
		return parseExposition(t, buf.String())
	}
	if v := read().samples["claimflow_outbox_pending"]; v != 0 {
		t.Fatalf("outbox pending %v, want 0", v)
	}
	if _, err := st.EnqueueOutbox(ctx, storage.OutboxMessage{Subject: "x", Payload: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if v := read().samples["claimflow_outbox_pending"]; v != 0 {
		t.Fatalf("outbox pending %v within the cache period, want the cached 0", v)
	}

	broken := testenv.SQLite(t)
	broken.Close(ctx)
	m2, err := ops.NewMetrics(ops.WithCounts(broken), ops.WithCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m2.WriteTo(ctx, &buf); err == nil {
		t.Fatal("WriteTo on a closed store: no error")
	}
	p := parseExposition(t, buf.String())
	if _, ok := p.samples["claimflow_outbox_pending"]; ok || p.samples["claimflow_up"] != 0 {
		t.Fatalf("closed store: samples %v", p.samples)
	}
}

func TestMetricsOptions(t *testing.T) {
	t.Parallel()
	for _, b := range [][]float64{{}, {1, 1}, {2, 1}, {0, 1}, {math.Inf(1)}} {
		if _, err := ops.NewMetrics(ops.WithBuckets(b...)); err == nil {
			t.Errorf("buckets %v accepted", b)
		}
	}
	if _, err := ops.NewMetrics(ops.WithCacheTTL(-time.Second)); err == nil {
		t.Error("negative cache period accepted")
	}
}
