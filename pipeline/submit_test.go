package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// helperEnv carries the restart test's instructions to its worker processes.
const helperEnv = "CLAIMFLOW_TEST_RESTART_WORKER"

// workerOrders is what a worker process of the restart test is told.
type workerOrders struct {
	DB           string  // the SQLite URL
	NATS         string  // the embedded server's client URL
	Namespace    string  // the bus namespace
	Sim          simWire // how to reach the simulator
	DataDir      string
	SubmissionID int64
	// Crash makes the worker kill itself with SIGKILL once the file reached the
	// server and before the upload is recorded, after writing Marker.
	Crash  bool
	Marker string
}

// TestRestartWorker is not a test of its own: TestRestartNeitherLosesNorDoubles
// runs the test binary again with only this test, as a worker process that runs the
// submit stage until the submission is transmitted (or it is killed).
func TestRestartWorker(t *testing.T) {
	data := os.Getenv(helperEnv)
	if data == "" {
		t.Skip("a worker process of TestRestartNeitherLosesNorDoubles")
	}
	var o workerOrders
	if err := json.Unmarshal([]byte(data), &o); err != nil {
		t.Fatal(err)
	}
	st := testenv.Open(t, o.DB)
	env := o.Sim.env(t, st, o.DataDir)
	b := testenv.Connect(t, bus.Config{URLs: []string{o.NATS}, Namespace: o.Namespace})
	env.Topology = b.Topology()
	if o.Crash {
		pipeline.SetBeforeUploadRecord(env, func(int64) {
			_ = os.WriteFile(o.Marker, []byte("uploaded, not recorded\n"), 0o600)
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never returns: the process is gone
		})
	}
	r, err := pipeline.NewRunner(env, b, bus.WithRelayInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := pipeline.RegisterAll(r, env, []bus.Stage{bus.Submit}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()
	eventually(t, "the submission is transmitted", func() bool {
		s, err := st.Submission(ctx, o.SubmissionID)
		return err == nil && s.Status == storage.SubmissionTransmitted
	})
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// runWorker runs a worker process with the orders and returns how it ended.
func runWorker(t *testing.T, o workerOrders) error {
	t.Helper()
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRestartWorker$", "-test.count=1", "-test.timeout=90s")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(data))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if err != nil && !o.Crash {
		t.Logf("worker output:\n%s", out.String())
	}
	return err
}

// TestRestartNeitherLosesNorDoubles is the restart test of issue 6: a worker
// process is killed (SIGKILL) after its upload reached the clearinghouse and before
// the upload was recorded; a worker started again neither loses the file nor
// uploads it twice. The server holds exactly one file for the submission, the
// claims are transmitted and charged once, and the next file takes the next ISA13.
func TestRestartNeitherLosesNorDoubles(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	srv := testenv.Embedded(t)
	dbURL := testenv.SQLiteURL(t)
	st := testenv.Open(t, dbURL)
	f := newFront(t, st, simConfig{})
	env := f.env
	ns := testenv.Namespace()
	top, err := bus.NewTopology(ns)
	if err != nil {
		t.Fatal(err)
	}
	env.Topology = top
	claims, ids := readyClaims(t, env, 61, 5)
	files, err := pipeline.Batch(ctx, env, simName)
	if err != nil || len(files) != 1 {
		t.Fatalf("batch: %+v (%v)", files, err)
	}
	file := files[0]
	o := workerOrders{DB: dbURL, NATS: srv.ClientURL(), Namespace: ns, Sim: f.wire, DataDir: t.TempDir(),
		SubmissionID: file.SubmissionID, Crash: true, Marker: filepath.Join(t.TempDir(), "crashed")}

	// The first worker dies between the upload and its record.
	err = runWorker(t, o)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the first worker ended with %v, want killed by SIGKILL", err)
	}
	if _, err := os.Stat(o.Marker); err != nil {
		t.Fatalf("the first worker did not reach the crash point: %v", err)
	}
	if up := f.uploads(t); len(up) != 1 || up[0] != file.Name {
		t.Fatalf("after the crash the server holds %v, want %s", up, file.Name)
	}
	sub, err := st.Submission(ctx, file.SubmissionID)
	if err != nil || sub.Status != storage.SubmissionCreated {
		t.Fatalf("after the crash the submission is %+v (%v), want created", sub.Status, err)
	}
	if _, recorded, _ := st.UploadRecord(ctx, simName, file.Name); recorded {
		t.Fatal("the upload was recorded before the crash point")
	}

	// The second worker finishes the work.
	o.Crash = false
	if err := runWorker(t, o); err != nil {
		t.Fatalf("the second worker: %v", err)
	}
	if up := f.uploads(t); len(up) != 1 || up[0] != file.Name {
		t.Fatalf("after the restart the server holds %v, want only %s", up, file.Name)
	}
	rec, recorded, err := st.UploadRecord(ctx, simName, file.Name)
	if err != nil || !recorded || rec.Bytes != file.Bytes {
		t.Fatalf("upload record %+v %v (%v)", rec, recorded, err)
	}
	if n := states(t, st, ids); n[storage.StateTransmitted] != len(ids) {
		t.Fatalf("claim states %v", n)
	}
	var total billing.Money
	for i := range claims {
		total += claims[i].Charge
	}
	if bal, err := st.Balance(ctx, storage.EntryFilter{}); err != nil || bal.Insurance != total {
		t.Fatalf("charged %s, want %s (%v)", bal.Insurance, total, err)
	}

	// The next file takes the next ISA13, and the server holds two files whose
	// interchange control numbers differ.
	readyClaims(t, env, 62, 2)
	next, err := pipeline.Batch(ctx, env, simName)
	if err != nil || len(next) != 1 || next[0].ISA13 != "000000002" {
		t.Fatalf("next batch: %+v (%v)", next, err)
	}
	if _, err := pipeline.SubmitPending(ctx, env, simName); err != nil {
		t.Fatal(err)
	}
	if up := f.uploads(t); len(up) != 2 {
		t.Fatalf("the server holds %v", up)
	}
	resp, err := f.sim.ProcessUploads()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp {
		if bytes.Contains(r.Data, []byte("TA1*")) && bytes.Contains(r.Data, []byte("*R*025")) {
			t.Fatalf("the clearinghouse saw a duplicate ISA13: %s", r.Data)
		}
	}
}

// TestSubmitRefusedFile: when the server holds another file under the submission's
// name, nothing is overwritten: the submission is marked failed, its claims go back
// to validated for the next batch, and an exception work item says why.
func TestSubmitRefusedFile(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	st := testenv.SQLite(t)
	f := newFront(t, st, simConfig{})
	env := f.env
	_, ids := readyClaims(t, env, 71, 3)
	files, err := pipeline.Batch(ctx, env, simName)
	if err != nil || len(files) != 1 {
		t.Fatalf("batch: %+v (%v)", files, err)
	}
	other := filepath.Join(f.root, f.sim.Layout().UploadDir, files[0].Name)
	if err := os.WriteFile(other, []byte("someone else's file"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.Submit(ctx, env, files[0].SubmissionID)
	if !errors.Is(err, bus.ErrPoison) {
		t.Fatalf("submit: %v, want a poison error", err)
	}
	if got, _ := os.ReadFile(other); string(got) != "someone else's file" {
		t.Fatal("the other file was overwritten")
	}
	sub, err := st.Submission(ctx, files[0].SubmissionID)
	if err != nil || sub.Status != storage.SubmissionFailed {
		t.Fatalf("submission %+v (%v)", sub.Status, err)
	}
	if n := states(t, st, ids); n[storage.StateValidated] != 3 {
		t.Fatalf("claim states %v", n)
	}
	items, err := st.WorkItems(ctx, storage.WorkFilter{Kind: storage.WorkException})
	if err != nil || len(items) != 1 {
		t.Fatalf("exception items %+v (%v)", items, err)
	}
	// The next batch takes the claims in a new file, with a new ISA13.
	again, err := pipeline.Batch(ctx, env, simName)
	if err != nil || len(again) != 1 || again[0].Claims != 3 || again[0].ISA13 != "000000002" {
		t.Fatalf("next batch %+v (%v)", again, err)
	}
}

// TestSubmitClaimChangedMeanwhile: recording an upload reads the submission's
// claims before its transaction; a claim changed between that read and the
// transaction is read again in it, and the upload is recorded as it would have
// been without the read ahead (the changed claim stays where it was moved, the
// others are transmitted and charged).
func TestSubmitClaimChangedMeanwhile(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := ctxT(t)
		env := newFront(t, st, simConfig{}).env
		_, ids := readyClaims(t, env, 73, 3)
		files, err := pipeline.Batch(ctx, env, simName)
		if err != nil || len(files) != 1 {
			t.Fatalf("batch: %+v (%v)", files, err)
		}
		changed := 0
		pipeline.SetAfterRead(env, func(s bus.Stage) {
			if s != bus.Submit || changed > 0 {
				return
			}
			changed++
			if err := st.TransitionClaim(context.Background(), ids[1], storage.StateHeld,
				storage.Event{Cause: storage.CausePerson, Actor: "tester"}); err != nil {
				t.Error(err)
			}
		})
		res, err := pipeline.Submit(ctx, env, files[0].SubmissionID)
		if err != nil || !res.Sent || changed != 1 {
			t.Fatalf("submit: %+v (%v), hook ran %d times", res, err, changed)
		}
		if n := states(t, st, ids); n[storage.StateTransmitted] != 2 || n[storage.StateHeld] != 1 {
			t.Fatalf("claim states %v", n)
		}
		for _, id := range ids {
			b, err := st.ClaimBalance(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			c, err := st.Claim(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if b.Insurance != c.Charge {
				t.Errorf("claim %d (%s): insurance balance %d, charge %d", id, c.State, b.Insurance, c.Charge)
			}
		}
	})
}
