package e2e

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors/sftp"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// simName is the simulator's name in the workers' configuration.
const simName = "sim"

// simUser is the SFTP user the workers log in to the simulator as.
const simUser = "e2e"

// system is one end-to-end run's setting: the database (and the test's store on
// it), the bus namespace, the simulator on a loopback SFTP port, and the worker
// processes.
type system struct {
	t        *testing.T
	dir      string
	dbURL    string
	natsURLs []string
	replicas int
	ns       string

	store   *storage.Store
	env     *pipeline.Env // the test's: intake and the driver's work messages
	sim     *simulator.Server
	simRoot string
	userKey string // the workers' SFTP key file
	knownTo string // the simulator's known_hosts line, pinned by every worker

	mu      sync.Mutex
	workers []*worker
}

// systemOptions choose a system's parts.
type systemOptions struct {
	DBURL    string   // a fresh PostgreSQL schema (testenv.PostgresURL)
	NATS     []string // the NATS URLs the workers connect to
	Replicas int      // of streams and consumers: 1, or 3 on a cluster
	Seed     uint64   // of the simulator's choices
	Rules    simulator.Rules
	// Manual leaves uploads in the simulator until the test processes them
	// (ProcessUploads, Flush) instead of answering each at once.
	Manual bool
}

// newSystem migrates the database, starts the simulator and prepares the workers'
// files. It starts no worker.
func newSystem(t *testing.T, o systemOptions) *system {
	t.Helper()
	s := &system{t: t, dir: t.TempDir(), dbURL: o.DBURL, natsURLs: o.NATS, replicas: max(o.Replicas, 1), ns: testenv.Namespace()}
	s.store = testenv.Open(t, o.DBURL) // migrated here: workers never migrate
	topo, err := bus.NewTopology(s.ns)
	if err != nil {
		t.Fatal(err)
	}
	s.env = &pipeline.Env{Store: s.store, Topology: topo, Logger: testenv.Quiet()}

	pub, err := writeUserKey(filepath.Join(s.dir, "e2e_ed25519"))
	if err != nil {
		t.Fatal(err)
	}
	s.userKey = filepath.Join(s.dir, "e2e_ed25519")
	s.simRoot = filepath.Join(s.dir, "clearinghouse")
	rules := o.Rules
	s.sim, err = simulator.New(simulator.Config{
		Root: s.simRoot, Users: map[string]simulator.User{simUser: {AuthorizedKeys: []ssh.PublicKey{pub}}},
		Seed: o.Seed, Rules: &rules, AutoRespond: !o.Manual, Name: "CLAIMFLOW E2E CLEARINGHOUSE", Logger: testenv.Quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := s.sim.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.sim.Close() })
	s.knownTo = addr
	return s
}

// writeUserKey makes the workers' SFTP key, saved (0600) for their connection.
func writeUserKey(path string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "claimflow e2e")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return ssh.NewPublicKey(pub)
}

