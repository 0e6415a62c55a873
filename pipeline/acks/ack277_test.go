package acks_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x277ca"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/acks"
	"github.com/claimflow/claimflow/storage"
)

// TestClaimAcknowledgements: the clearinghouse's 277CA rejects a claim whose billing
// NPI fails its check digit (A7:562:85, field billing_provider.npi) and passes the
// others; the payer's 277CA rejects the claim of an unknown member (A3:33 with
// A7:164:IL, field coverages[0].member_id) and accepts the rest with their payer
// claim numbers (REF*1K). Claim states tell the clearinghouse's answers from the
// payer's; applying everything again changes nothing.
func TestClaimAcknowledgements(t *testing.T) {
	t.Parallel()
	const badNPI, unknownMember = 0, 1
	claims := fixtureClaims(t, 16, 4)
	claims[badNPI].BillingProvider.NPI = "1234567890" // check digit 3 would be right
	claims[unknownMember].Coverages[0].MemberID = "ZZ0001"
	rules := simulator.DefaultRules()
	w := newWorld(t, testenv.SQLite(t), claims, 501, 10, &rules)
	rs, err := w.sim.Process(w.sub.FileName, w.file)
	if err != nil {
		t.Fatal(err)
	}
	var files []int64
	for _, r := range rs {
		files = append(files, w.receive(r))
	}
	ch, err := w.sim.Flush(simulator.StageClearinghouse)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, w.receive(response(t, ch, profile.Kind277CA)))
	for _, id := range files {
		w.apply(id)
	}
	w.wantStates(storage.StateClearinghouseRejected, storage.StateClearinghouseAccepted, storage.StateClearinghouseAccepted,
		storage.StateClearinghouseAccepted)
	items := w.work(storage.WorkRejection)
	if len(items) != 1 || items[0].ClaimID != w.ids[badNPI] || items[0].Field != "billing_provider.npi" {
		t.Fatalf("rejections %+v, want the billing NPI of claim %d", items, w.ids[badNPI])
	}
	for _, s := range []string{"clearinghouse", "A7:562:85", "National Provider Identifier", "billing provider"} {
		if !strings.Contains(items[0].Message, s) {
			t.Errorf("message %q lacks %q", items[0].Message, s)
		}
	}

	rest, err := w.sim.Flush(simulator.StageRemittance)
	if err != nil {
		t.Fatal(err)
	}
	n277 := 0
	for _, r := range rest {
		if r.Kind == profile.Kind277CA {
			n277++
			id := w.receive(r)
			files = append(files, id)
			w.apply(id)
		}
	}
	if n277 == 0 {
		t.Fatal("no payer 277CA")
	}
	w.wantStates(storage.StateClearinghouseRejected, storage.StatePayerRejected, storage.StatePayerAccepted, storage.StatePayerAccepted)
	items = w.work(storage.WorkRejection)
	if len(items) != 2 || items[1].ClaimID != w.ids[unknownMember] || items[1].Field != "coverages[0].member_id" ||
		!strings.Contains(items[1].Message, "the payer rejected") || !strings.Contains(items[1].Message, "A7:164:IL") {
		t.Fatalf("rejections %+v, want the member id of claim %d from the payer", items, w.ids[unknownMember])
	}
	for i := 2; i < 4; i++ {
		c, err := w.st.Claim(w.ctx, w.ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if c.PayerClaimNumber == "" {
			t.Errorf("claim %d: no payer claim number kept", i)
		}
		acks, err := w.st.Acks(w.ctx, storage.AckFilter{ClaimID: w.ids[i]})
		if err != nil {
			t.Fatal(err)
		}
		if len(acks) != 2 || !strings.Contains(string(acks[0].Detail), "clearinghouse") || !strings.Contains(string(acks[1].Detail), "payer") {
			t.Errorf("claim %d acknowledgements %+v, want the clearinghouse's then the payer's", i, acks)
		}
	}
	hist, _ := w.st.ClaimHistory(w.ctx, w.ids[2])
	if last := hist[len(hist)-1]; last.Cause != storage.Cause277CAPayer {
		t.Errorf("last cause %s, want %s", last.Cause, storage.Cause277CAPayer)
	}

	before := w.snapshot()
	for _, id := range files {
		if res := w.apply(id); !res.Done {
			t.Errorf("file %d applied twice: %+v", id, res)
		}
	}
	if after := w.snapshot(); !after.equal(before) {
		t.Errorf("applying again changed %+v into %+v", before, after)
	}

}

