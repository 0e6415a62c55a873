package remit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/testenv"

	"github.com/claimflow/claimflow/storage"
)

// The claim of X12-GUIDE 6.6 paid: CO-45 50, PR-2 30, paid 120, and 2.15 of interest
// by PLB L6 (BPR02 122.15).
const example66 = "LX*1~CLP*A17*1*200*120*30*12*ICN1~NM1*QC*1*DOE*PAT~" +
	"SVC*HC:99213*200*120**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*30~REF*6R*A17-1~AMT*B6*150~"

// TestExample66 posts X12-GUIDE 6.6 and checks the ledger by hand, the claim's
// state, and the secondary work for the patient's second coverage.
func TestExample66(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st)
		id := w.claim("A17", true, "99213", 20000)
		_, sum := w.post("era1.835", build835("000000301", [3]string{"122.15", "EFT66", example66 + "PLB*1234567893*20251231*L6:A17*-2.15~"}))
		if sum.Remittances != 1 || sum.Matched != 1 || sum.Secondary != 1 || sum.Entries != 5 || sum.Paid != 12000 || sum.Provider != -215 {
			t.Fatalf("summary %+v", sum)
		}
		lines(t, w.ledger(id),
			"insurance-payment insurance -120.00 ",          // SVC03
			"contractual-adjustment insurance -50.00 CO-45", // 200 charged, 150 allowed
			"coinsurance insurance -30.00 PR-2",             // the patient's 30...
			"coinsurance patient 30.00 PR-2",                // ...on the patient's account
			"provider-adjustment provider -2.15 PLB-L6",     // interest, tied to A17 by its reference
		)
		// insurance 200 - 120 - 50 - 30 = 0; patient 30; provider -2.15 (not the patient's).
		if b := w.balance(id); b.Insurance != 0 || b.Patient != 3000 || b.Provider != -215 || b.Total() != 3000 {
			t.Errorf("balance %+v", b)
		}
		if s := w.state(id); s != storage.StatePaid {
			t.Errorf("state %s", s)
		}
		cl, err := w.st.Claim(context.Background(), id)
		must(t, err)
		if cl.PayerClaimNumber != "ICN1" {
			t.Errorf("payer claim number %q", cl.PayerClaimNumber)
		}
		pend, err := w.st.PendingOutbox(context.Background(), 10)
		must(t, err)
		if len(pend) != 1 || !strings.HasSuffix(pend[0].Subject, ".work.secondary") || string(pend[0].Payload) != `{"claim_ids":[`+itoa(id)+`]}` {
			t.Errorf("outbox %+v", pend)
		}
		pays, err := w.st.ClaimPayments(context.Background(), id)
		must(t, err)
		if len(pays) != 1 || pays[0].Services[0].LineID != w.lines["A17-1"] {
			t.Errorf("claim payments %+v", pays)
		}
	})
}

// TestSameFileTwice: the same file again is a no-op (SHA-256); the same remittance in
// another file posts nothing and is counted as a duplicate.
func TestSameFileTwice(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st)
		w.claim("A17", false, "99213", 20000)
		text := build835("000000301", [3]string{"120", "EFT1", example66})
		w.post("era1.835", text)
		n := w.entryCount()
		if _, sum := w.post("era1-again.835", text); !sum.AlreadyProcessed {
			t.Errorf("same file: %+v", sum)
		}
		// Another interchange control number: another file, the same remittance.
		if _, sum := w.post("era1-resent.835", build835("000000302", [3]string{"120", "EFT1", example66})); sum.Duplicates != 1 || sum.Entries != 0 || sum.Remittances != 0 {
			t.Errorf("resent: %+v", sum)
		}
		if m := w.entryCount(); m != n {
			t.Errorf("%d entries after the duplicates, %d before", m, n)
		}
		if its := w.items(storage.WorkDenial); len(its) != 0 {
			t.Errorf("denials: %v", its)
		}
	})
}

