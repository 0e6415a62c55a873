package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// readyClaims takes n fixture claims in and scrubs them, and checks they are all
// validated.
func readyClaims(t testing.TB, env *pipeline.Env, seed uint64, n int) ([]billing.Claim, []int64) {
	t.Helper()
	claims := fixtureClaims(t, seed, n)
	ids, err := pipeline.Intake(ctxT(t), env, claims, "tester")
	if err != nil {
		t.Fatal(err)
	}
	res, err := pipeline.Scrub(ctxT(t), env, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Validated) != n {
		t.Fatalf("scrub validated %d of %d claims: %+v", len(res.Validated), n, res)
	}
	return claims, ids
}

func TestBatchSubmitSQLite(t *testing.T) {
	t.Parallel()
	testBatchSubmit(t, testenv.SQLite(t))
}

func TestBatchSubmitPostgres(t *testing.T) {
	t.Parallel()
	testBatchSubmit(t, testenv.Postgres(t))
}

// testBatchSubmit: ready claims become 837P files of at most MaxClaimsPerFile
// claims with consecutive ISA13s, each stored with its bytes and traces; submit
// uploads each once, moves the claims to transmitted and posts their charges; doing
// either again does nothing.
func testBatchSubmit(t *testing.T, st *storage.Store) {
	ctx := ctxT(t)
	f := newFront(t, st, simConfig{})
	env := f.env
	env.MaxClaimsPerFile = 5
	claims, ids := readyClaims(t, env, 21, 12)

	files, err := pipeline.Batch(ctx, env, simName)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || files[0].Claims != 5 || files[1].Claims != 5 || files[2].Claims != 2 {
		t.Fatalf("files %+v, want 5, 5 and 2 claims", files)
	}
	var total billing.Money
	for i := range claims {
		total += claims[i].Charge
	}
	var pcns []string
	sorted := slices.Sorted(slices.Values(ids))
	for i, file := range files {
		// Each file takes the lowest ids left, in order, though the next file's claims
		// are read while one is stored (compared sorted: the file is in CLM order).
		if sub, err := st.Submission(ctx, file.SubmissionID); err == nil {
			var got []int64
			for _, sc := range sub.Claims {
				got = append(got, sc.ClaimID)
			}
			slices.Sort(got)
			if want := sorted[5*i : min(5*i+5, len(sorted))]; !slices.Equal(got, want) {
				t.Errorf("file %d holds claims %v, want %v", i, got, want)
			}
		}
		if want := []string{"000000001", "000000002", "000000003"}[i]; file.ISA13 != want {
			t.Errorf("file %d ISA13 %s, want %s", i, file.ISA13, want)
		}
		if !strings.HasPrefix(file.Name, "TEST_837P_") || !strings.HasSuffix(file.Name, "_"+file.ISA13+".x12") {
			t.Errorf("file name %q", file.Name)
		}
		sub, err := st.Submission(ctx, file.SubmissionID)
		if err != nil {
			t.Fatal(err)
		}
		content, err := st.SubmissionFile(ctx, file.SubmissionID)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Status != storage.SubmissionCreated || len(sub.Claims) != file.Claims || sub.Size != int64(len(content)) {
			t.Fatalf("submission %+v", sub)
		}
		parsed, err := x837p.Parse(bytes.NewReader(content))
		if err != nil || len(parsed) != file.Claims {
			t.Fatalf("the stored file holds %d claims (%v)", len(parsed), err)
		}
		for k, p := range parsed {
			pcns = append(pcns, p.PatientControlNumber)
			if sub.Claims[k].Trace.ISA13 != file.ISA13 || sub.Claims[k].Trace.CLM == 0 {
				t.Errorf("trace %+v", sub.Claims[k].Trace)
			}
		}
		if !bytes.Contains(content, []byte("*"+file.ISA13+"*1*T*:~")) {
			t.Errorf("file %s: ISA13 %s with a TA1 requested, test data, not found", file.Name, file.ISA13)
		}
	}
	var want []string
	for i := range claims {
		want = append(want, claims[i].PatientControlNumber)
	}
	slices.Sort(pcns)
	slices.Sort(want)
	if !slices.Equal(pcns, want) {
		t.Fatalf("the files hold %v, want %v", pcns, want)
	}
	if n := states(t, st, ids); n[storage.StateBatched] != 12 {
		t.Fatalf("claim states %v", n)
	}
	if n := countOutbox(t, env, bus.Submit); n != 3 {
		t.Fatalf("%d submit messages, want 3", n)
	}
	if again, err := pipeline.Batch(ctx, env, simName); err != nil || len(again) != 0 {
		t.Fatalf("batching again: %+v (%v)", again, err)
	}

	results, err := pipeline.SubmitPending(ctx, env, simName)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Fatalf("submitted %+v", results)
	}
	for _, r := range results {
		if !r.Sent || r.Earlier {
			t.Errorf("result %+v", r)
		}
	}
	up := f.uploads(t)
	if len(up) != 3 || up[0] != files[0].Name && up[0] != files[1].Name && up[0] != files[2].Name {
		t.Fatalf("server holds %v", up)
	}
	if n := states(t, st, ids); n[storage.StateTransmitted] != 12 {
		t.Fatalf("claim states %v", n)
	}
	bal, err := st.Balance(ctx, storage.EntryFilter{Bucket: storage.BucketInsurance})
	if err != nil || bal.Insurance != total {
		t.Fatalf("insurance balance %s, want the charges %s (%v)", bal.Insurance, total, err)
	}
	c, err := st.Claim(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if cb, err := st.ClaimBalance(ctx, ids[0]); err != nil || cb.Insurance != c.Charge || c.FirstBilledOn.IsZero() {
		t.Fatalf("claim balance %s, charge %s, first billed %v (%v)", cb.Insurance, c.Charge, c.FirstBilledOn, err)
	}
	for _, file := range files {
		r, err := pipeline.Submit(ctx, env, file.SubmissionID)
		if err != nil || r.Sent {
			t.Fatalf("submitting %d again: %+v (%v)", file.SubmissionID, r, err)
		}
	}
	if up := f.uploads(t); len(up) != 3 {
		t.Fatalf("server holds %v after submitting again", up)
	}
	if bal2, _ := st.Balance(ctx, storage.EntryFilter{}); bal2 != bal {
		t.Fatalf("balance %+v after submitting again, was %+v", bal2, bal)
	}
}

