package storagetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/storage"
)

var _ = register(
	test{"Submissions", testSubmissions},
	test{"InboundFiles", testInboundFiles},
	test{"Acks", testAcks},
)

func testSubmissions(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c1 := f.addClaim(t, "S1", f.patient1, f.payerA, day(2025, 1, 6), 100, 200)
	c2 := f.addClaim(t, "S2", f.patient2, f.payerA, day(2025, 1, 6), 300)
	sub := storage.Submission{Clearinghouse: "sim", FileName: "claims-000000101.x12", SHA256: "ab12", ISA13: "000000101", Size: 1234,
		Claims: []storage.SubmittedClaim{
			{ClaimID: c1.ID, Trace: x837p.Trace{PatientControlNumber: "S1", ISA13: "000000101", GS06: "101", ST02: "0001", CLM: 20, Lines: []int{35, 40}}},
			{ClaimID: c2.ID, Trace: x837p.Trace{PatientControlNumber: "S2", ISA13: "000000101", GS06: "101", ST02: "0002", CLM: 20, Lines: []int{33}}},
		}}
	id := get[int64](t)(st.InsertSubmission(ctx, sub))
	got := get[storage.Submission](t)(st.SubmissionByISA13(ctx, "sim", "000000101"))
	if got.ID != id || got.Status != storage.SubmissionCreated || got.Size != 1234 || len(got.Claims) != 2 {
		t.Fatalf("submission: %+v", got)
	}
	equal(t, "traces", got.Claims, sub.Claims)
	st2 := get[[]storage.SubmittedClaim](t)(st.SubmittedClaims(ctx, id, "101", "0002"))
	if len(st2) != 1 || st2[0].ClaimID != c2.ID || st2[0].Trace.CLM != 20 {
		t.Fatalf("claims of ST 0002: %+v", st2)
	}
	_, err := st.InsertSubmission(ctx, storage.Submission{Clearinghouse: "sim", FileName: "again", SHA256: "ab12", ISA13: "000000102"})
	isErr(t, "same file twice", err, storage.ErrDuplicate)
	_, err = st.InsertSubmission(ctx, storage.Submission{Clearinghouse: "sim", FileName: "again", SHA256: "cd34", ISA13: "000000101"})
	isErr(t, "same ISA13 twice", err, storage.ErrDuplicate)
	if ids := get[[]int64](t)(st.ClaimSubmissions(ctx, c1.ID)); len(ids) != 1 || ids[0] != id {
		t.Fatalf("submissions of claim: %v", ids)
	}
	if got := get[int64](t)(st.SubmissionIDByISA13(ctx, "sim", "000000101")); got != id {
		t.Fatalf("submission id by ISA13: %d, want %d", got, id)
	}
	_, err = st.SubmissionIDByISA13(ctx, "other", "000000101")
	isErr(t, "submission id of another clearinghouse", err, storage.ErrNotFound)

	// The claims of a file's answers, read at once, and their latest submissions.
	c3 := f.addClaim(t, "S3", f.patient1, f.payerA, day(2025, 1, 7), 50)
	resent := get[int64](t)(st.InsertSubmission(ctx, storage.Submission{Clearinghouse: "sim", FileName: "claims-000000103.x12",
		SHA256: "ef56", ISA13: "000000103", Claims: []storage.SubmittedClaim{
			{ClaimID: c1.ID, Trace: x837p.Trace{PatientControlNumber: "S1", ISA13: "000000103", GS06: "103", ST02: "0001", CLM: 20, Lines: []int{35, 40}}},
		}}))
	byPCN := get[map[string]storage.Claim](t)(st.ClaimsByPCN(ctx, []string{"S1", "S3", "NOPE"}))
	if len(byPCN) != 2 || byPCN["S1"].ID != c1.ID || byPCN["S3"].ID != c3.ID || byPCN["S1"].PatientControlNumber != "S1" ||
		len(byPCN["S1"].Lines) != 2 || byPCN["S3"].PayerID != c3.PayerID || byPCN["S1"].State != storage.StateDraft {
		t.Fatalf("claims by PCN: %+v", byPCN)
	}
	byID := get[[]storage.Claim](t)(st.ClaimsByID(ctx, []int64{c3.ID, c1.ID, c3.ID + 100}))
	if len(byID) != 2 || byID[0].ID != c1.ID || byID[1].ID != c3.ID {
		t.Fatalf("claims by id: %+v", byID)
	}
	equal(t, "lines of claims by id", byID[0].StoredLines, c1.StoredLines)
	equal(t, "lines of claims by id", byID[1].StoredLines, c3.StoredLines)
	// The same claims without their documents.
	heads := get[[]storage.ClaimHead](t)(st.ClaimHeads(ctx, []int64{c3.ID, c1.ID, c3.ID + 100, c1.ID}))
	if len(heads) != 2 || heads[0].ID != c1.ID || heads[1].ID != c3.ID {
		t.Fatalf("claim heads by id: %+v", heads)
	}
	for i, h := range heads {
		c := byID[i]
		equal(t, "claim head", h, storage.ClaimHead{ID: c.ID, PCN: c.PatientControlNumber, PatientID: c.PatientID, PayerID: c.PayerID,
			BillingProviderID: c.BillingProviderID, State: c.State, PayerClaimNumber: c.PayerClaimNumber, Lines: c.StoredLines})
	}
	headsByPCN := get[map[string]storage.ClaimHead](t)(st.ClaimHeadsByPCN(ctx, []string{"S1", "S3", "NOPE"}))
	if len(headsByPCN) != 2 {
		t.Fatalf("claim heads by PCN: %+v", headsByPCN)
	}
	equal(t, "claim head by PCN", headsByPCN["S1"], heads[0])
	equal(t, "claim head by PCN", headsByPCN["S3"], heads[1])
	latest := get[map[int64]int64](t)(st.LatestSubmissions(ctx, []int64{c1.ID, c2.ID, c3.ID}))
	if len(latest) != 2 || latest[c1.ID] != resent || latest[c2.ID] != id {
		t.Fatalf("latest submissions: %v (want %d for claim 1, %d for claim 2, none for claim 3)", latest, resent, id)
	}

	must(t, st.MarkSubmission(ctx, id, storage.SubmissionTransmitted))
	got = get[storage.Submission](t)(st.Submission(ctx, id))
	if got.Status != storage.SubmissionTransmitted || got.TransmittedAt.IsZero() {
		t.Fatalf("transmitted: %+v", got)
	}
	later := time.Now().Add(time.Hour)
	if ids := get[[]int64](t)(st.SubmissionsAwaitingAck(ctx, later)); len(ids) != 1 {
		t.Fatalf("awaiting acknowledgement: %v", ids)
	}
	_, _ = get2(t)(st.InsertAck(ctx, storage.Ack{Key: "ta1/1", Kind: "ta1", SubmissionID: id, ISA13: "000000101", Status: "A"}))
	if ids := get[[]int64](t)(st.SubmissionsAwaitingAck(ctx, later)); len(ids) != 0 {
		t.Fatalf("awaiting acknowledgement after a TA1: %v", ids)
	}
	isErr(t, "marking a missing submission", st.MarkSubmission(ctx, id+10, storage.SubmissionFailed), storage.ErrNotFound)
}

