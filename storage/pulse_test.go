package storage_test

import (
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestPulse: the pulse agrees with the backlog's counts on which pending states
// hold claims and on the files and messages left, and its LastEvent moves with
// every new claim and change of state, and only then.
func TestPulse(t *testing.T) {
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := t.Context()
		check := func(p storage.Pulse) {
			t.Helper()
			b, err := st.Backlog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for s, n := range b.ByState {
				pending := storage.Backlog{ByState: map[storage.ClaimState]int64{s: 1}}.InFlight() == 1
				if want := n > 0 && pending; p.Present[s] != want {
					t.Errorf("state %s: present %v, %d claims", s, p.Present[s], n)
				}
			}
			if p.InFlight() != (b.InFlight() > 0) || p.Outbox != b.Outbox || p.Unsent != b.Unsent || p.Inbound != b.Inbound {
				t.Errorf("pulse %+v, backlog %+v", p, b)
			}
		}
		p0, err := st.Pulse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p0.LastEvent != 0 || p0.InFlight() || len(p0.Present) != 0 {
			t.Fatalf("empty store: %+v", p0)
		}
		var ids []int64
		for _, pcn := range []string{"PULSE1", "PULSE2", "PULSE3"} {
			id, err := st.InsertClaim(ctx, storage.NewClaim{Claim: billing.Claim{PatientControlNumber: pcn,
				Lines: []billing.Line{{ControlNumber: "1", Charge: 100}}}},
				storage.Event{Cause: storage.CauseSystem, Actor: "tester"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		p1, err := st.Pulse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p1.LastEvent <= p0.LastEvent || !p1.Present[storage.StateDraft] || len(p1.Present) != 1 {
			t.Fatalf("after intake: %+v", p1)
		}
		check(p1)
		if err := st.TransitionClaim(ctx, ids[0], storage.StateValidated, storage.Event{Cause: storage.CauseScrubber, Actor: "tester"}); err != nil {
			t.Fatal(err)
		}
		if err := st.TransitionClaim(ctx, ids[1], storage.StateHeld, storage.Event{Cause: storage.CauseScrubber, Actor: "tester"}); err != nil {
			t.Fatal(err)
		}
		p2, err := st.Pulse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p2.LastEvent <= p1.LastEvent || !p2.Present[storage.StateValidated] || !p2.Present[storage.StateDraft] || p2.Present[storage.StateHeld] {
			t.Fatalf("after scrubbing: %+v", p2)
		}
		check(p2)
		// A write that changes no claim's state leaves LastEvent alone.
		if err := st.SetFirstBilled(ctx, ids[:1]); err != nil {
			t.Fatal(err)
		}
		if p3, err := st.Pulse(ctx); err != nil || p3.LastEvent != p2.LastEvent {
			t.Fatalf("after a write that changes no state: %+v (%v)", p3, err)
		}
		for _, id := range []int64{ids[0], ids[2]} {
			to := storage.StateHeld
			if id == ids[0] {
				to = storage.StateBatched
			}
			if err := st.TransitionClaim(ctx, id, to, storage.Event{Cause: storage.CauseSystem, Actor: "tester"}); err != nil {
				t.Fatal(err)
			}
		}
		p4, err := st.Pulse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !p4.Present[storage.StateBatched] || p4.Present[storage.StateDraft] || p4.Present[storage.StateValidated] {
			t.Fatalf("at the end: %+v", p4)
		}
		check(p4)
	})
}
