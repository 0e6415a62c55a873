package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/connectors/connection"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// inOrder is an in-process pipeline on SQLite whose answers the test applies one
// file at a time, in the order it chooses, as concurrent workers may: nothing
// orders the handling of files fetched in the same poll.
type inOrder struct {
	*system
	ctx     context.Context
	files   map[string]pipeline.Classified // by kind and name: the classified inbound files
	handler map[bus.Stage]bus.Handler
}

// newInOrder takes n clean claims with a secondary coverage in, scrubs, batches
// and uploads them, lets the simulator answer everything (acknowledgements,
// 277CAs, 835s), fetches and classifies the answers, and applies none.
func newInOrder(t *testing.T, n int) (*inOrder, []int64) {
	t.Helper()
	return newInOrderWith(t, n, (*inOrder).sendAndAnswer)
}

// newInOrderWith is newInOrder with send in place of sendAndAnswer.
func newInOrderWith(t *testing.T, n int, send func(*inOrder)) (*inOrder, []int64) {
	t.Helper()
	rules := simulator.DefaultRules()
	rules.Denials, rules.ReversalRate, rules.InterestRate, rules.Deductible = nil, 0, 0, 0
	// The NATS URL is never dialled: the test calls the stages itself.
	s := newSystem(t, systemOptions{DBURL: testenv.SQLiteURL(t), NATS: []string{"nats://127.0.0.1:1"}, Seed: 5, Rules: rules, Manual: true})
	ctx := context.Background()
	cfg, err := config.Load(s.workerConfig(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	chs, err := pipeline.ClearinghousesFromConfig(ctx, cfg, s.store, connection.Env{
		ConfigPath: filepath.Join(cfg.DataDir, "connections.yaml"), KnownHosts: filepath.Join(cfg.DataDir, "known_hosts"), Logger: testenv.Quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	env := s.env
	env.Clearinghouses, env.DataDir, env.DefaultClearinghouse = chs, cfg.DataDir, simName
	env.Submitter = x837p.Party{Name: "CLAIMFLOW E2E PRACTICE", ID: "CFE2E", Contact: billing.Contact{Phone: "5555550100"}}
	o := &inOrder{system: s, ctx: ctx, files: map[string]pipeline.Classified{}, handler: map[bus.Stage]bus.Handler{}}
	for _, st := range []bus.Stage{bus.Acks, bus.Remit, bus.Secondary} {
		if o.handler[st], err = pipeline.Handler(env, st); err != nil {
			t.Fatal(err)
		}
	}

	gen, err := fixtures.NewClaimGenerator(fixtures.ClaimOptions{Seed: 5, Claims: n, SecondaryShare: 1})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pipeline.Intake(ctx, env, gen.Claims(), "e2e")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Scrub(ctx, env, ids); err != nil {
		t.Fatal(err)
	}
	send(o)
	return o, ids
}

// sendAndAnswer batches and uploads what is ready, lets the simulator answer every
// stage, and fetches and classifies the answers.
func (o *inOrder) sendAndAnswer() {
	t := o.t
	t.Helper()
	env := o.env
	if _, err := pipeline.Batch(o.ctx, env, simName); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.SubmitPending(o.ctx, env, simName); err != nil {
		t.Fatal(err)
	}
	if _, err := o.sim.ProcessUploads(); err != nil {
		t.Fatal(err)
	}
	if _, err := o.sim.Flush(simulator.StageRemittance); err != nil {
		t.Fatal(err)
	}
	o.fetchAndClassify()
}

// fetchAndClassify fetches the answers waiting and classifies them: they are the
// files apply chooses from.
func (o *inOrder) fetchAndClassify() {
	t := o.t
	t.Helper()
	env := o.env
	fetched, err := pipeline.Fetch(o.ctx, env, simName)
	if err != nil {
		t.Fatal(err)
	}
	clear(o.files)
	for _, f := range fetched {
		c, err := pipeline.Classify(o.ctx, env, f.InboundID)
		if err != nil {
			t.Fatal(err)
		}
		o.files[c.Kind+" "+c.Name] = c
	}
}

// apply hands the classified files whose kind and name match to their stage.
func (o *inOrder) apply(match func(kind, name string) bool) {
	t := o.t
	t.Helper()
	n := 0
	for _, c := range o.files {
		if !match(c.Kind, c.Name) {
			continue
		}
		if err := o.try(c); err != nil {
			t.Fatalf("applying %s %s: %v", c.Kind, c.Name, err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no file to apply")
	}
}

// try hands one classified file to its stage and returns what the handler did.
func (o *inOrder) try(c pipeline.Classified) error {
	st := bus.Acks
	if c.Kind == "835" {
		st = bus.Remit
	}
	data, _ := json.Marshal(pipeline.InboundWork{InboundID: c.InboundID, Kind: c.Kind})
	return o.handler[st].Handle(o.ctx, bus.Message{Stage: st, Data: data, Delivery: 1})
}

// secondary runs the secondary stage on the claims.
func (o *inOrder) secondary(ids []int64) {
	t := o.t
	t.Helper()
	data, _ := json.Marshal(pipeline.ClaimWork{ClaimIDs: ids})
	if err := o.handler[bus.Secondary].Handle(o.ctx, bus.Message{Stage: bus.Secondary, Data: data, Delivery: 1}); err != nil {
		t.Fatal(err)
	}
}

func (o *inOrder) states(ids []int64) map[storage.ClaimState]int {
	t := o.t
	t.Helper()
	m := map[storage.ClaimState]int{}
	for _, id := range ids {
		st, err := o.store.ClaimState(o.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		m[st]++
	}
	return m
}

func is(kinds ...string) func(kind, name string) bool {
	return func(kind, name string) bool {
		for _, k := range kinds {
			if kind == k {
				return true
			}
		}
		return false
	}
}

// clearinghouse277 and payer277 tell the clearinghouse's 277CA from the payers'
// by the simulator's names: <upload>_277CA.277 and <upload>_277CA_<payer>.277.
func clearinghouse277(kind, name string) bool {
	return kind == "277ca" && filepath.Ext(name) == ".277" && name[len(name)-len("_277CA.277"):] == "_277CA.277"
}

func payer277(kind, name string) bool { return kind == "277ca" && !clearinghouse277(kind, name) }

// TestRemittanceBeforeAcknowledgements: the 835 of a claim is posted before any
// acknowledgement of its file is applied (the 835 and the 277CAs arrive in the
// same poll and nothing orders their handling). The payer adjudicated the claim,
// so it ends adjudicated; the acknowledgements applied afterwards do not move it
// back.
func TestRemittanceBeforeAcknowledgements(t *testing.T) {
	t.Parallel()
	o, ids := newInOrder(t, 4)
	o.apply(is("835"))
	o.apply(is("ta1", "999"))
	o.apply(clearinghouse277)
	o.apply(payer277)
	if got := o.states(ids); got[storage.StatePaid]+got[storage.StatePartiallyPaid]+got[storage.StateDenied] != len(ids) {
		t.Errorf("claims paid by an 835 posted before their acknowledgements end %v; want every one adjudicated", got)
	}
}

// lateAck names what TestLateAcknowledgementAfterSecondaryBilled guards against.
const lateAck = "an acknowledgement of a claim's first file applied after the claim was re-billed to " +
	"the second payer must not move it out of secondary-billed (storage/claimstate.go allows no acknowledgement " +
	"state from secondary-billed)"

// TestLateAcknowledgementAfterSecondaryBilled: an acknowledgement of a claim's
// first file (its 999, the clearinghouse's 277CA or the payer's) is applied after
// the payer's 835 and after the secondary stage re-billed the claim to the second
// payer: three workers do that in TestLoopThreeWorkers, since the answers to a file
// arrive in one poll and nothing orders their handling. The late answer is about
// the first payer's claim; it must not undo the re-billing (it did once: the claim
// left secondary-billed, was never batched for the second payer, and waited for
// good).
func TestLateAcknowledgementAfterSecondaryBilled(t *testing.T) {
	t.Parallel()
	acksOf := []struct {
		name  string
		match func(kind, name string) bool
	}{
		{"TA1", is("ta1")},
		{"999", is("999")},
		{"clearinghouse 277CA", clearinghouse277},
		{"payer 277CA", payer277},
	}
	for _, tc := range acksOf[1:] {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, ids := newInOrder(t, 4)
			for _, early := range acksOf {
				if early.name != tc.name {
					o.apply(early.match)
				}
			}
			o.apply(is("835"))
			o.secondary(ids)
			billed := o.states(ids)[storage.StateSecondaryBilled]
			if billed == 0 {
				t.Fatalf("no claim went to the second payer: %v", o.states(ids))
			}
			o.apply(tc.match)
			if got := o.states(ids); got[storage.StateSecondaryBilled] != billed {
				t.Errorf("after a late %s of the first file, claims %v; want the %d secondary-billed left so (%s)", tc.name, got, billed, lateAck)
			}
		})
	}
}