func testInboundFiles(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	// Bytes kept exactly: NUL, invalid UTF-8, CR LF, trailing spaces.
	content := []byte("ISA*00*          *00*\x00\xff\xfe\r\n~  ")
	id, isNew := get2(t)(st.InsertInboundFile(ctx, storage.InboundFile{Source: "sim", Name: "a.835", Kind: "835", Content: content}))
	id2, isNew2 := get2(t)(st.InsertInboundFile(ctx, storage.InboundFile{Source: "other", Name: "copy.835", Content: content}))
	if !isNew || isNew2 || id2 != id {
		t.Fatalf("same file twice: %d %v, %d %v", id, isNew, id2, isNew2)
	}
	got := get[storage.InboundFile](t)(st.InboundFile(ctx, id))
	sum := sha256.Sum256(content)
	if !bytes.Equal(got.Content, content) || got.SHA256 != hex.EncodeToString(sum[:]) || got.Status != storage.InboundNew ||
		got.Size != int64(len(content)) || got.Kind != "835" || got.ReceivedAt.IsZero() {
		t.Fatalf("inbound file: %+v", got)
	}
	empty, _ := get2(t)(st.InsertInboundFile(ctx, storage.InboundFile{Source: "sim", Name: "empty", Content: nil}))
	if e := get[storage.InboundFile](t)(st.InboundFile(ctx, empty)); e.Content == nil || len(e.Content) != 0 || e.Kind != "unknown" {
		t.Fatalf("empty file: %+v", e)
	}
	must(t, st.SetInboundKind(ctx, empty, "999"))
	must(t, st.QuarantineInbound(ctx, id, "BPR02 does not balance"))
	must(t, st.MarkInboundProcessed(ctx, empty))
	q := get[[]storage.InboundFile](t)(st.InboundFiles(ctx, storage.InboundQuarantined, 0, 10))
	if len(q) != 1 || q[0].Reason != "BPR02 does not balance" || q[0].Content != nil || q[0].ProcessedAt.IsZero() {
		t.Fatalf("quarantined: %+v", q)
	}
	if p := get[[]storage.InboundFile](t)(st.InboundFiles(ctx, storage.InboundProcessed, 0, 10)); len(p) != 1 || p[0].Kind != "999" {
		t.Fatalf("processed: %+v", p)
	}
	isErr(t, "missing file", st.MarkInboundProcessed(ctx, 999), storage.ErrNotFound)
}

