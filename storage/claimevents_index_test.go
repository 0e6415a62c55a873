package storage_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestSummaryUsesPartialIndex walks claims at random through the transition table
// and checks, on both drivers, that the summary's queries on the history by state
// reached give what they gave before claim_events_to_state became partial (the
// queries without the index's condition), and that the planner serves them with
// that index: the condition in summaryIndexedStates must match the migration's.
func TestSummaryUsesPartialIndex(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := t.Context()
		const n = 300
		ncs := make([]storage.NewClaim, n)
		for i := range ncs {
			pcn := fmt.Sprintf("P%04d", i)
			ncs[i] = storage.NewClaim{State: storage.StateValidated, Claim: billing.Claim{PatientControlNumber: pcn,
				Lines: []billing.Line{{ControlNumber: pcn + "-1", Procedure: billing.Procedure{Code: "99213"}, Charge: 100}}}}
		}
		ids, err := st.InsertClaims(ctx, ncs, storage.Event{Cause: storage.CauseSystem})
		if err != nil {
			t.Fatal(err)
		}
		sub := storage.Submission{Clearinghouse: "sim", FileName: "f1.x12", SHA256: "sha1", ISA13: "000000001", Size: 10,
			Status: storage.SubmissionTransmitted}
		for i, id := range ids[:2*n/3] {
			sub.Claims = append(sub.Claims, storage.SubmittedClaim{ClaimID: id, Trace: x837p.Trace{PatientControlNumber: ncs[i].Claim.PatientControlNumber,
				ISA13: "000000001", GS06: "1", ST02: "0001", CLM: 5, Lines: []int{6}}})
		}
		if _, err := st.InsertSubmission(ctx, sub); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		state := map[int64]storage.ClaimState{}
		for _, id := range ids {
			state[id] = storage.StateValidated
		}
		for range 12 {
			var moves []storage.ClaimMove
			for _, id := range ids {
				next := storage.AllowedTransitions(state[id])
				if len(next) == 0 || rng.IntN(4) == 0 {
					continue
				}
				to := next[rng.IntN(len(next))]
				moves = append(moves, storage.ClaimMove{ClaimID: id, To: to})
				state[id] = to
			}
			if _, err := st.TransitionClaims(ctx, moves, storage.Event{Cause: storage.CauseSystem}); err != nil {
				t.Fatal(err)
			}
		}
		now, before := storage.SummaryHistoryQueries()
		for i, q := range now {
			a, err := st.QueryLastColumn(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			b, err := st.QueryLastColumn(ctx, before[i])
			if err != nil {
				t.Fatal(err)
			}
			if len(a) != 1 || len(b) != 1 || a[0] != b[0] || a[0] == "0" {
				t.Errorf("%v, before the partial index %v: %s", a, b, q)
			}
			explain, setup := "EXPLAIN QUERY PLAN ", []string(nil)
			if st.Driver() == storage.Postgres {
				// The tables are small: make the planner show what it can use.
				explain, setup = "EXPLAIN ", []string{"SET LOCAL enable_seqscan = off"}
			}
			plan, err := st.QueryLastColumn(ctx, explain+q, setup...)
			if err != nil {
				t.Fatal(err)
			}
			if p := strings.Join(plan, "\n"); !strings.Contains(p, "claim_events_to_state") {
				t.Errorf("plan without claim_events_to_state:\n%s\n%s", p, q)
			}
		}
	})
}
