package pipeline_test

import (
	"testing"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// breakNPI changes an NPI's check digit.
func breakNPI(npi string) string {
	b := []byte(npi)
	b[len(b)-1] = '0' + (b[len(b)-1]-'0'+1)%10
	return string(b)
}

// TestScrubValidatesAndHolds: good claims become validated; a claim with a bad
// billing NPI is held with a rejection work item naming the field and the rule; a
// second delivery changes nothing.
func TestScrubValidatesAndHolds(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	st := testenv.SQLite(t)
	env := newFront(t, st, simConfig{}).env
	claims := fixtureClaims(t, 12, 3)
	claims[1].BillingProvider.NPI = breakNPI(claims[1].BillingProvider.NPI)
	ids, err := pipeline.Intake(ctx, env, claims, "tester")
	if err != nil {
		t.Fatal(err)
	}
	res, err := pipeline.Scrub(ctx, env, append(ids, 987654))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Validated) != 2 || len(res.Held) != 1 || res.Held[0] != ids[1] || len(res.Skipped) != 1 || res.WorkItems == 0 {
		t.Fatalf("scrub result %+v", res)
	}
	items, err := st.WorkItems(ctx, storage.WorkFilter{Kind: storage.WorkRejection, ClaimID: ids[1]})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range items {
		if it.Field == "claims[0].billing_provider.npi" && len(it.Codes) == 1 && it.Codes[0] != "" && it.Message != "" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no work item names the billing NPI: %+v", items)
	}
	hist, err := st.ClaimHistory(ctx, ids[1])
	if err != nil || hist[len(hist)-1].To != storage.StateHeld || hist[len(hist)-1].Cause != storage.CauseScrubber {
		t.Fatalf("history %+v (%v)", hist, err)
	}

	// The same message again: validated claims are skipped, the held one stays held
	// with no new work item.
	res2, err := pipeline.Scrub(ctx, env, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Validated) != 0 || len(res2.Held) != 1 || len(res2.Skipped) != 2 || res2.WorkItems != 0 {
		t.Fatalf("second scrub %+v", res2)
	}
	again, err := st.WorkItems(ctx, storage.WorkFilter{Kind: storage.WorkRejection, ClaimID: ids[1]})
	if err != nil || len(again) != len(items) {
		t.Fatalf("work items %d then %d (%v)", len(items), len(again), err)
	}
}

// TestScrubClaimEditedMeanwhile: the scrubber reads and checks its claims before
// its transaction; a claim a person fixed between that read and the transaction is
// judged as fixed, and one a person voided meanwhile is left alone.
func TestScrubClaimEditedMeanwhile(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	st := testenv.SQLite(t)
	env := newFront(t, st, simConfig{}).env
	claims := fixtureClaims(t, 13, 3)
	good := claims[0].BillingProvider.NPI
	claims[0].BillingProvider.NPI = breakNPI(good)
	ids, err := pipeline.Intake(ctx, env, claims, "tester")
	if err != nil {
		t.Fatal(err)
	}
	fixed := claims[0]
	fixed.Normalize()
	fixed.BillingProvider.NPI = good
	pipeline.SetAfterRead(env, func(bus.Stage) {
		pipeline.SetAfterRead(env, nil)
		if err := st.UpdateClaim(ctx, ids[0], fixed, storage.Event{Cause: storage.CausePerson, Actor: "clerk"}); err != nil {
			t.Error(err)
		}
		if err := st.TransitionClaim(ctx, ids[2], storage.StateVoided, storage.Event{Cause: storage.CausePerson, Actor: "clerk"}); err != nil {
			t.Error(err)
		}
	})
	res, err := pipeline.Scrub(ctx, env, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Validated) != 2 || res.Validated[0] != ids[0] || len(res.Held) != 0 || len(res.Skipped) != 1 || res.Skipped[0] != ids[2] {
		t.Fatalf("scrub result %+v", res)
	}
	for i, want := range []storage.ClaimState{storage.StateValidated, storage.StateValidated, storage.StateVoided} {
		if s, err := st.ClaimState(ctx, ids[i]); err != nil || s != want {
			t.Errorf("claim %d: %s %v, want %s", i, s, err, want)
		}
	}
}
