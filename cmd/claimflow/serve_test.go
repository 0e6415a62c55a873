package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// httpAddr is the HTTP address in a start line.
var httpAddr = regexp.MustCompile(`; http (\S+) \(`)

// waitFor polls cond every 50ms until it holds, failing the test after limit.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// startInProcess runs the command line in-process until the returned stop is
// called (as SIGTERM would end it) and returns its first output line.
func startInProcess(t *testing.T, args ...string) (line string, stop func() string) {
	t.Helper()
	var out, errOut testenv.SyncBuffer
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	errc := make(chan error, 1)
	go func() { errc <- root.ExecuteContext(ctx) }()
	waitFor(t, "the start line", 30*time.Second, func() bool { return strings.Contains(out.String(), "\n") })
	line = strings.SplitN(out.String(), "\n", 2)[0]
	return line, func() string {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("%s = %v; stderr %s", args[0], err, errOut.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not stop", args[0])
		}
		return out.String()
	}
}

// configFile writes a configuration with a fresh data directory and more lines.
func configFile(t *testing.T, more string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "claimflow.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("data_dir: %s\n%s", filepath.Join(dir, "data"), more)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeStartsAndStops runs `claimflow serve` in-process on the embedded
// default: it prints what it runs, answers /readyz, and returns without error
// when its context ends (as on SIGTERM).
func TestServeStartsAndStops(t *testing.T) {
	t.Parallel()
	cfg := configFile(t, "http: {listen: \"127.0.0.1:0\"}\n")
	line, stop := startInProcess(t, "serve", "--config", cfg, "--submitter-phone", "5555550100")
	if !strings.HasPrefix(line, "claimflow serve: stages scrub,batch,submit,fetch,classify,acks,remit,secondary; outbox relay; schedules (leader-elected) ack-alarm; http 127.0.0.1:") ||
		!strings.Contains(line, "database sqlite") || !strings.Contains(line, "bus embedded NATS") {
		t.Fatalf("start line %q", line)
	}
	m := httpAddr.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no HTTP address in %q", line)
	}
	if code, body := httpGet("http://" + m[1] + "/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %q", code, body)
	}
	if out := stop(); !strings.HasSuffix(out, "claimflow serve: stopped\n") {
		t.Fatalf("output %q", out)
	}
}

// TestWorkerStages: a worker runs the stages named, without HTTP unless given an
// address, and without schedules when told.
func TestWorkerStages(t *testing.T) {
	t.Parallel()
	cfg := configFile(t, "")
	line, stop := startInProcess(t, "worker", "--config", cfg, "--migrate", "--stages", "scrub,remit", "--no-schedules")
	if !strings.HasPrefix(line, "claimflow worker: stages scrub,remit; outbox relay; database ") ||
		strings.Contains(line, "http") || strings.Contains(line, "schedules") {
		t.Fatalf("start line %q", line)
	}
	if out := stop(); !strings.HasSuffix(out, "claimflow worker: stopped\n") {
		t.Fatalf("output %q", out)
	}
}

func TestWorkerUnknownStage(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCLI(t, "worker", "--stages", "scrub,nope")
	if code != 2 || !strings.Contains(errOut, `unknown stage "nope"`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// worker is a `claimflow worker` process of the two-process test.
type worker struct {
	cmd    *exec.Cmd
	out    testenv.SyncBuffer // stdout
	errOut testenv.SyncBuffer // stderr: the log
	addr   string
}

// workerArgsEnv carries a worker process's command line, as JSON, to the
// test binary run again as that process (TestWorkerProcess).
const workerArgsEnv = "CLAIMFLOW_TEST_WORKER_ARGS"

// TestWorkerProcess is not a test of its own: TestWorkersShareTheConsumers runs
// the test binary again with only this test as each `claimflow worker` process,
// which is main's run() with the arguments given: the binary's code without a
// minute of `go build` on a busy machine.
func TestWorkerProcess(t *testing.T) {
	args := os.Getenv(workerArgsEnv)
	if args == "" {
		t.Skip("a worker process of TestWorkersShareTheConsumers")
	}
	var list []string
	if err := json.Unmarshal([]byte(args), &list); err != nil {
		t.Fatal(err)
	}
	os.Exit(run(list, os.Stdout, os.Stderr))
}

func startWorker(t *testing.T, args ...string) *worker {
	t.Helper()
	w := &worker{cmd: exec.Command(os.Args[0], "-test.run=^TestWorkerProcess$", "-test.count=1", "-test.timeout=5m")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLAIMFLOW_") {
			w.cmd.Env = append(w.cmd.Env, kv)
		}
	}
	list, err := json.Marshal(append([]string{"worker"}, args...))
	if err != nil {
		t.Fatal(err)
	}
	w.cmd.Env = append(w.cmd.Env, workerArgsEnv+"="+string(list))
	w.cmd.Stdout, w.cmd.Stderr = &w.out, &w.errOut
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if w.cmd.ProcessState == nil {
			_ = w.cmd.Process.Kill()
			_ = w.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("worker %d stdout:\n%s\nstderr:\n%s", w.cmd.Process.Pid, w.out.String(), w.errOut.String())
		}
	})
	waitFor(t, "a worker's start line", 60*time.Second, func() bool { return httpAddr.MatchString(w.out.String()) })
	w.addr = httpAddr.FindStringSubmatch(w.out.String())[1]
	waitFor(t, "a worker to be ready", 30*time.Second, func() bool {
		code, _ := httpGet("http://" + w.addr + "/readyz")
		return code == 200
	})
	return w
}

