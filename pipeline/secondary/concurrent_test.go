package secondary_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/secondary"
	"github.com/claimflow/claimflow/storage"
)

// TestConcurrentWorkersPostgres: two workers given the same claim at once (a
// message delivered twice) move it on once: one bills the secondary, the other
// finds nothing to do, and the balance moves once.
func TestConcurrentWorkersPostgres(t *testing.T) {
	t.Parallel()
	st := testenv.Postgres(t)
	w := newWorld(t, st)
	c := w.claim("C17", 2)
	w.adjudicate(c, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
	stages := []*secondary.Stage{newStage(t, st), newStage(t, st)}
	actions := make([]secondary.Action, len(stages))
	var wg sync.WaitGroup
	for i, s := range stages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := s.Process(context.Background(), c.ID)
			if err != nil {
				t.Error(err)
				return
			}
			actions[i] = p.Action
		}()
	}
	wg.Wait()
	if got := string(actions[0]) + " " + string(actions[1]); got != "bill-next none" && got != "none bill-next" {
		t.Fatalf("actions %q, want one bill-next and one none", got)
	}
	entries, err := st.Entries(context.Background(), storage.EntryFilter{ClaimID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.IdempotencyKey, "cob/") {
			n++
		}
	}
	hist, err := st.ClaimHistory(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || hist[len(hist)-1].To != storage.StateSecondaryBilled || hist[len(hist)-2].To != storage.StatePartiallyPaid {
		t.Fatalf("%d transfer entries, history ends %v", n, hist[len(hist)-2:])
	}
}
