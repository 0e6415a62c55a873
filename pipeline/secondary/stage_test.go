package secondary_test

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

func TestStageSQLite(t *testing.T) {
	t.Parallel()
	stageScenario(t, testenv.SQLite(t))
}

func TestStagePostgres(t *testing.T) {
	t.Parallel()
	stageScenario(t, testenv.Postgres(t))
}

// stageScenario runs the stage through a pipeline.Runner on the embedded bus: one
// message carries X12-GUIDE section 7's claim, a crossover, a claim left to the
// patient, a claim paid in full and a claim whose secondary fails the COB rules;
// the same message again changes nothing; then the secondary's 835 sends the first
// claim on to the tertiary.
func stageScenario(t *testing.T, st *storage.Store) {
	w := newWorld(t, st)
	r := startRunner(t, st)
	sec, ter := w.payers[secondPlan.ID], w.payers[stateAid.ID]

	// X12-GUIDE 6.6/7: CLP*A17*1*200*120*30*12*ICN1, SVC 99213 200 -> 120,
	// CAS*CO*45*50, CAS*PR*2*30. Ledger after the primary, on the line:
	// charge +200 (primary) - payment 120 - CO-45 50 - PR-2 30 = 0 owed by the
	// primary; +30 owed by the patient.
	example := w.claim("A17", 3)
	w.adjudicate(example, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
	// A crossover: the primary processed it and forwarded it (CLP02 19).
	crossover := w.claim("X19", 2)
	w.adjudicate(crossover, decision{payer: primaryPlan, status: "19", paid: 120_00, icn: "ICN2", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StateForwarded)
	// No further coverage, 30.00 coinsurance: the patient's.
	alone := w.claim("P30", 1)
	w.adjudicate(alone, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN3", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
	// Paid in full after the contractual write-off: 200 - 150 - 50 = 0 left, with a
	// secondary coverage that has nothing to pay.
	settled := w.claim("F150", 2)
	w.adjudicate(settled, decision{payer: primaryPlan, status: "1", paid: 150_00, icn: "ICN4", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00)}}, storage.StatePaid)
	// The payment does not balance (200 - 40 - 30 = 130, not 120): the secondary
	// claim would be rejected, so it is held.
	unbalanced := w.claim("U120", 2)
	w.adjudicate(unbalanced, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN5", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 40_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
	// No further coverage and paid in full: 200 - 150 - CO-45 50 = 0.
	done := w.claim("D150", 1)
	w.adjudicate(done, decision{payer: primaryPlan, status: "1", paid: 150_00, icn: "ICN6", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00)}}, storage.StatePaid)
	crossBefore := w.snapshot(crossover.ID)

	ids := []int64{example.ID, crossover.ID, alone.ID, settled.ID, unbalanced.ID, done.ID}
	r.send(ids...)

	// The worked example: billed to the secondary with the primary's decision.
	got := w.stored(example.ID)
	if got.State != storage.StateSecondaryBilled || got.PayerID != sec {
		t.Fatalf("A17: state %s, payer %d; want secondary-billed, payer %d", got.State, got.PayerID, sec)
	}
	if b, _ := got.BilledCoverage(); b != 1 {
		t.Fatalf("A17 billed to coverage %d, want 1", b)
	}
	a := got.Coverages[0].Adjudication
	// 2320 AMT*D 120.00 (CLP04); no claim-level CAS; 2430 SVD02 120.00 with CO-45
	// 50.00 and PR-2 30.00 (200.00 - 80.00 = 120.00), DTP*573 2025-01-20, AMT*EAF 30.00.
	if a.PaidAmount != 120_00 || len(a.Adjustments) != 0 || a.ClaimNumber != "ICN1" || len(a.Lines) != 1 ||
		a.Lines[0].PaidAmount != 120_00 || len(a.Lines[0].Adjustments) != 2 || a.Lines[0].Adjustments[0] != adj("CO", "45", 50_00) ||
		a.Lines[0].Adjustments[1] != adj("PR", "2", 30_00) || a.Lines[0].Date != adjudicated ||
		a.Lines[0].RemainingPatientLiability == nil || *a.Lines[0].RemainingPatientLiability != 30_00 {
		t.Fatalf("A17 primary adjudication = %+v", a)
	}
	out := build(t, got.Claim)
	for _, seg := range []string{"SBR*S*18*******CI~", "SBR*P*18*GRP1******CI~", "AMT*D*120~", "NM1*PR*2*PRIMARY PLAN*****PI*12345~",
		"SVD*12345*120*HC:99213**1~", "CAS*CO*45*50~", "CAS*PR*2*30~", "DTP*573*D8*20250120~"} {
		if !strings.Contains(out, seg) {
			t.Errorf("A17 837P lacks %s", seg)
		}
	}
	// Ledger: the patient's 30.00 goes back from the patient bucket to the insurance
	// bucket, on the secondary (a patient-responsibility pair keyed cob/<claim>/2/...):
	// primary 0, secondary +30, patient 0; the claim still owes 30.00 in all.
	by, patientOwes := w.balance(example.ID)
	if want := map[string]billing.Money{secondPlan.ID: 30_00}; !maps.Equal(by, want) || patientOwes != 0 {
		t.Fatalf("A17 balance by payer %v, patient %s; want %v and 0", by, patientOwes, want)
	}
	entries, err := st.Entries(context.Background(), storage.EntryFilter{ClaimID: example.ID})
	if err != nil {
		t.Fatal(err)
	}
	var moved []string
	for _, e := range entries {
		if strings.HasPrefix(e.IdempotencyKey, "cob/") {
			moved = append(moved, string(e.Kind)+" "+string(e.Bucket)+" "+e.Amount.String()+" payer="+payerName(w, e.PayerID))
		}
	}
	if want := []string{"patient-responsibility patient -30.00 payer=12345", "patient-responsibility insurance 30.00 payer=67890"}; strings.Join(moved, "; ") != strings.Join(want, "; ") {
		t.Fatalf("A17 transfers %q, want %q", moved, want)
	}

	// The crossover: nothing billed, nothing moved.
	if after := w.snapshot(crossover.ID); after != crossBefore {
		t.Fatalf("crossover changed:\n%s\n%s", crossBefore, after)
	}
	// No further coverage: the patient owes 30.00.
	if s := w.stored(alone.ID).State; s != storage.StatePatientBilled {
		t.Fatalf("P30 state %s, want patient-billed", s)
	}
	if _, p := w.balance(alone.ID); p != 30_00 {
		t.Fatalf("P30 patient owes %s, want 30", p)
	}
	// Nothing left: closed, with no secondary claim.
	if c := w.stored(settled.ID); c.State != storage.StateClosed || c.Coverages[0].Adjudication != nil {
		t.Fatalf("F150 state %s, adjudication %v; want closed and none", c.State, c.Coverages[0].Adjudication)
	}
	if s := w.stored(done.ID).State; s != storage.StateClosed {
		t.Fatalf("D150 state %s, want closed", s)
	}
	// The unbalanced one: held, with a rejection naming the field to fix.
	held := w.stored(unbalanced.ID)
	if held.State != storage.StateHeld || held.PayerID != sec {
		t.Fatalf("U120 state %s payer %d, want held at the secondary", held.State, held.PayerID)
	}
	items, err := st.WorkItems(context.Background(), storage.WorkFilter{ClaimID: unbalanced.ID, Kind: storage.WorkRejection})
	if err != nil {
		t.Fatal(err)
	}
	// 200.00 - (40.00 + 30.00) = 130.00, not the 120.00 paid: both the line (SVD02)
	// and the claim (AMT*D) are named.
	var fields []string
	for _, it := range items {
		if it.Codes[0] != "cob-balance" {
			t.Errorf("U120 rejection %+v: want rule cob-balance", it)
		}
		fields = append(fields, it.Field)
	}
	if want := "coverages[0].adjudication.paid_amount coverages[0].adjudication.lines[0].paid_amount"; strings.Join(fields, " ") != want {
		t.Fatalf("U120 rejections name %q, want %q", fields, want)
	}

	// The same message again changes nothing.
	before := map[int64]string{}
	for _, id := range ids {
		before[id] = w.snapshot(id)
	}
	r.send(ids...)
	for _, id := range ids {
		if after := w.snapshot(id); after != before[id] {
			t.Fatalf("claim %d changed on the second message:\n%s\n%s", id, before[id], after)
		}
	}

	// The tertiary: the secondary allows what the primary left (30.00), pays 24.00,
	// leaves 6.00 coinsurance; its 835 reports the primary's impact as OA-23 170.00:
	// 200 - 170 - 6 = 24. Ledger: secondary 30 - 24 - 6 = 0; patient +6, which
	// goes on to the tertiary.
	w.move(example.ID, storage.StateBatched, storage.StateTransmitted)
	example = w.stored(example.ID)
	w.adjudicate(example, decision{payer: secondPlan, status: "2", paid: 24_00, icn: "SEC-9", date: billing.NewDate(2025, 2, 3),
		lineAdj: []billing.Adjustment{adj("OA", "23", 170_00), adj("PR", "2", 6_00)}}, storage.StatePartiallyPaid)
	r.send(example.ID)
	got = w.stored(example.ID)
	if got.State != storage.StateSecondaryBilled || got.PayerID != ter {
		t.Fatalf("A17 after the secondary: state %s payer %d, want secondary-billed at %d", got.State, got.PayerID, ter)
	}
	if b, _ := got.BilledCoverage(); b != 2 || got.Coverages[1].Adjudication == nil || got.Coverages[1].Adjudication.PaidAmount != 24_00 ||
		got.Coverages[0].Adjudication == nil || got.Coverages[0].Adjudication.PaidAmount != 120_00 {
		t.Fatalf("A17 tertiary claim: billed %d, adjudications %+v %+v", b, got.Coverages[0].Adjudication, got.Coverages[1].Adjudication)
	}
	out = build(t, got.Claim)
	for _, seg := range []string{"SBR*T*18*******MC~", "SBR*S*18*******CI~", "SVD*67890*24*HC:99213**1~", "CAS*OA*23*170~", "DTP*573*D8*20250203~"} {
		if !strings.Contains(out, seg) {
			t.Errorf("A17 tertiary 837P lacks %s", seg)
		}
	}
	by, patientOwes = w.balance(example.ID)
	if want := map[string]billing.Money{stateAid.ID: 6_00}; !maps.Equal(by, want) || patientOwes != 0 {
		t.Fatalf("A17 balance after the secondary: by payer %v, patient %s; want %v and 0", by, patientOwes, want)
	}
}

func payerName(w *world, id int64) string {
	for pid, v := range w.payers {
		if v == id {
			return pid
		}
	}
	return "?"
}
