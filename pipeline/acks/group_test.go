package acks_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x999"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestGroupRejectedWhole: a 999 that rejects a functional group without answering
// its transaction sets (AK9*R with AK905 codes) rejects every claim of the group's
// sets, each queued with the group's codes: the submission's claims are read for
// it, where an answer by set reads only the set's. On both databases.
func TestGroupRejectedWhole(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st, fixtureClaims(t, 31, 3), 971, 2, nil)
		gs06 := w.res.Transactions[0].GS06
		var buf bytes.Buffer
		ack := x999.Ack{Group: x999.Group{FunctionalID: "HC", Control: gs06, Version: "005010X222A1"},
			Status: x999.Rejected, Included: len(w.res.Transactions), Received: len(w.res.Transactions), Codes: []string{"4"}}
		if err := x999.Build(&buf, x999.Envelope{SenderID: "SIMCH", ReceiverID: "CFTEST", Time: clock(), Test: true,
			Interchanges: &x12.Counter{N: 700}}, ack); err != nil {
			t.Fatal(err)
		}
		res := w.apply(w.receiveBytes("group.999", "999", buf.Bytes()))
		sets := map[string]bool{}
		for _, tx := range w.res.Transactions {
			if tx.GS06 == gs06 {
				sets[tx.ST02] = true
			}
		}
		if res.Moved != 3 || res.Stored != len(sets) || res.WorkItems != 3 {
			t.Errorf("%+v, want 3 claims moved, %d set answers, 3 work items", res, len(sets))
		}
		w.wantStates(storage.StateSyntaxRejected, storage.StateSyntaxRejected, storage.StateSyntaxRejected)
		items := w.work(storage.WorkRejection)
		if len(items) != 3 {
			t.Errorf("%d rejections, want 3", len(items))
		}
		for _, it := range items {
			if len(it.Codes) != 4 || it.Codes[2] != "AK901-R" || it.Codes[3] != "AK905-4" {
				t.Errorf("rejection of claim %d: codes %v, want the group's", it.ClaimID, it.Codes)
			}
		}
	})
}

// TestGroupRejectedSetsAccepted: a 999 that rejects the functional group (AK9*R,
// AK905 5: GE01 count wrong) while its set says IK5*E (accepted, an error noted in
// claim 1) rejects the set with it: every claim goes to syntax-rejected and is
// told the group's reason in words, not the noted error, which did not turn it
// back. A group partially accepted (AK9*P) keeps what each set says.
func TestGroupRejectedSetsAccepted(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), oneSet(fixtureClaims(t, 71, 2)), 2101, 10, nil)
	st02 := w.res.Transactions[0].ST02
	noted := []x999.SegmentError{{ID: "SV1", Position: w.res.Claims[1].Lines[0] + 1, Loop: "2400", Code: "8",
		Elements: []x999.ElementError{{Position: 1, Component: 2, Ref: "234", Code: "I6"}}}}
	ack := w.group999(x999.Rejected, []string{"5"}, x999.SetResponse{Control: st02, Status: x999.AcceptedWithErrors, Segments: noted})
	ack.Accepted = 0
	res := w.apply(w.receiveBytes("grp.999", "999", w.file999(ack)))
	w.wantStates(storage.StateSyntaxRejected, storage.StateSyntaxRejected)
	items := w.work(storage.WorkRejection)
	if res.Moved != 2 || len(items) != 2 {
		t.Fatalf("%+v, %d rejection items, want 2 claims moved and 2 items", res, len(items))
	}
	for _, it := range items {
		for _, s := range []string{"whole functional group", "GE01 transaction set count is wrong", "AK905 5"} {
			if !strings.Contains(it.Message, s) {
				t.Errorf("claim %d: message %q lacks %q", it.ClaimID, it.Message, s)
			}
		}
		if strings.Contains(it.Message, "other claims") || strings.Contains(it.Message, "SV101") || it.Field != "" {
			t.Errorf("claim %d: %q (field %q) blames the noted error or other claims", it.ClaimID, it.Message, it.Field)
		}
		if !slicesEqual(it.Codes, []string{"999", "IK501-R", "AK901-R", "AK905-5"}) {
			t.Errorf("claim %d: codes %v", it.ClaimID, it.Codes)
		}
	}
	if d := w.details(storage.AckFilter{SubmissionID: w.sub.ID}); len(d) != 1 || !strings.Contains(d[0], "rejected with its functional group") {
		t.Errorf("acknowledgement details %v", d)
	}

	partial := newWorld(t, testenv.SQLite(t), oneSet(fixtureClaims(t, 72, 2)), 2111, 10, nil)
	ack = partial.group999(x999.PartiallyAccepted, nil, x999.SetResponse{Control: partial.res.Transactions[0].ST02, Status: x999.Accepted})
	partial.apply(partial.receiveBytes("p.999", "999", partial.file999(ack)))
	partial.wantStates(storage.StateSyntaxAccepted, storage.StateSyntaxAccepted)
}

// TestGroupRejectedSomeSetsAnswered: a 999 that rejects the group (AK9 R) but
// answers only one of its two transaction sets one by one rejects the other set's
// claims with the group too: a rejected group's sets are all rejected.
func TestGroupRejectedSomeSetsAnswered(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), oneSet(fixtureClaims(t, 72, 2)), 2111, 1, nil)
	if len(w.res.Transactions) != 2 {
		t.Fatalf("%d transaction sets, want 2", len(w.res.Transactions))
	}
	ack := w.group999(x999.Rejected, []string{"5"}, x999.SetResponse{Control: w.res.Transactions[0].ST02, Status: x999.Rejected, Codes: []string{"5"}})
	ack.Included, ack.Received, ack.Accepted = 2, 2, 0
	res := w.apply(w.receiveBytes("some.999", "999", w.file999(ack)))
	w.wantStates(storage.StateSyntaxRejected, storage.StateSyntaxRejected)
	if res.Moved != 2 {
		t.Errorf("%+v, want both claims moved", res)
	}
	other := w.itemsOf(storage.WorkRejection, w.res.Transactions[1].Claims[0])
	if len(other) != 1 || !strings.Contains(other[0].Message, "whole functional group") {
		t.Errorf("the unanswered set's claim: items %+v, want one naming the group's rejection", other)
	}
}
