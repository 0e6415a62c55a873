package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
)

var _ = register(
	test{"RemittanceRoundTrip", testRemittanceRoundTrip},
	test{"PostClaimPayments", testPostClaimPayments},
	test{"RemittanceTextRoundTrip", testRemittanceTextRoundTrip},
	test{"PostClaimPaymentsStamps", testPostClaimPaymentsStamps},
)

// testPostClaimPaymentsStamps checks the creation time of entries posted in bulk:
// the store's clock when one is set; else the time of posting (on PostgreSQL, the
// database's transaction start).
func testPostClaimPaymentsStamps(t *testing.T, h *harness) {
	ctx := t.Context()
	fixed := time.Date(2031, 5, 6, 7, 8, 9, 123456000, time.UTC)
	for _, clocked := range []bool{false, true} {
		var st *storage.Store
		if clocked {
			st = h.Store(t, storage.WithClock(func() time.Time { return fixed }))
		} else {
			st = h.Store(t)
		}
		f := newFixture(t, st)
		c := f.addClaim(t, fmt.Sprintf("ST%v", clocked), f.patient1, f.payerA, day(2025, 1, 6), 20000)
		r := storage.Remittance{PayerIdentifier: "1123456789", TraceNumber: fmt.Sprintf("EFT-ST%v", clocked), PaymentDate: day(2025, 1, 20), TotalPaid: 1}
		rid, _ := get2(t)(st.InsertRemittance(ctx, r))
		ps := paymentPostings(rid, storage.RemitKey(r.PayerIdentifier, r.TraceNumber, r.PaymentDate, r.TotalPaid), []storage.Claim{c}, 3)
		before := time.Now()
		sum := get[storage.PostSummary](t)(st.PostClaimPayments(ctx, ps))
		after := time.Now()
		if sum.Entries != 12 {
			t.Fatalf("posted %+v", sum)
		}
		for _, p := range ps {
			for _, want := range p.Entries {
				e := get[storage.Entry](t)(st.EntryByKey(ctx, want.IdempotencyKey))
				switch {
				case clocked && !e.CreatedAt.Equal(fixed):
					t.Fatalf("entry %s created at %s, want the store's clock %s", e.IdempotencyKey, e.CreatedAt, fixed)
				case !clocked && (e.CreatedAt.Before(before.Add(-time.Minute)) || e.CreatedAt.After(after.Add(time.Minute))):
					t.Fatalf("entry %s created at %s, want between %s and %s", e.IdempotencyKey, e.CreatedAt, before, after)
				}
			}
		}
	}
}

// testRemittanceTextRoundTrip stores text that bulk writing must escape (COPY's
// text format on PostgreSQL: backslash, tab, newline, carriage return) and reads
// it back unchanged.
func testRemittanceTextRoundTrip(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	odd := "a\\b\tc\nd\re\\.\\N"
	r := storage.Remittance{PayerIdentifier: "1123456789", TraceNumber: "EFT-ODD", TotalPaid: 100, PaymentDate: day(2025, 1, 20),
		Claims: []storage.ClaimPayment{{PatientControlNumber: odd, Status: "1", Charge: 100, Paid: 100, PayerClaimNumber: "\\N",
			RemarkCodes: []string{odd},
			Services: []storage.ServicePayment{{ControlNumber: odd, ProcedureCode: "99213", Modifiers: []string{"\t"}, Charge: 100, Paid: 100,
				Adjustments: []billing.Adjustment{{Group: "CO", Reason: odd, Amount: 0}}}}}},
	}
	id, _ := get2(t)(st.InsertRemittance(ctx, r))
	got := get[storage.Remittance](t)(st.Remittance(ctx, id))
	if len(got.Claims) != 1 || len(got.Claims[0].Services) != 1 || len(got.Claims[0].Services[0].Adjustments) != 1 {
		t.Fatalf("remittance: %+v", got)
	}
	cp, sp := got.Claims[0], got.Claims[0].Services[0]
	if cp.PatientControlNumber != odd || cp.PayerClaimNumber != "\\N" || cp.RemarkCodes[0] != odd || sp.ControlNumber != odd ||
		sp.Modifiers[0] != "\t" || sp.Adjustments[0].Reason != odd {
		t.Fatalf("text changed on the way: %q %q %q %q %q %q", cp.PatientControlNumber, cp.PayerClaimNumber, cp.RemarkCodes,
			sp.ControlNumber, sp.Modifiers, sp.Adjustments[0].Reason)
	}
}

