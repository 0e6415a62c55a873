package storagetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/claimflow/claimflow/storage"
)

var _ = register(
	test{"ControlNumbers", testControlNumbers},
	test{"SubmissionFiles", testSubmissionFiles},
	test{"ClaimsToBatch", testClaimsToBatch},
	test{"Transfers", testTransfers},
)

func testControlNumbers(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	for want := uint64(1); want <= 3; want++ {
		if n := get[uint64](t)(st.NextControlNumber(ctx, "sim", "ZZ:ACME")); n != want {
			t.Fatalf("control number %d, want %d", n, want)
		}
	}
	if n := get[uint64](t)(st.NextControlNumber(ctx, "sim", "ZZ:OTHER")); n != 1 {
		t.Fatalf("another sender's first number is %d", n)
	}
	if n := get[uint64](t)(st.NextControlNumber(ctx, "availity", "ZZ:ACME")); n != 1 {
		t.Fatalf("another clearinghouse's first number is %d", n)
	}
	// A rolled-back transaction gives its number back.
	rollback := errors.New("rollback")
	err := st.InTx(ctx, func(tx *storage.Tx) error {
		if n := get[uint64](t)(tx.NextControlNumber(ctx, "sim", "ZZ:ACME")); n != 4 {
			t.Errorf("in the transaction: %d, want 4", n)
		}
		return rollback
	})
	isErr(t, "rolled back", err, rollback)
	if n := get[uint64](t)(st.NextControlNumber(ctx, "sim", "ZZ:ACME")); n != 4 {
		t.Fatalf("after the rollback: %d, want 4", n)
	}
	// Concurrent callers never get the same number.
	var mu sync.Mutex
	var got []uint64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				n, err := st.NextControlNumber(ctx, "sim", "ZZ:RACE")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got = append(got, n)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(got)
	if len(got) != 20 || got[0] != 1 || got[19] != 20 || len(slices.Compact(got)) != 20 {
		t.Fatalf("concurrent numbers %v, want 1-20 once each", got)
	}
	// A floor moves the sequence on, never back; the last number is the last.
	must(t, st.SetControlNumberFloor(ctx, "sim", "ZZ:ACME", 500))
	must(t, st.SetControlNumberFloor(ctx, "sim", "ZZ:ACME", 10))
	if n := get[uint64](t)(st.NextControlNumber(ctx, "sim", "ZZ:ACME")); n != 501 {
		t.Fatalf("after a floor of 500: %d", n)
	}
	// A new sender continues after the clearinghouse's stored ISA13s.
	get[int64](t)(st.InsertSubmission(ctx, storage.Submission{Clearinghouse: "sent", FileName: "A.x12", SHA256: "aa",
		ISA13: "000000042", Size: 1}))
	if n := get[uint64](t)(st.NextControlNumber(ctx, "sent", "ZZ:NEWID")); n != 43 {
		t.Fatalf("a new sender after ISA13 42: %d, want 43", n)
	}
	must(t, st.SetControlNumberFloor(ctx, "sim", "ZZ:FULL", storage.MaxControlNumber))
	_, err = st.NextControlNumber(ctx, "sim", "ZZ:FULL")
	isErr(t, "exhausted sequence", err, storage.ErrExhausted)
	_, err = st.NextControlNumber(ctx, "", "ZZ:ACME")
	isErr(t, "no clearinghouse", err, storage.ErrInvalid)
}

func testSubmissionFiles(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st)
	c := f.addClaim(t, "PCN1", f.patient1, f.payerA, day(2025, 3, 1), 10000)
	id := get[int64](t)(st.InsertSubmission(ctx, storage.Submission{Clearinghouse: "sim", FileName: "A.x12", SHA256: "aa",
		ISA13: "000000001", Size: 4, Claims: []storage.SubmittedClaim{{ClaimID: c.ID}}}))
	must(t, st.SetSubmissionFile(ctx, id, []byte("ISA~")))
	must(t, st.SetSubmissionFile(ctx, id, []byte("ISA~")))
	isErr(t, "another file", st.SetSubmissionFile(ctx, id, []byte("ISB~")), storage.ErrDuplicate)
	if got := get[[]byte](t)(st.SubmissionFile(ctx, id)); string(got) != "ISA~" {
		t.Fatalf("file %q", got)
	}
	_, err := st.SubmissionFile(ctx, id+1)
	isErr(t, "missing file", err, storage.ErrNotFound)
	id2 := get[int64](t)(st.InsertSubmission(ctx, storage.Submission{Clearinghouse: "sim", FileName: "B.x12", SHA256: "bb",
		ISA13: "000000002", Size: 4}))
	must(t, st.MarkSubmission(ctx, id, storage.SubmissionTransmitted))
	equal(t, "created", get[[]int64](t)(st.SubmissionIDs(ctx, "sim", storage.SubmissionCreated, 0, 10)), []int64{id2})
	equal(t, "transmitted", get[[]int64](t)(st.SubmissionIDs(ctx, "sim", storage.SubmissionTransmitted, 0, 10)), []int64{id})
	if got := get[[]int64](t)(st.SubmissionIDs(ctx, "other", storage.SubmissionCreated, 0, 10)); len(got) != 0 {
		t.Fatalf("another clearinghouse's submissions: %v", got)
	}
}

