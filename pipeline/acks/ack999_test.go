package acks_test

import (
	"strings"
	"testing"

	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/edi/x999"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestAcceptedFile: a clean file gets a TA1 A and a 999 A: every claim goes to
// envelope-accepted then syntax-accepted, the acknowledgements are stored, nothing
// is queued, and applying the files again changes nothing.
func TestAcceptedFile(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 11, 4), 301, 2, nil)
	rs, err := w.sim.Process(w.sub.FileName, w.file)
	if err != nil {
		t.Fatal(err)
	}
	ta1ID := w.receive(response(t, rs, profile.KindTA1))
	ack999ID := w.receive(response(t, rs, profile.Kind999))

	if res := w.apply(ta1ID); res.Moved != 4 || res.Stored != 1 || res.WorkItems != 0 {
		t.Errorf("TA1: %+v, want 4 claims moved, 1 acknowledgement, no work", res)
	}
	w.wantStates(storage.StateEnvelopeAccepted, storage.StateEnvelopeAccepted, storage.StateEnvelopeAccepted, storage.StateEnvelopeAccepted)
	sets := len(w.res.Transactions)
	if res := w.apply(ack999ID); res.Moved != 4 || res.Stored != sets || res.WorkItems != 0 {
		t.Errorf("999: %+v, want 4 claims moved, %d set acknowledgements, no work", res, sets)
	}
	w.wantStates(storage.StateSyntaxAccepted, storage.StateSyntaxAccepted, storage.StateSyntaxAccepted, storage.StateSyntaxAccepted)
	hist, err := w.st.ClaimHistory(w.ctx, w.ids[0])
	if err != nil {
		t.Fatal(err)
	}
	last := hist[len(hist)-1]
	if last.Cause != storage.Cause999 || last.Actor != "inbound-file/"+itoa(ack999ID) {
		t.Errorf("last history row %+v, want caused by 999 of file %d", last, ack999ID)
	}

	before := w.snapshot()
	for _, id := range []int64{ta1ID, ack999ID} {
		if res := w.apply(id); !res.Done {
			t.Errorf("file %d applied again: %+v", id, res)
		}
	}
	if after := w.snapshot(); !after.equal(before) {
		t.Errorf("applying again changed %+v into %+v", before, after)
	}
	if before.acks != 1+sets || before.work != 0 {
		t.Errorf("%d acknowledgements and %d work items, want %d and 0", before.acks, before.work, 1+sets)
	}
}

// TestRejectedSetTracedToField: a claim whose line has a unit that is not a code
// makes the clearinghouse reject its transaction set. The claims of that set go to
// syntax-rejected and the others to syntax-accepted; the bad claim's rejection names
// the field (lines[k].unit) in words a clerk reads, the other claim of the set is
// told to send again unchanged; the same 999 in another file queues nothing new.
func TestRejectedSetTracedToField(t *testing.T) {
	t.Parallel()
	w := rejectedSetWorld(t, testenv.SQLite(t))
	checkRejectedSet(t, w)
}

// TestRejectedSetPostgres is the same on PostgreSQL.
func TestRejectedSetPostgres(t *testing.T) {
	t.Parallel()
	w := rejectedSetWorld(t, testenv.Postgres(t))
	checkRejectedSet(t, w)
}

// badClaim and badLine are the claim and line given an invalid unit.
const badClaim, badLine = 2, 1

func rejectedSetWorld(t *testing.T, st *storage.Store) *world {
	claims := oneSet(fixtureClaims(t, 12, 6)) // sets of two claims
	for len(claims[badClaim].Lines) <= badLine {
		claims[badClaim].Lines = append(claims[badClaim].Lines, claims[badClaim].Lines[0])
		claims[badClaim].Lines[len(claims[badClaim].Lines)-1].ControlNumber = ""
		claims[badClaim].Charge += claims[badClaim].Lines[0].Charge
	}
	claims[badClaim].Lines[badLine].Unit = "ZZ" // SV103: not a unit code
	return newWorld(t, st, claims, 302, 2, nil)
}

