package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestPostingSupport checks, on both drivers, what 835 posting adds to the store:
// reading an inbound file in chunks, moving claims in bulk, and deposits.
func TestPostingSupport(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		testInboundContent(t, st)
		testTransitionClaims(t, st)
		testAddWorkItems(t, st)
	})
}

func testInboundContent(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	// 2.5 chunks of bytes, every value of a byte.
	content := make([]byte, 5<<19+7)
	for i := range content {
		content[i] = byte(i * 7)
	}
	id, _, err := st.InsertInboundFile(ctx, storage.InboundFile{Source: "t", Name: "big", Content: content})
	if err != nil {
		t.Fatal(err)
	}
	r, size, err := st.InboundContent(ctx, id)
	if err != nil || size != int64(len(content)) {
		t.Fatalf("size %d, %v", size, err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read %d bytes back (%v), equal %v", len(got), err, bytes.Equal(got, content))
	}
	if _, _, err := st.InboundContent(ctx, id+100); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
	status, _, err := st.InboundState(ctx, id)
	if err != nil || status != storage.InboundNew {
		t.Errorf("state %s %v", status, err)
	}
}

func testTransitionClaims(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	var ids []int64
	for _, pcn := range []string{"T1", "T2", "T3"} {
		cl := billing.Claim{PatientControlNumber: pcn, Lines: []billing.Line{{ControlNumber: pcn + "-1", Procedure: billing.Procedure{Code: "99213"}, Charge: 100}}}
		if pcn == "T3" { // billed to the secondary: the primary adjudicated; a tertiary after it
			cl.Coverages = []billing.Coverage{{MemberID: "1", Adjudication: &billing.OtherPayerAdjudication{PaidAmount: 50}}, {MemberID: "2"}, {MemberID: "3"}}
		}
		id, err := st.InsertClaim(ctx, storage.NewClaim{Claim: cl, State: storage.StateValidated}, storage.Event{Cause: storage.CauseSystem})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ev := storage.Event{Cause: storage.Cause835, Actor: "test"}
	skipped, err := st.TransitionClaims(ctx, []storage.ClaimMove{
		{ClaimID: ids[0], To: storage.StateBatched},
		{ClaimID: ids[0], To: storage.StateTransmitted},
		{ClaimID: ids[0], To: storage.StatePaid, PayerClaimNumber: "ICN9"},
		{ClaimID: ids[1], To: storage.StatePaid, PayerClaimNumber: "ICN8"}, // validated -> paid: not allowed, no number kept
	}, ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || skipped[0].ClaimID != ids[1] {
		t.Errorf("skipped %+v", skipped)
	}
	for i, want := range []storage.ClaimState{storage.StatePaid, storage.StateValidated} {
		c, err := st.Claim(ctx, ids[i])
		if err != nil || c.State != want || c.PayerClaimNumber != []string{"ICN9", ""}[i] {
			t.Errorf("claim %d: %s %q %v", i, c.State, c.PayerClaimNumber, err)
		}
	}
	hist, err := st.ClaimHistory(ctx, ids[0])
	if err != nil || len(hist) != 4 || hist[3].From != storage.StateTransmitted || hist[3].To != storage.StatePaid || hist[3].Cause != storage.Cause835 {
		t.Errorf("history %+v %v", hist, err)
	}
	pcs, err := st.PostingClaims(ctx, []string{"T1", "T2", "T3", "T4"})
	if err != nil || len(pcs) != 3 || pcs["T3"].OpenCoverages != 2 || pcs["T1"].ID != ids[0] || len(pcs["T1"].Lines) != 1 || pcs["T1"].Lines[0].ControlNumber != "T1-1" ||
		pcs["T1"].OpenCoverages != 0 {
		t.Errorf("posting claims %+v %v", pcs, err)
	}
	if id, err := st.ClaimIDByReference(ctx, "ICN9"); err != nil || id != ids[0] {
		t.Errorf("by reference: %d %v", id, err)
	}
	if id, err := st.ClaimIDByReference(ctx, "NOPE"); err != nil || id != 0 {
		t.Errorf("by unknown reference: %d %v", id, err)
	}
}

func testAddWorkItems(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	items := []storage.WorkItem{
		{Kind: storage.WorkDenial, DedupKey: "d/1", Codes: []string{"CO-50", "N130"}, Message: "denied"},
		{Kind: storage.WorkDenial, DedupKey: "d/1", Message: "the same again"},
		{Kind: storage.WorkException, Message: "no key"},
	}
	n, err := st.AddWorkItems(ctx, items)
	if err != nil || n != 2 {
		t.Fatalf("added %d, %v", n, err)
	}
	if n, err = st.AddWorkItems(ctx, items); err != nil || n != 1 { // only the one without a key
		t.Fatalf("added again %d, %v", n, err)
	}
	got, err := st.WorkItems(ctx, storage.WorkFilter{Kind: storage.WorkDenial})
	if err != nil || len(got) != 1 || got[0].Message != "denied" || len(got[0].Codes) != 2 || got[0].Status != storage.WorkOpen {
		t.Errorf("denials %+v %v", got, err)
	}
}