// TestLineRejection: a payer accepts a claim but rejects one of its lines (2220D
// STC, REF*FJ our line control number): the claim is payer-accepted, and the line's
// rejection is queued with the line's field.
func TestLineRejection(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 17, 1), 601, 10, nil)
	cl := w.claims[0]
	line := len(cl.Lines) - 1
	ack := x277ca.Ack{
		BatchID: "PR1", Created: clock(),
		InformationSource: x277ca.Entity{Code: x277ca.SourcePayer, Type: "2", Name: "TEST PAYER", IDQualifier: "PI", ID: "PAYER1"},
		Receipt:           x277ca.Receipt{Trace: "PR0001", Received: clock(), Processed: clock()},
		Submitter: x277ca.Submitter{Entity: x277ca.Entity{Type: "2", Name: "CLAIMFLOW TEST", IDQualifier: "46", ID: "CFTEST"},
			Trace: w.res.Transactions[0].BatchID,
			Statuses: []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A1", Code: "19", Entity: "PR"}, Date: clock(),
				Action: x277ca.ActionAccept, Charge: int64(cl.Charge)}}},
		Providers: []x277ca.Provider{{
			Entity: x277ca.Entity{Type: "2", Name: "PROVIDER", IDQualifier: "XX", ID: cl.BillingProvider.NPI},
			Claims: []x277ca.Claim{{
				Patient: x277ca.Entity{Type: "1", Name: "DOE", First: "J", IDQualifier: "MI", ID: "M1"},
				PCN:     cl.PatientControlNumber, PayerClaimNumber: "ICN123",
				Statuses: []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A2", Code: "20"}, Date: clock(),
					Action: x277ca.ActionAccept, Charge: int64(cl.Charge)}},
				ServiceDates: x277ca.Period{From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
				Lines: []x277ca.Line{{
					Procedure:         x277ca.Procedure{Qualifier: "HC", Code: cl.Lines[line].Procedure.Code},
					Charge:            int64(cl.Lines[line].Charge),
					Statuses:          []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A7", Code: "454"}, Action: x277ca.ActionReject}},
					LineControlNumber: cl.Lines[line].ControlNumber,
					ServiceDates:      x277ca.Period{From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
				}},
			}},
		}},
	}
	var buf bytes.Buffer
	if err := x277ca.Build(&buf, x277ca.Envelope{SenderID: "PAYER1", ReceiverID: "CFTEST", Time: clock(), Test: true,
		Interchanges: &x12.Counter{N: 900}}, ack); err != nil {
		t.Fatal(err)
	}
	w.apply(w.receiveBytes("payer.277", "277ca", buf.Bytes()))
	w.wantStates(storage.StatePayerAccepted)
	items := w.work(storage.WorkRejection)
	want := "lines[" + itoa(int64(line)) + "].procedure.code"
	if len(items) != 1 || items[0].Field != want || !strings.Contains(items[0].Message, "service line "+itoa(int64(line+1))) {
		t.Fatalf("rejections %+v, want one for %s", items, want)
	}
	if c, _ := w.st.Claim(w.ctx, w.ids[0]); c.PayerClaimNumber != "ICN123" {
		t.Errorf("payer claim number %q, want ICN123", c.PayerClaimNumber)
	}
}

// TestQuarantineTruncated: a 999 cut in the middle is quarantined whole with the
// reason and an exception; no claim moves, no acknowledgement is stored.
func TestQuarantineTruncated(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 18, 3), 701, 1, nil)
	rs, err := w.sim.Process(w.sub.FileName, w.file)
	if err != nil {
		t.Fatal(err)
	}
	data := response(t, rs, profile.Kind999).Data
	id := w.receiveBytes("cut.999", "999", data[:len(data)/2])
	res := w.apply(id)
	if !res.Quarantined || res.WorkItems != 1 || res.Moved != 0 {
		t.Errorf("%+v, want quarantined with one exception", res)
	}
	f, err := w.st.InboundFile(w.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != storage.InboundQuarantined || f.Reason == "" {
		t.Errorf("file %s %q, want quarantined with a reason", f.Status, f.Reason)
	}
	w.wantStates(storage.StateTransmitted, storage.StateTransmitted, storage.StateTransmitted)
	if acks, _ := w.st.Acks(w.ctx, storage.AckFilter{SubmissionID: w.sub.ID}); len(acks) != 0 {
		t.Errorf("%d acknowledgements stored from a quarantined file", len(acks))
	}
	ex := w.work(storage.WorkException)
	if len(ex) != 1 || !strings.Contains(ex[0].Message, "quarantined") {
		t.Errorf("exceptions %+v", ex)
	}
	if res := w.apply(id); !res.Done {
		t.Errorf("quarantined file applied again: %+v", res)
	}
}