// workerConfig writes worker i's data directory (connections.yaml naming the
// simulator, known_hosts pinning its host key) and claimflow.yaml, once.
func (s *system) workerConfig(i int) string {
	t := s.t
	dataDir := filepath.Join(s.dir, fmt.Sprintf("worker%d", i))
	cfgPath := filepath.Join(dataDir, "claimflow.yaml")
	if _, err := os.Stat(cfgPath); err == nil {
		return cfgPath
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	keys, err := sftp.OpenHostKeys(filepath.Join(dataDir, "known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Pin(s.knownTo, s.sim.HostKey()); err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(s.knownTo)
	if err != nil {
		t.Fatal(err)
	}
	conns := fmt.Sprintf("connections:\n  %s:\n    profile: generic\n    host: %s\n    port: %s\n    user: %s\n    key_file: %s\n",
		simName, host, port, simUser, s.userKey)
	if err := os.WriteFile(filepath.Join(dataDir, "connections.yaml"), []byte(conns), 0o600); err != nil {
		t.Fatal(err)
	}
	urls, _ := json.Marshal(s.natsURLs)
	cfg := fmt.Sprintf(`data_dir: %s
database: {url: %q}
nats: {embedded: false, urls: %s, replicas: %d, back_off: %s, max_deliver: %d}
http: {listen: "127.0.0.1:0"}
clearinghouses:
  %s:
    profile: generic
    schedule: {submit: "off", poll: "off", post: "off"}
`, dataDir, s.dbURL, urls, s.replicas, durationsYAML(testBackOff), testMaxDeliver, simName)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath
}

// startWorkers starts n worker processes, one after the other.
func (s *system) startWorkers(n int) {
	for i := range n {
		s.startWorker(i)
	}
}

// startWorker starts worker i (again, when it died) and waits until it is ready.
func (s *system) startWorker(i int) *worker {
	t := s.t
	t.Helper()
	orders, err := json.Marshal(workerOrders{Config: s.workerConfig(i), Namespace: s.ns})
	if err != nil {
		t.Fatal(err)
	}
	w := &worker{index: i, cmd: exec.Command(os.Args[0], "-test.run=^$", "-test.count=1")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLAIMFLOW_") {
			w.cmd.Env = append(w.cmd.Env, kv)
		}
	}
	w.cmd.Env = append(w.cmd.Env, workerEnv+"="+string(orders))
	w.cmd.Stdout, w.cmd.Stderr = &w.out, &w.errOut
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.done = make(chan struct{})
	go func() { w.waitErr = w.cmd.Wait(); close(w.done) }()
	s.mu.Lock()
	s.workers = append(s.workers, w)
	s.mu.Unlock()
	t.Cleanup(func() {
		w.kill()
		if t.Failed() {
			t.Logf("worker %d (pid %d) stdout:\n%s\nstderr:\n%s", w.index, w.cmd.Process.Pid, w.out.String(), tail(w.errOut.String(), 4000))
		}
	})
	waitFor(t, fmt.Sprintf("worker %d's start line", i), 90*time.Second, func() bool {
		if w.exited() {
			t.Fatalf("worker %d exited at start: %v\n%s", i, w.waitErr, w.errOut.String())
		}
		return httpAddr.MatchString(w.out.String())
	})
	w.addr = httpAddr.FindStringSubmatch(w.out.String())[1]
	waitFor(t, fmt.Sprintf("worker %d to be ready", i), 30*time.Second, func() bool {
		code, _ := httpGet("http://" + w.addr + "/readyz")
		return code == http.StatusOK
	})
	return w
}

// live returns the workers still running, the latest process of each index.
func (s *system) live() map[int]*worker {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[int]*worker{}
	for _, w := range s.workers {
		if !w.exited() {
			m[w.index] = w
		}
	}
	return m
}

// alive fails when no worker runs: the driver would wait for nothing.
func (s *system) alive() error {
	if len(s.live()) == 0 {
		return fmt.Errorf("no worker process is running")
	}
	return nil
}

// intake takes the generator's claims in, a chunk at a time, in index order (so
// that two runs with the same seed give the claims the same ids).
func (s *system) intake(gen *fixtures.ClaimGenerator) {
	t := s.t
	t.Helper()
	const chunk = 500
	buf := make([]billing.Claim, 0, chunk)
	for from := 0; from < gen.Len(); from += chunk {
		buf = gen.Chunk(buf, from, chunk)
		if _, err := pipeline.Intake(context.Background(), s.env, buf, "e2e"); err != nil {
			t.Fatalf("taking in claims %d-%d: %v", from, from+len(buf)-1, err)
		}
	}
}

// driver returns a driver of the run's loop.
func (s *system) driver(settle time.Duration, idle int) *Driver {
	return &Driver{Env: s.env, Clearinghouse: simName, SettleFor: settle, MaxIdleRounds: idle, Alive: s.alive}
}

// drive runs the loop until every claim reached an outcome, failing the test when
// claims are left in flight.
func (s *system) drive(ctx context.Context, settle time.Duration, idle int) Result {
	s.t.Helper()
	res, err := driveLoop(ctx, s.driver(settle, idle))
	return s.settled(res, err)
}

// driveLoop waits for the scrubber, then runs the rounds. It calls no testing.T
// method: it may run beside the test.
func driveLoop(ctx context.Context, d *Driver) (Result, error) {
	if err := d.WaitScrubbed(ctx); err != nil {
		return Result{}, err
	}
	return d.Run(ctx)
}

// settled fails the test when the loop failed or left claims in flight.
func (s *system) settled(res Result, err error) Result {
	t := s.t
	t.Helper()
	if err != nil {
		s.explain()
		t.Fatal(err)
	}
	if len(res.Stuck) > 0 {
		s.explain()
		t.Fatalf("claims still in flight after %d rounds: %v (backlog %+v); of them moved out of secondary-billed by a late acknowledgement: %d",
			res.Rounds, res.Stuck, res.Final, s.lateAckVictims())
	}
	return res
}

// lateAckVictims counts the claims in flight that a late acknowledgement moved
// out of secondary-billed (the fault TestLateAcknowledgementAfterSecondaryBilled
// guards against).
func (s *system) lateAckVictims() int64 {
	ctx := context.Background()
	b, err := s.store.Backlog(ctx)
	if err != nil {
		return -1
	}
	var n int64
	for state, count := range b.ByState {
		if count == 0 || !pending(state) {
			continue
		}
		for after := int64(0); ; {
			ids, err := s.store.ClaimIDsByState(ctx, state, after, 500)
			if err != nil || len(ids) == 0 {
				break
			}
			for _, id := range ids {
				after = id
				hist, err := s.store.ClaimHistory(ctx, id)
				if err != nil {
					return -1
				}
				for _, ev := range hist {
					if ev.From == storage.StateSecondaryBilled && ev.Cause != storage.CauseSystem && ev.Cause != storage.Cause835 {
						n++
						break
					}
				}
			}
		}
	}
	return n
}

// explain logs what the simulator still holds and what was received, to tell a
// file never answered from an answer never processed.
func (s *system) explain() {
	t := s.t
	t.Helper()
	ctx := context.Background()
	for _, stage := range []simulator.Stage{simulator.StageAcknowledgment, simulator.StageClearinghouse, simulator.StagePayer, simulator.StageRemittance} {
		t.Logf("simulator: %d waiting for stage %v", s.sim.Pending(stage), stage)
	}
	dir := filepath.Join(s.simRoot, s.sim.Layout().Inbound[0].Dir)
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Logf("simulator's download folder %s: %d files %v", dir, len(names), names)
	for _, status := range []storage.InboundStatus{storage.InboundNew, storage.InboundProcessed, storage.InboundQuarantined} {
		files, err := s.store.InboundFiles(ctx, status, 0, 1000)
		if err != nil {
			t.Log(err)
			continue
		}
		var names []string
		for _, f := range files {
			names = append(names, f.Kind+":"+f.Name+" "+f.Reason)
		}
		t.Logf("received %s: %d %v", status, len(files), names)
	}
	b, err := s.store.Backlog(ctx)
	if err != nil {
		t.Log(err)
		return
	}
	for state, n := range b.ByState {
		if n == 0 || !pending(state) {
			continue
		}
		ids, err := s.store.ClaimIDsByState(ctx, state, 0, 2)
		if err != nil {
			t.Log(err)
			continue
		}
		for _, id := range ids {
			hist, err := s.store.ClaimHistory(ctx, id)
			if err != nil {
				t.Log(err)
				continue
			}
			t.Logf("claim %d, %s: history", id, state)
			for _, ev := range hist {
				t.Logf("  %+v", ev)
			}
		}
	}
}

// uploads returns the files in the simulator's upload folder, by name.
func (s *system) uploads() map[string][]byte {
	t := s.t
	t.Helper()
	dir := filepath.Join(s.simRoot, s.sim.Layout().UploadDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	return files
}

// worker is one worker process.
type worker struct {
	index   int
	cmd     *exec.Cmd
	out     testenv.SyncBuffer // stdout: the start line
	errOut  testenv.SyncBuffer // stderr: the log (warnings and errors)
	addr    string             // HTTP: /metrics, /readyz
	done    chan struct{}
	waitErr error
}

func (w *worker) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// kill kills the process with SIGKILL (nothing runs after it: no drain, no
// flush) and waits for it.
func (w *worker) kill() {
	if !w.exited() {
		_ = w.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-w.done
}

// stop sends SIGTERM and waits for a clean exit.
func (w *worker) stop(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.done:
		if w.waitErr != nil {
			t.Fatalf("worker %d exited with %v; stderr:\n%s", w.index, w.waitErr, tail(w.errOut.String(), 4000))
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("worker %d did not stop on SIGTERM", w.index)
	}
	if !strings.Contains(w.out.String(), "claimflow worker: stopped\n") {
		t.Fatalf("worker %d output %q", w.index, w.out.String())
	}
}

// messages returns how many messages of a stage the worker handled without error
// ("" for every stage), from its /metrics.
func (w *worker) messages(t *testing.T, stage string) float64 {
	t.Helper()
	filter := `outcome="ok"`
	if stage != "" {
		filter = `stage="` + stage + `",` + filter
	}
	return w.metric(t, "claimflow_stage_messages_total", filter)
}

// metric returns the sum of the samples of a metric whose labels contain filter.
func (w *worker) metric(t *testing.T, name, filter string) float64 {
	t.Helper()
	code, body := httpGet("http://" + w.addr + "/metrics")
	if code != http.StatusOK {
		t.Fatalf("worker %d /metrics = %d %s", w.index, code, body)
	}
	total := 0.0
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
		total += v
	}
	return total
}

// httpAddr is the HTTP address in a worker's start line.
var httpAddr = regexp.MustCompile(`; http (\S+) \(`)

func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

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

// tail is the end of a long log.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// envInt reads a positive number from the environment, or returns def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
