package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
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
	payer, err := st.UpsertPayer(ctx, storage.Payer{PayerID: "12345", Name: "PRIMARY PLAN"})
	if err != nil {
		t.Fatal(err)
	}
	patient, err := st.UpsertPatient(ctx, storage.Patient{AccountNumber: "A1", Person: billing.Person{LastName: "DOE", FirstName: "PAT"}})
	if err != nil {
		t.Fatal(err)
	}
	day := billing.NewDate(2025, time.January, 20)
	ev := storage.Event{Cause: storage.CauseSystem, Actor: "test"}
	var ids []int64
	for n, pcn := range []string{"C1", "C2", "C3"} {
		c := billing.Claim{PatientControlNumber: pcn, PlaceOfService: "11", Diagnoses: []billing.Diagnosis{{Code: "J069"}},
			Coverages: []billing.Coverage{{Payer: billing.Payer{Name: "PRIMARY PLAN", ID: "12345"}, MemberID: "M1", FilingIndicator: "CI"},
				{Payer: billing.Payer{Name: "SECOND PLAN", ID: "67890"}, MemberID: "M2", FilingIndicator: "CI"}}[:1+n%2],
			Lines: []billing.Line{{Procedure: billing.Procedure{Code: "99213"}, Charge: 100_00, ServiceDates: billing.Period{From: day}},
				{Procedure: billing.Procedure{Code: "87880"}, Charge: 50_00, ServiceDates: billing.Period{From: day}}}}
		c.Normalize()
		id, err := st.InsertClaim(ctx, storage.NewClaim{Claim: c, PatientID: patient, PayerID: payer, State: storage.StateValidated}, ev)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		cl, err := st.Claim(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// C1 two payments, C2 one, C3 none; each with a service per line.
		for k := range 2 - n {
			trace := pcn + "-T" + strconv.Itoa(k)
			rid, _, err := st.InsertRemittance(ctx, storage.Remittance{PayerID: payer, PayerIdentifier: "112345", TraceNumber: trace,
				TotalPaid: 80_00, PaymentDate: day.AddDays(k), ProductionDate: day, Header: json.RawMessage(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			cp := storage.ClaimPayment{RemittanceID: rid, ClaimID: id, Key: trace, PatientControlNumber: pcn, Status: "1", Charge: 150_00,
				Paid: 80_00, PayerClaimNumber: "ICN" + trace, RemarkCodes: []string{"N1"},
				Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: 10_00}}}
			for _, l := range cl.StoredLines {
				cp.Services = append(cp.Services, storage.ServicePayment{LineID: l.ID, ControlNumber: l.ControlNumber, ProcedureCode: l.ProcedureCode,
					Modifiers: []string{"25"}, Charge: l.Charge, Paid: 40_00, Units: billing.Units(1), ServiceDate: day,
					Adjustments: []billing.Adjustment{{Group: "PR", Reason: "2", Amount: billing.Money(n+1) * 5_00}}})
			}
			e := storage.Entry{PatientID: patient, ClaimID: id, LineID: cl.StoredLines[k].ID, PayerID: payer, Kind: storage.KindInsurancePayment,
				Bucket: storage.BucketInsurance, Amount: -80_00, EffectiveOn: day, IdempotencyKey: trace + "/pay"}
			if _, err := st.PostClaimPayments(ctx, []storage.PaymentPosting{{Payment: cp, Entries: []storage.Entry{e}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
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
