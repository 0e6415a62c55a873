package acks_test

import (
	"strings"
	"testing"

	"github.com/claimflow/claimflow/connectors/profile"
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
	claims := fixtureClaims(t, 12, 6)
	for i := range claims { // one billing provider and payer: sets of two claims
		claims[i].BillingProvider = claims[0].BillingProvider
		claims[i].Coverages[0].Payer = claims[0].Coverages[0].Payer
	}
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
