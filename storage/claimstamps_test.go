package storage_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestClaimStampsAndMoves: a claim's stamp changes when it moves; its controls are
// its PCN and its lines' control numbers in order; the last submission id follows
// the submissions stored; moves that share a detail and moves that do not write
// their own detail each, and the payer claim number of a move is kept. On SQLite
// and PostgreSQL.
func TestClaimStampsAndMoves(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, checkClaimStampsAndMoves)
}

func checkClaimStampsAndMoves(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	gen, err := fixtures.NewClaimGenerator(fixtures.ClaimOptions{Seed: 7, Claims: 3})
	if err != nil {
		t.Fatal(err)
	}
	var ncs []storage.NewClaim
	var pcns []string
	for _, cl := range gen.Chunk(nil, 0, 3) {
		cl.Normalize()
		ncs = append(ncs, storage.NewClaim{Claim: cl, State: storage.StateValidated})
		pcns = append(pcns, cl.PatientControlNumber)
	}
	ids, err := st.InsertClaims(ctx, ncs, storage.Event{Cause: storage.CauseSystem})
	if err != nil {
		t.Fatal(err)
	}
	if last, err := st.LastSubmissionID(ctx); err != nil || last != 0 {
		t.Fatalf("last submission %d, %v; want 0", last, err)
	}
	before, err := st.ClaimStamps(ctx, append(ids, 1<<40))
	if err != nil {
		t.Fatal(err)
	}
	byPCN, err := st.ClaimStampsByPCN(ctx, append(slices.Clone(pcns), "NO SUCH PCN"))
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 3 || len(byPCN) != 3 {
		t.Fatalf("stamps %v by id, %v by PCN; want 3 each", before, byPCN)
	}
	for i, id := range ids {
		if s := before[id]; s.ID != id || s.PCN != pcns[i] || s.State != storage.StateValidated || s.UpdatedAt.IsZero() || !s.Same(byPCN[pcns[i]]) {
			t.Errorf("claim %d: stamp %+v, by PCN %+v", i, s, byPCN[pcns[i]])
		}
	}
	controls, err := st.ClaimControlsOf(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		var want []string
		for _, l := range ncs[i].Claim.Lines {
			want = append(want, l.ControlNumber)
		}
		if c := controls[id]; c.PCN != pcns[i] || !slices.Equal(c.Lines, want) {
			t.Errorf("claim %d: controls %+v, want %s %v", i, c, pcns[i], want)
		}
	}

	shared := json.RawMessage(`{"submission":1}`)
	moves := []storage.ClaimMove{
		{ClaimID: ids[0], To: storage.StateBatched, Detail: shared},
		{ClaimID: ids[1], To: storage.StateBatched, Detail: shared, PayerClaimNumber: "ICN1"},
		{ClaimID: ids[2], To: storage.StateBatched, Detail: shared},
	}
	err = st.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := tx.TransitionClaims(ctx, moves, storage.Event{Cause: storage.CauseSystem, Actor: "test"}); err != nil {
			return err
		}
		// Each its own detail, and one move the table forbids.
		_, err := tx.TransitionClaims(ctx, []storage.ClaimMove{
			{ClaimID: ids[0], To: storage.StateTransmitted, Detail: json.RawMessage(`{"n":0}`)},
			{ClaimID: ids[1], To: storage.StateTransmitted, Detail: map[string]int{"n": 1}},
			{ClaimID: ids[2], To: storage.StatePaid, Detail: json.RawMessage(`{"n":2}`)},
		}, storage.Event{Cause: storage.CauseSystem, Actor: "test"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	after, err := st.ClaimStamps(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	wantStates := []storage.ClaimState{storage.StateTransmitted, storage.StateTransmitted, storage.StateBatched}
	for i, id := range ids {
		if after[id].Same(before[id]) || after[id].State != wantStates[i] {
			t.Errorf("claim %d: stamp %+v after moving, was %+v", i, after[id], before[id])
		}
		hist, err := st.ClaimHistory(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var details []string
		for _, e := range hist[1:] {
			var v any
			if err := json.Unmarshal(e.Detail, &v); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(v)
			details = append(details, string(b))
		}
		want := []string{`{"submission":1}`}
		if i < 2 {
			want = append(want, `{"n":`+string(rune('0'+i))+`}`)
		}
		if !slices.Equal(details, want) {
			t.Errorf("claim %d: history details %v, want %v", i, details, want)
		}
	}
	c, err := st.Claim(ctx, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if c.PayerClaimNumber != "ICN1" {
		t.Errorf("payer claim number %q, want ICN1", c.PayerClaimNumber)
	}
	sub := storage.Submission{Clearinghouse: "ch", FileName: "F.x12", SHA256: "f", ISA13: "000000001", Size: 1}
	subID, err := st.InsertSubmission(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if last, err := st.LastSubmissionID(ctx); err != nil || last != subID {
		t.Errorf("last submission %d, %v; want %d", last, err, subID)
	}
}
