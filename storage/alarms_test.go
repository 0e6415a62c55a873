package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// testClock is a store clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// alarmClaim is a minimal normalized claim with one line.
func alarmClaim(pcn string) billing.Claim {
	c := billing.Claim{
		PatientControlNumber: pcn,
		PlaceOfService:       "11",
		Diagnoses:            []billing.Diagnosis{{Code: "E119"}},
		Patient:              billing.Person{LastName: "TEST", FirstName: "PAT", BirthDate: billing.NewDate(1970, 1, 1), Gender: "F"},
		Coverages:            []billing.Coverage{{Payer: billing.Payer{Name: "PLAN", ID: "12345"}, MemberID: "M1", FilingIndicator: "CI"}},
		BillingProvider:      billing.Provider{NPI: "1234567893", Name: "CLINIC"},
		Lines: []billing.Line{{Procedure: billing.Procedure{Code: "99213"}, Charge: billing.Dollars(100, 0),
			ServiceDates: billing.Period{From: billing.NewDate(2025, 1, 6)}}},
	}
	c.Normalize()
	return c
}

// TestLateSubmissions runs the alarm queries on both drivers.
func TestLateSubmissions(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB, ...storage.Option) *storage.Store{
		"sqlite": testenv.SQLite, "postgres": testenv.Postgres,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := &testClock{t: time.Date(2026, 3, 2, 20, 0, 0, 0, time.UTC)}
			testLateSubmissions(t, open(t, storage.WithClock(clock.now)), clock)
		})
	}
}

func testLateSubmissions(t *testing.T, st *storage.Store, clock *testClock) {
	ctx := context.Background()
	sent := clock.now()
	// Four files of two claims each, one transaction set per file, all sent at 20:00;
	// one more sent later; one for another clearinghouse; one never transmitted.
	var subs []int64
	var claims [][]int64
	for i := range 7 {
		ids, err := st.InsertClaims(ctx, []storage.NewClaim{{Claim: alarmClaim(fmt.Sprintf("A%dX", i))}, {Claim: alarmClaim(fmt.Sprintf("A%dY", i))}},
			storage.Event{Cause: storage.CauseSystem, Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		ch := "availity"
		if i == 5 {
			ch = "other"
		}
		sub := storage.Submission{Clearinghouse: ch, FileName: fmt.Sprintf("f%d.x12", i), SHA256: fmt.Sprintf("%064d", i), ISA13: fmt.Sprintf("%09d", i+1)}
		for j, id := range ids {
			sub.Claims = append(sub.Claims, storage.SubmittedClaim{ClaimID: id, Trace: x837p.Trace{GS06: "1", ST02: "0001", CLM: 10 + j}})
		}
		sid, err := st.InsertSubmission(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		if i == 4 {
			clock.set(sent.Add(3 * time.Hour))
		}
		if i != 6 {
			if err := st.MarkSubmission(ctx, sid, storage.SubmissionTransmitted); err != nil {
				t.Fatal(err)
			}
		}
		clock.set(sent)
		subs = append(subs, sid)
		claims = append(claims, ids)
	}
	clock.set(sent.Add(5 * time.Hour))
	ack := func(key, kind string, sub, claim int64, status string) {
		t.Helper()
		if _, _, err := st.InsertAck(ctx, storage.Ack{Key: key, Kind: kind, SubmissionID: sub, ClaimID: claim, GS06: "1", ST02: "0001", Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	ack("k1", "999", subs[1], 0, "A") // file 1: 999 accepted, one claim 277CA'd
	ack("k2", "277ca", 0, claims[1][0], "A1:20")
	ack("k3", "ta1", subs[2], 0, "R") // file 2: interchange rejected
	ack("k4", "999", subs[3], 0, "R") // file 3: transaction set rejected
	ack("k5", "ta1", subs[0], 0, "A") // file 0: TA1 accepted, nothing else yet

	ids := func(list []storage.LateSubmission) map[int64]int {
		m := map[int64]int{}
		for _, s := range list {
			if s.Clearinghouse != "availity" || s.TransmittedAt.IsZero() {
				t.Errorf("late submission %+v", s)
			}
			m[s.ID] = s.Claims
		}
		return m
	}
	late999, err := st.SubmissionsMissing999(ctx, "availity", sent.Add(time.Hour), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(late999), map[int64]int{subs[0]: 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("missing 999 before 21:00: %v, want %v", got, want)
	}
	late999, err = st.SubmissionsMissing999(ctx, "availity", sent.Add(4*time.Hour), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(late999), map[int64]int{subs[0]: 2, subs[4]: 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("missing 999 before 00:00: %v, want %v", got, want)
	}
	late277, err := st.SubmissionsMissing277CA(ctx, "availity", sent.Add(time.Hour), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(late277), map[int64]int{subs[0]: 2, subs[1]: 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("missing 277CA: %v, want %v", got, want)
	}
	// Paging: after the first id.
	late277, err = st.SubmissionsMissing277CA(ctx, "availity", sent.Add(time.Hour), subs[0], 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(late277), map[int64]int{subs[1]: 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("missing 277CA after %d: %v, want %v", subs[0], got, want)
	}
	// A 277CA that came before the file was sent (an earlier submission's) does not answer it.
	ack("k6", "277ca", 0, claims[0][0], "A1:20")
	late277, err = st.SubmissionsMissing277CA(ctx, "availity", sent.Add(time.Hour), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(late277), map[int64]int{subs[0]: 1, subs[1]: 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("missing 277CA after a 277CA for file 0: %v, want %v", got, want)
	}
}

// TestOpsCounts counts pending outbox rows, open work items and new files.
func TestOpsCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testenv.SQLite(t)
	for i := range 3 {
		if _, err := st.EnqueueOutbox(ctx, storage.OutboxMessage{Subject: "s", Payload: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkMissingAck, DedupKey: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.MarkOutboxPublished(ctx, 1); err != nil {
		t.Fatal(err)
	}
	id, _, err := st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkRejection})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetWorkStatus(ctx, id, storage.WorkClosed); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.InsertInboundFile(ctx, storage.InboundFile{Source: "x", Name: "a", Kind: "835", Content: []byte("ISA")}); err != nil {
		t.Fatal(err)
	}
	n, err := st.OpsCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.OutboxPending != 2 || n.WorkItems[storage.WorkMissingAck][storage.WorkOpen] != 3 ||
		len(n.WorkItems) != 1 || n.Inbound[storage.InboundNew] != 1 {
		t.Fatalf("counts %+v", n)
	}
}
