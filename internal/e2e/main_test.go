package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/internal/app"
	_ "github.com/claimflow/claimflow/pipeline/all" // every stage, as `claimflow worker` has
	"github.com/claimflow/claimflow/pipeline/bus"
)

// workerEnv carries a worker process's orders, as JSON, to this test binary run
// again as that process: TestMain then runs the worker instead of the tests.
const workerEnv = "CLAIMFLOW_E2E_WORKER"

// workerOrders say what a worker process runs.
type workerOrders struct {
	// Config is the claimflow.yaml of the worker: its data directory, the
	// database, the NATS URLs and replicas, the clearinghouse.
	Config string
	// Namespace is the bus namespace of the run.
	Namespace string
}

// Redelivery of the tests' consumers, set in each worker's configuration
// (nats.back_off, nats.max_deliver): a message whose worker died is delivered
// again after a couple of seconds rather than the production 30 s.
var (
	testBackOff    = []time.Duration{2 * time.Second, 3 * time.Second, 5 * time.Second}
	testMaxDeliver = 30
)

// durationsYAML writes ds as a YAML flow sequence.
func durationsYAML(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func TestMain(m *testing.M) {
	if orders := os.Getenv(workerEnv); orders != "" {
		os.Exit(workerMain(orders))
	}
	os.Exit(m.Run())
}

// workerMain is a worker process: the process `claimflow worker --no-schedules`
// assembles (internal/app with every stage, the outbox relay and HTTP metrics),
// its configuration giving the tests' redelivery delays. It prints the start
// line, runs until SIGTERM, and prints "stopped".
func workerMain(orders string) int {
	var o workerOrders
	if err := json.Unmarshal([]byte(orders), &o); err != nil {
		fmt.Fprintln(os.Stderr, "e2e worker: reading the orders:", err)
		return 2
	}
	cfg, err := config.Load(o.Config, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e worker:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("pid", os.Getpid())
	a, err := app.New(ctx, app.Options{
		Config: cfg, Role: "worker", Namespace: o.Namespace, NoSchedules: true, HTTP: true, Logger: log,
		Submitter: x837p.Party{Name: "CLAIMFLOW E2E PRACTICE", ID: "CFE2E",
			Contact: billing.Contact{Name: "BILLING OFFICE", Phone: "5555550100"}},
		RelayOptions: []bus.RelayOption{bus.WithRelayInterval(50 * time.Millisecond)},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e worker: starting:", err)
		return 1
	}
	fmt.Println(a.Describe())
	if err := a.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e worker:", err)
		return 1
	}
	fmt.Println("claimflow worker: stopped")
	return 0
}