func testRemittanceRoundTrip(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "A17", f.patient1, f.payerA, day(2025, 1, 6), 20000)
	// X12-GUIDE 6.6: CLP*A17*1*200*120*30*12*ICN1 / SVC*HC:99213*200*120**1 / CAS*CO*45*50 / CAS*PR*2*30,
	// PLB L6 -2.15; and the claim's reversal (CLP02 22) in the same remittance.
	r := storage.Remittance{PayerID: f.payerA, PayerIdentifier: "1123456789", TraceNumber: "EFT0001", Handling: "I",
		PaymentMethod: "ACH", TotalPaid: 12215, PaymentDate: day(2025, 1, 20), PayeeNPI: "1234567893",
		Header: []byte(`{"payer_name":"PRIMARY PLAN"}`),
		Claims: []storage.ClaimPayment{{
			ClaimID: c.ID, PatientControlNumber: "A17", Status: "1", Charge: 20000, Paid: 12000, PatientResponsibility: 3000,
			FilingIndicator: "12", PayerClaimNumber: "ICN1", RemarkCodes: []string{"MA01"},
			Services: []storage.ServicePayment{{LineID: c.StoredLines[0].ID, ControlNumber: c.StoredLines[0].ControlNumber,
				ProcedureCode: "99213", Modifiers: []string{"25"}, Charge: 20000, Paid: 12000, Units: billing.Units(1),
				ServiceDate: day(2025, 1, 6), RemarkCodes: []string{"N130"},
				Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: 5000}, {Group: "PR", Reason: "2", Amount: 3000}}}},
		}, {
			PatientControlNumber: "ZZ9", Status: "22", Charge: -100, Paid: -100, PayerClaimNumber: "ICN0",
			Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: -10, Quantity: billing.Units(2)}},
		}},
		ProviderAdjustments: []storage.ProviderAdjustment{{ProviderID: "1234567893", FiscalDate: day(2025, 12, 31), Reason: "L6", Reference: "A17", Amount: -215}},
	}
	id, isNew := get2(t)(st.InsertRemittance(ctx, r))
	id2, isNew2 := get2(t)(st.InsertRemittance(ctx, r))
	if !isNew || isNew2 || id2 != id {
		t.Fatalf("the same remittance twice: %d %v, %d %v", id, isNew, id2, isNew2)
	}
	got := get[storage.Remittance](t)(st.Remittance(ctx, id))
	if got.Key != storage.RemitKey("1123456789", "EFT0001", day(2025, 1, 20), 12215) || got.PayerID != f.payerA ||
		got.TotalPaid != 12215 || got.PaymentDate != day(2025, 1, 20) || len(got.Claims) != 2 || len(got.ProviderAdjustments) != 1 {
		t.Fatalf("remittance: %+v", got)
	}
	cp := got.Claims[0]
	if cp.Key != storage.ClaimPaymentKey(got.Key, &r.Claims[0]) || cp.ClaimID != c.ID || cp.Paid != 12000 ||
		len(cp.RemarkCodes) != 1 || len(cp.Services) != 1 || len(cp.Adjustments) != 0 {
		t.Fatalf("claim payment: %+v", cp)
	}
	sp := cp.Services[0]
	if sp.LineID != c.StoredLines[0].ID || sp.Paid != 12000 || sp.ServiceDate != day(2025, 1, 6) || len(sp.Adjustments) != 2 ||
		sp.Adjustments[1] != (billing.Adjustment{Group: "PR", Reason: "2", Amount: 3000}) || sp.Modifiers[0] != "25" {
		t.Fatalf("service payment: %+v", sp)
	}
	un := got.Claims[1]
	if un.ClaimID != 0 || un.Adjustments[0].Quantity != billing.Units(2) || un.Adjustments[0].Amount != -10 {
		t.Fatalf("unmatched claim payment: %+v", un)
	}
	if p := got.ProviderAdjustments[0]; p.Amount != -215 || p.Reason != "L6" || p.FiscalDate != day(2025, 12, 31) {
		t.Fatalf("PLB: %+v", p)
	}
	ids := get[[]int64](t)(st.UnmatchedClaimPayments(ctx, 0, 10))
	if len(ids) != 1 || ids[0] != un.ID {
		t.Fatalf("unmatched: %v", ids)
	}
	other := f.addClaim(t, "ZZ9", f.patient2, f.payerA, day(2025, 1, 2), 100)
	must(t, st.MatchClaimPayment(ctx, un.ID, other.ID, nil))
	if cps := get[[]storage.ClaimPayment](t)(st.ClaimPayments(ctx, other.ID)); len(cps) != 1 || cps[0].Status != "22" {
		t.Fatalf("matched: %+v", cps)
	}
	if byKey := get[storage.ClaimPayment](t)(st.ClaimPaymentByKey(ctx, cp.Key)); byKey.ID != cp.ID {
		t.Fatalf("by key: %+v", byKey)
	}
	if rid := get[int64](t)(st.RemittanceByKey(ctx, got.Key)); rid != id {
		t.Fatalf("remittance by key: %d", rid)
	}
}

