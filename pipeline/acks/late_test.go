package acks_test

import (
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/x277ca"
	"github.com/claimflow/claimflow/edi/x999"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestLateRejections: a rejection (TA1 R, 999 IK5 R, a payer's 277CA) that comes
// after the 835 paid the claim is not applied: the claim stays paid, nothing is
// queued to be fixed and sent again (that would bill a paid claim twice), and the
// stored acknowledgement says it came late and was not applied.
func TestLateRejections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, kind string
		file       func(w *world) []byte
		claimAck   bool // the acknowledgement is stored by claim (277CA), not by submission
	}{
		{"TA1 R", "ta1", func(w *world) []byte { return w.fileTA1("R", "024") }, false},
		{"999 IK5 R", "999", func(w *world) []byte {
			set := x999.SetResponse{Control: w.res.Transactions[0].ST02, Status: x999.Rejected, Codes: []string{"5"},
				Segments: []x999.SegmentError{{ID: "SV1", Position: w.res.Claims[0].Lines[0] + 1, Loop: "2400", Code: "8",
					Elements: []x999.ElementError{{Position: 3, Ref: "355", Code: "7"}}}}}
			return w.file999(w.group999(x999.Rejected, nil, set))
		}, false},
		{"999 group rejected", "999", func(w *world) []byte { return w.file999(w.group999(x999.Rejected, []string{"5"})) }, false},
		{"277CA A7", "277ca", func(w *world) []byte {
			return w.file277(x277ca.SourcePayer, "", 0, "", []x277ca.Status{stc("A7", "562", "85")}, nil)
		}, true},
		{"277CA A4", "277ca", func(w *world) []byte {
			return w.file277(x277ca.SourcePayer, "", 0, "", []x277ca.Status{stc("A4", "35", "")}, nil)
		}, true},
	}
	for k, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, uint64(79+k), 1), uint64(2181+10*k), 10, nil)
			w.moveTo(0, storage.Cause835, storage.StatePaid)
			res := w.apply(w.receiveBytes("late."+tc.kind, tc.kind, tc.file(w)))
			w.wantStates(storage.StatePaid)
			if items, _ := w.st.WorkItems(w.ctx, storage.WorkFilter{Limit: 10}); len(items) != 0 {
				t.Errorf("%+v; a paid claim was queued:\n%s", res, messages(items))
			}
			f := storage.AckFilter{SubmissionID: w.sub.ID}
			if tc.claimAck {
				f = storage.AckFilter{ClaimID: w.ids[0]}
			}
			if d := w.details(f); len(d) != 1 || !strings.Contains(d[0], "came late") || !strings.Contains(d[0], "paid") ||
				!strings.Contains(d[0], "not applied") {
				t.Errorf("acknowledgement details %v, want one noting it came late and was not applied", d)
			}
		})
	}
}

// TestLate277CAKeepsPayerClaimNumber: a payer's 277CA accepting a claim the 835
// paid already, with another REF*1K, leaves the payer claim number the 835
// recorded; one for a claim it moves is recorded. On both databases.
func TestLate277CAKeepsPayerClaimNumber(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st, fixtureClaims(t, 42, 2), 1111, 10, nil)
		if _, err := w.st.TransitionClaims(w.ctx, []storage.ClaimMove{{ClaimID: w.ids[0], To: storage.StatePaid, PayerClaimNumber: "ICN-FROM-835"}},
			storage.Event{Cause: storage.Cause835, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		for i, icn := range []string{"LATE-ICN", "ICN-277"} {
			w.apply(w.receiveBytes("pr.277."+itoa(int64(i)), "277ca", w.file277(x277ca.SourcePayer, "", i, icn, []x277ca.Status{stc("A2", "20", "")}, nil)))
		}
		w.wantStates(storage.StatePaid, storage.StatePayerAccepted)
		for i, want := range []string{"ICN-FROM-835", "ICN-277"} {
			c, err := w.st.Claim(w.ctx, w.ids[i])
			if err != nil {
				t.Fatal(err)
			}
			if c.PayerClaimNumber != want {
				t.Errorf("claim %d: payer claim number %q, want %q", i, c.PayerClaimNumber, want)
			}
		}
	})
}

// TestClearinghouseREF1KNotPayerClaimNumber: a clearinghouse's 277CA (NM1*AY) that
// accepts a claim with a REF*1K gives its own trace of the claim, not the payer's
// claim number: nothing is recorded until the payer's own 277CA.
func TestClearinghouseREF1KNotPayerClaimNumber(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testenv.SQLite(t), fixtureClaims(t, 43, 1), 1111, 10, nil)
	number := func() string {
		c, err := w.st.Claim(w.ctx, w.ids[0])
		if err != nil {
			t.Fatal(err)
		}
		return c.PayerClaimNumber
	}
	w.apply(w.receiveBytes("ch.277", "277ca", w.file277(x277ca.SourceClearinghouse, "", 0, "CH-TRACE-1", []x277ca.Status{stc("A1", "19", "")}, nil)))
	w.wantStates(storage.StateClearinghouseAccepted)
	if got := number(); got != "" {
		t.Errorf("after the clearinghouse's 277CA: payer claim number %q, want none", got)
	}
	w.apply(w.receiveBytes("pr.277", "277ca", w.file277(x277ca.SourcePayer, "", 0, "ICN-PAYER", []x277ca.Status{stc("A2", "20", "")}, nil)))
	w.wantStates(storage.StatePayerAccepted)
	if got := number(); got != "ICN-PAYER" {
		t.Errorf("after the payer's 277CA: payer claim number %q, want ICN-PAYER", got)
	}
}
