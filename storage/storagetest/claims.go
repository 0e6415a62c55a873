package storagetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
)

var _ = register(
	test{"ClaimRoundTrip", testClaimRoundTrip},
	test{"ClaimTransitions", testClaimTransitions},
	test{"ClaimConcurrentTransition", testClaimConcurrentTransition},
	test{"ClaimUpdate", testClaimUpdate},
	test{"InsertClaimsBulk", testInsertClaimsBulk},
	test{"LockClaimsFirstBilled", testLockClaimsFirstBilled},
)

// testInsertClaimsBulk stores more claims than one statement of InsertClaims
// writes: each gets its own id, lines and first history row, and a repeated or
// stored PCN fails the whole call.
func testInsertClaimsBulk(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	const n = 600
	ncs := make([]storage.NewClaim, n)
	pcns := make([]string, n)
	for i := range ncs {
		pcns[i] = fmt.Sprintf("BULK%04d", i)
		cl := sampleClaim(pcns[i], day(2025, 3, 4), billing.Money(100+i), 50)
		cl.Normalize()
		ncs[i] = storage.NewClaim{Claim: cl, PatientID: f.patient1, PayerID: f.payerA, BillingProviderID: f.billingProvider}
	}
	ids := get[[]int64](t)(st.InsertClaims(ctx, ncs, storage.Event{Cause: storage.CauseSystem, Actor: "intake"}))
	byPCN := get[map[string]int64](t)(st.ClaimIDsByPCN(ctx, append(pcns, "NOPE")))
	if len(ids) != n || len(byPCN) != n {
		t.Fatalf("%d ids, %d found by PCN", len(ids), len(byPCN))
	}
	for _, i := range []int{0, 249, 250, 599} {
		if byPCN[pcns[i]] != ids[i] {
			t.Errorf("claim %d: id %d, by PCN %d", i, ids[i], byPCN[pcns[i]])
		}
		c := get[storage.Claim](t)(st.Claim(ctx, ids[i]))
		if c.PatientControlNumber != pcns[i] || c.State != storage.StateDraft || c.PayerID != f.payerA || len(c.StoredLines) != 2 ||
			c.StoredLines[0].Charge != billing.Money(100+i) || c.StoredLines[1].Number != 2 {
			t.Errorf("claim %d: %+v", i, c)
		}
		hist := get[[]storage.ClaimEvent](t)(st.ClaimHistory(ctx, ids[i]))
		if len(hist) != 1 || hist[0].From != "" || hist[0].To != storage.StateDraft || hist[0].Actor != "intake" {
			t.Errorf("claim %d history: %+v", i, hist)
		}
	}
	again := sampleClaim("BULK-NEW", day(2025, 3, 4), 100)
	again.Normalize()
	_, err := st.InsertClaims(ctx, []storage.NewClaim{{Claim: again}, ncs[3]}, storage.Event{Cause: storage.CauseSystem})
	isErr(t, "a stored PCN", err, storage.ErrDuplicate)
	_, err = st.InsertClaims(ctx, []storage.NewClaim{{Claim: again}, {Claim: again}}, storage.Event{Cause: storage.CauseSystem})
	isErr(t, "a PCN twice", err, storage.ErrDuplicate)
	if got := get[map[string]int64](t)(st.ClaimIDsByPCN(ctx, []string{"BULK-NEW"})); len(got) != 0 {
		t.Errorf("a failed call stored %v", got)
	}
}