// TestReversalAndCorrection: X12-GUIDE 6.7. The 6.6 payment is reversed and
// corrected (paid 130, coinsurance 20) in a later 835.
func TestReversalAndCorrection(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st)
		id := w.claim("A17", false, "99213", 20000)
		w.post("era1.835", build835("000000301", [3]string{"120", "EFT1", example66}))
		// BPR02 = -120 + 130 = 10.
		_, sum := w.post("era2.835", build835("000000302", [3]string{"10", "EFT2", "LX*1~" +
			"CLP*A17*22*-200*-120**12*ICN1~NM1*QC*1*DOE*PAT~" +
			"SVC*HC:99213*-200*-120**-1~DTM*472*20250120~CAS*CO*45*-50~CAS*PR*2*-30~REF*6R*A17-1~" +
			"CLP*A17*1*200*130*20*12*ICN1B~NM1*QC*1*DOE*PAT~" +
			"SVC*HC:99213*200*130**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*20~REF*6R*A17-1~"}))
		if sum.Reversals != 1 || sum.Exceptions != 0 {
			t.Fatalf("summary %+v", sum)
		}
		lines(t, w.ledger(id),
			"insurance-payment insurance -120.00 ",
			"contractual-adjustment insurance -50.00 CO-45",
			"coinsurance insurance -30.00 PR-2",
			"coinsurance patient 30.00 PR-2",
			"reversal insurance 120.00 ", // the first posting undone, entry by entry
			"reversal insurance 50.00 CO-45",
			"reversal insurance 30.00 PR-2",
			"reversal patient -30.00 PR-2",
			"insurance-payment insurance -130.00 ", // the correction, as new
			"contractual-adjustment insurance -50.00 CO-45",
			"coinsurance insurance -20.00 PR-2",
			"coinsurance patient 20.00 PR-2",
		)
		// 200 - 130 - 50 - 20 = 0 for the payer, 20 for the patient.
		if b := w.balance(id); b.Insurance != 0 || b.Patient != 2000 {
			t.Errorf("balance %+v", b)
		}
		hist, err := w.st.ClaimHistory(context.Background(), id)
		must(t, err)
		var path []string
		for _, ev := range hist {
			path = append(path, string(ev.To))
		}
		if got := strings.Join(path, ","); !strings.HasSuffix(got, "transmitted,paid,reversed,paid") {
			t.Errorf("history %s", got)
		}
		cl, err := w.st.Claim(context.Background(), id)
		must(t, err)
		if cl.PayerClaimNumber != "ICN1B" {
			t.Errorf("payer claim number %q", cl.PayerClaimNumber)
		}
	})
}

// TestQuarantine: one unbalanced transaction set sets the whole file aside; the
// good one before it is not posted either.
func TestQuarantine(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st)
		id := w.claim("A17", false, "99213", 20000)
		w.claim("B2", false, "99213", 10000)
		bad := "LX*1~CLP*B2*1*100*90*0*12*ICN2~NM1*QC*1*DOE*PAT~SVC*HC:99213*100*90**1~CAS*CO*45*5~REF*6R*B2-1~" // 100 - 5 != 90
		fileID, sum := w.post("bad.835", build835("000000301", [3]string{"120", "EFT1", example66}, [3]string{"90", "EFT2", bad}))
		if !strings.Contains(sum.Quarantined, "transaction set 0002 does not balance") || !strings.Contains(sum.Quarantined, "claim 1 (B2)") {
			t.Fatalf("summary %+v", sum)
		}
		if n := w.entryCount(); n != 2 { // the two charges only
			t.Errorf("%d ledger entries", n)
		}
		if s := w.state(id); s != storage.StateTransmitted {
			t.Errorf("state %s", s)
		}
		status, reason, err := w.st.InboundState(context.Background(), fileID)
		must(t, err)
		if status != storage.InboundQuarantined || reason != sum.Quarantined {
			t.Errorf("inbound %s %q", status, reason)
		}
		its := w.items(storage.WorkException)
		if len(its) != 1 || !strings.Contains(its[0].Message, "nothing posted") {
			t.Errorf("exceptions %+v", its)
		}
		// Unreadable: quarantined too.
		_, sum = w.post("junk.835", "ISA*00*garbage")
		if !strings.HasPrefix(sum.Quarantined, "unreadable") {
			t.Errorf("junk: %+v", sum)
		}
	})
}

