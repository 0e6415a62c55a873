package storage_test

import (
	"fmt"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestClaimHeadsStampsByPCN: the one query reads what ClaimHeadsByPCN (but the
// lines) and ClaimStampsByPCN read, leaves out PCNs without a claim, and its stamps
// change when the claim does. On both engines.
func TestClaimHeadsStampsByPCN(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := t.Context()
		ncs := make([]storage.NewClaim, 4)
		pcns := []string{"NONE"}
		for i := range ncs {
			pcn := fmt.Sprintf("H%d", i)
			pcns = append(pcns, pcn)
			ncs[i] = storage.NewClaim{State: storage.StateValidated, Claim: billing.Claim{PatientControlNumber: pcn,
				Lines: []billing.Line{{ControlNumber: pcn + "-1", Procedure: billing.Procedure{Code: "99213"}, Charge: 100}}}}
		}
		ids, err := st.InsertClaims(ctx, ncs, storage.Event{Cause: storage.CauseSystem})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.TransitionClaims(ctx, []storage.ClaimMove{{ClaimID: ids[1], To: storage.StateBatched, PayerClaimNumber: "ICN1"}},
			storage.Event{Cause: storage.CauseSystem}); err != nil {
			t.Fatal(err)
		}
		heads, stamps, err := st.ClaimHeadsStampsByPCN(ctx, pcns)
		if err != nil {
			t.Fatal(err)
		}
		wantHeads, err := st.ClaimHeadsByPCN(ctx, pcns)
		if err != nil {
			t.Fatal(err)
		}
		wantStamps, err := st.ClaimStampsByPCN(ctx, pcns)
		if err != nil {
			t.Fatal(err)
		}
		if len(heads) != len(ids) || len(stamps) != len(ids) || len(wantHeads) != len(ids) {
			t.Fatalf("%d heads and %d stamps of %d claims", len(heads), len(stamps), len(ids))
		}
		for pcn, want := range wantHeads {
			h := heads[pcn]
			if h.Lines != nil {
				t.Errorf("%s: lines read: %+v", pcn, h.Lines)
			}
			want.Lines = nil
			if fmt.Sprintf("%+v", h) != fmt.Sprintf("%+v", want) {
				t.Errorf("%s: head %+v, want %+v", pcn, h, want)
			}
			if !stamps[pcn].Same(wantStamps[pcn]) {
				t.Errorf("%s: stamp %+v, want %+v", pcn, stamps[pcn], wantStamps[pcn])
			}
		}
		if h := heads["H1"]; h.State != storage.StateBatched || h.PayerClaimNumber != "ICN1" {
			t.Errorf("moved claim: %s %q", h.State, h.PayerClaimNumber)
		}
		if _, err := st.TransitionClaims(ctx, []storage.ClaimMove{{ClaimID: ids[2], To: storage.StateBatched}},
			storage.Event{Cause: storage.CauseSystem}); err != nil {
			t.Fatal(err)
		}
		_, later, err := st.ClaimHeadsStampsByPCN(ctx, pcns)
		if err != nil {
			t.Fatal(err)
		}
		for pcn, s := range stamps {
			if later[pcn].Same(s) == (pcn == "H2") {
				t.Errorf("%s: stamp %+v, then %+v", pcn, s, later[pcn])
			}
		}
	})
}
