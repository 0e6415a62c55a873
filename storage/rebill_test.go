package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

func TestRebillClaimSQLite(t *testing.T) {
	t.Parallel()
	testRebillClaim(t, testenv.SQLite(t))
}

func TestRebillClaimPostgres(t *testing.T) {
	t.Parallel()
	testRebillClaim(t, testenv.Postgres(t))
}

// testRebillClaim: RebillClaim replaces an adjudicated claim's content only, keeps
// its lines and state and records the change; PaymentOrigins names each payment's
// payer and dates.
func testRebillClaim(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	payer, err := st.UpsertPayer(ctx, storage.Payer{PayerID: "12345", Name: "PRIMARY PLAN"})
	if err != nil {
		t.Fatal(err)
	}
	c := billing.Claim{PatientControlNumber: "RB1", PlaceOfService: "11", Diagnoses: []billing.Diagnosis{{Code: "J069"}},
		Coverages: []billing.Coverage{{Payer: billing.Payer{Name: "PRIMARY PLAN", ID: "12345"}, MemberID: "M1", FilingIndicator: "CI"},
			{Payer: billing.Payer{Name: "SECOND PLAN", ID: "67890"}, MemberID: "M2", FilingIndicator: "CI"}},
		Lines: []billing.Line{{Procedure: billing.Procedure{Code: "99213"}, Charge: 200_00, ServiceDates: billing.Period{From: billing.NewDate(2025, 1, 6)}}}}
	c.Normalize()
	ev := storage.Event{Cause: storage.CauseSystem, Actor: "test"}
	id, err := st.InsertClaim(ctx, storage.NewClaim{Claim: c, PayerID: payer, State: storage.StateValidated}, ev)
	if err != nil {
		t.Fatal(err)
	}
	next := c
	next.Coverages = append([]billing.Coverage(nil), c.Coverages...)
	next.Coverages[0].Adjudication = &billing.OtherPayerAdjudication{PaidAmount: 200_00, Date: billing.NewDate(2025, 1, 20)}
	if err := st.RebillClaim(ctx, id, next, ev); !errors.Is(err, storage.ErrInvalidTransition) {
		t.Fatalf("rebilling a validated claim: %v, want ErrInvalidTransition", err)
	}
	for _, s := range []storage.ClaimState{storage.StateBatched, storage.StateTransmitted, storage.StatePaid} {
		if err := st.TransitionClaim(ctx, id, s, ev); err != nil {
			t.Fatal(err)
		}
	}
	changed := next
	changed.Lines = append([]billing.Line(nil), next.Lines...)
	changed.Lines[0].Charge = 150_00
	if err := st.RebillClaim(ctx, id, changed, ev); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("rebilling with a changed line: %v, want ErrInvalid", err)
	}
	if err := st.RebillClaim(ctx, id, next, ev); err != nil {
		t.Fatal(err)
	}
	got, err := st.Claim(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != storage.StatePaid || got.Coverages[0].Adjudication == nil || got.Coverages[0].Adjudication.PaidAmount != 200_00 {
		t.Fatalf("after rebilling: state %s, adjudication %+v", got.State, got.Coverages[0].Adjudication)
	}
	if err := st.TransitionClaim(ctx, id, storage.StateSecondaryBilled, ev); err != nil {
		t.Fatal(err)
	}
	for _, s := range []storage.ClaimState{storage.StateBatched, storage.StateHeld} {
		if !storage.CanTransition(storage.StateSecondaryBilled, s) {
			t.Errorf("secondary-billed -> %s not allowed", s)
		}
	}

	day := billing.NewDate(2025, time.January, 20)
	rid, _, err := st.InsertRemittance(ctx, storage.Remittance{PayerID: payer, PayerIdentifier: "112345", TraceNumber: "T1",
		TotalPaid: 200_00, PaymentDate: day, ProductionDate: day.AddDays(-1), Header: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	cp := storage.ClaimPayment{RemittanceID: rid, ClaimID: id, Key: "k1", PatientControlNumber: "RB1", Status: "1", Charge: 200_00, Paid: 200_00}
	if _, err := st.PostClaimPayments(ctx, []storage.PaymentPosting{{Payment: cp}}); err != nil {
		t.Fatal(err)
	}
	origins, err := st.PaymentOrigins(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(origins) != 1 || origins[0].RemittanceID != rid || origins[0].PayerID != payer || origins[0].PaymentDate != day ||
		origins[0].ProductionDate != day.AddDays(-1) || origins[0].PaymentID == 0 {
		t.Fatalf("origins = %+v", origins)
	}
}