func checkRejectedSet(t *testing.T, w *world) {
	t.Helper()
	rs, err := w.sim.Process(w.sub.FileName, w.file)
	if err != nil {
		t.Fatal(err)
	}
	resp := response(t, rs, profile.Kind999)
	id := w.receive(resp)
	res := w.apply(id)
	badSet := w.transactionOf(badClaim)
	var want []storage.ClaimState
	var inBadSet []int
	for i := range w.ids {
		if w.transactionOf(i) == badSet {
			want = append(want, storage.StateSyntaxRejected)
			inBadSet = append(inBadSet, i)
		} else {
			want = append(want, storage.StateSyntaxAccepted)
		}
	}
	w.wantStates(want...)
	if len(inBadSet) != 2 || res.Moved != len(w.ids) {
		t.Fatalf("claims %v in the rejected set, %+v", inBadSet, res)
	}
	items := w.work(storage.WorkRejection)
	if len(items) != 2 {
		t.Fatalf("%d rejection items, want 2: %+v", len(items), items)
	}
	for _, it := range items {
		switch it.ClaimID {
		case w.ids[badClaim]:
			if it.Field != "lines[1].unit" {
				t.Errorf("field %q, want lines[1].unit", it.Field)
			}
			for _, s := range []string{"SV103", "service line 2", "Fix lines[1].unit", "IK403 7"} {
				if !strings.Contains(it.Message, s) {
					t.Errorf("message %q lacks %q", it.Message, s)
				}
			}
			if strings.Contains(it.Message, "ZZ") {
				t.Errorf("message quotes the bad value: %q", it.Message)
			}
		default:
			if it.Field != "" || !strings.Contains(it.Message, "send it again unchanged") {
				t.Errorf("the other claim of the set: %+v", it)
			}
		}
	}
	acks, err := w.st.Acks(w.ctx, storage.AckFilter{ClaimID: 0, SubmissionID: w.sub.ID})
	if err != nil {
		t.Fatal(err)
	}
	rejectedAcks := 0
	for _, a := range acks {
		if a.Status == "R" {
			rejectedAcks++
			if !strings.Contains(string(a.Detail), `"lines[1].unit"`) {
				t.Errorf("acknowledgement detail %s lacks the field", a.Detail)
			}
		}
	}
	if len(acks) != len(w.res.Transactions) || rejectedAcks != 1 {
		t.Errorf("%d acknowledgements (%d rejected), want %d (1)", len(acks), rejectedAcks, len(w.res.Transactions))
	}

	// The same answers in another file (a line feed added): stored again, as that
	// file's, but no claim moves and no rejection is queued twice.
	before := w.snapshot()
	again := w.receiveBytes(resp.Name+".again", "999", append(append([]byte{}, resp.Data...), '\n'))
	res = w.apply(again)
	after := w.snapshot()
	if res.Moved != 0 || res.WorkItems != 0 || !slicesEqual(after.states, before.states) || after.work != before.work || after.history != before.history {
		t.Errorf("the same 999 in another file: %+v; %+v -> %+v", res, before, after)
	}
}

// TestSetAcceptedWithErrors: IK5*E with an IK3 accepts the set: its claims go to
// syntax-accepted, nothing is queued, the claims' history notes the errors and the
// acknowledgement says where each is (the field of the claim).
func TestSetAcceptedWithErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), oneSet(fixtureClaims(t, 73, 2)), 2121, 10, nil)
	set := x999.SetResponse{Control: w.res.Transactions[0].ST02, Status: x999.AcceptedWithErrors, Segments: []x999.SegmentError{{
		ID: "SV1", Position: w.res.Claims[1].Lines[0] + 1, Loop: "2400", Code: "8",
		Elements: []x999.ElementError{{Position: 1, Component: 2, Ref: "234", Code: "I6"}}}}}
	w.apply(w.receiveBytes("e.999", "999", w.file999(w.group999(x999.AcceptedWithErrors, nil, set))))
	w.wantStates(storage.StateSyntaxAccepted, storage.StateSyntaxAccepted)
	if n := len(w.work(storage.WorkRejection)); n != 0 {
		t.Errorf("%d rejection items for an accepted set", n)
	}
	hist, err := w.st.ClaimHistory(w.ctx, w.ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if d := string(hist[len(hist)-1].Detail); !strings.Contains(d, "1 errors noted") {
		t.Errorf("history %s lacks the noted errors", d)
	}
	if d := w.details(storage.AckFilter{SubmissionID: w.sub.ID}); len(d) != 1 || !strings.Contains(d[0], `"lines[0].procedure.code"`) {
		t.Errorf("acknowledgement details %v lack the field", d)
	}
}

