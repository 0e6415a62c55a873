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
	"github.com/claimflow/claimflow/edi/ta1"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x277ca"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/edi/x999"
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
	// answers is the ISA13 of the last answer file the test built (newISA), so
	// that no two of its files are the same.
	answers uint64
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
	w := &world{t: t, ctx: ctx, st: st, claims: claims, answers: 5000}
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

// oneSet gives the claims one billing provider and payer, so that they go out in
// one transaction set.
func oneSet(claims []billing.Claim) []billing.Claim {
	for i := range claims {
		claims[i].BillingProvider = claims[0].BillingProvider
		claims[i].Coverages[0].Payer = claims[0].Coverages[0].Payer
	}
	return claims
}

// newISA returns the interchange control numbers of the next answer file.
func (w *world) newISA() *x12.Counter {
	w.answers += 10
	return &x12.Counter{N: w.answers}
}

// stc is a status of a 277CA: category:code:entity, and further composites (STC10,
// STC11). Rejecting categories carry the action U.
func stc(cat, code, entity string, more ...x277ca.StatusCode) x277ca.Status {
	action := x277ca.ActionAccept
	switch cat {
	case "A3", "A6", "A7", "A8":
		action = x277ca.ActionReject
	}
	return x277ca.Status{StatusCode: x277ca.StatusCode{Category: cat, Code: code, Entity: entity}, Date: clock(), Action: action, More: more}
}

// file277 builds a 277CA from source (x277ca.SourceClearinghouse or SourcePayer)
// answering claim i with the claim's statuses and lines (nil for none), and the
// payer claim number icn (REF*1K, "" for none). trace is the 2200B TRN02: "" for
// the BHT03 of the claim's transaction set.
func (w *world) file277(source, trace string, i int, icn string, statuses []x277ca.Status, lines []x277ca.Line) []byte {
	w.t.Helper()
	cl := w.claims[i]
	if trace == "" {
		trace = w.res.Transactions[w.transactionOf(i)].BatchID
	}
	name, qual := "TEST CLEARINGHOUSE", "46"
	if source == x277ca.SourcePayer {
		name, qual = "TEST PAYER", "PI"
	}
	ack := x277ca.Ack{
		BatchID: "B" + source, Created: clock(),
		InformationSource: x277ca.Entity{Code: source, Type: "2", Name: name, IDQualifier: qual, ID: "SRC" + source},
		Receipt:           x277ca.Receipt{Trace: "T" + source, Received: clock(), Processed: clock()},
		Submitter: x277ca.Submitter{Entity: x277ca.Entity{Type: "2", Name: "CLAIMFLOW TEST", IDQualifier: "46", ID: "CFTEST"},
			Trace: trace,
			Statuses: []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A1", Code: "19", Entity: source}, Date: clock(),
				Action: x277ca.ActionAccept, Charge: int64(cl.Charge)}}},
		Providers: []x277ca.Provider{{
			Entity: x277ca.Entity{Type: "2", Name: "PROVIDER", IDQualifier: "XX", ID: cl.BillingProvider.NPI},
			Claims: []x277ca.Claim{{
				Patient: x277ca.Entity{Type: "1", Name: "DOE", First: "J", IDQualifier: "MI", ID: "M1"},
				PCN:     cl.PatientControlNumber, PayerClaimNumber: icn,
				Statuses: statuses, ServiceDates: x277ca.Period{From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
				Lines: lines,
			}},
		}},
	}
	var buf bytes.Buffer
	if err := x277ca.Build(&buf, x277ca.Envelope{SenderID: "SRC" + source, ReceiverID: "CFTEST", Time: clock(), Test: true,
		Interchanges: w.newISA()}, ack); err != nil {
		w.t.Fatal(err)
	}
	return buf.Bytes()
}

