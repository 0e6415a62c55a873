package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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

func TestClaimReadsOfMany(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, testClaimReadsOfMany)
}

// testClaimReadsOfMany: ClaimPaymentsOf and PaymentOriginsOf give, for each of many
// claims, what ClaimPayments and PaymentOrigins give for it alone; LedgerSums what
// its entries add up to per line, payer and bucket; all leave out claims without
// any.
func testClaimReadsOfMany(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	// M1 and M2 two payments each, M3 none.
	ids := paidClaims(t, st, []string{"M1", "M2", "M3"}, []int{1, 1, 1}, []int{2, 2, 0})
	all := append(ids, ids[len(ids)-1]+1000) // and an id of no claim
	pays, err := st.ClaimPaymentsOf(ctx, all, true)
	if err != nil {
		t.Fatal(err)
	}
	origins, err := st.PaymentOriginsOf(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := st.LedgerSums(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(pays) != 2 || len(origins) != 2 || len(sums) != 2 {
		t.Fatalf("claims with payments %d, origins %d, ledger sums %d; want 2 each", len(pays), len(origins), len(sums))
	}
	for _, id := range ids {
		onePays, err := st.ClaimPayments(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		oneOrigins, err := st.PaymentOrigins(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		oneEntries, err := st.Entries(ctx, storage.EntryFilter{ClaimID: id})
		if err != nil {
			t.Fatal(err)
		}
		type at struct {
			line, payer int64
			bucket      storage.Bucket
		}
		added := map[at]billing.Money{}
		for _, e := range oneEntries {
			added[at{e.LineID, e.PayerID, e.Bucket}] += e.Amount
		}
		got := map[at]billing.Money{}
		for _, s := range sums[id] {
			got[at{s.LineID, s.PayerID, s.Bucket}] += s.Amount
		}
		if fmt.Sprint(got) != fmt.Sprint(added) || len(got) != len(sums[id]) {
			t.Errorf("claim %d: ledger sums %v, want %v", id, sums[id], added)
		}
		for _, c := range []struct {
			what      string
			many, one any
		}{{"payments", pays[id], onePays}, {"origins", origins[id], oneOrigins}} {
			m, _ := json.Marshal(c.many)
			o, _ := json.Marshal(c.one)
			if string(m) != string(o) {
				t.Errorf("claim %d %s:\nof many %s\nalone   %s", id, c.what, m, o)
			}
		}
	}
	if n := len(pays[ids[0]]); n != 2 || len(pays[ids[0]][1].Services) != 2 {
		t.Errorf("claim %d: %d payments, %+v", ids[0], n, pays[ids[0]])
	}
	// Without services: the same payments, adjustments included.
	bare, err := st.ClaimPaymentsOf(ctx, all, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:2] {
		want := pays[id]
		if len(bare[id]) != len(want) {
			t.Fatalf("claim %d: %d payments without services, want %d", id, len(bare[id]), len(want))
		}
		for i := range want {
			w := want[i]
			w.Services = nil
			if fmt.Sprint(bare[id][i]) != fmt.Sprint(w) || len(bare[id][i].Adjustments) != 1 {
				t.Errorf("claim %d payment %d without services:\n%+v\nwant %+v", id, i, bare[id][i], w)
			}
		}
	}
	lines, err := st.LinesOf(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		cl, err := st.Claim(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(lines[id]) != fmt.Sprint(cl.StoredLines) || len(lines[id]) != 2 {
			t.Errorf("claim %d: lines %+v, want %+v", id, lines[id], cl.StoredLines)
		}
	}
	// ClaimsCoverages: the claims' PCNs, coverages and columns, nothing else of
	// their documents.
	heads, err := st.ClaimsCoverages(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(heads) != len(ids) {
		t.Fatalf("%d claims' coverages, want %d", len(heads), len(ids))
	}
	for i, h := range heads {
		cl, err := st.Claim(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		want := cl
		want.Claim = billing.Claim{PatientControlNumber: cl.PatientControlNumber, Coverages: cl.Coverages}
		want.StoredLines = nil
		if h.ID != ids[i] || h.PatientControlNumber == "" || len(h.Coverages) != 1 || fmt.Sprint(h) != fmt.Sprint(want) {
			t.Errorf("claim %d coverages:\n%+v\nwant %+v", ids[i], h, want)
		}
	}
}

// paidClaims inserts one validated claim per pcn, with two lines (99213 for $100,
// 87880 for $50) and, for the n-th, coverages[n] coverages (the primary plan, then
// a second), and gives it payments[n] payments of $80, each from a remittance of
// its own (paid a day apart), with a service per line and an insurance-payment
// entry on the k-th line. It returns the claims' ids.
func paidClaims(t *testing.T, st *storage.Store, pcns []string, coverages, payments []int) []int64 {
	t.Helper()
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
	plans := []billing.Coverage{{Payer: billing.Payer{Name: "PRIMARY PLAN", ID: "12345"}, MemberID: "M1", FilingIndicator: "CI"},
		{Payer: billing.Payer{Name: "SECOND PLAN", ID: "67890"}, MemberID: "M2", FilingIndicator: "CI"}}
	var ids []int64
	for n, pcn := range pcns {
		c := billing.Claim{PatientControlNumber: pcn, PlaceOfService: "11", Diagnoses: []billing.Diagnosis{{Code: "J069"}},
			Coverages: plans[:coverages[n]],
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
		for k := range payments[n] {
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
	return ids
}
