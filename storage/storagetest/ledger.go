package storagetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
)

var _ = register(
	test{"LedgerPostAndBalances", testLedgerPostAndBalances},
	test{"LedgerIdempotency", testLedgerIdempotency},
	test{"LedgerReversal", testLedgerReversal},
	test{"LedgerRefusesBadEntries", testLedgerRefusesBadEntries},
	test{"LedgerAging", testLedgerAging},
	test{"LedgerConcurrentPosting", testLedgerConcurrentPosting},
	test{"LedgerProperty", testLedgerProperty},
)

// entryOn returns an entry on a line of a claim, keyed key.
func entryOn(c storage.Claim, line int, kind storage.EntryKind, bucket storage.Bucket, amount billing.Money, key string) storage.Entry {
	e := storage.Entry{PatientID: c.PatientID, ClaimID: c.ID, PayerID: c.PayerID, Kind: kind, Bucket: bucket, Amount: amount,
		EffectiveOn: day(2025, 2, 1), SourceKind: "test", SourceID: key, IdempotencyKey: key}
	if line >= 0 {
		e.LineID = c.StoredLines[line].ID
	}
	return e
}

func testLedgerPostAndBalances(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "L1", f.patient1, f.payerA, day(2025, 1, 6), 20000, 5000)
	posted := get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(c, day(2025, 1, 6))...))
	if len(posted) != 2 || !posted[0].New || !posted[1].New || posted[0].ID == 0 {
		t.Fatalf("posted charges: %+v", posted)
	}
	// The worked example of X12-GUIDE 6.6 on line 1: 200 charged, 120 paid, CO-45 50,
	// PR-2 30 moved to the patient, who pays 10.
	base := entryOn(c, 0, "", "", 0, "cp1")
	es := []storage.Entry{
		entryOn(c, 0, storage.KindInsurancePayment, storage.BucketInsurance, -12000, "cp1/pay"),
		entryOn(c, 0, storage.KindContractualAdjustment, storage.BucketInsurance, -5000, "cp1/CO-45"),
	}
	base.IdempotencyKey = "cp1/PR-2"
	tr := storage.TransferEntries(base, storage.KindCoinsurance, 3000, storage.BucketInsurance, storage.BucketPatient, 0)
	es = append(es, tr[:]...)
	es = append(es, entryOn(c, 0, storage.KindPatientPayment, storage.BucketPatient, -1000, "pp1"))
	_ = get[[]storage.Posted](t)(st.Post(ctx, es...))

	line1 := get[storage.Balance](t)(st.LineBalance(ctx, c.ID, c.StoredLines[0].ID))
	equal(t, "line 1 balance", line1, storage.Balance{Insurance: 0, Patient: 2000})
	claim := get[storage.Balance](t)(st.ClaimBalance(ctx, c.ID))
	equal(t, "claim balance", claim, storage.Balance{Insurance: 5000, Patient: 2000})
	acct := get[storage.Balance](t)(st.AccountBalance(ctx, f.patient1))
	equal(t, "account balance", acct, claim)
	if acct.Total() != 7000 {
		t.Fatalf("account total %v", acct.Total())
	}
	payer := get[storage.Balance](t)(st.PayerBalance(ctx, f.payerA))
	if payer.Insurance != 5000 {
		t.Fatalf("payer balance %+v", payer)
	}
	equal(t, "other patient", get[storage.Balance](t)(st.AccountBalance(ctx, f.patient2)), storage.Balance{})

	// The entries explain the balance line by line.
	list := get[[]storage.Entry](t)(st.Entries(ctx, storage.EntryFilter{ClaimID: c.ID}))
	var sum billing.Money
	for _, e := range list {
		sum += e.Amount
	}
	if len(list) != 7 || sum != claim.Total() {
		t.Fatalf("%d entries summing to %v, balance %v", len(list), sum, claim.Total())
	}
	e := get[storage.Entry](t)(st.EntryByKey(ctx, "cp1/PR-2/to"))
	if e.Kind != storage.KindCoinsurance || e.Bucket != storage.BucketPatient || e.Amount != 3000 || e.LineID != c.StoredLines[0].ID ||
		e.EffectiveOn != day(2025, 2, 1) || e.CreatedAt.IsZero() || e.PayerID != f.payerA {
		t.Fatalf("transfer entry: %+v", e)
	}
	byKey := get[map[string]storage.Entry](t)(st.EntriesByKeys(ctx, []string{"cp1/PR-2/to", "cp1/PR-2/from", "never posted"}))
	if len(byKey) != 2 || byKey["cp1/PR-2/to"] != e || byKey["cp1/PR-2/from"].Amount != -3000 {
		t.Fatalf("entries by key: %+v", byKey)
	}

	// A provider-level (PLB) entry never touches a patient account.
	_ = get[[]storage.Posted](t)(st.Post(ctx, storage.Entry{PayerID: f.payerA, BillingProviderID: f.billingProvider,
		Kind: storage.KindProviderAdjustment, Bucket: storage.BucketProvider, Amount: -215, Reason: "PLB-L6",
		EffectiveOn: day(2025, 2, 1), SourceKind: "plb", SourceID: "1", IdempotencyKey: "plb/1"}))
	equal(t, "account after PLB", get[storage.Balance](t)(st.AccountBalance(ctx, f.patient1)), acct)
	if b := get[storage.Balance](t)(st.Balance(ctx, storage.EntryFilter{BillingProviderID: f.billingProvider})); b.Provider != -215 {
		t.Fatalf("provider balance %+v", b)
	}
}