// TestDenialUnmatchedCrossover: a denial goes to the denial queue with its codes in
// words and nothing written off; a payment for no claim is stored unmatched and
// queued; a crossover is forwarded without secondary work.
func TestDenialUnmatchedCrossover(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st)
		den := w.claim("D1", true, "99213", 20000)
		xo := w.claim("X1", true, "99213", 20000)
		cob := w.claim("P1", false, "99213", 10000)
		// BPR02 = 0 (denied) + 0 (unmatched) + 120 (crossover) = 120.
		_, sum := w.post("era.835", build835("000000301", [3]string{"120", "EFT9",
			"LX*1~CLP*D1*1*200*0*0*12*ICN3~NM1*QC*1*DOE*PAT~MOA***N130~SVC*HC:99213*200*0**1~DTM*472*20250120~CAS*CO*50*200~REF*6R*D1-1~" +
				"CLP*NOSUCH*1*50*0*0*12*ICN4~NM1*QC*1*ROE*RAY~SVC*HC:99211*50*0**1~CAS*CO*16*50~" +
				"CLP*X1*19*200*120*30*12*ICN5~NM1*QC*1*DOE*PAT~NM1*TT*2*MEDIGAP PLAN*****PI*55555~MOA***MA18~" +
				"SVC*HC:99213*200*120**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*30~REF*6R*X1-1~" +
				// The payer says another payer is primary (CO-22, NM1*PR).
				"CLP*P1*1*100*0*0*12*ICN6~CAS*CO*22*100~NM1*QC*1*DOE*PAT~NM1*PR*2*OTHER HEALTH PLAN*****PI*OHP77~"}))
		if sum.Denials != 2 || sum.Unmatched != 1 || sum.Forwarded != 1 || sum.Secondary != 0 || sum.Payments != 4 || sum.Exceptions != 1 {
			t.Fatalf("summary %+v", sum)
		}
		lines(t, w.ledger(den)) // nothing written off
		if b := w.balance(den); b.Insurance != 20000 {
			t.Errorf("denied claim balance %+v", b)
		}
		if s := w.state(den); s != storage.StateDenied {
			t.Errorf("denied claim state %s", s)
		}
		ex := w.items(storage.WorkException)
		if len(ex) != 1 || ex[0].ClaimID != cob || !strings.Contains(ex[0].Message, "another payer (OTHER HEALTH PLAN, id OHP77) is primary") {
			t.Errorf("exceptions %+v", ex)
		}
		ds := w.items(storage.WorkDenial)
		if len(ds) != 2 || ds[0].ClaimID != den || strings.Join(ds[0].Codes, ",") != "CO-50,N130" ||
			!strings.Contains(ds[0].Message, "not deemed a medical necessity") || strings.Contains(ds[0].Message, "DOE") {
			t.Errorf("denials %+v", ds)
		}
		us := w.items(storage.WorkUnmatchedRemittance)
		if len(us) != 1 || !strings.Contains(us[0].Message, "NOSUCH") || strings.Contains(us[0].Message, "ROE") {
			t.Errorf("unmatched %+v", us)
		}
		ids, err := w.st.UnmatchedClaimPayments(context.Background(), 0, 10)
		must(t, err)
		if len(ids) != 1 {
			t.Errorf("unmatched payments %v", ids)
		}
		if s := w.state(xo); s != storage.StateForwarded {
			t.Errorf("crossover state %s", s)
		}
		if b := w.balance(xo); b.Insurance != 0 || b.Patient != 3000 {
			t.Errorf("crossover balance %+v", b)
		}
		if pend, _ := w.st.PendingOutbox(context.Background(), 10); len(pend) != 0 {
			t.Errorf("secondary work for a crossover or a denial: %+v", pend)
		}
	})
}