// TestUnknownGroup: a 999 for a functional group claimflow never sent is an
// exception naming the group; nothing moves.
func TestUnknownGroup(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 74, 1), 2131, 10, nil)
	ack := x999.Ack{Group: x999.Group{FunctionalID: "HC", Control: "987654", Version: "005010X222A1"},
		Sets:   []x999.SetResponse{{ID: "837", Control: "0001", Status: x999.Rejected, Codes: []string{"5"}}},
		Status: x999.Rejected, Included: 1, Received: 1}
	res := w.apply(w.receiveBytes("u.999", "999", w.file999(ack)))
	w.wantStates(storage.StateTransmitted)
	ex := w.work(storage.WorkException)
	if res.Moved != 0 || len(ex) != 1 || !strings.Contains(ex[0].Message, "987654") {
		t.Errorf("%+v, exceptions %+v, want one naming group 987654", res, ex)
	}
}

// TestCTXNamesTheClaim: an IK3 at claim 0's SV1 with CTX*CLM01 naming claim 1: the
// 999 names the claim, so claim 1 gets the error (without a field, which the
// position gave for claim 0) and claim 0 is told to send again unchanged.
func TestCTXNamesTheClaim(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), oneSet(fixtureClaims(t, 75, 2)), 2141, 10, nil)
	set := x999.SetResponse{Control: w.res.Transactions[0].ST02, Status: x999.Rejected, Codes: []string{"5"}, Segments: []x999.SegmentError{{
		ID: "SV1", Position: w.res.Claims[0].Lines[0] + 1, Loop: "2400", Code: "8",
		Context: []x999.Context{
			{Name: x999.ContextSituationalTrigger, SegmentID: "CLM", Position: w.res.Claims[1].CLM, Loop: "2300", Element: 5, Component: 3},
			{Name: "CLM01", Reference: w.claims[1].PatientControlNumber},
		},
		Elements: []x999.ElementError{{Position: 3, Ref: "355", Code: "7"}}}}}
	w.apply(w.receiveBytes("ctx.999", "999", w.file999(w.group999(x999.Rejected, nil, set))))
	w.wantStates(storage.StateSyntaxRejected, storage.StateSyntaxRejected)
	named, other := w.itemsOf(storage.WorkRejection, 1), w.itemsOf(storage.WorkRejection, 0)
	if len(named) != 1 || named[0].Field != "" || !strings.Contains(named[0].Message, "SV103") || !strings.Contains(named[0].Message, "IK403 7") {
		t.Errorf("the claim CTX names:\n%s", messages(named))
	}
	if len(other) != 1 || !strings.Contains(other[0].Message, "other claims of the set") || !strings.Contains(other[0].Message, "unchanged") {
		t.Errorf("the other claim:\n%s", messages(other))
	}
}

// TestIK4ComponentTracedToField: an IK4 with a component position (SV101-2, the
// procedure code) is traced to lines[k].procedure.code; the message names SV101-2
// and the error in words, and does not copy the bad value (IK404).
func TestIK4ComponentTracedToField(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 76, 1), 2151, 10, nil)
	k := len(w.claims[0].Lines) - 1
	set := x999.SetResponse{Control: w.res.Transactions[0].ST02, Status: x999.Rejected, Codes: []string{"5"}, Segments: []x999.SegmentError{{
		ID: "SV1", Position: w.res.Claims[0].Lines[k] + 1, Loop: "2400", Code: "8",
		Elements: []x999.ElementError{{Position: 1, Component: 2, Ref: "234", Code: "7", Value: "PHI99"}}}}}
	w.apply(w.receiveBytes("c.999", "999", w.file999(w.group999(x999.Rejected, nil, set))))
	items := w.itemsOf(storage.WorkRejection, 0)
	want := "lines[" + itoa(int64(k)) + "].procedure.code"
	if len(items) != 1 || items[0].Field != want || !strings.Contains(items[0].Message, "SV101-2") ||
		!strings.Contains(items[0].Message, "invalid code value") || strings.Contains(items[0].Message, "PHI99") {
		t.Errorf("want one rejection of %s:\n%s", want, messages(items))
	}
}

