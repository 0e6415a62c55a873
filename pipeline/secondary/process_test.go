package secondary_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/pipeline/secondary"
	"github.com/claimflow/claimflow/storage"
)

// TestPlanWritesNothing: Plan says what would happen (the CLI's dry run) and
// changes nothing; Process then does it, once.
func TestPlanWritesNothing(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	w := newWorld(t, st)
	s := newStage(t, st)
	c := w.claim("D17", 2)
	w.adjudicate(c, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
	before := w.snapshot(c.ID)
	ctx := context.Background()
	p, err := s.Plan(ctx, &st.Conn, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Action != secondary.ActionBillNext || p.Next != 1 || p.NextPayerID != w.payers[secondPlan.ID] || p.Moved() != 30_00 || len(p.Transfers) != 2 {
		t.Fatalf("plan = %+v", p)
	}
	if after := w.snapshot(c.ID); after != before {
		t.Fatalf("Plan wrote:\n%s\n%s", before, after)
	}
	if _, err := s.Process(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	done := w.snapshot(c.ID)
	p, err = s.Process(ctx, c.ID)
	if err != nil || p.Action != secondary.ActionNone {
		t.Fatalf("second Process: %+v, %v; want nothing to do", p, err)
	}
	if again := w.snapshot(c.ID); again != done {
		t.Fatalf("second Process wrote:\n%s\n%s", done, again)
	}
}

// TestUnknownNextPayer: a next payer missing from the payer list cannot be routed:
// the claim is held with a rejection naming that payer's id field, its payer unset,
// and no balance moved (it would have no payer to owe it).
func TestUnknownNextPayer(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	w := newWorld(t, st)
	s := newStage(t, st)
	c := w.claimWith("N18", func(b *billing.Claim) { b.Coverages[1].Payer = billing.Payer{Name: "UNLISTED PLAN", ID: "99999"} })
	w.adjudicate(c, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
	p, err := s.Process(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := w.stored(c.ID)
	if p.Action != secondary.ActionHold || got.State != storage.StateHeld || got.PayerID != 0 {
		t.Fatalf("action %s, state %s, payer %d; want hold, held, none", p.Action, got.State, got.PayerID)
	}
	items, err := st.WorkItems(context.Background(), storage.WorkFilter{ClaimID: c.ID, Kind: storage.WorkRejection})
	if err != nil || len(items) != 1 || items[0].Field != "coverages[1].payer.id" {
		t.Fatalf("rejections %+v, %v", items, err)
	}
	if by, patient := w.balance(c.ID); len(by) != 0 || patient != 30_00 {
		t.Fatalf("balance moved: %v, patient %s", by, patient)
	}
}

// TestHandleSetsAsideWhatCannotMoveOn: a claim that does not exist and a paid
// claim without a stored payment become exception work items; the good claim of
// the same message moves on.
func TestHandleSetsAsideWhatCannotMoveOn(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	w := newWorld(t, st)
	s := newStage(t, st)
	good := w.claim("G17", 2)
	w.adjudicate(good, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
	unpaid := w.claim("Z17", 2)
	w.move(unpaid.ID, storage.StatePaid)
	data, _ := json.Marshal(map[string][]int64{"claim_ids": {987654, unpaid.ID, good.ID}})
	if err := s.Handle(context.Background(), bus.Message{Stage: bus.Secondary, ID: "1", Data: data}); err != nil {
		t.Fatal(err)
	}
	items, err := st.WorkItems(context.Background(), storage.WorkFilter{Kind: storage.WorkException})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]int64{}
	for _, it := range items {
		byKey[it.DedupKey] = it.ClaimID
	}
	if len(items) != 2 || byKey["secondary/987654/exception"] != 0 || byKey[fmt.Sprintf("secondary/%d/exception", unpaid.ID)] != unpaid.ID {
		t.Fatalf("exceptions = %+v", items)
	}
	if s := w.stored(good.ID).State; s != storage.StateSecondaryBilled {
		t.Fatalf("good claim %s, want secondary-billed", s)
	}
	if s := w.stored(unpaid.ID).State; s != storage.StatePaid {
		t.Fatalf("claim without payment moved to %s", s)
	}
	// A poison payload is terminated.
	if err := s.Handle(context.Background(), bus.Message{Stage: bus.Secondary, Data: []byte("{")}); err == nil {
		t.Fatal("bad JSON accepted")
	}
}

// TestPayerMismatchIsSetAside: a claim billed to one payer whose coverages say it
// is billed to another is not sent on with the wrong payer's decision.
func TestPayerMismatchIsSetAside(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	w := newWorld(t, st)
	s := newStage(t, st)
	c := w.claim("M17", 2)
	w.adjudicate(c, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
	if err := st.SetClaimPayer(context.Background(), c.ID, w.payers[stateAid.ID], ""); err != nil {
		t.Fatal(err)
	}
	before := w.snapshot(c.ID)
	if _, err := s.Process(context.Background(), c.ID); !errors.Is(err, bus.ErrPoison) {
		t.Fatalf("Process = %v, want poison", err)
	}
	if after := w.snapshot(c.ID); after != before {
		t.Fatalf("claim changed:\n%s\n%s", before, after)
	}
}

// TestUnbuildableNextClaimHeld: a claim taken in by an earlier release with less
// than the 837P now needs (here no patient birth date) is held by the secondary
// stage with the field to fix (the scrubber's 837p-build rule), not refused later
// by the batch stage.
func TestUnbuildableNextClaimHeld(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	w := newWorld(t, st)
	s := newStage(t, st)
	c := w.claimWith("B18", func(b *billing.Claim) { b.Patient.BirthDate = billing.Date{} })
	w.adjudicate(c, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
	p, err := s.Process(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.stored(c.ID); p.Action != secondary.ActionHold || got.State != storage.StateHeld {
		t.Fatalf("action %s, state %s; want hold, held", p.Action, got.State)
	}
	items, err := st.WorkItems(context.Background(), storage.WorkFilter{ClaimID: c.ID, Kind: storage.WorkRejection})
	if err != nil || len(items) != 1 || items[0].Field != "patient.birth_date" || !slices.Contains(items[0].Codes, "837p-build") {
		t.Fatalf("rejections %+v, %v", items, err)
	}
}