// paymentPostings returns n claim payments on the claims, each with its CAS and
// four ledger entries (payment, CO-45, PR-2 moved to the patient).
func paymentPostings(remitID int64, remitKey string, claims []storage.Claim, n int) []storage.PaymentPosting {
	return paymentPostingsCAS(remitID, remitKey, claims, n, true)
}

// paymentPostingsCAS is paymentPostings, with or without the CAS rows.
func paymentPostingsCAS(remitID int64, remitKey string, claims []storage.Claim, n int, cas bool) []storage.PaymentPosting {
	ps := make([]storage.PaymentPosting, n)
	for i := range ps {
		c := claims[i%len(claims)]
		cp := storage.ClaimPayment{RemittanceID: remitID, ClaimID: c.ID, PatientControlNumber: c.PatientControlNumber,
			Status: "1", Charge: 20000, Paid: 12000, PatientResponsibility: 3000, PayerClaimNumber: fmt.Sprintf("ICN%d", i),
			Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: 5000}, {Group: "PR", Reason: "2", Amount: 3000}}}
		if !cas {
			cp.Adjustments = nil
		}
		cp.Key = storage.ClaimPaymentKey(remitKey, &cp)
		base := storage.Entry{PatientID: c.PatientID, ClaimID: c.ID, LineID: c.StoredLines[0].ID, PayerID: c.PayerID,
			EffectiveOn: day(2025, 1, 20), IdempotencyKey: cp.Key}
		pay, co := base, base
		pay.Kind, pay.Bucket, pay.Amount, pay.IdempotencyKey = storage.KindInsurancePayment, storage.BucketInsurance, -12000, storage.EntryKey(remitID, i, "pay")
		co.Kind, co.Bucket, co.Amount, co.IdempotencyKey, co.Reason = storage.KindContractualAdjustment, storage.BucketInsurance, -5000, storage.EntryKey(remitID, i, "CO-45"), "CO-45"
		base.IdempotencyKey, base.Reason = storage.EntryKey(remitID, i, "PR-2"), "PR-2"
		tr := storage.TransferEntries(base, storage.KindCoinsurance, 3000, storage.BucketInsurance, storage.BucketPatient, 0)
		ps[i] = storage.PaymentPosting{Payment: cp, Entries: []storage.Entry{pay, co, tr[0], tr[1]}}
	}
	return ps
}

