package schedule_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/pipeline/schedule"
	"github.com/claimflow/claimflow/storage"
)

// sent is when the test's files were transmitted.
var sent = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// transmit stores a submission of one claim to the clearinghouse, transmitted at
// the store clock's time, and returns its id.
func transmit(t *testing.T, st *storage.Store, clearinghouse string, n int) int64 {
	t.Helper()
	ctx := context.Background()
	c := billing.Claim{
		PatientControlNumber: fmt.Sprintf("ALARM%d", n),
		PlaceOfService:       "11",
		Diagnoses:            []billing.Diagnosis{{Code: "E119"}},
		Patient:              billing.Person{LastName: "TEST", FirstName: "PAT", BirthDate: billing.NewDate(1970, 1, 1), Gender: "F"},
		Coverages:            []billing.Coverage{{Payer: billing.Payer{Name: "PLAN", ID: "12345"}, MemberID: "M1", FilingIndicator: "CI"}},
		BillingProvider:      billing.Provider{NPI: "1234567893", Name: "CLINIC"},
		Lines: []billing.Line{{Procedure: billing.Procedure{Code: "99213"}, Charge: billing.Dollars(100, 0),
			ServiceDates: billing.Period{From: billing.NewDate(2026, 2, 27)}}},
	}
	c.Normalize()
	claimID, err := st.InsertClaim(ctx, storage.NewClaim{Claim: c}, storage.Event{Cause: storage.CauseSystem, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.InsertSubmission(ctx, storage.Submission{Clearinghouse: clearinghouse, FileName: fmt.Sprintf("file%d.837", n),
		SHA256: fmt.Sprintf("%064d", n), ISA13: fmt.Sprintf("%09d", n),
		Claims: []storage.SubmittedClaim{{ClaimID: claimID, Trace: x837p.Trace{GS06: "1", ST02: "0001", CLM: 20}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkSubmission(ctx, id, storage.SubmissionTransmitted); err != nil {
		t.Fatal(err)
	}
	return id
}

func missingAcks(t *testing.T, st *storage.Store) []storage.WorkItem {
	t.Helper()
	items, err := st.WorkItems(context.Background(), storage.WorkFilter{Kind: storage.WorkMissingAck})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// TestMissingAckAlarm: a file sent a day ago without a 999 raises one work item;
// checking again adds nothing; a file within its delay raises nothing; a
// clearinghouse whose profile expects no 999 raises nothing.
func TestMissingAckAlarm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var now atomic.Pointer[time.Time]
	now.Store(&sent)
	st := testenv.SQLite(t, storage.WithClock(func() time.Time { return *now.Load() }))
	old := transmit(t, st, "alpha", 1)
	transmit(t, st, "quiet", 2)
	later := sent.Add(20 * time.Hour)
	now.Store(&later)
	transmit(t, st, "alpha", 3) // sent 4h before the check: within the delay

	env := &pipeline.Env{Store: st, Logger: testenv.Quiet(), Clearinghouses: map[string]*pipeline.Clearinghouse{
		"alpha": {Name: "alpha", Alarms: config.Alarms{Ack999Within: 12 * time.Hour},
			Profile: profile.Profile{Expect: []profile.Expectation{{Kind: profile.Kind999, Within: time.Hour}}}},
		"quiet": {Name: "quiet", Profile: profile.Profile{Expect: []profile.Expectation{{Kind: profile.Kind835, Within: time.Hour}}}},
	}}
	check := sent.Add(24 * time.Hour)
	n, err := schedule.CheckAcks(ctx, env, check)
	if err != nil {
		t.Fatal(err)
	}
	items := missingAcks(t, st)
	if n != 1 || len(items) != 1 {
		t.Fatalf("added %d, items %+v: want one", n, items)
	}
	it := items[0]
	if it.DedupKey != fmt.Sprintf("missing-ack:999:%d", old) || it.Codes[0] != "999" || it.Codes[1] != "alpha" ||
		!strings.Contains(it.Message, "file1.837") || !strings.Contains(it.Message, "expected within 12h0m0s") ||
		strings.Contains(it.Message, "TEST") {
		t.Fatalf("work item %+v", it)
	}
	n, err = schedule.CheckAcks(ctx, env, check.Add(time.Hour))
	if err != nil || n != 0 || len(missingAcks(t, st)) != 1 {
		t.Fatalf("second check added %d (%v): want nothing", n, err)
	}
	// A 999 that answers the file is too late for the alarm, but a later check
	// raises nothing new and the next file's time comes.
	if _, _, err := st.InsertAck(ctx, storage.Ack{Key: "a", Kind: "999", SubmissionID: old, Status: "A"}); err != nil {
		t.Fatal(err)
	}
	n, err = schedule.CheckAcks(ctx, env, later.Add(13*time.Hour))
	if err != nil || n != 1 || len(missingAcks(t, st)) != 2 {
		t.Fatalf("check after file 3's delay added %d (%v): want its alarm", n, err)
	}
}

// TestMissingAck277CA: the 277CA alarm counts the claims without one, from the
// profile's expectation when the configuration says nothing.
func TestMissingAck277CA(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testenv.SQLite(t, storage.WithClock(func() time.Time { return sent }))
	id := transmit(t, st, "alpha", 1)
	ch := &pipeline.Clearinghouse{Name: "alpha", Profile: profile.Profile{Expect: []profile.Expectation{
		{Kind: profile.Kind999, Within: 24 * time.Hour}, {Kind: profile.Kind277CA, Within: 48 * time.Hour}}}}
	if got := schedule.Within(ch, profile.Kind277CA); got != 48*time.Hour {
		t.Fatalf("277CA delay %v, want the profile's 48h", got)
	}
	if _, _, err := st.InsertAck(ctx, storage.Ack{Key: "a", Kind: "999", SubmissionID: id, Status: "A"}); err != nil {
		t.Fatal(err)
	}
	env := &pipeline.Env{Store: st, Logger: testenv.Quiet(), Clearinghouses: map[string]*pipeline.Clearinghouse{"alpha": ch}}
	if n, err := schedule.CheckAcks(ctx, env, sent.Add(47*time.Hour)); err != nil || n != 0 {
		t.Fatalf("check at 47h added %d (%v)", n, err)
	}
	n, err := schedule.CheckAcks(ctx, env, sent.Add(49*time.Hour))
	items := missingAcks(t, st)
	if err != nil || n != 1 || len(items) != 1 || items[0].DedupKey != fmt.Sprintf("missing-ack:277ca:%d", id) ||
		!strings.HasPrefix(items[0].Message, "no 277CA for 1 claims of file file1.837") {
		t.Fatalf("check at 49h added %d (%v): %+v", n, err, items)
	}
}

// TestAlarmRunsAtStart: the leader checks acknowledgements as soon as it leads.
func TestAlarmRunsAtStart(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t, storage.WithClock(func() time.Time { return sent }))
	transmit(t, st, "alpha", 1)
	b := testenv.Connect(t, bus.Config{Embedded: testenv.Embedded(t)})
	env := &pipeline.Env{Store: st, Topology: b.Topology(), Logger: testenv.Quiet(), Clearinghouses: map[string]*pipeline.Clearinghouse{
		"alpha": {Name: "alpha", Alarms: config.Alarms{Ack999Within: time.Hour}}}}
	clock := schedule.NewManualClock(sent.Add(2 * time.Hour))
	s, err := schedule.New(env, b, schedule.WithClock(clock), schedule.WithLeaderTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	waitSleepers(t, clock, 1) // the alarm, after its first check
	if items := missingAcks(t, st); len(items) != 1 {
		t.Fatalf("missing-ack items after start: %+v", items)
	}
}