func testLedgerIdempotency(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "I1", f.patient1, f.payerA, day(2025, 1, 6), 20000)
	first := get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(c, day(2025, 1, 6))...))
	again := get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(c, day(2025, 1, 6))...))
	if again[0].New || again[0].ID != first[0].ID {
		t.Fatalf("posting twice: %+v then %+v", first, again)
	}
	pay := entryOn(c, 0, storage.KindInsurancePayment, storage.BucketInsurance, -15000, "cp/pay")
	// One call with a new entry and a repeated one: only the new one is posted.
	both := get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(c, day(2025, 1, 6))[0], pay))
	if both[0].New || !both[1].New {
		t.Fatalf("mixed post: %+v", both)
	}
	equal(t, "balance", get[storage.Balance](t)(st.ClaimBalance(ctx, c.ID)), storage.Balance{Insurance: 5000})
	// The same key for a different entry is a bug in the caller, not a repeat.
	pay.Amount = -14000
	_, err := st.Post(ctx, pay)
	isErr(t, "key reused for another amount", err, storage.ErrDuplicate)
	// A failed Post posts nothing, even its valid entries.
	ok := entryOn(c, 0, storage.KindWriteOff, storage.BucketInsurance, -100, "wo1")
	_, err = st.Post(ctx, ok, pay)
	isErr(t, "post with a bad entry", err, storage.ErrDuplicate)
	_, err = st.EntryByKey(ctx, "wo1")
	isErr(t, "entry of a failed post", err, storage.ErrNotFound)
	// One key twice in one call: the first is posted, the second is the same entry.
	twice := get[[]storage.Posted](t)(st.Post(ctx, ok, ok))
	if !twice[0].New || twice[1].New || twice[1].ID != twice[0].ID {
		t.Fatalf("one key twice in a call: %+v", twice)
	}
	other := ok
	other.IdempotencyKey, other.Amount = "wo2", -100
	changed := other
	changed.Amount = -200
	_, err = st.Post(ctx, other, changed)
	isErr(t, "one key for two entries in a call", err, storage.ErrDuplicate)
	// More entries than one statement holds.
	before := get[storage.Balance](t)(st.ClaimBalance(ctx, c.ID)).Patient
	var many []storage.Entry
	for i := range 1200 {
		many = append(many, entryOn(c, 0, storage.KindWriteOff, storage.BucketPatient, -1, fmt.Sprintf("many/%d", i)))
	}
	posted := get[[]storage.Posted](t)(st.Post(ctx, append(many, many[5])...))
	if len(posted) != 1201 || !posted[1199].New || posted[1200].New || posted[1200].ID != posted[5].ID {
		t.Fatalf("posting 1,200 entries: %d results, last %+v %+v", len(posted), posted[1199], posted[1200])
	}
	equal(t, "patient balance after many", get[storage.Balance](t)(st.ClaimBalance(ctx, c.ID)).Patient, before-1200)
}

