package storage_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestTransitionClaimsOnceEachLikeOneByOne: moves that name each claim once (one
// file's answers), from several states to several, some with a payer claim number
// (new, the same again, or one with quotes and back slashes), some not allowed,
// with details shared, distinct or absent, leave what TransitionClaim and
// SetClaimPayer leave move by move on twins of the claims: states, payer claim
// numbers, history rows and their order for each claim. On both engines.
func TestTransitionClaimsOnceEachLikeOneByOne(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := t.Context()
		n := 1200
		if st.Driver() == storage.Postgres {
			n = 300
		}
		ids := twinClaims(t, st, "O", n)
		// Claims in different states first: validated, batched, transmitted and
		// syntax-accepted with a payer claim number, by i%4, for each claim and
		// its twin.
		ev := storage.Event{Cause: storage.CauseSystem, Actor: "setup"}
		for step, to := range []storage.ClaimState{storage.StateBatched, storage.StateTransmitted, storage.StateSyntaxAccepted} {
			var moves []storage.ClaimMove
			for i, id := range ids {
				if i%n%4 > step {
					m := storage.ClaimMove{ClaimID: id, To: to}
					if to == storage.StateSyntaxAccepted {
						m.PayerClaimNumber = fmt.Sprintf("OLD%d", i%n)
					}
					moves = append(moves, m)
				}
			}
			if _, err := st.TransitionClaims(ctx, moves, ev); err != nil {
				t.Fatal(err)
			}
		}
		bulk, single := ids[:n], ids[n:]
		odd := "quote \" back slash \\ new line \n tab \t <&> é 請求 \u2028"
		shared := json.RawMessage(`{"file":7}`)
		var moves []storage.ClaimMove
		for i := range n {
			m := storage.ClaimMove{ClaimID: bulk[i]}
			switch i % 4 {
			case 0:
				m.To = storage.StateHeld // validated -> held
			case 1:
				m.To = storage.StateTransmitted // batched -> transmitted
			case 2:
				m.To = storage.StateSyntaxAccepted // transmitted -> syntax-accepted
				if i%3 == 0 {
					m.To = storage.StateSyntaxRejected
				}
			case 3:
				m.To = storage.StateClearinghouseAccepted // syntax-accepted -> clearinghouse-accepted
			}
			switch i % 5 {
			case 0:
				m.Detail = shared
			case 1:
				m.Detail = map[string]any{"i": i, "text": odd}
			case 2:
				m.Detail = nil
			default:
				m.Detail = json.RawMessage(fmt.Sprintf(`{"answer":"277ca/0/0/%d","text":%q}`, i, odd))
			}
			switch i % 7 {
			case 0:
				m.PayerClaimNumber = fmt.Sprintf("NEW%d", i)
			case 1:
				m.PayerClaimNumber = fmt.Sprintf("OLD%d", i) // the same again for those that have it
			case 2:
				m.PayerClaimNumber = fmt.Sprintf("ICN-%d-\"%s\"", i, odd)
			}
			if i%11 == 0 {
				m.To = storage.StatePaid // not allowed from validated or batched: skipped
			}
			moves = append(moves, m)
		}
		skipped, err := st.TransitionClaims(ctx, moves, storage.Event{Cause: storage.Cause277CAPayer, Actor: `file "7"`})
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
					detail = map[string]any{}
				}
				err = tx.TransitionClaim(ctx, twin, m.To, storage.Event{Cause: storage.Cause277CAPayer, Actor: `file "7"`, Detail: detail})
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
