package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestUpsertPatients: the bulk path stores what UpsertPatient and SetCoverages
// would one patient at a time (the last occurrence of an account wins, every
// occurrence gets its id), and leaves a patient stored exactly as given untouched.
func TestUpsertPatients(t *testing.T) {
	testenv.EachEngine(t, testUpsertPatients)
}

func testUpsertPatients(t *testing.T, st *storage.Store) {
	ctx := t.Context()
	p1, err := st.UpsertPayer(ctx, storage.Payer{PayerID: "P1", Name: "ONE"})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := st.UpsertPayer(ctx, storage.Payer{PayerID: "P2", Name: "TWO"})
	if err != nil {
		t.Fatal(err)
	}
	person := func(last string) billing.Person {
		return billing.Person{LastName: last, FirstName: "X", BirthDate: billing.NewDate(1980, time.February, 3), Gender: "F",
			Address: billing.Address{Line1: "1 MAIN ST", City: "TOWN", State: "CA", PostalCode: "90001"}}
	}
	sub := person("SUB")
	// Stored one at a time before: A with one coverage, B with two.
	idA, err := st.UpsertPatient(ctx, storage.Patient{AccountNumber: "A", Person: person("ALPHA")})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetCoverages(ctx, idA, []storage.Coverage{{PayerID: p1, MemberID: "M1"}}); err != nil {
		t.Fatal(err)
	}
	idB, err := st.UpsertPatient(ctx, storage.Patient{AccountNumber: "B", Person: person("BETA")})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetCoverages(ctx, idB, []storage.Coverage{{PayerID: p1, MemberID: "M2"},
		{PayerID: p2, MemberID: "M3", Relationship: "01", Subscriber: sub}}); err != nil {
		t.Fatal(err)
	}
	beforeA, err := st.Patient(ctx, idA)
	if err != nil {
		t.Fatal(err)
	}
	covsA, err := st.Coverages(ctx, idA)
	if err != nil {
		t.Fatal(err)
	}

	ps := []storage.PatientCoverages{
		// A exactly as stored (relationship left to its default): untouched.
		{Patient: storage.Patient{AccountNumber: "A", Person: person("ALPHA")}, Coverages: []storage.Coverage{{PayerID: p1, MemberID: "M1"}}},
		// B changes twice: the last wins.
		{Patient: storage.Patient{AccountNumber: "B", Person: person("BETA")}, Coverages: []storage.Coverage{{PayerID: p2, MemberID: "Z"}}},
		// C is new, twice the same.
		{Patient: storage.Patient{AccountNumber: "C", Person: person("GAMMA")}, Coverages: []storage.Coverage{{PayerID: p2, MemberID: "M4"}}},
		{Patient: storage.Patient{AccountNumber: "B", Person: person("BETA2")}, Coverages: []storage.Coverage{
			{PayerID: p2, MemberID: "M5", Relationship: "01", Subscriber: sub}, {PayerID: p1, MemberID: "M6"}}},
		{Patient: storage.Patient{AccountNumber: "C", Person: person("GAMMA")}, Coverages: []storage.Coverage{{PayerID: p2, MemberID: "M4"}}},
		// D has no coverage.
		{Patient: storage.Patient{AccountNumber: "D", Person: person("DELTA")}},
	}
	ids, err := st.UpsertPatients(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != idA || ids[1] != idB || ids[3] != idB || ids[2] != ids[4] || ids[2] == 0 || ids[5] == 0 ||
		ids[2] == ids[5] || ids[2] == idA || ids[2] == idB {
		t.Fatalf("ids %v (A %d, B %d)", ids, idA, idB)
	}
	afterA, err := st.Patient(ctx, idA)
	if err != nil {
		t.Fatal(err)
	}
	if !afterA.UpdatedAt.Equal(beforeA.UpdatedAt) {
		t.Errorf("patient A rewritten though unchanged")
	}
	if got, err := st.Coverages(ctx, idA); err != nil || !slices.Equal(got, covsA) {
		t.Errorf("coverages of A: %+v (%v), want %+v", got, err, covsA)
	}
	want := map[int64]struct {
		last    string
		members []string
	}{idB: {"BETA2", []string{"M5", "M6"}}, ids[2]: {"GAMMA", []string{"M4"}}, ids[5]: {"DELTA", nil}}
	for id, w := range want {
		p, err := st.Patient(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastName != w.last || p.Address != person("").Address {
			t.Errorf("patient %d stored as %q", id, p.LastName)
		}
		covs, err := st.Coverages(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var members []string
		for i, cv := range covs {
			members = append(members, cv.MemberID)
			if cv.Position != i+1 {
				t.Errorf("patient %d coverage %d at position %d", id, i, cv.Position)
			}
		}
		if !slices.Equal(members, w.members) {
			t.Errorf("patient %d coverages %v, want %v", id, members, w.members)
		}
		if id == idB && (covs[0].Relationship != "01" || covs[0].Subscriber != sub || covs[1].Relationship != billing.RelationshipSelf) {
			t.Errorf("patient B coverages %+v", covs)
		}
	}

	// Without a last name: refused, nothing written.
	if _, err := st.UpsertPatients(ctx, []storage.PatientCoverages{{Patient: storage.Patient{AccountNumber: "E"}}}); err == nil {
		t.Error("a patient without a last name was stored")
	}
	// Inside a transaction that rolls back: nothing stays.
	errRollback := context.Canceled
	err = st.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := tx.UpsertPatients(ctx, []storage.PatientCoverages{{Patient: storage.Patient{AccountNumber: "F", Person: person("PHI")}}}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("transaction: %v", err)
	}
	if _, err := st.PatientByAccount(ctx, "F"); err == nil {
		t.Error("a rolled back patient stayed")
	}
}
