package remit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/pipeline/remit"
	"github.com/claimflow/claimflow/storage"
)

// TestMatchByHand: a payment whose CLP01 the payer mangled is stored unmatched;
// matched by hand to the claim, it posts what it would have posted had it matched
// (X12-GUIDE 6.6), resolves its work item, and cannot be matched twice.
func TestMatchByHand(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		id := w.claim("A17", false, "99213", 20000)
		_, sum := w.post("era.835", build835("000000501", [3]string{"120", "EFT1", strings.Replace(example66, "CLP*A17*", "CLP*A17X*", 1)}))
		if sum.Unmatched != 1 || sum.Matched != 0 {
			t.Fatalf("summary %+v", sum)
		}
		ids, err := st.UnmatchedClaimPayments(ctx, 0, 10)
		must(t, err)
		if len(ids) != 1 {
			t.Fatalf("unmatched %v", ids)
		}
		if _, err := w.poster.Match(ctx, ids[0], 999999, "alice"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("matching to a missing claim: %v", err)
		}
		if n := len(w.ledger(id)); n != 0 {
			t.Fatalf("a failed match wrote %d entries", n)
		}
		got, err := w.poster.Match(ctx, ids[0], id, "alice")
		must(t, err)
		if got.Matched != 1 || got.Entries != 4 {
			t.Errorf("match summary %+v", got)
		}
		lines(t, w.ledger(id),
			"insurance-payment insurance -120.00 ",
			"contractual-adjustment insurance -50.00 CO-45",
			"coinsurance insurance -30.00 PR-2",
			"coinsurance patient 30.00 PR-2",
		)
		if s := w.state(id); s != storage.StatePaid {
			t.Errorf("state %s", s)
		}
		cps, err := st.ClaimPayments(ctx, id)
		must(t, err)
		if len(cps) != 1 || cps[0].Services[0].LineID != w.lines["A17-1"] {
			t.Errorf("payments of the claim %+v", cps)
		}
		for _, it := range w.items(storage.WorkUnmatchedRemittance) {
			full, err := st.WorkItem(ctx, it.ID)
			must(t, err)
			if full.Status != storage.WorkResolved || len(full.Notes) != 1 || full.Notes[0].Author != "alice" {
				t.Errorf("unmatched item after the match: %+v", full)
			}
		}
		if _, err := w.poster.Match(ctx, ids[0], id, "alice"); !errors.Is(err, remit.ErrMatched) {
			t.Errorf("matching twice: %v", err)
		}
		if n := len(w.ledger(id)); n != 4 {
			t.Errorf("%d entries after a second match", n)
		}
	})
}

// TestRematch: a payment that came before its claim was entered is posted once
// the claim exists; one whose number names no claim stays unmatched.
func TestRematch(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.post("era.835", build835("000000502", [3]string{"120", "EFT1", example66},
			[3]string{"120", "EFT2", strings.Replace(example66, "CLP*A17*", "CLP*ZZ9*", 1)}))
		matched, left, err := w.poster.Rematch(ctx, "bob")
		must(t, err)
		if matched != 0 || left != 2 {
			t.Fatalf("before the claim: matched %d, left %d", matched, left)
		}
		id := w.claim("A17", false, "99213", 20000)
		matched, left, err = w.poster.Rematch(ctx, "bob")
		must(t, err)
		if matched != 1 || left != 1 {
			t.Fatalf("matched %d, left %d", matched, left)
		}
		if b := w.balance(id); b.Insurance != 0 || b.Patient != 3000 {
			t.Errorf("balance %+v", b)
		}
		matched, left, err = w.poster.Rematch(ctx, "bob")
		must(t, err)
		if matched != 0 || left != 1 {
			t.Errorf("again: matched %d, left %d", matched, left)
		}
	})
}