// metric returns the sum of the samples of a metric whose labels contain the
// filter ("" for all).
func (w *worker) metric(t *testing.T, name, filter string) float64 {
	t.Helper()
	code, body := httpGet("http://" + w.addr + "/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	sum := 0.0
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") || !strings.Contains(line, filter) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

// stop sends SIGTERM and waits for a clean exit.
func (w *worker) stop(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exited with %v; stderr:\n%s", err, w.errOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("worker did not stop on SIGTERM")
	}
	if !strings.Contains(w.out.String(), "claimflow worker: stopped\n") {
		t.Fatalf("worker output %q", w.out.String())
	}
}

// TestWorkersShareTheConsumers is the two-process test of issue 6: two
// `claimflow worker` processes (this test binary run again as main's run()) on the CI machine's NATS and PostgreSQL, in a bus
// namespace of their own, scrub, batch and submit claims to a local-directory
// clearinghouse. Every claim is scrubbed once and sent in exactly one file, both
// processes scrubbed some, one of them led the schedules, and both stop cleanly
// on SIGTERM.
func TestWorkersShareTheConsumers(t *testing.T) {
	t.Parallel()
	natsURL := testenv.ExternalNATS(t)
	pgURL := testenv.PostgresURL(t)
	ctx := context.Background()
	st := testenv.Open(t, pgURL) // migrated: the workers do not migrate

	dir := t.TempDir()
	dataDir, chRoot := filepath.Join(dir, "data"), filepath.Join(dir, "clearinghouse")
	for _, d := range []string{dataDir, filepath.Join(chRoot, "upload"), filepath.Join(chRoot, "download")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	conns := fmt.Sprintf("connections:\n  local1:\n    profile: generic\n    transport: local\n    root: %s\n    prefix: TEST\n", chRoot)
	if err := os.WriteFile(filepath.Join(dataDir, "connections.yaml"), []byte(conns), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`data_dir: %s
database: {url: %q}
nats: {embedded: false, urls: [%q]}
clearinghouses:
  local1:
    profile: generic
    schedule: {submit: "off", poll: "off", post: "off"}
`, dataDir, pgURL, natsURL)
	cfgPath := filepath.Join(dir, "claimflow.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ns := testenv.Namespace()
	args := []string{"--config", cfgPath, "--namespace", ns, "--http", "127.0.0.1:0",
		"--submitter-id", "CFTEST", "--submitter-phone", "5555550100"}
	w1 := startWorker(t, args...)
	w2 := startWorker(t, args...)

	// 300 claims in 100 scrub messages of 3, through the outbox the workers relay.
	var buf bytes.Buffer
	if _, err := fixtures.Write837P(&buf, fixtures.Options{Seed: 11, Claims: 300, ClaimsPerST: 300}); err != nil {
		t.Fatal(err)
	}
	claims, err := x837p.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	topo, err := bus.NewTopology(ns)
	if err != nil {
		t.Fatal(err)
	}
	env := &pipeline.Env{Store: st, Topology: topo, Logger: testenv.Quiet()}
	var ids []int64
	for i := 0; i < len(claims); i += 3 {
		got, err := pipeline.Intake(ctx, env, []billing.Claim(claims[i:i+3]), "test")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	count := func(s storage.ClaimState) int {
		got, err := st.ClaimIDsByState(ctx, s, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	waitFor(t, "every claim scrubbed", 90*time.Second, func() bool { return count(storage.StateValidated)+count(storage.StateHeld) == len(ids) })
	if held := count(storage.StateHeld); held != 0 {
		t.Fatalf("%d claims held by the scrubber", held)
	}
	if err := env.InTx(ctx, func(tx *storage.Tx) error {
		return env.Emit(ctx, tx, bus.Batch, pipeline.ClearinghouseWork{Clearinghouse: "local1"})
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every claim transmitted", 90*time.Second, func() bool { return count(storage.StateTransmitted) == len(ids) })

	subs := map[int64]bool{}
	for _, id := range ids {
		s, err := st.ClaimSubmissions(ctx, id)
		if err != nil || len(s) != 1 {
			t.Fatalf("claim %d in submissions %v (%v), want exactly one", id, s, err)
		}
		subs[s[0]] = true
		hist, err := st.ClaimHistory(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range hist {
			if ev.To == storage.StateValidated {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("claim %d validated %d times: %+v", id, n, hist)
		}
	}
	uploaded, err := filepath.Glob(filepath.Join(chRoot, "upload", "*.x12"))
	if err != nil || len(uploaded) != len(subs) {
		t.Fatalf("clearinghouse holds %v, want %d files", uploaded, len(subs))
	}

	s1 := w1.metric(t, "claimflow_stage_messages_total", `stage="scrub",outcome="ok"`)
	s2 := w2.metric(t, "claimflow_stage_messages_total", `stage="scrub",outcome="ok"`)
	t.Logf("scrub messages: worker 1 %v, worker 2 %v", s1, s2)
	if s1 == 0 || s2 == 0 || s1+s2 < 100 {
		t.Fatalf("scrub messages handled: %v and %v, want both some and 100 in all", s1, s2)
	}
	if l1, l2 := w1.metric(t, "claimflow_schedule_leader", ""), w2.metric(t, "claimflow_schedule_leader", ""); l1+l2 != 1 {
		t.Fatalf("schedule leaders: %v and %v, want exactly one", l1, l2)
	}
	w1.stop(t)
	w2.stop(t)
}
