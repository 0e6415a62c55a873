package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/testenv"
)

// loopRules are the simulator's rules of the three-worker loop: the defaults
// (NPI and balance edits, unknown ZZ members, fee schedule, copay, coinsurance,
// denials, reversals, interest) with a small deductible, as `claimflow demo` has.
func loopRules() simulator.Rules {
	r := simulator.DefaultRules()
	r.Deductible = 50_00
	return r
}

// newGenerator makes n claims with a share of dual coverage and of planted bad
// claims, dated around today.
func newGenerator(t *testing.T, seed uint64, n int, secondaryShare float64, rules simulator.Rules) *fixtures.ClaimGenerator {
	t.Helper()
	gen, err := fixtures.NewClaimGenerator(fixtures.ClaimOptions{
		Seed: seed, Claims: n, BadShare: 0.06, SecondaryShare: secondaryShare,
		Today: billing.DateOf(time.Now()), UnknownMemberPrefix: rules.UnknownMemberPrefixes[0],
	})
	if err != nil {
		t.Fatal(err)
	}
	plan := gen.Plan()
	for _, d := range fixtures.Defects() {
		if plan.Defects[d] == 0 {
			t.Fatalf("the test wants every defect planted: plan %+v", plan)
		}
	}
	if secondaryShare > 0 && plan.SecondaryClean == 0 {
		t.Fatalf("the test wants clean claims with a secondary coverage: plan %+v", plan)
	}
	return gen
}

// TestLoopThreeWorkers is the whole loop on the CI machine's PostgreSQL and NATS
// server with three worker processes, each running every stage as `claimflow
// worker` does: 300 generated claims (a quarter with a secondary coverage, 6%
// planted bad) are scrubbed, batched, uploaded over SFTP to the simulator,
// acknowledged (TA1, 999, 277CA), paid by 835s, posted, billed to the second payer
// and paid again. Every claim ends as planted (checkOutcomes), each is in exactly
// one accepted file per payer with unique ISA13s (checkSentOnce), every worker
// handled messages, and all stop cleanly on SIGTERM.
func TestLoopThreeWorkers(t *testing.T) {
	t.Parallel()
	natsURL := testenv.ExternalNATS(t)
	pgURL := testenv.PostgresURL(t)
	const n, seed = 300, 8
	rules := loopRules()
	gen := newGenerator(t, seed, n, 0.25, rules)
	s := newSystem(t, systemOptions{DBURL: pgURL, NATS: []string{natsURL}, Seed: seed, Rules: rules})
	s.startWorkers(3)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	s.intake(gen)
	res := s.drive(ctx, 0, 0)
	t.Logf("%d claims through the loop in %v, %d rounds", n, time.Since(start).Round(time.Millisecond), res.Rounds)

	claims := readClaims(t, s.store, gen)
	checkOutcomes(t, s.store, gen, claims)
	checkSentOnce(t, s, claims)

	live := s.live()
	for i := range 3 {
		w := live[i]
		got := w.messages(t, "")
		t.Logf("worker %d handled %v messages (scrub %v, acks %v, remit %v)", i, got,
			w.messages(t, "scrub"), w.messages(t, "acks"), w.messages(t, "remit"))
		if got == 0 {
			t.Errorf("worker %d handled no message", i)
		}
	}
	for i := range 3 {
		live[i].stop(t)
	}
}
