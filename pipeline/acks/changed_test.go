package acks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/acks"
	"github.com/claimflow/claimflow/storage"
)

// TestChangedBetweenPlanAndWrite: a file is planned before its write transaction;
// claims that change in between are checked there. A claim that another file
// moved meanwhile keeps the plan (its head is the same) and its move is checked
// against its new state; a claim sent again meanwhile (its latest submission
// changed) makes the file be planned again in the transaction, and the answer,
// now to an earlier submission, does not move it. On both databases.
func TestChangedBetweenPlanAndWrite(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		open func(testing.TB, ...storage.Option) *storage.Store
	}{{"SQLite", testenv.SQLite}, {"Postgres", testenv.Postgres}} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			t.Run("moved", func(t *testing.T) { checkChangedMeanwhile(t, db.open(t), false) })
			t.Run("sent again", func(t *testing.T) { checkChangedMeanwhile(t, db.open(t), true) })
		})
	}
}

func checkChangedMeanwhile(t *testing.T, st *storage.Store, sendAgain bool) {
	const moved, resent, untouched = 0, 1, 2
	w := newWorld(t, st, fixtureClaims(t, 23, 3), 901, 10, nil)
	rs, err := w.sim.Process(w.sub.FileName, w.file)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		w.apply(w.receive(r)) // TA1 and 999: every claim syntax-accepted
	}
	w.wantStates(storage.StateSyntaxAccepted, storage.StateSyntaxAccepted, storage.StateSyntaxAccepted)
	ch, err := w.sim.Flush(simulator.StageClearinghouse)
	if err != nil {
		t.Fatal(err)
	}
	file := w.receive(response(t, ch, profile.Kind277CA))
	calls := 0
	acks.SetPlanned(w.stage, func(ctx context.Context, id int64) {
		calls++
		if id != file {
			t.Errorf("planned file %d, want %d", id, file)
		}
		// Another file's answer moves a claim past where this one would.
		if err := w.st.TransitionClaim(ctx, w.ids[moved], storage.StatePayerAccepted,
			storage.Event{Cause: storage.Cause277CAPayer, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		if !sendAgain {
			return
		}
		later := storage.Submission{Clearinghouse: clearinghouse, FileName: "LATER.x12", SHA256: "later", ISA13: "000000999", Size: 1}
		for _, sc := range w.sub.Claims {
			if sc.ClaimID == w.ids[resent] {
				later.Claims = append(later.Claims, sc)
			}
		}
		if _, err := w.st.InsertSubmission(ctx, later); err != nil {
			t.Fatal(err)
		}
	})
	res := w.apply(file)
	if calls != 1 {
		t.Fatalf("planned %d times, want once", calls)
	}
	want := []storage.ClaimState{storage.StatePayerAccepted, storage.StateClearinghouseAccepted, storage.StateClearinghouseAccepted}
	wantMoved, wantSkipped := 2, 1
	if sendAgain {
		want[resent] = storage.StateSyntaxAccepted
		wantMoved, wantSkipped = 1, 2
	}
	w.wantStates(want...)
	if res.Moved != wantMoved || res.Skipped != wantSkipped || res.Stored != 3 {
		t.Errorf("%+v, want %d moved, %d skipped, 3 answers stored", res, wantMoved, wantSkipped)
	}
	for i, id := range w.ids {
		list, err := w.st.Acks(w.ctx, storage.AckFilter{ClaimID: id})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 {
			t.Fatalf("claim %d: %d acknowledgements, want 1", i, len(list))
		}
		earlier := strings.Contains(string(list[0].Detail), "earlier submission")
		if earlier != (sendAgain && i == resent) {
			t.Errorf("claim %d: acknowledgement %s: noted as an answer to an earlier submission: %v", i, list[0].Detail, earlier)
		}
	}
	hist, err := w.st.ClaimHistory(w.ctx, w.ids[untouched])
	if err != nil {
		t.Fatal(err)
	}
	if last := hist[len(hist)-1]; last.From != storage.StateSyntaxAccepted || last.To != storage.StateClearinghouseAccepted {
		t.Errorf("claim %d: last move %s -> %s", untouched, last.From, last.To)
	}
}
