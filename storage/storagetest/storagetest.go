// Package storagetest is the conformance suite of package storage: the same tests,
// run against every driver, so that SQLite and PostgreSQL behave the same. A driver's
// test file gives Run a function that makes a fresh, empty database for one test:
//
//	func TestSQLite(t *testing.T) {
//		storagetest.Run(t, func(t testing.TB) string {
//			return "sqlite://" + filepath.Join(t.TempDir(), "claimflow.db")
//		})
//	}
//
// Every test runs in parallel with the others in its own database (PostgreSQL: its
// own schema), migrated by storage.Open.
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
)

// NewDatabase returns the URL of a fresh, empty database that lives until the test
// ends.
type NewDatabase func(t testing.TB) string

// test is one conformance test.
type test struct {
	name string
	run  func(t *testing.T, h *harness)
}

// tests are all the conformance tests; each file of the package adds its own.
var tests []test

func register(ts ...test) bool {
	tests = append(tests, ts...)
	return true
}

// Run runs the conformance suite, each test in a database of its own from newDB.
func Run(t *testing.T, newDB NewDatabase) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, &harness{newDB: newDB})
		})
	}
}

// harness gives a test its database.
type harness struct {
	newDB NewDatabase
	url   string
}

// URL returns the test's database URL, made on first use.
func (h *harness) URL(t testing.TB) string {
	if h.url == "" {
		h.url = h.newDB(t)
	}
	return h.url
}

// Store opens the test's database, migrated, and closes it when the test ends.
func (h *harness) Store(t testing.TB, opts ...storage.Option) *storage.Store {
	t.Helper()
	st, err := storage.Open(t.Context(), h.URL(t), append([]storage.Option{storage.MigrateOnOpen()}, opts...)...)
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// must fails the test on an error.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// get returns v, failing the test on an error.
func get[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// equal fails the test unless got and want are deeply equal.
func equal[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// isErr fails the test unless errors.Is(err, target).
func isErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// fixture is a small practice: a billing provider, two payers, two patients with
// coverages, and claims.
type fixture struct {
	st                 *storage.Store
	billingProvider    int64
	payerA, payerB     int64
	patient1, patient2 int64
}

func newFixture(t testing.TB, st *storage.Store) *fixture {
	t.Helper()
	ctx := t.Context()
	f := &fixture{st: st}
	f.billingProvider = get[int64](t)(st.UpsertBillingProvider(ctx, billing.Provider{
		EntityType: billing.EntityOrganization, NPI: "1234567893", Name: "SPRINGFIELD CLINIC", TaxID: "123456789",
		Taxonomy: "207Q00000X", Address: billing.Address{Line1: "100 MAIN STREET", City: "SPRINGFIELD", State: "IL", PostalCode: "627010002"},
	}))
	f.payerA = get[int64](t)(st.UpsertPayer(ctx, storage.Payer{PayerID: "12345", Name: "PRIMARY PLAN", Clearinghouse: "sim", TimelyFilingDays: 90}))
	f.payerB = get[int64](t)(st.UpsertPayer(ctx, storage.Payer{PayerID: "67890", Name: "SECONDARY PLAN", Clearinghouse: "sim", TimelyFilingDays: 365}))
	f.patient1 = get[int64](t)(st.UpsertPatient(ctx, storage.Patient{AccountNumber: "ACCT1", Person: billing.Person{
		LastName: "DOE", FirstName: "JANE", BirthDate: billing.NewDate(1980, 2, 29), Gender: "F",
		Address: billing.Address{Line1: "12 ELM ST", City: "SPRINGFIELD", State: "IL", PostalCode: "627010001"}}}))
	f.patient2 = get[int64](t)(st.UpsertPatient(ctx, storage.Patient{AccountNumber: "ACCT2", Person: billing.Person{
		LastName: "ROE", FirstName: "RICHARD", BirthDate: billing.NewDate(1975, 7, 4), Gender: "M"}}))
	return f
}

// claim returns a normalized claim with one line per charge, the lines' dates of
// service on dos.
func sampleClaim(pcn string, dos billing.Date, charges ...billing.Money) billing.Claim {
	c := billing.Claim{
		PatientControlNumber: pcn,
		PlaceOfService:       "11",
		Diagnoses:            []billing.Diagnosis{{Code: "E119"}},
		Patient:              billing.Person{LastName: "DOE", FirstName: "JANE", BirthDate: billing.NewDate(1980, 2, 29), Gender: "F"},
		Coverages: []billing.Coverage{{
			Payer: billing.Payer{Name: "PRIMARY PLAN", ID: "12345"}, MemberID: "MEMBER001", FilingIndicator: "CI",
		}},
		BillingProvider: billing.Provider{NPI: "1234567893", Name: "SPRINGFIELD CLINIC"},
	}
	for i, ch := range charges {
		c.Lines = append(c.Lines, billing.Line{
			Procedure:    billing.Procedure{Code: fmt.Sprintf("9921%d", 3+i%3), Modifiers: []string{"25"}[:i%2]},
			Charge:       ch,
			ServiceDates: billing.Period{From: dos},
		})
	}
	c.Normalize()
	return c
}

// addClaim stores a claim for the patient, billed to the payer.
func (f *fixture) addClaim(t testing.TB, pcn string, patient, payer int64, dos billing.Date, charges ...billing.Money) storage.Claim {
	t.Helper()
	ctx := t.Context()
	id := get[int64](t)(f.st.InsertClaim(ctx, storage.NewClaim{
		Claim: sampleClaim(pcn, dos, charges...), PatientID: patient, PayerID: payer, BillingProviderID: f.billingProvider,
	}, storage.Event{Cause: storage.CauseSystem, Actor: "test"}))
	return get[storage.Claim](t)(f.st.Claim(ctx, id))
}

// charge returns the charge entries of a stored claim's lines, to the insurance bucket.
func chargeEntries(c storage.Claim, on billing.Date) []storage.Entry {
	var es []storage.Entry
	for _, l := range c.StoredLines {
		es = append(es, storage.Entry{
			PatientID: c.PatientID, ClaimID: c.ID, LineID: l.ID, PayerID: c.PayerID, Kind: storage.KindCharge,
			Bucket: storage.BucketInsurance, Amount: l.Charge, EffectiveOn: on, SourceKind: "claim",
			SourceID: fmt.Sprint(c.ID), IdempotencyKey: fmt.Sprintf("charge/%s/%s", c.PatientControlNumber, l.ControlNumber),
		})
	}
	return es
}

// day is a fixed date for tests.
func day(y int, m time.Month, d int) billing.Date { return billing.NewDate(y, m, d) }

// contains fails unless s contains sub.
func contains(t testing.TB, what, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%s: %q does not contain %q", what, s, sub)
	}
}