// TestSegmentErrorWithoutElement: an IK3 without IK4 (a required segment missing in
// a claim) is queued for that claim with the segment error in words.
func TestSegmentErrorWithoutElement(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 77, 1), 2161, 10, nil)
	set := x999.SetResponse{Control: w.res.Transactions[0].ST02, Status: x999.Rejected, Codes: []string{"5"}, Segments: []x999.SegmentError{{
		ID: "HI", Position: w.res.Claims[0].CLM + 1, Loop: "2300", Code: "3"}}}
	w.apply(w.receiveBytes("m.999", "999", w.file999(w.group999(x999.Rejected, nil, set))))
	items := w.itemsOf(storage.WorkRejection, 0)
	if len(items) != 1 || !strings.Contains(items[0].Message, "segment HI") || !strings.Contains(items[0].Message, "required segment missing (IK304 3)") {
		t.Errorf("rejections:\n%s", messages(items))
	}
}

// TestErrorOutsideAnyClaim: an IK3 in the set's header (BHT04, a bad date) is an
// exception for the settings; the claims of the set, turned back with it, are told
// it was for an error outside any claim, naming the segment and element, not that
// other claims of the set had errors.
func TestErrorOutsideAnyClaim(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), oneSet(fixtureClaims(t, 78, 2)), 2171, 10, nil)
	set := x999.SetResponse{Control: w.res.Transactions[0].ST02, Status: x999.Rejected, Codes: []string{"5"}, Segments: []x999.SegmentError{{
		ID: "BHT", Position: 2, Code: "8", Elements: []x999.ElementError{{Position: 4, Ref: "373", Code: "8"}}}}}
	w.apply(w.receiveBytes("h.999", "999", w.file999(w.group999(x999.Rejected, nil, set))))
	w.wantStates(storage.StateSyntaxRejected, storage.StateSyntaxRejected)
	for i := range w.ids {
		items := w.itemsOf(storage.WorkRejection, i)
		if len(items) != 1 {
			t.Fatalf("claim %d: %d rejection items, want 1", i, len(items))
		}
		msg := items[0].Message
		if strings.Contains(msg, "other claims") || !strings.Contains(msg, "outside any claim") ||
			!strings.Contains(msg, "segment BHT at position 2") || !strings.Contains(msg, "BHT04") {
			t.Errorf("claim %d told: %s", i, msg)
		}
	}
	if ex := w.work(storage.WorkException); len(ex) != 1 || !strings.Contains(ex[0].Message, "BHT04") {
		t.Errorf("exceptions %+v, want one naming BHT04", ex)
	}
}

// TestUnknownSet: a 999 for our group that answers a transaction set (ST02) the
// submission does not hold moves nothing and raises an exception naming the set:
// its answer cannot be placed, and a person must find out what it rejects.
func TestUnknownSet(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), oneSet(fixtureClaims(t, 76, 1)), 2151, 10, nil)
	set := x999.SetResponse{Control: "9999", Status: x999.Rejected, Codes: []string{"5"}}
	w.apply(w.receiveBytes("nos.999", "999", w.file999(w.group999(x999.PartiallyAccepted, nil, set))))
	w.wantStates(storage.StateTransmitted)
	ex := w.work(storage.WorkException)
	if len(ex) != 1 || !strings.Contains(ex[0].Message, "9999") {
		t.Errorf("exceptions %+v, want one naming transaction set 9999", ex)
	}
}