func testLedgerReversal(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "R1", f.patient1, f.payerA, day(2025, 1, 6), 20000)
	_ = get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(c, day(2025, 1, 6))...))
	p := get[[]storage.Posted](t)(st.Post(ctx, entryOn(c, 0, storage.KindInsurancePayment, storage.BucketInsurance, -12000, "cp1/pay")))
	orig := get[storage.Entry](t)(st.Entry(ctx, p[0].ID))
	rev := storage.ReversalOf(orig, "cp2/reverses/cp1/pay", "claim-payment", "2", day(2025, 3, 1))
	r1 := get[[]storage.Posted](t)(st.Post(ctx, rev))
	equal(t, "balance after reversal", get[storage.Balance](t)(st.ClaimBalance(ctx, c.ID)), storage.Balance{Insurance: 20000})
	r2 := get[[]storage.Posted](t)(st.Post(ctx, rev))
	if !r1[0].New || r2[0].New || r2[0].ID != r1[0].ID {
		t.Fatalf("reversal posted twice: %+v, %+v", r1, r2)
	}
	other := storage.ReversalOf(orig, "cp3/reverses/cp1/pay", "claim-payment", "3", day(2025, 3, 2))
	_, err := st.Post(ctx, other)
	isErr(t, "second reversal under another key", err, storage.ErrAlreadyReversed)
	// A reversal given only the entry to reverse is completed from it.
	p2 := get[[]storage.Posted](t)(st.Post(ctx, entryOn(c, 0, storage.KindContractualAdjustment, storage.BucketInsurance, -3000, "cp1/CO-45")))
	bare := storage.Entry{Kind: storage.KindReversal, ReversesEntryID: p2[0].ID, EffectiveOn: day(2025, 3, 1),
		SourceKind: "person", SourceID: "alice", IdempotencyKey: "manual/1"}
	_ = get[[]storage.Posted](t)(st.Post(ctx, bare))
	got := get[storage.Entry](t)(st.EntryByKey(ctx, "manual/1"))
	if got.Amount != 3000 || got.ClaimID != c.ID || got.LineID != c.StoredLines[0].ID || got.Bucket != storage.BucketInsurance {
		t.Fatalf("completed reversal: %+v", got)
	}
	equal(t, "balance", get[storage.Balance](t)(st.ClaimBalance(ctx, c.ID)), storage.Balance{Insurance: 20000})
	// It must negate exactly.
	wrong := storage.ReversalOf(get[storage.Entry](t)(st.EntryByKey(ctx, chargeEntries(c, day(2025, 1, 6))[0].IdempotencyKey)),
		"rev/charge", "person", "bob", day(2025, 3, 1))
	wrong.Amount = -100
	_, err = st.Post(ctx, wrong)
	isErr(t, "partial reversal", err, storage.ErrInvalid)
	// A reversal is not reversed; a new entry is posted instead.
	_, err = st.Post(ctx, storage.ReversalOf(got, "rev/rev", "person", "bob", day(2025, 3, 1)))
	isErr(t, "reversing a reversal", err, storage.ErrInvalid)
	bare.ReversesEntryID = 99999
	bare.IdempotencyKey = "manual/2"
	_, err = st.Post(ctx, bare)
	isErr(t, "reversing a missing entry", err, storage.ErrNotFound)
}