func testPostClaimPayments(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	var claims []storage.Claim
	for i := range 7 {
		c := f.addClaim(t, fmt.Sprintf("BP%d", i), []int64{f.patient1, f.patient2}[i%2], f.payerA, day(2025, 1, 6), 20000)
		_ = get[[]storage.Posted](t)(st.Post(ctx, chargeEntries(c, day(2025, 1, 6))...))
		claims = append(claims, c)
	}
	r := storage.Remittance{PayerIdentifier: "1123456789", TraceNumber: "EFT9", PaymentDate: day(2025, 1, 20), TotalPaid: 1}
	rid, _ := get2(t)(st.InsertRemittance(ctx, r))
	rkey := storage.RemitKey(r.PayerIdentifier, r.TraceNumber, r.PaymentDate, r.TotalPaid)
	const n = 5003 // more than a batch
	ps := paymentPostings(rid, rkey, claims, n)
	// One payment already stored, one entry already posted: both skipped.
	_, err := st.PostClaimPayments(ctx, ps[:1])
	must(t, err)
	pre := ps[1].Entries[0]
	pre.SourceKind, pre.SourceID = "person", "alice"
	_ = get[[]storage.Posted](t)(st.Post(ctx, pre))
	sum := get[storage.PostSummary](t)(st.PostClaimPayments(ctx, paymentPostings(rid, rkey, claims, n)))
	if sum.Payments != n-1 || sum.Entries != 4*n-4-1 {
		t.Fatalf("posted %+v, want %d payments and %d entries", sum, n-1, 4*n-5)
	}
	again := get[storage.PostSummary](t)(st.PostClaimPayments(ctx, paymentPostings(rid, rkey, claims, n)))
	if again != (storage.PostSummary{}) {
		t.Fatalf("posting again wrote %+v", again)
	}
	for i, c := range claims {
		k := billing.Money((n - i + len(claims) - 1) / len(claims)) // payments on claim i
		want := storage.Balance{Insurance: 20000 - k*(12000+5000+3000), Patient: k * 3000}
		equal(t, "balance of "+c.PatientControlNumber, get[storage.Balance](t)(st.ClaimBalance(ctx, c.ID)), want)
	}
	cp := get[storage.ClaimPayment](t)(st.ClaimPaymentByKey(ctx, ps[10].Payment.Key))
	if len(cp.Adjustments) != 2 || cp.ClaimID != claims[10%7].ID {
		t.Fatalf("stored payment: %+v", cp)
	}
	e := get[storage.Entry](t)(st.EntryByKey(ctx, storage.EntryKey(rid, 10, "pay")))
	if e.SourceKind != "claim-payment" || e.SourceID != fmt.Sprint(cp.ID) {
		t.Fatalf("entry source: %s %s, want claim-payment %d", e.SourceKind, e.SourceID, cp.ID)
	}
	// Every field comes back as posted (PostgreSQL writes entries in COPY's text
	// format itself).
	for _, want := range ps[10].Entries {
		got := get[storage.Entry](t)(st.EntryByKey(ctx, want.IdempotencyKey))
		if got.ID == 0 || got.CreatedAt.IsZero() {
			t.Fatalf("entry %s: %+v", want.IdempotencyKey, got)
		}
		want.ID, want.CreatedAt, want.SourceKind, want.SourceID = got.ID, got.CreatedAt, "claim-payment", fmt.Sprint(cp.ID)
		equal(t, "entry "+want.IdempotencyKey, got, want)
	}
	// In a transaction, new payments whose entries are posted already: the entries
	// copied without a look-up meet the keys present (PostgreSQL), the copy rolls
	// back to its savepoint and copies the new entry alone, and the transaction
	// goes on.
	dup := paymentPostings(rid, rkey, claims, 3)
	extra := dup[2].Entries[0]
	extra.IdempotencyKey += "/tx"
	dup[2].Entries = append(dup[2].Entries, extra)
	for i := range dup {
		dup[i].Payment.Key += "/tx"
	}
	must(t, st.InTx(ctx, func(tx *storage.Tx) error {
		sum, err := tx.PostClaimPayments(ctx, dup)
		if err != nil {
			return err
		}
		if sum.Payments != 3 || sum.Entries != 1 {
			return fmt.Errorf("posted %+v in a transaction, want 3 payments and 1 entry", sum)
		}
		if sum, err = tx.PostClaimPayments(ctx, dup); err != nil || sum != (storage.PostSummary{}) {
			return fmt.Errorf("posted %+v again in the transaction: %v", sum, err)
		}
		return nil
	}))
	if e := get[storage.Entry](t)(st.EntryByKey(ctx, extra.IdempotencyKey)); e.Amount != extra.Amount {
		t.Fatalf("entry posted in a transaction: %+v", e)
	}

	bad := paymentPostings(rid, rkey, claims, 1)
	bad[0].Payment.Key = "new"
	bad[0].Entries[0].Amount = 0
	_, err = st.PostClaimPayments(ctx, bad)
	isErr(t, "bad entry", err, storage.ErrInvalid)
}