func testAcks(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "K1", f.patient1, f.payerA, day(2025, 1, 6), 100)
	fid, _ := get2(t)(st.InsertInboundFile(ctx, storage.InboundFile{Source: "sim", Name: "x.277", Kind: "277ca", Content: []byte("277")}))
	a := storage.Ack{Key: "277/x/1", InboundFileID: fid, Kind: "277ca", ClaimID: c.ID, PCN: "K1", Status: "A7:562",
		Codes: []string{"A7:562:85"}, Detail: []byte(`{"field":"claims[0].billing_provider.npi"}`)}
	id, isNew := get2(t)(st.InsertAck(ctx, a))
	id2, isNew2 := get2(t)(st.InsertAck(ctx, a))
	if !isNew || isNew2 || id != id2 {
		t.Fatal("acknowledgement stored twice")
	}
	list := get[[]storage.Ack](t)(st.Acks(ctx, storage.AckFilter{ClaimID: c.ID}))
	if len(list) != 1 || list[0].Status != "A7:562" || len(list[0].Codes) != 1 || list[0].InboundFileID != fid {
		t.Fatalf("acks: %+v", list)
	}
	_, _, err := st.InsertAck(ctx, storage.Ack{Kind: "999"})
	isErr(t, "ack without key", err, storage.ErrInvalid)

	// In bulk: more than one statement's worth, the one stored before skipped.
	var many []storage.Ack
	for i := range 700 {
		b := a
		b.Key = fmt.Sprintf("277/x/%d", i+1)
		many = append(many, b)
	}
	if n := get[int](t)(st.InsertAcks(ctx, many)); n != 699 {
		t.Errorf("stored %d of 700 acks, one stored before", n)
	}
	if n := get[int](t)(st.InsertAcks(ctx, many)); n != 0 {
		t.Errorf("stored %d acks again", n)
	}
	list = get[[]storage.Ack](t)(st.Acks(ctx, storage.AckFilter{ClaimID: c.ID}))
	if len(list) != 700 || list[699].Status != "A7:562" || list[699].PCN != "K1" || list[699].InboundFileID != fid || len(list[699].Codes) != 1 {
		t.Errorf("%d acks, the last %+v", len(list), list[len(list)-1])
	}
	for i := 1; i < len(list); i++ { // stored in bulk as one by one
		got, want := list[i], list[0]
		got.ID, got.Key, got.ReceivedAt = want.ID, want.Key, want.ReceivedAt
		equal(t, "an acknowledgement stored in bulk", got, want)
	}
	// Without file or submission, with characters JSON escapes.
	odd := storage.Ack{Key: "999/\"z\"/\\1", Kind: "999", ClaimID: c.ID, ISA13: "000000001", GS06: "1", ST02: "0001", Status: "R",
		Codes: []string{"5", "I\"6"}, Detail: []byte(`{"text":"tab\tquote\" é <&>"}`)}
	if n := get[int](t)(st.InsertAcks(ctx, []storage.Ack{odd})); n != 1 {
		t.Fatalf("stored %d of 1", n)
	}
	one := storage.Ack{Key: "999/one", Kind: "999", ClaimID: c.ID, ISA13: odd.ISA13, GS06: odd.GS06, ST02: odd.ST02, Status: odd.Status,
		Codes: odd.Codes, Detail: odd.Detail}
	_, _ = get2(t)(st.InsertAck(ctx, one))
	var stored []storage.Ack
	for _, ack := range get[[]storage.Ack](t)(st.Acks(ctx, storage.AckFilter{ClaimID: c.ID})) {
		if ack.Kind == "999" {
			stored = append(stored, ack)
		}
	}
	if len(stored) != 2 || stored[0].Key != odd.Key {
		t.Fatalf("acks without file or submission: %+v", stored)
	}
	stored[0].ID, stored[0].Key, stored[0].ReceivedAt = stored[1].ID, stored[1].Key, stored[1].ReceivedAt
	equal(t, "an acknowledgement without file or submission stored in bulk", stored[0], stored[1])
	_, err = st.InsertAcks(ctx, []storage.Ack{{Key: "277/y/1", Kind: "277ca"}, {Kind: "999"}})
	isErr(t, "acks, one without key", err, storage.ErrInvalid)
}
