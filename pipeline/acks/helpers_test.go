package acks_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/acks"
	"github.com/claimflow/claimflow/storage"
)

// clearinghouse is the name the test submissions and inbound files are stored under.
const clearinghouse = "sim"

func clock() time.Time { return time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC) }

// world is a store with claims sent in one submission, and the simulator that
// answers it.
type world struct {
	t      *testing.T
	ctx    context.Context
	st     *storage.Store
	env    *pipeline.Env
	stage  *acks.Stage
	sim    *simulator.Server
	claims []billing.Claim
	ids    []int64 // ids[i] is claims[i]'s
	res    *x837p.Result
	file   []byte // the 837P as built from the stored claims
	sub    storage.Submission
}

// fixtureClaims are n synthetic claims of a seed, read back from the generator's 837P.
func fixtureClaims(t *testing.T, seed uint64, n int) []billing.Claim {
	t.Helper()
	var buf bytes.Buffer
	if _, err := fixtures.Write837P(&buf, fixtures.Options{Seed: seed, Claims: n, ClaimsPerST: n}); err != nil {
		t.Fatal(err)
	}
	claims, err := x837p.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return claims
}

// newWorld stores the claims (edited by edit, when not nil) as transmitted in one
// submission with ISA13 isa13 and perST claims per transaction set.
func newWorld(t *testing.T, st *storage.Store, claims []billing.Claim, isa13 uint64, perST int, rules *simulator.Rules) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, ctx: ctx, st: st, claims: claims}
	w.env = &pipeline.Env{Store: st, Clock: clock, Logger: testenv.Quiet()}
	w.stage = acks.New(w.env)
	var err error
	w.sim, err = simulator.New(simulator.Config{Seed: 3, Clock: clock, Logger: testenv.Quiet(), Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.sim.Close() })
	for i := range w.claims {
		w.claims[i].Normalize()
		id, err := st.InsertClaim(ctx, storage.NewClaim{Claim: w.claims[i], State: storage.StateValidated},
			storage.Event{Cause: storage.CauseScrubber, Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		w.ids = append(w.ids, id)
	}
	// Build from the stored claims, as the batch stage does.
	stored := make([]billing.Claim, len(w.ids))
	for i, id := range w.ids {
		c, err := st.Claim(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		stored[i] = c.Claim
	}
	var buf bytes.Buffer
	w.res, err = x837p.Build(stored, x837p.BuildOptions{
		Submitter:    x837p.Party{Name: "CLAIMFLOW TEST", ID: "CFTEST", Contact: billing.Contact{Phone: "5555550100"}},
		Receiver:     x837p.Party{Name: "SIMULATED CLEARINGHOUSE", ID: "SIMCH"},
		AckRequested: true, Test: true, ClaimsPerST: perST, Newline: true,
		Now: func() time.Time { return time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC) },
	}, &buf, &x12.Counter{N: isa13 - 1})
	if err != nil {
		t.Fatal(err)
	}
	w.file = buf.Bytes()
	sum := sha256.Sum256(w.file)
	sub := storage.Submission{Clearinghouse: clearinghouse, FileName: "CF_837P_" + w.res.Transactions[0].ISA13 + ".x12",
		SHA256: hex.EncodeToString(sum[:]), ISA13: w.res.Transactions[0].ISA13, Size: int64(len(w.file))}
	for i, id := range w.ids {
		sub.Claims = append(sub.Claims, storage.SubmittedClaim{ClaimID: id, Trace: w.res.Claims[i]})
	}
	subID, err := st.InsertSubmission(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkSubmission(ctx, subID, storage.SubmissionTransmitted); err != nil {
		t.Fatal(err)
	}
	for _, id := range w.ids {
		for _, to := range []storage.ClaimState{storage.StateBatched, storage.StateTransmitted} {
			if err := st.TransitionClaim(ctx, id, to, storage.Event{Cause: storage.CauseSystem, Actor: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if w.sub, err = st.Submission(ctx, subID); err != nil {
		t.Fatal(err)
	}
	return w
}

// kindOf maps the simulator's response kinds to the inbound kinds.
func kindOf(k profile.Kind) string { return strings.ToLower(string(k)) }

// receive stores a response as an inbound file of the clearinghouse and returns its id.
func (w *world) receive(r simulator.Response) int64 {
	w.t.Helper()
	return w.receiveBytes(r.Name, kindOf(r.Kind), r.Data)
}

func (w *world) receiveBytes(name, kind string, data []byte) int64 {
	w.t.Helper()
	id, _, err := w.st.InsertInboundFile(w.ctx, storage.InboundFile{Source: clearinghouse, Name: name, Kind: kind, Content: data})
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// apply applies an inbound file and fails the test on error.
func (w *world) apply(id int64) acks.Result {
	w.t.Helper()
	res, err := w.stage.Apply(w.ctx, id)
	if err != nil {
		w.t.Fatalf("applying inbound file %d: %v", id, err)
	}
	return res
}

// response picks the simulator response of a kind.
func response(t *testing.T, rs []simulator.Response, k profile.Kind) simulator.Response {
	t.Helper()
	for _, r := range rs {
		if r.Kind == k {
			return r
		}
	}
	t.Fatalf("no %s among %d responses", k, len(rs))
	return simulator.Response{}
}

func (w *world) state(i int) storage.ClaimState {
	w.t.Helper()
	s, err := w.st.ClaimState(w.ctx, w.ids[i])
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

func (w *world) states() []storage.ClaimState {
	out := make([]storage.ClaimState, len(w.ids))
	for i := range w.ids {
		out[i] = w.state(i)
	}
	return out
}

// wantStates checks every claim's state: want[i] for claim i.
func (w *world) wantStates(want ...storage.ClaimState) {
	w.t.Helper()
	if got := w.states(); !slices.Equal(got, want) {
		w.t.Errorf("claim states %v, want %v", got, want)
	}
}

func (w *world) work(kind storage.WorkKind) []storage.WorkItem {
	w.t.Helper()
	items, err := w.st.WorkItems(w.ctx, storage.WorkFilter{Kind: kind, Limit: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	return items
}

// snapshot is everything applying a file may change, to compare before and after.
type snapshot struct {
	states  []storage.ClaimState
	history int
	acks    int
	work    int
}

func (w *world) snapshot() snapshot {
	w.t.Helper()
	s := snapshot{states: w.states()}
	for _, id := range w.ids {
		h, err := w.st.ClaimHistory(w.ctx, id)
		if err != nil {
			w.t.Fatal(err)
		}
		s.history += len(h)
	}
	a, err := w.st.Acks(w.ctx, storage.AckFilter{SubmissionID: w.sub.ID})
	if err != nil {
		w.t.Fatal(err)
	}
	s.acks = len(a)
	items, err := w.st.WorkItems(w.ctx, storage.WorkFilter{Limit: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	s.work = len(items)
	return s
}

func (s snapshot) equal(o snapshot) bool {
	return slices.Equal(s.states, o.states) && s.history == o.history && s.acks == o.acks && s.work == o.work
}

// transactionOf returns the index of the transaction set claim i went out in.
func (w *world) transactionOf(i int) int {
	for k, tx := range w.res.Transactions {
		if slices.Contains(tx.Claims, i) {
			return k
		}
	}
	return -1
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func slicesEqual[T comparable](a, b []T) bool { return slices.Equal(a, b) }
