package storage_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestTransitionClaimsLikeOneByOne moves claims with TransitionClaims and their
// twins with TransitionClaim, move by move, and compares what each left: states,
// payer claim numbers and histories (detail texts with quotes, back slashes,
// control and non-ASCII characters included), on both drivers.
func TestTransitionClaimsLikeOneByOne(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := t.Context()
		n := 3000 // more than a statement of values carried on SQLite
		if st.Driver() == storage.Postgres {
			n = 500 // a round trip a statement
		}
		ids := twinClaims(t, st, "M", n)
		bulk, single := ids[:n], ids[n:]
		odd := "quote \" back slash \\ new line \n tab \t nul-free <&> é 請求 \u2028"
		ev := storage.Event{Cause: storage.Cause277CAPayer, Actor: `file "7" \ x`}
		var moves []storage.ClaimMove
		for round, to := range []storage.ClaimState{storage.StateBatched, storage.StateTransmitted, storage.StatePaid} {
			for i := range n {
				m := storage.ClaimMove{ClaimID: bulk[i], To: to, Detail: map[string]any{"i": i, "text": odd, "round": round}}
				switch {
				case i%7 == 0 && to == storage.StatePaid:
					m.To = storage.StateValidated // not allowed from transmitted: skipped
				case i%5 == 0 && to == storage.StateTransmitted:
					m.PayerClaimNumber = fmt.Sprintf("ICN-%d-\"%s\"", i, odd)
				}
				if i%11 == 0 && round == 0 {
					m.Detail = nil
				}
				moves = append(moves, m)
			}
		}
		skipped, err := st.TransitionClaims(ctx, moves, ev)
		if err != nil {
			t.Fatal(err)
		}
		wantSkipped := 0
		err = st.InTx(ctx, func(tx *storage.Tx) error {
			wantSkipped = 0
			for _, m := range moves {
				twin := single[m.ClaimID-bulk[0]]
				before, err := tx.Claim(ctx, twin)
				if err != nil {
					return err
				}
				detail := m.Detail
				if detail == nil {
					detail = map[string]any{} // TransitionClaims records no detail as {}, TransitionClaim as null
				}
				err = tx.TransitionClaim(ctx, twin, m.To, storage.Event{Cause: ev.Cause, Actor: ev.Actor, Detail: detail})
				refused := errors.Is(err, storage.ErrInvalidTransition)
				switch {
				case refused:
					wantSkipped++
				case err != nil:
					return err
				}
				// The payer claim number of a move refused is kept only by a claim in
				// that state already.
				if m.PayerClaimNumber != "" && (!refused || before.State == m.To) {
					if err := tx.SetClaimPayer(ctx, twin, before.PayerID, m.PayerClaimNumber); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(skipped) != wantSkipped || wantSkipped == 0 {
			t.Fatalf("skipped %d moves, one by one %d", len(skipped), wantSkipped)
		}
		sameAsOneByOne(t, st, bulk, single)
	})
}

// TestTransitionClaimsPayerClaimNumber: a move's payer claim number is kept when
// the move is made, and when the claim is in that state already (the same step
// answered again), but not when the move is refused because the claim moved on:
// a late payer 277CA must not replace the number the 835 recorded. On both
// engines.
func TestTransitionClaimsPayerClaimNumber(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := t.Context()
		ids := twinClaims(t, st, "N", 1)[:1]
		move := func(to storage.ClaimState, icn string) {
			t.Helper()
			if _, err := st.TransitionClaims(ctx, []storage.ClaimMove{{ClaimID: ids[0], To: to, PayerClaimNumber: icn}},
				storage.Event{Cause: storage.CauseSystem, Actor: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		want := func(state storage.ClaimState, icn string) {
			t.Helper()
			c, err := st.Claim(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if c.State != state || c.PayerClaimNumber != icn {
				t.Errorf("claim %s %q, want %s %q", c.State, c.PayerClaimNumber, state, icn)
			}
		}
		move(storage.StateBatched, "")
		move(storage.StateTransmitted, "")
		move(storage.StatePayerAccepted, "ICN-277") // made: kept
		want(storage.StatePayerAccepted, "ICN-277")
		move(storage.StatePayerAccepted, "ICN-277B") // refused, but there already: kept
		want(storage.StatePayerAccepted, "ICN-277B")
		move(storage.StatePaid, "ICN-835")
		want(storage.StatePaid, "ICN-835")
		move(storage.StatePayerAccepted, "ICN-LATE") // refused: the claim moved on
		want(storage.StatePaid, "ICN-835")
	})
}

// TestAbsentDetailStoredAlike: a change of state without a detail (nil, or a nil map
// that encodes as null) is stored as {} by every writer of the history: the
// claim's creation, TransitionClaim and TransitionClaims.
func TestAbsentDetailStoredAlike(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := t.Context()
		ncs := make([]storage.NewClaim, 3)
		for i := range ncs {
			pcn := fmt.Sprintf("D%d", i)
			ncs[i] = storage.NewClaim{State: storage.StateValidated, Claim: billing.Claim{PatientControlNumber: pcn,
				Lines: []billing.Line{{ControlNumber: pcn + "-1", Procedure: billing.Procedure{Code: "99213"}, Charge: 100}}}}
		}
		ids, err := st.InsertClaims(ctx, ncs, storage.Event{Cause: storage.CauseSystem})
		if err != nil {
			t.Fatal(err)
		}
		var none map[string]string
		if err := st.TransitionClaim(ctx, ids[0], storage.StateBatched, storage.Event{Cause: storage.CauseSystem, Detail: none}); err != nil {
			t.Fatal(err)
		}
		skipped, err := st.TransitionClaims(ctx, []storage.ClaimMove{
			{ClaimID: ids[1], To: storage.StateBatched},
			{ClaimID: ids[2], To: storage.StateBatched, Detail: none},
		}, storage.Event{Cause: storage.CauseSystem})
		if err != nil || len(skipped) > 0 {
			t.Fatalf("moving: %v, skipped %v", err, skipped)
		}
		for _, id := range ids {
			hist, err := st.ClaimHistory(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 2 {
				t.Fatalf("claim %d: %d history rows, want 2", id, len(hist))
			}
			for _, e := range hist {
				var m map[string]any
				if err := json.Unmarshal(e.Detail, &m); err != nil || m == nil || len(m) != 0 {
					t.Errorf("claim %d, %s -> %s: detail %s, want {}", id, e.From, e.To, e.Detail)
				}
			}
		}
	})
}

// sameAsOneByOne checks that each claim of bulk, moved by TransitionClaims, ended
// as its twin in single, moved by TransitionClaim one by one: the same state,
// payer claim number and history (details compared as JSON values).
func sameAsOneByOne(t *testing.T, st *storage.Store, bulk, single []int64) {
	t.Helper()
	ctx := t.Context()
	for i := range bulk {
		a, err := st.Claim(ctx, bulk[i])
		if err != nil {
			t.Fatal(err)
		}
		b, err := st.Claim(ctx, single[i])
		if err != nil {
			t.Fatal(err)
		}
		if a.State != b.State || a.PayerClaimNumber != b.PayerClaimNumber {
			t.Fatalf("claim %d: %s %q, one by one %s %q", i, a.State, a.PayerClaimNumber, b.State, b.PayerClaimNumber)
		}
		ha, err := st.ClaimHistory(ctx, bulk[i])
		if err != nil {
			t.Fatal(err)
		}
		hb, err := st.ClaimHistory(ctx, single[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(ha) != len(hb) {
			t.Fatalf("claim %d: %d history rows, one by one %d", i, len(ha), len(hb))
		}
		for k := range ha {
			var da, db any
			if err := json.Unmarshal(ha[k].Detail, &da); err != nil {
				t.Fatalf("claim %d, history %d: %v", i, k, err)
			}
			if err := json.Unmarshal(hb[k].Detail, &db); err != nil {
				t.Fatal(err)
			}
			if ha[k].From != hb[k].From || ha[k].To != hb[k].To || ha[k].Cause != hb[k].Cause || ha[k].Actor != hb[k].Actor ||
				fmt.Sprint(da) != fmt.Sprint(db) {
				t.Fatalf("claim %d, history %d:\n%+v %v\none by one:\n%+v %v", i, k, ha[k], da, hb[k], db)
			}
		}
	}
}

// twinClaims inserts 2n validated claims of one line each, their PCNs the prefix
// and a number, and returns their ids: the first n to move in bulk, the other n
// their twins to move one by one.
func twinClaims(t *testing.T, st *storage.Store, prefix string, n int) []int64 {
	t.Helper()
	ncs := make([]storage.NewClaim, 2*n)
	for i := range ncs {
		pcn := fmt.Sprintf("%s%05d", prefix, i)
		ncs[i] = storage.NewClaim{State: storage.StateValidated, Claim: billing.Claim{PatientControlNumber: pcn,
			Lines: []billing.Line{{ControlNumber: pcn + "-1", Procedure: billing.Procedure{Code: "99213"}, Charge: 100}}}}
	}
	ids, err := st.InsertClaims(t.Context(), ncs, storage.Event{Cause: storage.CauseSystem})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