// countOutbox counts the pending outbox messages for a stage.
func countOutbox(t testing.TB, env *pipeline.Env, s bus.Stage) int {
	t.Helper()
	msgs, err := env.Store.PendingOutbox(context.Background(), 10000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Subject == env.Topology.WorkSubject(s) {
			n++
		}
	}
	return n
}

// TestBatchRoutes: a payer routed elsewhere is left to that clearinghouse; a payer
// with its own receiver and id at this clearinghouse gets a file of its own with
// them; a validated claim the 837P cannot carry is held with a work item and does
// not stop the others.
func TestBatchRoutes(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	st := testenv.SQLite(t)
	env := newFront(t, st, simConfig{}).env
	claims := fixtureClaims(t, 31, 40)
	// Give three claims payers of their own.
	claims[0].Coverages[0].Payer.ID, claims[1].Coverages[0].Payer.ID = "ELSEWHERE1", "OWNRCV1"
	claims[2].Coverages[0].Payer.ID = "OWNRCV1"
	for _, p := range []storage.Payer{
		{PayerID: "ELSEWHERE1", Name: "ELSEWHERE", Clearinghouse: "other"},
		{PayerID: "OWNRCV1", Name: "OWN RECEIVER", Routes: []storage.PayerRoute{{Clearinghouse: simName, ExternalID: "EXT77", ReceiverID: "RCV77"}}},
	} {
		if _, err := st.UpsertPayer(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := pipeline.Intake(ctx, env, claims, "tester")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Scrub(ctx, env, ids); err != nil {
		t.Fatal(err)
	}
	// A claim validated with a delimiter in its note: the 837P cannot carry it.
	bad := fixtureClaims(t, 32, 1)[0]
	bad.PatientControlNumber = "BADDELIM1"
	bad.Note = billing.Note{Text: "SEE*ATTACHED"}
	bad.Normalize()
	badID, err := st.InsertClaim(ctx, storage.NewClaim{Claim: bad, State: storage.StateValidated}, storage.Event{Cause: storage.CausePerson, Actor: "tester"})
	if err != nil {
		t.Fatal(err)
	}

	files, err := pipeline.Batch(ctx, env, simName)
	if err != nil {
		t.Fatal(err)
	}
	var own *pipeline.BatchedFile
	batched := 0
	for i := range files {
		batched += files[i].Claims
		if files[i].Claims == 2 {
			own = &files[i]
		}
	}
	valid := states(t, st, ids)[storage.StateBatched]
	if batched != 39 || valid != 39 || len(files) != 2 || own == nil {
		t.Fatalf("files %+v, %d claims batched, want 39 in 2 files, one of 2 claims", files, valid)
	}
	content, err := st.SubmissionFile(ctx, own.SubmissionID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(content, []byte("*ZZ*RCV77")) || !bytes.Contains(content, []byte("*PI*EXT77~")) || bytes.Contains(content, []byte("OWNRCV1")) {
		t.Errorf("the routed payer's file lacks its receiver or external id:\n%s", content)
	}
	if s, _ := st.ClaimState(ctx, ids[0]); s != storage.StateValidated {
		t.Errorf("the claim routed elsewhere is %s", s)
	}
	if s, _ := st.ClaimState(ctx, badID); s != storage.StateHeld {
		t.Errorf("the claim the 837P cannot carry is %s", s)
	}
	items, err := st.WorkItems(ctx, storage.WorkFilter{ClaimID: badID})
	if err != nil || len(items) != 1 || items[0].Field != "claims[0].note.text" || strings.Contains(items[0].Message, "ATTACHED") {
		b, _ := json.Marshal(items)
		t.Fatalf("work items of the held claim: %s (%v)", b, err)
	}
	// Its control number was given back: the files are 1 and 2.
	if files[0].ISA13 != "000000001" || files[1].ISA13 != "000000002" {
		t.Errorf("ISA13s %s, %s", files[0].ISA13, files[1].ISA13)
	}
}

// BenchmarkFrontHalf measures intake, scrub and batch of 5,000 claims (one 837P
// file) on SQLite, each phase as claims per second:
//
//	go test ./pipeline/ -run '^$' -bench BenchmarkFrontHalf -benchtime 1x
func BenchmarkFrontHalf(b *testing.B) {
	const n = 5000
	claims := fixtureClaims(b, 91, n)
	var intake, scrub, batch time.Duration
	for range b.N {
		b.StopTimer()
		st := testenv.SQLite(b)
		env := newFront(b, st, simConfig{}).env
		b.StartTimer()
		t0 := time.Now()
		ids, err := pipeline.Intake(context.Background(), env, claims, "bench")
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		for start := 0; start < len(ids); start += pipeline.IntakeChunk {
			if _, err := pipeline.Scrub(context.Background(), env, ids[start:min(start+pipeline.IntakeChunk, len(ids))]); err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		files, err := pipeline.Batch(context.Background(), env, simName)
		if err != nil || len(files) != 1 || files[0].Claims != n {
			b.Fatalf("batch: %+v (%v)", files, err)
		}
		intake, scrub, batch = intake+t1.Sub(t0), scrub+t2.Sub(t1), batch+time.Since(t2)
	}
	per := func(d time.Duration) float64 { return float64(n*b.N) / d.Seconds() }
	b.ReportMetric(per(intake), "intake-claims/s")
	b.ReportMetric(per(scrub), "scrub-claims/s")
	b.ReportMetric(per(batch), "batch-claims/s")
}

// TestBatchClaimsChangedMeanwhile: a batch reads its claims before its transaction;
// a claim edited and another held between that read and the transaction go out as
// they are then (the edited one with its new content, the held one not at all).
func TestBatchClaimsChangedMeanwhile(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := ctxT(t)
		env := newFront(t, st, simConfig{}).env
		claims, ids := readyClaims(t, env, 5, 6)
		const member = "CHANGED0042"
		edited := claims[0]
		edited.Normalize()
		edited.Coverages[0].MemberID = member
		calls := 0
		pipeline.SetAfterRead(env, func(bus.Stage) {
			calls++
			if calls > 1 {
				return
			}
			if err := st.UpdateClaim(ctx, ids[0], edited, storage.Event{Cause: storage.CausePerson, Actor: "clerk"}); err != nil {
				t.Error(err)
			}
			if err := st.TransitionClaim(ctx, ids[1], storage.StateHeld, storage.Event{Cause: storage.CausePerson, Actor: "clerk"}); err != nil {
				t.Error(err)
			}
		})
		files, err := pipeline.Batch(ctx, env, simName)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 || files[0].Claims != 5 {
			t.Fatalf("files %+v, want one of 5 claims", files)
		}
		content, err := st.SubmissionFile(ctx, files[0].SubmissionID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(content, []byte("*"+member+"~")) {
			t.Errorf("the file does not carry the edited member id")
		}
		if bytes.Contains(content, []byte("CLM*"+claims[1].PatientControlNumber+"*")) {
			t.Errorf("the file carries the claim held meanwhile")
		}
		for i, id := range ids {
			want := storage.StateBatched
			if i == 1 {
				want = storage.StateHeld
			}
			if s, err := st.ClaimState(ctx, id); err != nil || s != want {
				t.Errorf("claim %d: %s %v, want %s", i, s, err, want)
			}
		}
	})
}

// TestBatchControlNumberTakenMeanwhile: a file is built before its transaction
// with the control number the sequence will most likely give; when another
// batcher takes that number meanwhile, the file is built again with the next.
func TestBatchControlNumberTakenMeanwhile(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	st := testenv.SQLite(t)
	env := newFront(t, st, simConfig{}).env
	env.MaxClaimsPerFile = 3
	readyClaims(t, env, 75, 6)
	taken := 0
	pipeline.SetAfterRead(env, func(s bus.Stage) {
		if s != bus.Batch {
			return
		}
		taken++
		if taken != 2 {
			return
		}
		// The second file's number goes to someone else (the first file made the
		// sequence's row: its sender is the batcher's).
		var sender string
		if err := st.DB().QueryRow("SELECT sender FROM control_numbers").Scan(&sender); err != nil {
			t.Error(err)
		}
		if err := st.InTx(context.Background(), func(tx *storage.Tx) error {
			_, err := tx.NextControlNumber(context.Background(), simName, sender)
			return err
		}); err != nil {
			t.Error(err)
		}
	})
	files, err := pipeline.Batch(ctx, env, simName)
	if err != nil || len(files) != 2 {
		t.Fatalf("batch: %+v (%v)", files, err)
	}
	for i, want := range []string{"000000001", "000000003"} {
		content, err := st.SubmissionFile(ctx, files[i].SubmissionID)
		if err != nil {
			t.Fatal(err)
		}
		if files[i].ISA13 != want || !bytes.Contains(content, []byte("*"+want+"*1*T*:~")) || !bytes.Contains(content, []byte("IEA*1*"+want+"~")) {
			t.Errorf("file %d: ISA13 %s, want %s in its header and trailer:\n%.200s", i, files[i].ISA13, want, content)
		}
		sub, err := st.Submission(ctx, files[i].SubmissionID)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range sub.Claims {
			if sc.Trace.ISA13 != want {
				t.Errorf("file %d: a claim traced to ISA13 %s", i, sc.Trace.ISA13)
			}
		}
	}
}
