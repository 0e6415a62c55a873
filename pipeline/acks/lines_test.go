package acks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x277ca"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/acks"
	"github.com/claimflow/claimflow/storage"
)

// TestLinesChangedBetweenPlanAndWrite: the plan reads the lines only of the claims
// a 277CA answers line by line. When such a claim's lines change between the plan
// and the write transaction (here: it was rejected and a person changed a line's
// control number), the check finds it and the file is planned again in the
// transaction: the line the answer names is then no line of the claim. The
// answers accept the lines, so that no claim's document is read (whose change
// the check would find too). A claim answered by a line that did not change has
// the line found; one answered as a whole moves as planned. On both databases.
func TestLinesChangedBetweenPlanAndWrite(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, checkLinesChanged)
}

func checkLinesChanged(t *testing.T, st *storage.Store) {
	const byLine, whole, unchanged = 0, 1, 2
	w := newWorld(t, st, fixtureClaims(t, 29, 3), 951, 10, nil)
	cl := w.claims[byLine]
	line := len(cl.Lines) - 1
	accept := []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A2", Code: "20"}, Date: clock(), Action: x277ca.ActionAccept}}
	answer := func(i int) x277ca.Claim {
		return x277ca.Claim{
			Patient: x277ca.Entity{Type: "1", Name: "DOE", First: "J", IDQualifier: "MI", ID: "M1"},
			PCN:     w.claims[i].PatientControlNumber, PayerClaimNumber: "ICN" + itoa(int64(i)),
			Statuses: accept, ServiceDates: x277ca.Period{From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		}
	}
	lineAnswer := func(i int) x277ca.Claim {
		c := answer(i)
		l := w.claims[i].Lines[len(w.claims[i].Lines)-1]
		c.Lines = []x277ca.Line{{
			Procedure:         x277ca.Procedure{Qualifier: "HC", Code: l.Procedure.Code},
			Charge:            int64(l.Charge),
			Statuses:          accept,
			LineControlNumber: l.ControlNumber,
			ServiceDates:      x277ca.Period{From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		}}
		return c
	}
	ack := x277ca.Ack{
		BatchID: "PR1", Created: clock(),
		InformationSource: x277ca.Entity{Code: x277ca.SourcePayer, Type: "2", Name: "TEST PAYER", IDQualifier: "PI", ID: "PAYER1"},
		Receipt:           x277ca.Receipt{Trace: "PR0001", Received: clock(), Processed: clock()},
		Submitter: x277ca.Submitter{Entity: x277ca.Entity{Type: "2", Name: "CLAIMFLOW TEST", IDQualifier: "46", ID: "CFTEST"},
			Trace: w.res.Transactions[0].BatchID},
		Providers: []x277ca.Provider{{
			Entity: x277ca.Entity{Type: "2", Name: "PROVIDER", IDQualifier: "XX", ID: cl.BillingProvider.NPI},
			Claims: []x277ca.Claim{lineAnswer(byLine), answer(whole), lineAnswer(unchanged)},
		}},
	}
	var buf bytes.Buffer
	if err := x277ca.Build(&buf, x277ca.Envelope{SenderID: "PAYER1", ReceiverID: "CFTEST", Time: clock(), Test: true,
		Interchanges: &x12.Counter{N: 900}}, ack); err != nil {
		t.Fatal(err)
	}
	file := w.receiveBytes("payer.277", "277ca", buf.Bytes())
	calls := 0
	acks.SetPlanned(w.stage, func(ctx context.Context, id int64) {
		calls++
		// The claim answered by line is turned back by another answer, and a person
		// changes the control number of the line this file names.
		if err := w.st.TransitionClaim(ctx, w.ids[byLine], storage.StateClearinghouseRejected,
			storage.Event{Cause: storage.Cause277CAClearinghouse, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		edited := cl
		edited.Lines = slices.Clone(cl.Lines)
		edited.Lines[line].ControlNumber = "EDITED" + itoa(int64(line))
		if err := w.st.UpdateClaim(ctx, w.ids[byLine], edited, storage.Event{Cause: storage.CausePerson, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
	})
	res := w.apply(file)
	if calls != 1 {
		t.Fatalf("planned %d times, want once", calls)
	}
	w.wantStates(storage.StateClearinghouseRejected, storage.StatePayerAccepted, storage.StatePayerAccepted)
	if res.Moved != 2 || res.Skipped != 1 || res.Stored != 3 {
		t.Errorf("%+v, want 2 moved, 1 skipped, 3 answers stored", res)
	}
	// The stored answers say which of the claim's lines each line status is about
	// (1-based; none when the control number names no line of the claim).
	lineOf := func(i int) string {
		list, err := w.st.Acks(w.ctx, storage.AckFilter{ClaimID: w.ids[i]})
		if err != nil || len(list) != 1 {
			t.Fatalf("claim %d: %d acknowledgements (%v), want 1", i, len(list), err)
		}
		var d struct {
			Statuses []struct {
				Line int `json:"line"`
			} `json:"statuses"`
		}
		if err := json.Unmarshal(list[0].Detail, &d); err != nil || len(d.Statuses) != 2 {
			t.Fatalf("claim %d: acknowledgement detail %s: %v", i, list[0].Detail, err)
		}
		return itoa(int64(d.Statuses[1].Line))
	}
	// Planned with the lines as they were, the edited claim's answer would name its
	// line; planned again, the answer's control number names no line.
	if got := lineOf(byLine); got != "0" {
		t.Errorf("answer to the edited claim's line: line %s, want none (0)", got)
	}
	if got, want := lineOf(unchanged), itoa(int64(len(w.claims[unchanged].Lines))); got != want {
		t.Errorf("answer to an unchanged claim's line: line %s, want %s", got, want)
	}
	if items := w.work(storage.WorkRejection); len(items) != 0 {
		t.Errorf("%d rejections, want none: %+v", len(items), items)
	}
}