// TestAnswersStoredBefore: a 277CA one of whose answers is stored already (as if
// the same content had been applied before under another file) applies the others
// and leaves that claim alone, as an answer stored before was applied before.
func TestAnswersStoredBefore(t *testing.T) {
	t.Parallel()
	claims := fixtureClaims(t, 16, 3)
	rules := simulator.DefaultRules()
	w := newWorld(t, testenv.SQLite(t), claims, 601, 10, &rules)
	rs, err := w.sim.Process(w.sub.FileName, w.file)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		w.apply(w.receive(r))
	}
	before := w.states()
	ch, err := w.sim.Flush(simulator.StageClearinghouse)
	if err != nil {
		t.Fatal(err)
	}
	id := w.receive(response(t, ch, profile.Kind277CA))
	f, err := w.st.InboundFile(w.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.st.InsertAck(w.ctx, storage.Ack{Key: f.SHA256 + "/277ca/0/0/0", Kind: "277ca", Status: "A1:20"}); err != nil {
		t.Fatal(err)
	}
	res := w.apply(id)
	if res.Answers != 3 || res.Stored != 2 || res.Moved != 2 {
		t.Errorf("result %+v, want 3 answers, 2 stored and applied", res)
	}
	w.wantStates(before[0], storage.StateClearinghouseAccepted, storage.StateClearinghouseAccepted)
}

// TestRejectionInSTC10: a claim STC whose STC01 accepts (A1) but whose STC10
// rejects (A7:562:85) rejects the claim, with the field of the rejecting
// composite; every composite is in words, and the STC12 free text (which may
// quote patient data) is in no work item.
func TestRejectionInSTC10(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 44, 1), 1131, 10, nil)
	st := stc("A1", "20", "", x277ca.StatusCode{Category: "A7", Code: "562", Entity: "85"}, x277ca.StatusCode{Category: "A6", Code: "158", Entity: "QC"})
	st.FreeText = "SECRET PATIENT TEXT"
	w.apply(w.receiveBytes("ch.277", "277ca", w.file277(x277ca.SourceClearinghouse, "", 0, "", []x277ca.Status{st}, nil)))
	w.wantStates(storage.StateClearinghouseRejected)
	items := w.itemsOf(storage.WorkRejection, 0)
	if len(items) != 1 || items[0].Field != "billing_provider.npi" {
		t.Fatalf("rejections:\n%s\nwant one for billing_provider.npi", messages(items))
	}
	for _, s := range []string{"A1:20", "A7:562:85", "A6:158:QC", "billing provider", "patient"} {
		if !strings.Contains(items[0].Message, s) {
			t.Errorf("message %q lacks %q", items[0].Message, s)
		}
	}
	if strings.Contains(items[0].Message, "SECRET") {
		t.Error("STC12 free text in the rejection queue")
	}
}

// TestSame277CATwice: the same 277CA rejection comes twice, in two files (the
// clearinghouse sent it again in a new envelope): the claim moves once, one
// rejection is queued, and the second answer is stored as come again, not applied.
func TestSame277CATwice(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 46, 1), 1151, 10, nil)
	var results []acks.Result
	for k := range 2 {
		f := w.file277(x277ca.SourceClearinghouse, "", 0, "", []x277ca.Status{stc("A7", "562", "85")}, nil)
		results = append(results, w.apply(w.receiveBytes("dup.277."+itoa(int64(k)), "277ca", f)))
	}
	w.wantStates(storage.StateClearinghouseRejected)
	if items := w.itemsOf(storage.WorkRejection, 0); len(items) != 1 {
		t.Errorf("%d rejections, want 1:\n%s", len(items), messages(items))
	}
	if r := results[1]; r.Stored != 1 || r.Moved != 0 || r.Skipped != 1 || r.WorkItems != 0 {
		t.Errorf("the second file: %+v, want stored, skipped, nothing queued", r)
	}
	if d := w.details(storage.AckFilter{ClaimID: w.ids[0]}); len(d) != 2 || strings.Contains(d[0], "not applied") || !strings.Contains(d[1], "came again") {
		t.Errorf("acknowledgement details %v, want the second noted as come again", d)
	}
}

