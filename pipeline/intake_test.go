package pipeline_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// scrubMessages returns the claim ids of the pending scrub messages in the outbox.
func scrubMessages(t testing.TB, env *pipeline.Env) [][]int64 {
	t.Helper()
	msgs, err := env.Store.PendingOutbox(ctxT(t), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]int64
	for _, m := range msgs {
		if m.Subject != env.Topology.WorkSubject(bus.Scrub) {
			continue
		}
		var w pipeline.ClaimWork
		if err := json.Unmarshal(m.Payload, &w); err != nil {
			t.Fatal(err)
		}
		out = append(out, w.ClaimIDs)
	}
	return out
}

// TestIntakeStoresOnceAndEmitsScrub: claims are stored as drafts with their
// patient, payer and billing provider, and their ids go to the scrubber in chunks
// of at most 500; the same claims again store nothing and emit nothing.
func TestIntakeStoresOnceAndEmitsScrub(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	st := testenv.SQLite(t)
	env := newFront(t, st, simConfig{}).env
	claims := fixtureClaims(t, 11, 501)

	// A payer an administrator routed already keeps its route.
	payerID := claims[0].Coverages[0].Payer.ID
	if _, err := st.UpsertPayer(ctx, storage.Payer{PayerID: payerID, Name: "ROUTED", Clearinghouse: simName,
		Routes: []storage.PayerRoute{{Clearinghouse: simName, ExternalID: "EXT1"}}}); err != nil {
		t.Fatal(err)
	}

	res, err := pipeline.IntakeClaims(ctx, env, claims, "tester")
	if err != nil {
		t.Fatal(err)
	}
	if res.New() != 501 || len(res.Existing) != 0 {
		t.Fatalf("new %d, existing %v", res.New(), res.Existing)
	}
	msgs := scrubMessages(t, env)
	if len(msgs) != 2 || len(msgs[0]) != 500 || len(msgs[1]) != 1 {
		t.Fatalf("scrub messages of %v claims, want 500 and 1", lens(msgs))
	}
	if got := slices.Concat(msgs...); !slices.Equal(got, res.IDs) {
		t.Fatalf("emitted ids differ from the stored ones")
	}
	c, err := st.Claim(ctx, res.IDs[0])
	if err != nil {
		t.Fatal(err)
	}
	if c.State != storage.StateDraft || c.PatientID == 0 || c.PayerID == 0 || c.BillingProviderID == 0 ||
		c.PatientControlNumber != claims[0].PatientControlNumber {
		t.Fatalf("claim stored as %+v", c)
	}
	pt, err := st.Patient(ctx, c.PatientID)
	if err != nil {
		t.Fatal(err)
	}
	if pt.AccountNumber != pipeline.PatientAccount(&claims[0].Patient) {
		t.Errorf("patient account %q", pt.AccountNumber)
	}
	covs, err := st.Coverages(ctx, c.PatientID)
	if err != nil || len(covs) == 0 || covs[0].PayerID != c.PayerID {
		t.Fatalf("coverages %+v (%v), billed payer %d", covs, err, c.PayerID)
	}
	p, err := st.PayerByPayerID(ctx, payerID)
	if err != nil || p.Name != "ROUTED" || len(p.Routes) != 1 {
		t.Fatalf("the routed payer was changed: %+v (%v)", p, err)
	}

	// Again, with a claim repeated within the input: nothing new.
	again := append(claims[:3:3], claims[1])
	res2, err := pipeline.IntakeClaims(ctx, env, again, "tester")
	if err != nil {
		t.Fatal(err)
	}
	if res2.New() != 0 || len(res2.Existing) != 4 || !slices.Equal(res2.IDs, append(res.IDs[:3:3], res.IDs[1])) {
		t.Fatalf("second intake: %+v", res2)
	}
	if msgs := scrubMessages(t, env); len(msgs) != 2 {
		t.Fatalf("second intake emitted: %d scrub messages", len(msgs))
	}
}

func lens(v [][]int64) []int {
	var n []int
	for _, x := range v {
		n = append(n, len(x))
	}
	return n
}