// testLockClaimsFirstBilled checks LockClaims (the states of many claims, an
// unknown one failing the call) and SetFirstBilled (set once, kept after).
func testLockClaimsFirstBilled(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	var ids []int64
	for _, pcn := range []string{"M1", "M2", "M3"} {
		cl := sampleClaim(pcn, day(2025, 3, 4), 100)
		cl.Normalize()
		ids = append(ids, get[int64](t)(st.InsertClaim(ctx, storage.NewClaim{Claim: cl, State: storage.StateValidated},
			storage.Event{Cause: storage.CauseSystem})))
	}
	must(t, st.TransitionClaim(ctx, ids[1], storage.StateHeld, storage.Event{Cause: storage.CauseScrubber}))
	err := st.InTx(ctx, func(tx *storage.Tx) error {
		states, err := tx.LockClaims(ctx, []int64{ids[2], ids[0], ids[1], ids[0]})
		if err != nil {
			return err
		}
		if len(states) != 3 || states[ids[0]] != storage.StateValidated || states[ids[1]] != storage.StateHeld {
			t.Errorf("states %v", states)
		}
		return nil
	})
	must(t, err)
	_, err = st.LockClaims(ctx, []int64{ids[0], 99999})
	isErr(t, "an unknown claim", err, storage.ErrNotFound)

	must(t, st.SetFirstBilled(ctx, ids[:2]))
	first := get[storage.Claim](t)(st.Claim(ctx, ids[0]))
	if first.FirstBilledOn.IsZero() || !get[storage.Claim](t)(st.Claim(ctx, ids[2])).FirstBilledOn.IsZero() {
		t.Errorf("first billed: %v, and %v for a claim not named", first.FirstBilledOn, get[storage.Claim](t)(st.Claim(ctx, ids[2])).FirstBilledOn)
	}
	must(t, st.SetFirstBilled(ctx, ids))
	if again := get[storage.Claim](t)(st.Claim(ctx, ids[0])); again.FirstBilledOn != first.FirstBilledOn {
		t.Errorf("first billed changed from %v to %v", first.FirstBilledOn, again.FirstBilledOn)
	}
	must(t, st.SetFirstBilled(ctx, nil))
}

func testClaimRoundTrip(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	cl := sampleClaim("PCN0001", day(2025, 3, 4), 12500, 7550)
	cl.Lines[1].ServiceDates = billing.Period{From: day(2025, 3, 5), To: day(2025, 3, 7)}
	cl.Note = billing.Note{Code: "ADD", Text: "NOTE"}
	adj := billing.Money(1000)
	cl.Coverages = append(cl.Coverages, billing.Coverage{Payer: billing.Payer{Name: "SECONDARY", ID: "67890"}, MemberID: "M2",
		FilingIndicator: "MB", Adjudication: &billing.OtherPayerAdjudication{PaidAmount: 9000, RemainingPatientLiability: &adj,
			Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: 1050, Quantity: billing.Units(1)}}}})
	cl.Normalize()
	id := get[int64](t)(st.InsertClaim(ctx, storage.NewClaim{Claim: cl, PatientID: f.patient1, PayerID: f.payerA,
		BillingProviderID: f.billingProvider, State: storage.StateValidated}, storage.Event{Cause: storage.CauseScrubber, Actor: "scrub",
		Detail: map[string]any{"findings": 0}}))
	got := get[storage.Claim](t)(st.ClaimByPCN(ctx, "PCN0001"))
	if got.ID != id || got.State != storage.StateValidated || got.PatientID != f.patient1 || got.PayerID != f.payerA ||
		got.BillingProviderID != f.billingProvider || !got.FirstBilledOn.IsZero() || got.CreatedAt.IsZero() {
		t.Fatalf("claim: %+v", got)
	}
	gotJSON, _ := json.Marshal(got.Claim)
	wantJSON, _ := json.Marshal(cl)
	equal(t, "stored billing.Claim", string(gotJSON), string(wantJSON))
	if len(got.StoredLines) != 2 {
		t.Fatalf("lines: %+v", got.StoredLines)
	}
	l := got.StoredLines[1]
	if l.Number != 2 || l.ControlNumber != cl.Lines[1].ControlNumber || l.Charge != 7550 || l.Units != billing.Units(1) ||
		l.ServiceFrom != day(2025, 3, 5) || l.ServiceTo != day(2025, 3, 7) || len(l.Modifiers) != 1 || l.Modifiers[0] != "25" {
		t.Fatalf("line 2: %+v", l)
	}
	_, err := st.InsertClaim(ctx, storage.NewClaim{Claim: cl}, storage.Event{Cause: storage.CauseSystem})
	isErr(t, "same PCN twice", err, storage.ErrDuplicate)
	bad := sampleClaim("PCN0002", day(2025, 3, 4), 100)
	bad.Lines[0].ControlNumber = ""
	_, err = st.InsertClaim(ctx, storage.NewClaim{Claim: bad}, storage.Event{Cause: storage.CauseSystem})
	isErr(t, "line without control number", err, storage.ErrInvalid)
	_, err = st.InsertClaim(ctx, storage.NewClaim{Claim: sampleClaim("PCN0003", day(2025, 3, 4), 100), State: storage.StatePaid},
		storage.Event{Cause: storage.CauseSystem})
	isErr(t, "starting paid", err, storage.ErrInvalidTransition)
	_, err = st.InsertClaim(ctx, storage.NewClaim{Claim: sampleClaim("PCN0004", day(2025, 3, 4), 100), PatientID: 999},
		storage.Event{Cause: storage.CauseSystem})
	isErr(t, "unknown patient", err, storage.ErrReference)
	_, err = st.Claim(ctx, 999)
	isErr(t, "missing claim", err, storage.ErrNotFound)

	ids := get[[]int64](t)(st.InsertClaims(ctx, []storage.NewClaim{
		{Claim: sampleClaim("B1", day(2025, 1, 1), 100)}, {Claim: sampleClaim("B2", day(2025, 1, 1), 100)},
	}, storage.Event{Cause: storage.CauseSystem}))
	if len(ids) != 2 {
		t.Fatalf("InsertClaims: %v", ids)
	}
	_, err = st.InsertClaims(ctx, []storage.NewClaim{{Claim: sampleClaim("B3", day(2025, 1, 1), 100)},
		{Claim: sampleClaim("B1", day(2025, 1, 1), 100)}}, storage.Event{Cause: storage.CauseSystem})
	isErr(t, "batch with a duplicate", err, storage.ErrDuplicate)
	_, err = st.ClaimByPCN(ctx, "B3")
	isErr(t, "claim of a failed batch", err, storage.ErrNotFound)
}

