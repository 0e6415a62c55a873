package acks_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/edi/ta1"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestTA1Rejected: an interchange whose IEA02 differs from its ISA13 gets a TA1 R
// 001: every claim of the file goes to envelope-rejected with the reason in words,
// and one rejection item per claim.
func TestTA1Rejected(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 13, 3), 42, 10, nil)
	sent := bytes.Replace(w.file, []byte("IEA*1*000000042"), []byte("IEA*1*000000043"), 1)
	rs, err := w.sim.Process(w.sub.FileName, sent)
	if err != nil {
		t.Fatal(err)
	}
	res := w.apply(w.receive(response(t, rs, profile.KindTA1)))
	if res.Moved != 3 || res.WorkItems != 3 {
		t.Errorf("%+v, want 3 claims moved and 3 work items", res)
	}
	w.wantStates(storage.StateEnvelopeRejected, storage.StateEnvelopeRejected, storage.StateEnvelopeRejected)
	items := w.work(storage.WorkRejection)
	if len(items) != 3 {
		t.Fatalf("%d rejection items, want 3", len(items))
	}
	for _, it := range items {
		if !strings.Contains(it.Message, "TA105 001") || !strings.Contains(it.Message, "whole file") ||
			len(it.Codes) != 2 || it.Codes[1] != "TA105-001" {
			t.Errorf("item %+v", it)
		}
	}
	hist, err := w.st.ClaimHistory(w.ctx, w.ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if last := hist[len(hist)-1]; last.Cause != storage.CauseTA1 || !strings.Contains(string(last.Detail), "001") {
		t.Errorf("history %+v", last)
	}
}

// TestTA1Duplicate: TA105 025 for a file we did send (the same file uploaded under
// a second name) is an exception for a person; the claims are not rejected.
func TestTA1Duplicate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 14, 2), 77, 10, nil)
	if _, err := w.sim.Process(w.sub.FileName, w.file); err != nil {
		t.Fatal(err)
	}
	rs, err := w.sim.Process("AGAIN_"+w.sub.FileName, w.file)
	if err != nil {
		t.Fatal(err)
	}
	res := w.apply(w.receive(response(t, rs, profile.KindTA1)))
	if res.Moved != 0 || res.WorkItems != 1 {
		t.Errorf("%+v, want nothing moved and one exception", res)
	}
	w.wantStates(storage.StateTransmitted, storage.StateTransmitted)
	if n := len(w.work(storage.WorkRejection)); n != 0 {
		t.Errorf("%d rejection items, want none", n)
	}
	ex := w.work(storage.WorkException)
	if len(ex) != 1 || !strings.Contains(ex[0].Message, "duplicate") || !strings.Contains(ex[0].Message, "uploaded twice") {
		t.Errorf("exceptions %+v", ex)
	}
}

// TestTA1AcceptedWithErrors: TA104 E accepts the interchange, and the note is in the
// claims' history.
func TestTA1AcceptedWithErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 15, 2), 88, 10, nil)
	var buf bytes.Buffer
	if err := ta1.Build(&buf, ta1.Envelope{SenderID: "SIMCH", ReceiverID: "CFTEST", Time: clock(), Test: true,
		Interchanges: &x12.Counter{N: 500}}, ta1.Ack{ControlNumber: w.sub.ISA13, Date: "260301", Time: "1800",
		Code: ta1.AcceptedWithErrors, Note: "014"}); err != nil {
		t.Fatal(err)
	}
	res := w.apply(w.receiveBytes("E.ta1", "ta1", buf.Bytes()))
	if res.Moved != 2 || res.WorkItems != 0 {
		t.Errorf("%+v", res)
	}
	w.wantStates(storage.StateEnvelopeAccepted, storage.StateEnvelopeAccepted)
	hist, _ := w.st.ClaimHistory(w.ctx, w.ids[0])
	if last := hist[len(hist)-1]; !strings.Contains(string(last.Detail), "014") || !strings.Contains(string(last.Detail), "with errors") {
		t.Errorf("history detail %s, want the E note", last.Detail)
	}
}

// TestAnswerToEarlierSubmission: a TA1 rejecting a file whose claims were sent again
// in a later file moves nothing and queues nothing: it is stored and noted.
func TestAnswerToEarlierSubmission(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 20, 2), 55, 10, nil)
	sent := bytes.Replace(w.file, []byte("IEA*1*000000055"), []byte("IEA*1*000000056"), 1)
	rs, err := w.sim.Process(w.sub.FileName, sent)
	if err != nil {
		t.Fatal(err)
	}
	later := storage.Submission{Clearinghouse: clearinghouse, FileName: "LATER.x12", SHA256: "later", ISA13: "000000099", Size: 1}
	for _, sc := range w.sub.Claims {
		later.Claims = append(later.Claims, storage.SubmittedClaim{ClaimID: sc.ClaimID, Trace: sc.Trace})
	}
	if _, err := w.st.InsertSubmission(w.ctx, later); err != nil {
		t.Fatal(err)
	}
	res := w.apply(w.receive(response(t, rs, profile.KindTA1)))
	if res.Moved != 0 || res.Skipped != 2 || res.WorkItems != 0 || res.Stored != 1 {
		t.Errorf("%+v, want the answer stored, 2 claims skipped", res)
	}
	w.wantStates(storage.StateTransmitted, storage.StateTransmitted)
}

// TestTA1UnknownCode: a TA104 that is none of A, E and R does not accept the
// interchange: the claims stay where they are, the answer is stored as not
// applied, and an exception says the code is unknown.
func TestTA1UnknownCode(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 84, 2), 3131, 10, nil)
	res := w.apply(w.receiveBytes("x.ta1", "ta1", w.fileTA1("X", "000")))
	if res.Moved != 0 || res.Stored != 1 || res.WorkItems != 1 {
		t.Errorf("%+v, want nothing moved, the answer stored, one exception", res)
	}
	w.wantStates(storage.StateTransmitted, storage.StateTransmitted)
	if n := len(w.work(storage.WorkRejection)); n != 0 {
		t.Errorf("%d rejection items, want none", n)
	}
	ex := w.work(storage.WorkException)
	if len(ex) != 1 || !strings.Contains(ex[0].Message, `TA104 "X"`) || !strings.Contains(ex[0].Message, "not a TA1 code") {
		t.Errorf("exceptions %+v, want one saying TA104 X is unknown", ex)
	}
	if d := w.details(storage.AckFilter{SubmissionID: w.sub.ID}); len(d) != 1 || !strings.Contains(d[0], "not applied") {
		t.Errorf("acknowledgement details %v, want one noting it was not applied", d)
	}
}
