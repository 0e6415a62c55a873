package acks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/edi/x277ca"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/acks"
	"github.com/claimflow/claimflow/storage"
)

// TestChangedBetweenPlanAndWrite: a file is planned before its write transaction;
// claims that change in between are checked there. A claim that another file
// moved meanwhile past where this file's answer would move it (the move planned
// is refused now) makes the file be planned again in the transaction: the answer
// is then late for it, noted so, and does not move it. A claim sent again
// meanwhile (its latest submission changed) makes the file be planned again too,
// and the answer, now to an earlier submission, does not move it. On both
// databases.
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
		late := strings.Contains(string(list[0].Detail), "came late")
		if late != (i == moved) {
			t.Errorf("claim %d: acknowledgement %s: noted as late: %v", i, list[0].Detail, late)
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

// TestPaidBetweenPlanAndWrite: a 277CA rejection is planned while its claim waits
// for it, and the claim is paid (another file's 835) before the write
// transaction: the rejection, late now, is not queued, and the claim stays paid.
// On both databases.
func TestPaidBetweenPlanAndWrite(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st, fixtureClaims(t, 24, 1), 911, 10, nil)
		file := w.receiveBytes("pr.277", "277ca", w.file277(x277ca.SourcePayer, "", 0, "", []x277ca.Status{stc("A7", "562", "85")}, nil))
		acks.SetPlanned(w.stage, func(ctx context.Context, id int64) {
			w.moveTo(0, storage.Cause835, storage.StatePaid)
		})
		res := w.apply(file)
		w.wantStates(storage.StatePaid)
		if items := w.work(storage.WorkRejection); len(items) != 0 || res.Skipped != 1 {
			t.Errorf("%+v; rejections:\n%s\nwant the move skipped and none queued", res, messages(items))
		}
		if d := w.details(storage.AckFilter{ClaimID: w.ids[0]}); len(d) != 1 || !strings.Contains(d[0], "came late") {
			t.Errorf("acknowledgement details %v, want it noted as late", d)
		}
	})
}
