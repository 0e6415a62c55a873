package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestSecondaryDryRunThenApply: the dry run prints the secondary claim (2320 and
// 2430 of X12-GUIDE section 7) with member ids masked and writes nothing; without
// --dry-run the claim moves to secondary-billed.
func TestSecondaryDryRunThenApply(t *testing.T) {
	t.Parallel()
	url := testenv.SQLiteURL(t)
	st := testenv.Open(t, url)
	id := storeAdjudicatedClaim(t, st)
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "secondary", "--dry-run", "--database", url, "CLI17")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"claim " + strconv.FormatInt(id, 10) + " (CLI17), partially-paid: would do bill-next",
		"coverage 2 SBR01 S billed (2000B/2010BB): payer 67890 SECOND PLAN, member (masked)",
		"2320 AMT*D 120.00, CAS -, AMT*EAF -; 2330B REF*F8 ICN1, DTP*573 2025-01-20",
		"2430 line 1: SVD02 120.00 99213, CAS CO-45 50.00, PR-2 30.00, DTP*573 2025-01-20, AMT*EAF 30.00",
		"ledger: patient-responsibility insurance 30.00",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, phi := range []string{"SEC0002", "PRI0001", "SAMPLE", "1980"} {
		if strings.Contains(out, phi) {
			t.Errorf("output shows PHI %q without --show-phi:\n%s", phi, out)
		}
	}
	check := testenv.Open(t, url)
	if s, err := check.ClaimState(context.Background(), id); err != nil || s != storage.StatePartiallyPaid {
		t.Fatalf("after the dry run: %s, %v", s, err)
	}
	check.Close(context.Background())

	if code, out, errOut := runCLI(t, "secondary", "--database", url, strconv.FormatInt(id, 10)); code != 0 || !strings.Contains(out, "done bill-next") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	check = testenv.Open(t, url)
	if s, err := check.ClaimState(context.Background(), id); err != nil || s != storage.StateSecondaryBilled {
		t.Fatalf("after the run: %s, %v", s, err)
	}
}

// storeAdjudicatedClaim stores a claim of 200.00 with a primary and a secondary
// coverage, adjudicated by the primary as in X12-GUIDE 6.6 (paid 120.00, CO-45
// 50.00, PR-2 30.00), and returns its id.
func storeAdjudicatedClaim(t *testing.T, st *storage.Store) int64 {
	t.Helper()
	ctx := context.Background()
	pri, err := st.UpsertPayer(ctx, storage.Payer{PayerID: "12345", Name: "PRIMARY PLAN"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpsertPayer(ctx, storage.Payer{PayerID: "67890", Name: "SECOND PLAN"}); err != nil {
		t.Fatal(err)
	}
	person := billing.Person{LastName: "SAMPLE", FirstName: "ALEX", BirthDate: billing.NewDate(1980, 1, 15), Gender: "F",
		Address: billing.Address{Line1: "1 MAIN ST", City: "SPRINGFIELD", State: "IL", PostalCode: "62701"}}
	pat, err := st.UpsertPatient(ctx, storage.Patient{AccountNumber: "CLI-1", Person: person})
	if err != nil {
		t.Fatal(err)
	}
	c := billing.Claim{PatientControlNumber: "CLI17", PlaceOfService: "11", Diagnoses: []billing.Diagnosis{{Code: "J069"}}, Patient: person,
		Coverages: []billing.Coverage{
			{Payer: billing.Payer{Name: "PRIMARY PLAN", ID: "12345"}, MemberID: "PRI0001", FilingIndicator: "CI"},
			{Payer: billing.Payer{Name: "SECOND PLAN", ID: "67890"}, MemberID: "SEC0002", FilingIndicator: "CI"},
		},
		BillingProvider: billing.Provider{NPI: "1234567893", Name: "EXAMPLE FAMILY MEDICINE", TaxID: "990000001",
			Address: billing.Address{Line1: "100 CLINIC WAY", City: "SPRINGFIELD", State: "IL", PostalCode: "627010001"}},
		Lines: []billing.Line{{Procedure: billing.Procedure{Code: "99213"}, Charge: 200_00,
			ServiceDates: billing.Period{From: billing.NewDate(2025, time.January, 6)}}},
	}
	c.Normalize()
	ev := storage.Event{Cause: storage.CauseSystem, Actor: "test"}
	id, err := st.InsertClaim(ctx, storage.NewClaim{Claim: c, PatientID: pat, PayerID: pri, State: storage.StateValidated}, ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []storage.ClaimState{storage.StateBatched, storage.StateTransmitted, storage.StatePartiallyPaid} {
		if err := st.TransitionClaim(ctx, id, s, ev); err != nil {
			t.Fatal(err)
		}
	}
	lines, err := st.ClaimLines(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	day := billing.NewDate(2025, time.January, 20)
	rid, _, err := st.InsertRemittance(ctx, storage.Remittance{PayerID: pri, PayerIdentifier: "112345", TraceNumber: "EFT1",
		TotalPaid: 120_00, PaymentDate: day, Header: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	base := storage.Entry{PatientID: pat, ClaimID: id, LineID: lines[0].ID, PayerID: pri, EffectiveOn: day, SourceKind: "test", SourceID: "1"}
	charge, pay, co, pr := base, base, base, base
	charge.Kind, charge.Bucket, charge.Amount, charge.IdempotencyKey = storage.KindCharge, storage.BucketInsurance, 200_00, "t/charge"
	pay.Kind, pay.Bucket, pay.Amount, pay.IdempotencyKey = storage.KindInsurancePayment, storage.BucketInsurance, -120_00, "t/pay"
	co.Kind, co.Bucket, co.Amount, co.IdempotencyKey = storage.KindContractualAdjustment, storage.BucketInsurance, -50_00, "t/co"
	pr.IdempotencyKey = "t/pr"
	moved := storage.TransferEntries(pr, storage.KindCoinsurance, 30_00, storage.BucketInsurance, storage.BucketPatient, 0)
	cp := storage.ClaimPayment{RemittanceID: rid, ClaimID: id, Key: "t/cp", PatientControlNumber: "CLI17", Status: "1", Charge: 200_00,
		Paid: 120_00, PatientResponsibility: 30_00, PayerClaimNumber: "ICN1",
		Services: []storage.ServicePayment{{LineID: lines[0].ID, ProcedureCode: "99213", Charge: 200_00, Paid: 120_00, Units: billing.Units(1),
			Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: 50_00}, {Group: "PR", Reason: "2", Amount: 30_00}}}}}
	if _, err := st.PostClaimPayments(ctx, []storage.PaymentPosting{{Payment: cp, Entries: []storage.Entry{charge, pay, co, moved[0], moved[1]}}}); err != nil {
		t.Fatal(err)
	}
	return id
}