// TestRecoupments: PLB WO and 72 recoupments and FB forwarding balance go to the
// provider bucket, WO tied to the claim its reference (the payer claim number)
// names.
func TestRecoupments(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st)
		id := w.claim("A17", false, "99213", 20000)
		w.post("era1.835", build835("000000301", [3]string{"120", "EFT1", example66}))
		// Nothing paid this time, only recoveries: 0 = 0 - (40 + -25 + -15).
		_, sum := w.post("era2.835", build835("000000302", [3]string{"0", "EFT2", "PLB*1234567893*20251231*WO:ICN1*40*72*-25*FB:NEXT1*-15~"}))
		if sum.Entries != 3 || sum.Provider != 0 {
			t.Fatalf("summary %+v", sum)
		}
		es, err := w.st.Entries(context.Background(), storage.EntryFilter{Bucket: storage.BucketProvider})
		must(t, err)
		var got []string
		for _, e := range es {
			got = append(got, e.Reason+" "+e.Amount.String()+" claim "+itoa(e.ClaimID)+" provider "+itoa(e.BillingProviderID))
		}
		lines(t, got,
			"PLB-WO 40.00 claim "+itoa(id)+" provider "+itoa(w.provider), // 40 recovered from this payment for A17 (ICN1)
			"PLB-72 -25.00 claim 0 provider "+itoa(w.provider),
			"PLB-FB -15.00 claim 0 provider "+itoa(w.provider),
		)
		if b := w.balance(id); b.Total() != 3000 { // the patient's 30; PLB is not on the account
			t.Errorf("claim balance %+v", b)
		}
	})
}

func itoa(n int64) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n)) }

func fmtInt(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

// TestStoreFailureIsNotQuarantine: when the store fails to give back an 835's
// content part-way (here a chunk gone), posting fails with the store's error and
// the file stays new, to be posted again: a database failure must not quarantine a
// good file, nor post part of it.
func TestStoreFailureIsNotQuarantine(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	w := newWorld(t, st)
	var era bytes.Buffer
	if _, err := fixtures.Write835(&era, fixtures.Options{Seed: 3, Size: 3 << 20}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, _, err := st.InsertInboundFile(ctx, storage.InboundFile{Source: "test", Name: "big.835", Kind: "835", Content: era.Bytes()})
	must(t, err)
	if _, err := st.DB().ExecContext(ctx, "DELETE FROM inbound_file_chunks WHERE file_id = ? AND seq = 1", id); err != nil {
		t.Fatal(err)
	}
	sum, err := w.poster.PostInbound(ctx, id)
	if err == nil || sum.Quarantined != "" || !strings.Contains(err.Error(), "reading inbound file") {
		t.Fatalf("PostInbound: %v (quarantined %q), want the store's read error", err, sum.Quarantined)
	}
	status, _, err := st.InboundState(ctx, id)
	if err != nil || status != storage.InboundNew {
		t.Fatalf("file status %s, %v; want new", status, err)
	}
}

// TestPLBPerProvider: an 835 whose PLB segments name two providers claimflow knows
// posts each PLB to the provider its PLB01 names; one naming a provider claimflow
// does not know goes to the first PLB's.
func TestPLBPerProvider(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st)
		other, err := st.UpsertBillingProvider(context.Background(), billing.Provider{NPI: "1245319599", Name: "EXAMPLE SURGERY GROUP", EntityType: billing.EntityOrganization})
		must(t, err)
		// 0 = 0 - (-5 + 12 - 7).
		w.post("era.835", build835("000000303", [3]string{"0", "EFT3",
			"PLB*1234567893*20251231*L6*-5~PLB*1245319599*20251231*WO*12~PLB*1999999984*20251231*72*-7~"}))
		es, err := w.st.Entries(context.Background(), storage.EntryFilter{Bucket: storage.BucketProvider})
		must(t, err)
		var got []string
		for _, e := range es {
			got = append(got, e.Reason+" "+e.Amount.String()+" provider "+itoa(e.BillingProviderID))
		}
		lines(t, got,
			"PLB-L6 -5.00 provider "+itoa(w.provider),
			"PLB-WO 12.00 provider "+itoa(other),
			"PLB-72 -7.00 provider "+itoa(w.provider),
		)
	})
}