func testClaimTransitions(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "T1", f.patient1, f.payerA, day(2025, 1, 6), 10000)
	steps := []struct {
		to    storage.ClaimState
		cause storage.Cause
	}{
		{storage.StateValidated, storage.CauseScrubber},
		{storage.StateBatched, storage.CauseSystem},
		{storage.StateTransmitted, storage.CauseSystem},
		{storage.StateSyntaxAccepted, storage.Cause999}, // no TA1: allowed
		{storage.StateClearinghouseRejected, storage.Cause277CAClearinghouse},
		{storage.StateValidated, storage.CausePerson},
		{storage.StateBatched, storage.CauseSystem},
		{storage.StateTransmitted, storage.CauseSystem},
		{storage.StatePayerAccepted, storage.Cause277CAPayer},
		{storage.StatePartiallyPaid, storage.Cause835},
		{storage.StatePatientBilled, storage.CauseSystem},
		{storage.StateClosed, storage.CauseSystem},
	}
	for _, s := range steps {
		must(t, st.TransitionClaim(ctx, c.ID, s.to, storage.Event{Cause: s.cause, Actor: "w1", Detail: map[string]string{"code": "x"}}))
	}
	err := st.TransitionClaim(ctx, c.ID, storage.StateDraft, storage.Event{Cause: storage.CausePerson})
	isErr(t, "closed to draft", err, storage.ErrInvalidTransition)
	err = st.TransitionClaim(ctx, c.ID, storage.ClaimState("lost"), storage.Event{Cause: storage.CausePerson})
	isErr(t, "unknown state", err, storage.ErrInvalid)
	err = st.TransitionClaim(ctx, c.ID, storage.StateReversed, storage.Event{Cause: "gremlin"})
	isErr(t, "unknown cause", err, storage.ErrInvalid)
	err = st.TransitionClaim(ctx, 999, storage.StateValidated, storage.Event{Cause: storage.CausePerson})
	isErr(t, "missing claim", err, storage.ErrNotFound)

	hist := get[[]storage.ClaimEvent](t)(st.ClaimHistory(ctx, c.ID))
	if len(hist) != len(steps)+1 || hist[0].From != "" || hist[0].To != storage.StateDraft {
		t.Fatalf("history: %+v", hist)
	}
	for i, s := range steps {
		e := hist[i+1]
		if e.To != s.to || e.Cause != s.cause || e.Actor != "w1" || e.From != hist[i].To || e.At.IsZero() {
			t.Fatalf("history[%d] = %+v, want to %s by %s", i+1, e, s.to, s.cause)
		}
		var d map[string]string
		must(t, json.Unmarshal(e.Detail, &d))
		equal(t, "detail", d["code"], "x")
	}
	got := get[storage.Claim](t)(st.Claim(ctx, c.ID))
	if got.State != storage.StateClosed || got.FirstBilledOn.IsZero() {
		t.Fatalf("claim after transitions: state %s, first billed %v", got.State, got.FirstBilledOn)
	}
	if ids := get[[]int64](t)(st.ClaimIDsByState(ctx, storage.StateClosed, 0, 10)); len(ids) != 1 || ids[0] != c.ID {
		t.Fatalf("closed claims: %v", ids)
	}
	// Every state has its transitions listed, and nothing leads to an unknown state.
	for _, s := range storage.ClaimStates {
		for _, to := range storage.AllowedTransitions(s) {
			if !to.Valid() || to == s {
				t.Errorf("%s -> %s", s, to)
			}
		}
	}
	if storage.CanTransition(storage.StateDenied, storage.StatePaid) || !storage.CanTransition(storage.StateTransmitted, storage.StatePaid) {
		t.Error("denied -> paid must need an appeal or correction; an 835 may come before any acknowledgement")
	}
}

