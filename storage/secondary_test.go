package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

func TestSecondaryReads(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, testSecondaryReads)
}

// testSecondaryReads: RebillClaims writes what RebillClaim and SetClaimPayer write,
// all or nothing; ClaimsBilledCoverage answers BilledCoverage and its payer as the
// whole claim does; a claim's stamp changes with its state, document, payer,
// payments and ledger, and not otherwise.
func testSecondaryReads(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	ev := storage.Event{Cause: storage.CauseSystem, Actor: "test"}
	first, err := st.UpsertPayer(ctx, storage.Payer{PayerID: "12345", Name: "PRIMARY PLAN"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := st.UpsertPayer(ctx, storage.Payer{PayerID: "67890", Name: "SECOND PLAN"})
	if err != nil {
		t.Fatal(err)
	}
	byID, byPayerID, err := st.PayerKeys(ctx, []int64{first, 99999}, []string{"67890", "NOPE"})
	if err != nil {
		t.Fatal(err)
	}
	if byID[first] != "12345" || byPayerID["67890"] != second || len(byID) != 2 || len(byPayerID) != 2 {
		t.Fatalf("payer keys %v, %v", byID, byPayerID)
	}
	if byID, byPayerID, err := st.PayerKeys(ctx, nil, []string{"12345"}); err != nil || byPayerID["12345"] != first || len(byID) != 1 {
		t.Fatalf("payer keys by payer id only: %v, %v, %v", byID, byPayerID, err)
	}
	newClaim := func(pcn string, state storage.ClaimState) (int64, billing.Claim) {
		c := billing.Claim{PatientControlNumber: pcn, PlaceOfService: "11", Diagnoses: []billing.Diagnosis{{Code: "J069"}},
			Coverages: []billing.Coverage{{Payer: billing.Payer{Name: "PRIMARY PLAN", ID: "12345"}, MemberID: "M1", FilingIndicator: "CI"},
				{Payer: billing.Payer{Name: "SECOND PLAN", ID: "67890"}, MemberID: "M2", FilingIndicator: "CI"}},
			Lines: []billing.Line{{Procedure: billing.Procedure{Code: "99213"}, Charge: 200_00, ServiceDates: billing.Period{From: billing.NewDate(2025, 1, 6)}}}}
		c.Normalize()
		id, err := st.InsertClaim(ctx, storage.NewClaim{Claim: c, PayerID: first, State: storage.StateValidated}, ev)
		if err != nil {
			t.Fatal(err)
		}
		if state != storage.StateValidated {
			for _, s := range []storage.ClaimState{storage.StateBatched, storage.StateTransmitted, state} {
				if err := st.TransitionClaim(ctx, id, s, ev); err != nil {
					t.Fatal(err)
				}
			}
		}
		return id, c
	}
	adjudicated := func(c billing.Claim) billing.Claim {
		c.Coverages = append([]billing.Coverage(nil), c.Coverages...)
		c.Coverages[0].Adjudication = &billing.OtherPayerAdjudication{PaidAmount: 120_00, Date: billing.NewDate(2025, 1, 20)}
		return c
	}
	a, ca := newClaim("SR1", storage.StatePaid)
	b, cb := newClaim("SR2", storage.StatePartiallyPaid)
	v, cv := newClaim("SR3", storage.StateValidated)
	ids := []int64{a, b, v, 999999}

	stamps, err := st.ClaimLedgerStamps(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(stamps) != 3 || stamps[a].State != storage.StatePaid || stamps[a].PayerID != first || stamps[a].Events != 4 ||
		stamps[a].Payments != 0 || stamps[a].Entries != 0 {
		t.Fatalf("stamps %+v", stamps)
	}

	// All or nothing: a validated claim cannot be rebilled, nor a changed line.
	rb := func(id int64, c billing.Claim, payer int64) storage.Rebill {
		return storage.Rebill{ClaimID: id, Claim: c, PayerID: payer,
			Event: storage.Event{Cause: storage.CauseSystem, Actor: "test", Detail: map[string]any{"claim": strconv.FormatInt(id, 10)}}}
	}
	if err := st.RebillClaims(ctx, []storage.Rebill{rb(a, adjudicated(ca), second), rb(v, adjudicated(cv), second)}); !errors.Is(err, storage.ErrInvalidTransition) {
		t.Fatalf("rebilling a validated claim: %v, want ErrInvalidTransition", err)
	}
	changed := adjudicated(cb)
	changed.Lines = append([]billing.Line(nil), cb.Lines...)
	changed.Lines[0].Charge = 150_00
	if err := st.RebillClaims(ctx, []storage.Rebill{rb(a, adjudicated(ca), second), rb(b, changed, second)}); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("rebilling with a changed line: %v, want ErrInvalid", err)
	}
	if again, err := st.ClaimLedgerStamps(ctx, ids); err != nil || again[a] != stamps[a] || again[b] != stamps[b] {
		t.Fatalf("a failed rebill changed the claims: %+v, %v", again, err)
	}
	heads, err := st.ClaimsBilledCoverage(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := heads[0].BilledCoverage(); len(heads) != 3 || !ok || k != 0 || heads[0].PatientControlNumber != "SR1" {
		t.Fatalf("before rebilling: %d heads, coverage %d", len(heads), k)
	}

	// a goes to the second payer, b to none known.
	if err := st.RebillClaims(ctx, []storage.Rebill{rb(a, adjudicated(ca), second), rb(b, adjudicated(cb), 0)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id    int64
		payer int64
		state storage.ClaimState
	}{{a, second, storage.StatePaid}, {b, 0, storage.StatePartiallyPaid}} {
		got, err := st.Claim(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != c.state || got.PayerID != c.payer || got.PayerClaimNumber != "" || got.Coverages[0].Adjudication == nil ||
			got.Coverages[0].Adjudication.PaidAmount != 120_00 {
			t.Fatalf("claim %d after rebilling: %s, payer %d, adjudication %+v", c.id, got.State, got.PayerID, got.Coverages[0].Adjudication)
		}
		hist, err := st.ClaimHistory(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		last := hist[len(hist)-1]
		var d map[string]string
		if err := json.Unmarshal(last.Detail, &d); err != nil {
			t.Fatal(err)
		}
		if last.From != c.state || last.To != c.state || last.Actor != "test" || d["claim"] != strconv.FormatInt(c.id, 10) || len(d) != 1 {
			t.Fatalf("claim %d history ends %+v", c.id, last)
		}
	}
	heads, err = st.ClaimsBilledCoverage(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range heads {
		whole, err := st.Claim(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		k, ok := h.BilledCoverage()
		wk, wok := whole.BilledCoverage()
		if k != wk || ok != wok || len(h.Coverages) != len(whole.Coverages) || h.Coverages[k].Payer.ID != whole.Coverages[wk].Payer.ID ||
			h.PatientControlNumber != whole.PatientControlNumber || h.State != whole.State || h.PayerID != whole.PayerID {
			t.Fatalf("claim %d: billed coverage %d of %d (%+v), the whole claim's %d of %d", h.ID, k, len(h.Coverages), h, wk, len(whole.Coverages))
		}
	}

	// Stamps: a rebilled claim's changed (history, payer); a posting changes its
	// claim's; a claim untouched keeps its stamp.
	now, err := st.ClaimLedgerStamps(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if now[a] == stamps[a] || now[a].Events != stamps[a].Events+1 || now[a].PayerID != second || now[v] != stamps[v] {
		t.Fatalf("stamps after rebilling %+v, before %+v", now, stamps)
	}
	whole, err := st.Claim(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	patient, err := st.UpsertPatient(ctx, storage.Patient{AccountNumber: "SR-1", Person: billing.Person{LastName: "SAMPLE", FirstName: "ALEX"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Post(ctx, storage.Entry{PatientID: patient, ClaimID: b, LineID: whole.StoredLines[0].ID, PayerID: first, Kind: storage.KindCharge,
		Bucket: storage.BucketInsurance, Amount: 200_00, EffectiveOn: billing.NewDate(2025, 1, 6), SourceKind: "claim",
		SourceID: strconv.FormatInt(b, 10), IdempotencyKey: "charge/SR2"}); err != nil {
		t.Fatal(err)
	}
	after, err := st.ClaimLedgerStamps(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if after[b].Entries != now[b].Entries+1 || after[a] != now[a] || after[v] != now[v] {
		t.Fatalf("stamps after posting %+v, before %+v", after, now)
	}
}
