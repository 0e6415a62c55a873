package storagetest

import (
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
)

var _ = register(
	test{"Providers", testProviders},
	test{"Payers", testPayers},
	test{"PatientsCoverages", testPatientsCoverages},
	test{"Authorizations", testAuthorizations},
)

func testProviders(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	p := billing.Provider{EntityType: billing.EntityOrganization, NPI: "1234567893", Name: "CLINIC", TaxID: "123456789",
		Address: billing.Address{Line1: "1 MAIN ST", City: "SPRINGFIELD", State: "IL", PostalCode: "62701"}}
	id := get[int64](t)(st.UpsertBillingProvider(ctx, p))
	p.Name = "CLINIC LLC"
	if id2 := get[int64](t)(st.UpsertBillingProvider(ctx, p)); id2 != id {
		t.Fatalf("upsert by NPI gave id %d, then %d", id, id2)
	}
	got := get[storage.BillingProvider](t)(st.BillingProviderByNPI(ctx, "1234567893"))
	equal(t, "billing provider", got.Provider, p)
	_, err := st.BillingProvider(ctx, id+100)
	isErr(t, "missing billing provider", err, storage.ErrNotFound)

	r := billing.Provider{NPI: "1932104098", Name: "SMITH", FirstName: "ANNA", Taxonomy: "207Q00000X"}
	rid := get[int64](t)(st.UpsertProvider(ctx, r))
	equal(t, "provider", get[storage.Provider](t)(st.Provider(ctx, rid)).Provider, r)
	_, err = st.UpsertProvider(ctx, billing.Provider{Name: "NO NPI"})
	isErr(t, "provider without NPI", err, storage.ErrInvalid)
}

func testPayers(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	p := storage.Payer{PayerID: "12345", Name: "PLAN", Clearinghouse: "availity", TimelyFilingDays: 90,
		Address: billing.Address{Line1: "PO BOX 1", City: "CHICAGO", State: "IL", PostalCode: "60601"},
		Routes:  []storage.PayerRoute{{Clearinghouse: "availity", ExternalID: "AV123"}, {Clearinghouse: "officeally", ExternalID: "OA9", ReceiverID: "330897513"}}}
	id := get[int64](t)(st.UpsertPayer(ctx, p))
	got := get[storage.Payer](t)(st.PayerByRoute(ctx, "officeally", "OA9"))
	if got.ID != id || got.TimelyFilingDays != 90 || len(got.Routes) != 2 || got.Routes[1].ReceiverID != "330897513" || got.Address != p.Address {
		t.Fatalf("payer by route: %+v", got)
	}
	p.Routes = p.Routes[:1]
	p.TimelyFilingDays = 180
	if id2 := get[int64](t)(st.UpsertPayer(ctx, p)); id2 != id {
		t.Fatalf("upsert by payer id gave id %d, then %d", id, id2)
	}
	got = get[storage.Payer](t)(st.PayerByPayerID(ctx, "12345"))
	if len(got.Routes) != 1 || got.TimelyFilingDays != 180 {
		t.Fatalf("payer after update: %+v", got)
	}
	_, err := st.PayerByRoute(ctx, "officeally", "OA9")
	isErr(t, "dropped route", err, storage.ErrNotFound)
	// A clearinghouse id names one payer.
	_, err = st.UpsertPayer(ctx, storage.Payer{PayerID: "55555", Name: "OTHER", Routes: []storage.PayerRoute{{Clearinghouse: "availity", ExternalID: "AV123"}}})
	isErr(t, "route taken", err, storage.ErrDuplicate)
}

func testPatientsCoverages(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	p := get[storage.Patient](t)(st.PatientByAccount(ctx, "ACCT1"))
	if p.ID != f.patient1 || p.LastName != "DOE" || p.BirthDate != day(1980, 2, 29) || p.Address.City != "SPRINGFIELD" {
		t.Fatalf("patient: %+v", p)
	}
	sub := billing.Person{LastName: "DOE", FirstName: "JOHN", BirthDate: day(1979, 1, 1)}
	covs := []storage.Coverage{
		{PayerID: f.payerA, MemberID: "M1", GroupNumber: "G1", FilingIndicator: "CI", EffectiveFrom: day(2024, 1, 1)},
		{PayerID: f.payerB, MemberID: "M2", FilingIndicator: "MB", Relationship: billing.RelationshipSpouse, Subscriber: sub},
	}
	must(t, st.SetCoverages(ctx, f.patient1, covs))
	got := get[[]storage.Coverage](t)(st.Coverages(ctx, f.patient1))
	if len(got) != 2 || got[0].Position != 1 || got[0].PayerID != f.payerA || got[0].Relationship != "18" ||
		got[0].EffectiveFrom != day(2024, 1, 1) || !got[0].EffectiveTo.IsZero() ||
		got[1].Position != 2 || got[1].Subscriber.FirstName != "JOHN" || got[1].Subscriber.BirthDate != sub.BirthDate {
		t.Fatalf("coverages: %+v", got)
	}
	// Reordered: the secondary becomes primary.
	must(t, st.SetCoverages(ctx, f.patient1, []storage.Coverage{covs[1], covs[0]}))
	got = get[[]storage.Coverage](t)(st.Coverages(ctx, f.patient1))
	if len(got) != 2 || got[0].PayerID != f.payerB || got[1].PayerID != f.payerA {
		t.Fatalf("reordered coverages: %+v", got)
	}
	err := st.SetCoverages(ctx, f.patient1, []storage.Coverage{{PayerID: 9999, MemberID: "X"}})
	isErr(t, "coverage with an unknown payer", err, storage.ErrReference)
	if got := get[[]storage.Coverage](t)(st.Coverages(ctx, f.patient1)); len(got) != 2 {
		t.Fatalf("a failed SetCoverages changed them: %+v", got)
	}
}

func testAuthorizations(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	a := storage.Authorization{PatientID: f.patient1, PayerID: f.payerA, Number: "AUTH1", Unit: storage.AuthorizationVisits,
		Authorized: 3, ValidFrom: day(2025, 1, 1), ValidTo: day(2025, 6, 30), Procedures: []string{"97110"}}
	id := get[int64](t)(st.InsertAuthorization(ctx, a))
	_, err := st.InsertAuthorization(ctx, a)
	isErr(t, "same number twice", err, storage.ErrDuplicate)
	must(t, st.UseAuthorization(ctx, id, 2))
	isErr(t, "using more than left", st.UseAuthorization(ctx, id, 2), storage.ErrExhausted)
	must(t, st.UseAuthorization(ctx, id, 1))
	isErr(t, "using an exhausted one", st.UseAuthorization(ctx, id, 1), storage.ErrExhausted)
	isErr(t, "missing", st.UseAuthorization(ctx, id+1, 1), storage.ErrNotFound)
	must(t, st.UseAuthorization(ctx, id, -1)) // a visit given back
	got := get[storage.Authorization](t)(st.Authorization(ctx, id))
	if got.Used != 2 || got.Remaining() != 1 || got.ValidTo != day(2025, 6, 30) || len(got.Procedures) != 1 {
		t.Fatalf("authorization: %+v", got)
	}
	list := get[[]storage.Authorization](t)(st.Authorizations(ctx, f.patient1))
	if len(list) != 1 || list[0].Number != "AUTH1" {
		t.Fatalf("authorizations: %+v", list)
	}
}