func testLedgerRefusesBadEntries(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "B1", f.patient1, f.payerA, day(2025, 1, 6), 20000)
	good := entryOn(c, 0, storage.KindInsurancePayment, storage.BucketInsurance, -100, "k")
	for name, mod := range map[string]func(e *storage.Entry){
		"zero amount":        func(e *storage.Entry) { e.Amount = 0 },
		"no key":             func(e *storage.Entry) { e.IdempotencyKey = "" },
		"unknown kind":       func(e *storage.Entry) { e.Kind = "gift" },
		"payment to patient": func(e *storage.Entry) { e.Bucket = storage.BucketPatient },
		"no source":          func(e *storage.Entry) { e.SourceKind = "" },
		"no date":            func(e *storage.Entry) { e.EffectiveOn = billing.Date{} },
		"no account":         func(e *storage.Entry) { e.PatientID = 0 },
		"insurance no payer": func(e *storage.Entry) { e.PayerID = 0 },
		"PLB on account": func(e *storage.Entry) {
			e.Kind, e.Bucket, e.BillingProviderID = storage.KindProviderAdjustment, storage.BucketProvider, f.billingProvider
		},
		"line without claim": func(e *storage.Entry) { e.ClaimID = 0 },
	} {
		e := good
		mod(&e)
		_, err := st.Post(ctx, e)
		isErr(t, name, err, storage.ErrInvalid)
	}
	e := good
	e.ClaimID = 99999
	_, err := st.Post(ctx, e)
	if err == nil {
		t.Fatal("entry on a missing claim was posted")
	}
}

func testLedgerAging(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	asOf := day(2025, 6, 30)
	// One claim per bucket boundary: ages 0, 30, 31, 60, 61, 90, 91, 120, 121 days.
	ages := []int{0, 30, 31, 60, 61, 90, 91, 120, 121}
	want := [5]billing.Money{}
	wantPat := [5]billing.Money{}
	for i, age := range ages {
		c := f.addClaim(t, fmt.Sprintf("A%d", i), f.patient1, f.payerA, asOf.AddDays(-age), billing.Money(1000*(i+1)))
		_ = get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(c, asOf.AddDays(-age))...))
		b := min((age-1)/30, 4)
		if age <= 30 {
			b = 0
		}
		want[b] += billing.Money(1000 * (i + 1))
		base := entryOn(c, 0, "", "", 0, fmt.Sprintf("pr/%d", i))
		base.EffectiveOn = asOf.AddDays(-age)
		tr := storage.TransferEntries(base, storage.KindDeductible, 100, storage.BucketInsurance, storage.BucketPatient, 0)
		_ = get[[]storage.Posted](t)(st.Post(ctx, tr[:]...))
		want[b] -= 100
		wantPat[b] += 100
	}
	// An entry after the as-of date does not count.
	late := f.addClaim(t, "LATE", f.patient1, f.payerA, asOf.AddDays(5), 777)
	_ = get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(late, asOf.AddDays(5))...))
	// A second payer, and a patient with nothing owed.
	c := f.addClaim(t, "B", f.patient2, f.payerB, asOf.AddDays(-45), 5000)
	_ = get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(c, asOf.AddDays(-45))...))

	byPayer := get[[]storage.Aging](t)(st.AgingByPayer(ctx, asOf, storage.AgeFromService))
	equal(t, "aging by payer", byPayer, []storage.Aging{{ID: f.payerA, Buckets: want}, {ID: f.payerB, Buckets: [5]billing.Money{0, 5000}}})
	byPatient := get[[]storage.Aging](t)(st.AgingByPatient(ctx, asOf, storage.AgeFromService))
	equal(t, "aging by patient", byPatient, []storage.Aging{{ID: f.patient1, Buckets: wantPat}})
	if byPayer[0].Total() != get[storage.Balance](t)(st.PayerBalance(ctx, f.payerA)).Insurance-777 {
		t.Fatal("aging total differs from the payer balance")
	}
	// Aged from the first bill: the claim billed today is in 0-30 whatever its date of service.
	for _, s := range []storage.ClaimState{storage.StateValidated, storage.StateBatched, storage.StateTransmitted} {
		must(t, st.TransitionClaim(ctx, c.ID, s, storage.Event{Cause: storage.CauseSystem}))
	}
	today := billing.DateOf(c.CreatedAt)
	byBill := get[[]storage.Aging](t)(st.AgingByPayer(ctx, today, storage.AgeFromFirstBilled))
	if len(byBill) != 2 || byBill[1].Buckets[0] != 5000 {
		t.Fatalf("aging from first bill: %+v", byBill)
	}
}