// group999 is a 999 answer to the functional group of the world's one
// transaction set: AK9 status with the group's codes (AK905-AK909) and the sets'
// answers.
func (w *world) group999(status string, codes []string, sets ...x999.SetResponse) x999.Ack {
	w.t.Helper()
	for _, tx := range w.res.Transactions {
		if tx.GS06 != w.res.Transactions[0].GS06 {
			w.t.Fatalf("transaction sets in groups %s and %s, want one group", w.res.Transactions[0].GS06, tx.GS06)
		}
	}
	acc := 0
	for i := range sets {
		if sets[i].ID == "" {
			sets[i].ID = "837"
		}
		if sets[i].Accepted() {
			acc++
		}
	}
	return x999.Ack{Group: x999.Group{FunctionalID: "HC", Control: w.res.Transactions[0].GS06, Version: "005010X222A1"}, Sets: sets,
		Status: status, Included: len(sets), Received: len(sets), Accepted: acc, Codes: codes}
}

// file999 builds a 999 file of the answers.
func (w *world) file999(acks ...x999.Ack) []byte {
	w.t.Helper()
	var buf bytes.Buffer
	if err := x999.Build(&buf, x999.Envelope{SenderID: "SIMCH", ReceiverID: "CFTEST", Time: clock(), Test: true,
		Interchanges: w.newISA()}, acks...); err != nil {
		w.t.Fatal(err)
	}
	return buf.Bytes()
}

// fileTA1 builds a TA1 file answering the world's submission with TA104 code
// and TA105 note.
func (w *world) fileTA1(code, note string) []byte {
	w.t.Helper()
	var buf bytes.Buffer
	if err := ta1.Build(&buf, ta1.Envelope{SenderID: "SIMCH", ReceiverID: "CFTEST", Time: clock(), Test: true,
		Interchanges: w.newISA()}, ta1.Ack{ControlNumber: w.sub.ISA13, Date: "260301", Time: "1800", Code: code, Note: note}); err != nil {
		w.t.Fatal(err)
	}
	return buf.Bytes()
}

// moveTo walks claim i through states, failing the test on a refused transition.
func (w *world) moveTo(i int, cause storage.Cause, states ...storage.ClaimState) {
	w.t.Helper()
	for _, s := range states {
		if err := w.st.TransitionClaim(w.ctx, w.ids[i], s, storage.Event{Cause: cause, Actor: "test"}); err != nil {
			w.t.Fatal(err)
		}
	}
}

// resubmit records claim i sent again, fixed, in a new submission with ISA13
// isa13, and returns the submission's id.
func (w *world) resubmit(i int, isa13 string) int64 {
	w.t.Helper()
	w.moveTo(i, storage.CausePerson, storage.StateValidated, storage.StateBatched)
	sub := storage.Submission{Clearinghouse: clearinghouse, FileName: "AGAIN_" + isa13 + ".x12", SHA256: "again-" + isa13, ISA13: isa13,
		Size: 1, Claims: []storage.SubmittedClaim{{ClaimID: w.ids[i], Trace: w.res.Claims[i]}}}
	id, err := w.st.InsertSubmission(w.ctx, sub)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.st.MarkSubmission(w.ctx, id, storage.SubmissionTransmitted); err != nil {
		w.t.Fatal(err)
	}
	w.moveTo(i, storage.CauseSystem, storage.StateTransmitted)
	return id
}

// itemsOf returns the work items of a kind for claim i.
func (w *world) itemsOf(kind storage.WorkKind, i int) []storage.WorkItem {
	w.t.Helper()
	var out []storage.WorkItem
	for _, it := range w.work(kind) {
		if it.ClaimID == w.ids[i] {
			out = append(out, it)
		}
	}
	return out
}

// details returns the details of the acknowledgements the filter selects.
func (w *world) details(f storage.AckFilter) []string {
	w.t.Helper()
	list, err := w.st.Acks(w.ctx, f)
	if err != nil {
		w.t.Fatal(err)
	}
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = string(a.Detail)
	}
	return out
}

// messages lists work items one a line, with their fields, for failure messages.
func messages(items []storage.WorkItem) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString("[" + it.Field + "] " + it.Message + "\n")
	}
	return b.String()
}
