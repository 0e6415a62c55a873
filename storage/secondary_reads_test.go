package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

func TestSecondaryReadsCombined(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, testSecondaryReadsCombined)
}

// testSecondaryReadsCombined: ClaimsBilledCoverageStamped gives what
// ClaimsBilledCoverage and ClaimLedgerStamps give, ClaimPaymentsAndOriginsOf what
// ClaimPaymentsOf (services only for the claims named) and PaymentOriginsOf give;
// all leave out ids without a claim, and claims without payments; stamps read in a
// transaction (where they lock the claims) are the same.
func testSecondaryReadsCombined(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	// C1 two payments, C2 one, C3 none; C2 has a second coverage.
	ids := paidClaims(t, st, []string{"C1", "C2", "C3"}, []int{1, 2, 1}, []int{2, 1, 0})
	all := append(ids, ids[len(ids)-1]+1000) // and an id of no claim
	same := func(what string, got, want any) {
		t.Helper()
		g, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		w, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if string(g) != string(w) {
			t.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
		}
	}

	heads, stamps, err := st.ClaimsBilledCoverageStamped(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	wantHeads, err := st.ClaimsBilledCoverage(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	wantStamps, err := st.ClaimLedgerStamps(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(heads) != 3 || len(stamps) != 3 || len(heads[1].Coverages) != 2 || stamps[ids[0]].Payments != 2 || stamps[ids[0]].Entries != 2 ||
		stamps[ids[2]].Payments != 0 || stamps[ids[0]].Events == 0 {
		t.Fatalf("%d claims, stamps %+v", len(heads), stamps)
	}
	same("claims read with their stamps", heads, wantHeads)
	for _, id := range ids {
		if stamps[id] != wantStamps[id] {
			t.Errorf("claim %d: stamp read with the claim %+v, alone %+v", id, stamps[id], wantStamps[id])
		}
	}
	err = st.InTx(ctx, func(tx *storage.Tx) error {
		inTx, err := tx.ClaimLedgerStamps(ctx, all)
		if err != nil {
			return err
		}
		if fmt.Sprint(inTx) != fmt.Sprint(wantStamps) {
			t.Errorf("stamps in a transaction %+v, outside %+v", inTx, wantStamps)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	pays, origins, err := st.ClaimPaymentsAndOriginsOf(ctx, all, ids[:1])
	if err != nil {
		t.Fatal(err)
	}
	whole, err := st.ClaimPaymentsOf(ctx, ids[:1], true)
	if err != nil {
		t.Fatal(err)
	}
	bare, err := st.ClaimPaymentsOf(ctx, all, false)
	if err != nil {
		t.Fatal(err)
	}
	wantOrigins, err := st.PaymentOriginsOf(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(pays) != 2 || len(origins) != 2 || len(pays[ids[0]]) != 2 || len(pays[ids[0]][1].Services) != 2 ||
		len(pays[ids[1]]) != 1 || pays[ids[1]][0].Services != nil {
		t.Fatalf("payments %+v", pays)
	}
	same("payments with services", pays[ids[0]], whole[ids[0]])
	same("payments without services", pays[ids[1]], bare[ids[1]])
	same("origins", origins, wantOrigins)
	if pays, origins, err := st.ClaimPaymentsAndOriginsOf(ctx, ids[2:], ids[2:]); err != nil || len(pays) != 0 || len(origins) != 0 {
		t.Fatalf("a claim without payments: %v, %v, %v", pays, origins, err)
	}
}