// Workers posting to one claim at once: the same claim payment from several
// workers (the same idempotency keys) and different payments. Each key is posted
// exactly once and the balance is the sum of the distinct postings.
func testLedgerConcurrentPosting(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "C1", f.patient1, f.payerA, day(2025, 1, 6), 100000, 50000)
	_ = get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(c, day(2025, 1, 6))...))
	rid, _ := get2(t)(st.InsertRemittance(ctx, storage.Remittance{PayerIdentifier: "112345", TraceNumber: "T1",
		PaymentDate: day(2025, 2, 1), TotalPaid: 1}))

	shared := func() []storage.Entry { // the same payment, delivered to every worker
		return []storage.Entry{
			entryOn(c, 0, storage.KindInsurancePayment, storage.BucketInsurance, -30000, "shared/pay"),
			entryOn(c, 0, storage.KindContractualAdjustment, storage.BucketInsurance, -10000, "shared/CO-45"),
		}
	}
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, 3*workers)
	for i := range workers {
		wg.Go(func() { // single posts through Post
			errs <- st.InTx(ctx, func(tx *storage.Tx) error {
				es := append(shared(), entryOn(c, 1, storage.KindInsurancePayment, storage.BucketInsurance, -100, fmt.Sprintf("own/%d", i)))
				_, err := tx.Post(ctx, es...)
				return err
			})
		})
		wg.Go(func() { // the same through the batch path
			_, err := st.PostClaimPayments(ctx, []storage.PaymentPosting{{
				Payment: storage.ClaimPayment{RemittanceID: rid, ClaimID: c.ID, Key: "cp/shared", PatientControlNumber: "C1", Status: "1", Paid: 30000},
				Entries: append(shared(), entryOn(c, 1, storage.KindOtherAdjustment, storage.BucketInsurance, -10, fmt.Sprintf("batch/%d", i))),
			}})
			errs <- err
		})
		wg.Go(func() { // a reader meanwhile
			_, err := st.ClaimBalance(ctx, c.ID)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	list := get[[]storage.Entry](t)(st.Entries(ctx, storage.EntryFilter{ClaimID: c.ID}))
	keys := map[string]int{}
	var sum billing.Money
	for _, e := range list {
		keys[e.IdempotencyKey]++
		sum += e.Amount
	}
	if len(list) != 2+2+2*workers || len(keys) != len(list) {
		t.Fatalf("%d entries with %d distinct keys, want %d", len(list), len(keys), 2+2+2*workers)
	}
	want := billing.Money(150000 - 30000 - 10000 - workers*100 - workers*10)
	bal := get[storage.Balance](t)(st.ClaimBalance(ctx, c.ID))
	if bal.Insurance != want || sum != want {
		t.Fatalf("balance %v, sum of entries %v, want %v", bal.Insurance, sum, want)
	}
	if cps := get[[]storage.ClaimPayment](t)(st.ClaimPayments(ctx, c.ID)); len(cps) != 1 {
		t.Fatalf("%d claim payments stored, want 1", len(cps))
	}
}

// get2 returns the first two results, failing on an error.
func get2(t testing.TB) func(a int64, b bool, err error) (int64, bool) {
	return func(a int64, b bool, err error) (int64, bool) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}