func testClaimsToBatch(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	f := newFixture(t, st) // payers A and B go through "sim"
	payer := func(id string, ch string, routes ...string) int64 {
		p := storage.Payer{PayerID: id, Name: id, Clearinghouse: ch}
		for _, r := range routes {
			p.Routes = append(p.Routes, storage.PayerRoute{Clearinghouse: r, ExternalID: id + "@" + r})
		}
		return get[int64](t)(st.UpsertPayer(ctx, p))
	}
	unrouted := payer("UNROUTED", "")
	elsewhere := payer("ELSEWHERE", "", "other")
	both := payer("BOTH", "", "zeta", "sim")
	ev := storage.Event{Cause: storage.CauseSystem, Actor: "test"}
	add := func(pcn string, payerID int64, state storage.ClaimState) int64 {
		return get[int64](t)(st.InsertClaim(ctx, storage.NewClaim{Claim: sampleClaim(pcn, day(2025, 3, 1), 10000),
			PatientID: f.patient1, PayerID: payerID, BillingProviderID: f.billingProvider, State: state}, ev))
	}
	a := add("A", f.payerA, storage.StateValidated)
	add("DRAFT", f.payerA, storage.StateDraft)
	u := add("U", unrouted, storage.StateValidated)
	e := add("E", elsewhere, storage.StateValidated)
	b := add("B", both, storage.StateValidated)
	none := add("NONE", 0, storage.StateValidated)
	sec := add("SEC", f.payerB, storage.StateValidated)
	for _, s := range []storage.ClaimState{storage.StateBatched, storage.StateTransmitted, storage.StatePaid, storage.StateSecondaryBilled} {
		must(t, st.TransitionClaim(ctx, sec, s, ev))
	}
	equal(t, "sim as default", get[[]int64](t)(st.ClaimsToBatch(ctx, "sim", "sim", 0, 100)), []int64{a, u, b, none, sec})
	equal(t, "sim, no default", get[[]int64](t)(st.ClaimsToBatch(ctx, "sim", "", 0, 100)), []int64{a, b, sec})
	equal(t, "zeta, a route not first by name", get[[]int64](t)(st.ClaimsToBatch(ctx, "zeta", "", 0, 100)), []int64(nil))
	equal(t, "other", get[[]int64](t)(st.ClaimsToBatch(ctx, "other", "sim", 0, 100)), []int64{e})
	equal(t, "paged", get[[]int64](t)(st.ClaimsToBatch(ctx, "sim", "sim", a, 2)), []int64{u, b})
	// Read in bulk, in id order, without their lines; unknown ids left out.
	bulk := get[[]storage.Claim](t)(st.ClaimsWithoutLines(ctx, []int64{b, a, 999999}))
	if len(bulk) != 2 || bulk[0].ID != a || bulk[1].ID != b || bulk[0].State != storage.StateValidated ||
		bulk[0].PatientControlNumber != "A" || bulk[1].PayerID != both || len(bulk[0].Claim.Lines) != 1 || bulk[0].StoredLines != nil {
		t.Fatalf("claims in bulk: %+v", bulk)
	}
	// A claim in a file waiting to be sent is not batched again.
	get[int64](t)(st.InsertSubmission(ctx, storage.Submission{Clearinghouse: "sim", FileName: "S.x12", SHA256: "ss",
		ISA13: "000000009", Size: 1, Claims: []storage.SubmittedClaim{{ClaimID: sec}}}))
	equal(t, "after the file", get[[]int64](t)(st.ClaimsToBatch(ctx, "sim", "sim", 0, 100)), []int64{a, u, b, none})
}

func testTransfers(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	up := storage.Upload{Account: "sim", Name: "A.x12", RemotePath: "upload/A.x12", Bytes: 10, SHA256: "aa", UploadedAt: at}
	if _, ok := found[storage.Upload](t)(st.UploadRecord(ctx, "sim", "A.x12")); ok {
		t.Fatal("an upload recorded before any")
	}
	must(t, st.RecordUpload(ctx, up))
	must(t, st.RecordUpload(ctx, up))
	other := up
	other.SHA256 = "bb"
	isErr(t, "another file under the name", st.RecordUpload(ctx, other), storage.ErrDuplicate)
	got, ok := found[storage.Upload](t)(st.UploadRecord(ctx, "sim", "A.x12"))
	if !ok || got.SHA256 != "aa" || got.Bytes != 10 || got.RemotePath != "upload/A.x12" || !got.UploadedAt.Equal(at) {
		t.Fatalf("upload record %+v", got)
	}
	if _, ok := found[storage.Upload](t)(st.UploadRecord(ctx, "availity", "A.x12")); ok {
		t.Fatal("another account's upload")
	}

	mtime := at.Add(time.Nanosecond * 1234)
	d := storage.Download{Account: "sim", RemotePath: "download/A.999", Size: 5, ModTime: mtime, Name: "A.999",
		SHA256: "cc", Stored: "/data/inbound/cc.x12", FetchedAt: at}
	must(t, st.RecordDownload(ctx, d))
	must(t, st.RecordDownload(ctx, d))
	gd, ok := found[storage.Download](t)(st.DownloadRecord(ctx, "sim", "download/A.999", 5, mtime))
	if !ok || gd.SHA256 != "cc" || gd.Stored != d.Stored || gd.Name != "A.999" {
		t.Fatalf("download record %+v", gd)
	}
	// The same path with another modification time is another file.
	if _, ok := found[storage.Download](t)(st.DownloadRecord(ctx, "sim", "download/A.999", 5, mtime.Add(time.Second))); ok {
		t.Fatal("a changed file counts as downloaded")
	}
}

// found unwraps a (value, found, error) result.
func found[T any](t testing.TB) func(v T, ok bool, err error) (T, bool) {
	return func(v T, ok bool, err error) (T, bool) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v, ok
	}
}