// Concurrent workers moving one claim: the row lock makes them apply one after the
// other, so exactly one of several identical transitions succeeds.
func testClaimConcurrentTransition(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "CT1", f.patient1, f.payerA, day(2025, 1, 6), 10000)
	for _, s := range []storage.ClaimState{storage.StateValidated, storage.StateBatched, storage.StateTransmitted} {
		must(t, st.TransitionClaim(ctx, c.ID, s, storage.Event{Cause: storage.CauseSystem}))
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = st.TransitionClaim(ctx, c.ID, storage.StateEnvelopeAccepted, storage.Event{Cause: storage.CauseTA1})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, storage.ErrInvalidTransition):
			t.Fatal(err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d identical transitions succeeded, want 1", ok, n)
	}
	if hist := get[[]storage.ClaimEvent](t)(st.ClaimHistory(ctx, c.ID)); len(hist) != 5 {
		t.Fatalf("history has %d rows, want 5", len(hist))
	}
}

func testClaimUpdate(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "U1", f.patient1, f.payerA, day(2025, 1, 6), 10000, 5000)
	fixed := c.Claim
	fixed.Lines = []billing.Line{fixed.Lines[1], fixed.Lines[0]} // reordered
	fixed.Lines[0].Procedure.Code = "99214"
	fixed.Charge = 0
	must(t, st.UpdateClaim(ctx, c.ID, fixed, storage.Event{Cause: storage.CausePerson, Actor: "alice"}))
	got := get[storage.Claim](t)(st.Claim(ctx, c.ID))
	if got.StoredLines[0].ID != c.StoredLines[1].ID || got.StoredLines[0].ProcedureCode != "99214" || got.StoredLines[0].Number != 1 {
		t.Fatalf("lines after update: %+v", got.StoredLines)
	}
	// A line the ledger refers to cannot be dropped.
	_ = get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(got, day(2025, 1, 6))...))
	fixed.Lines = fixed.Lines[:1]
	isErr(t, "dropping a posted line", st.UpdateClaim(ctx, c.ID, fixed, storage.Event{Cause: storage.CausePerson}), storage.ErrReference)
	must(t, st.TransitionClaim(ctx, c.ID, storage.StateValidated, storage.Event{Cause: storage.CauseScrubber}))
	must(t, st.TransitionClaim(ctx, c.ID, storage.StateBatched, storage.Event{Cause: storage.CauseSystem}))
	isErr(t, "editing a batched claim", st.UpdateClaim(ctx, c.ID, got.Claim, storage.Event{Cause: storage.CausePerson}),
		storage.ErrInvalidTransition)
	must(t, st.SetClaimPayer(ctx, c.ID, f.payerB, "ICN42"))
	got = get[storage.Claim](t)(st.Claim(ctx, c.ID))
	if got.PayerID != f.payerB || got.PayerClaimNumber != "ICN42" {
		t.Fatalf("payer: %+v", got)
	}
}