// TestStatusesOutsideTheACategories: categories that are no 277CA claim
// acknowledgement (E0, P1, F2, an unknown ZZ) leave the claim where it is and queue
// nothing; the answer is stored with its composite and words. An unknown status
// code in an accepting category (A1:99999) accepts.
func TestStatusesOutsideTheACategories(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    x277ca.Status
		want storage.ClaimState
	}{
		{stc("E0", "0", ""), storage.StateTransmitted},
		{stc("P1", "0", ""), storage.StateTransmitted},
		{stc("F2", "88", "PR"), storage.StateTransmitted},
		{stc("ZZ", "99999", "XX"), storage.StateTransmitted},
		{stc("A1", "99999", ""), storage.StateClearinghouseAccepted},
	}
	for k, tc := range tests {
		w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, uint64(50+k), 1), uint64(1200+10*k), 10, nil)
		w.apply(w.receiveBytes("x.277", "277ca", w.file277(x277ca.SourceClearinghouse, "", 0, "", []x277ca.Status{tc.s}, nil)))
		code := tc.s.Category + ":" + tc.s.Code
		w.wantStates(tc.want)
		if items, _ := w.st.WorkItems(w.ctx, storage.WorkFilter{Limit: 10}); len(items) != 0 {
			t.Errorf("%s: %d work items, want none", code, len(items))
		}
		if d := w.details(storage.AckFilter{ClaimID: w.ids[0]}); len(d) != 1 || !strings.Contains(d[0], `"codes":["`+code) || !strings.Contains(d[0], `"text":"`+code) {
			t.Errorf("%s: acknowledgement details %v", code, d)
		}
	}
}

// TestNotFoundIsInvestigated: A4 (not found) is no rejection: the claim stays
// where it is, nothing goes to the rejection queue, and an exception asks a person
// to investigate, naming the claim and the status in words.
func TestNotFoundIsInvestigated(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 60, 1), 1301, 10, nil)
	w.apply(w.receiveBytes("a4.277", "277ca", w.file277(x277ca.SourcePayer, "", 0, "", []x277ca.Status{stc("A4", "35", "")}, nil)))
	w.wantStates(storage.StateTransmitted)
	if items := w.itemsOf(storage.WorkRejection, 0); len(items) != 0 {
		t.Errorf("rejections:\n%s\nwant none", messages(items))
	}
	ex := w.itemsOf(storage.WorkException, 0)
	if len(ex) != 1 {
		t.Fatalf("%d exceptions for the claim, want 1", len(ex))
	}
	for _, s := range []string{w.claims[0].PatientControlNumber, "A4:35", "not found", "Investigate", "stays transmitted"} {
		if !strings.Contains(ex[0].Message, s) {
			t.Errorf("exception %q lacks %q", ex[0].Message, s)
		}
	}
}

// TestRejectedAgainUnknownTrace: a payer's 277CA whose 2200B TRN02 is its own
// batch number, not our BHT03, rejects a claim (A7:164:IL); the same file again
// queues nothing more. The claim is fixed, badly, and sent again; the payer
// rejects it again with the same code under another batch number: that rejection
// is queued too.
func TestRejectedAgainUnknownTrace(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 61, 1), 1311, 10, nil)
	reject := []x277ca.Status{stc("A7", "164", "IL")}
	first := w.file277(x277ca.SourcePayer, "PAYERBATCH1", 0, "", reject, nil)
	w.apply(w.receiveBytes("pr1.277", "277ca", first))
	w.apply(w.receiveBytes("pr1-again.277", "277ca", append(append([]byte{}, first...), '\n')))
	w.wantStates(storage.StatePayerRejected)
	if n := len(w.itemsOf(storage.WorkRejection, 0)); n != 1 {
		t.Fatalf("%d rejections after the same 277CA twice, want 1", n)
	}
	w.resubmit(0, "000009001")
	w.apply(w.receiveBytes("pr2.277", "277ca", w.file277(x277ca.SourcePayer, "PAYERBATCH2", 0, "", reject, nil)))
	w.wantStates(storage.StatePayerRejected)
	if items := w.itemsOf(storage.WorkRejection, 0); len(items) != 2 {
		t.Errorf("%d rejections after the claim sent again was rejected again, want 2:\n%s", len(items), messages(items))
	}
}

// TestOldAnswerUnknownTraceAfterResubmission: the known limitation (package doc).
// The payer's rejection of the first submission, under its own batch number, comes
// again after the claim was fixed and sent again: nothing tells it from an answer
// to the new submission, so it rejects the claim, and a person sees it: a new
// rejection is queued, not folded into the first one, already worked.
func TestOldAnswerUnknownTraceAfterResubmission(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 63, 1), 1331, 10, nil)
	reject := []x277ca.Status{stc("A7", "164", "IL")}
	first := w.file277(x277ca.SourcePayer, "PAYERBATCH1", 0, "", reject, nil)
	w.apply(w.receiveBytes("pr1.277", "277ca", first))
	w.resubmit(0, "000009101")
	w.apply(w.receiveBytes("pr1-again.277", "277ca", append(append([]byte{}, first...), '\n')))
	w.wantStates(storage.StatePayerRejected)
	if items := w.itemsOf(storage.WorkRejection, 0); len(items) != 2 {
		t.Errorf("%d rejections, want 2: the answer applied to the new submission is queued again:\n%s", len(items), messages(items))
	}
}
