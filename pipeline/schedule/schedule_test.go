package schedule_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/pipeline/schedule"
	"github.com/claimflow/claimflow/storage"
)

func cron(t *testing.T, expr string) config.Cron {
	t.Helper()
	c, err := config.ParseCron(expr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// at is a time of 2 March 2026 in the local time the schedules run in.
func at(hour, minute int) time.Time { return time.Date(2026, 3, 2, hour, minute, 0, 0, time.Local) }

// newEnv returns an env on a fresh SQLite store with clearinghouses "alpha" and
// "beta", both submitting at 20:00 and with the other schedules off unless set.
func newEnv(t *testing.T, b *bus.Bus, st *storage.Store, sched config.Schedule) *pipeline.Env {
	t.Helper()
	if sched.Submit.IsZero() {
		sched.Submit = cron(t, "0 20 * * *")
	}
	chs := map[string]*pipeline.Clearinghouse{}
	for _, name := range []string{"alpha", "beta"} {
		chs[name] = &pipeline.Clearinghouse{Name: name, Schedule: sched}
	}
	return &pipeline.Env{Store: st, Topology: b.Topology(), Clearinghouses: chs, Logger: testenv.Quiet()}
}

// start runs s until the test ends and returns a function that stops it.
func start(t *testing.T, s *schedule.Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("scheduler: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("scheduler did not stop")
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitSleepers waits until n schedules sleep on the clock.
func waitSleepers(t *testing.T, c *schedule.ManualClock, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.WaitSleepers(ctx, n); err != nil {
		t.Fatalf("waiting for %d schedules to sleep (have %d): %v", n, c.Sleepers(), err)
	}
}

// emitted returns the outbox's pending messages as "stage payload" lines, sorted.
func emitted(t *testing.T, st *storage.Store, topo bus.Topology) []string {
	t.Helper()
	msgs, err := st.PendingOutbox(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, m := range msgs {
		stage := strings.TrimPrefix(m.Subject, topo.Namespace()+".work.")
		list = append(list, stage+" "+string(m.Payload))
	}
	slices.Sort(list)
	return list
}

func batchOf(names ...string) []string {
	var list []string
	for _, n := range names {
		list = append(list, fmt.Sprintf(`batch {"clearinghouse":%q}`, n))
	}
	return list
}

// TestSubmitFiresOncePerClearinghouse: at the submit time, exactly one batch
// message per clearinghouse goes to the outbox, and nothing before.
func TestSubmitFiresOncePerClearinghouse(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	b := testenv.Connect(t, bus.Config{Embedded: testenv.Embedded(t)})
	env := newEnv(t, b, st, config.Schedule{})
	clock := schedule.NewManualClock(at(19, 59))
	s, err := schedule.New(env, b, schedule.WithClock(clock), schedule.WithLeaderTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Jobs(), []string{"submit.alpha", "submit.beta", "ack-alarm"}; !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
	start(t, s)
	waitSleepers(t, clock, 3) // two submits and the alarm
	if !s.IsLeader() {
		t.Fatal("the only scheduler is not the leader")
	}
	if got := emitted(t, st, env.Topology); len(got) != 0 {
		t.Fatalf("emitted before 20:00: %v", got)
	}
	clock.Set(at(20, 0))
	waitSleepers(t, clock, 3)
	if got, want := emitted(t, st, env.Topology), batchOf("alpha", "beta"); !slices.Equal(got, want) {
		t.Fatalf("emitted at 20:00: %v, want %v", got, want)
	}
	clock.Set(at(23, 0))
	waitSleepers(t, clock, 3)
	if got := emitted(t, st, env.Topology); len(got) != 2 {
		t.Fatalf("emitted by 23:00: %v, want only the two of 20:00", got)
	}
}

// TestOnlyTheLeaderFires: two schedulers on two connections to one bus share
// the schedules: only one fires; when it stops, the other takes over without
// firing the slot again, and fires the next one.
func TestOnlyTheLeaderFires(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	srv := testenv.Embedded(t)
	b1 := testenv.Connect(t, bus.Config{Embedded: srv})
	b2 := testenv.Connect(t, bus.Config{Embedded: srv, Namespace: b1.Topology().Namespace()})
	clock := schedule.NewManualClock(at(19, 59))
	env1, env2 := newEnv(t, b1, st, config.Schedule{}), newEnv(t, b2, st, config.Schedule{})
	s1, err := schedule.New(env1, b1, schedule.WithClock(clock), schedule.WithLeaderTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	s2, err := schedule.New(env2, b2, schedule.WithClock(clock), schedule.WithLeaderTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	stop1, stop2 := start(t, s1), start(t, s2)
	waitSleepers(t, clock, 3)
	clock.Set(at(20, 0))
	waitSleepers(t, clock, 3)
	if s1.IsLeader() == s2.IsLeader() {
		t.Fatalf("leaders: %v and %v, want exactly one", s1.IsLeader(), s2.IsLeader())
	}
	if got, want := emitted(t, st, env1.Topology), batchOf("alpha", "beta"); !slices.Equal(got, want) {
		t.Fatalf("emitted at 20:00: %v, want %v", got, want)
	}

	leader, other := s1, s2
	stopLeader := stop1
	if s2.IsLeader() {
		leader, other, stopLeader = s2, s1, stop2
	}
	stopLeader()
	if leader.IsLeader() {
		t.Fatal("a stopped scheduler says it leads")
	}
	deadline := time.Now().Add(20 * time.Second)
	for !other.IsLeader() {
		if time.Now().After(deadline) {
			t.Fatal("the other scheduler did not take over")
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitSleepers(t, clock, 3)
	if got := emitted(t, st, env1.Topology); len(got) != 2 {
		t.Fatalf("after the take-over: %v, want the 20:00 firing not repeated", got)
	}
	clock.Set(at(20, 0).AddDate(0, 0, 1))
	waitSleepers(t, clock, 3)
	if got := emitted(t, st, env1.Topology); len(got) != 4 {
		t.Fatalf("the next day: %v, want two more batch messages", got)
	}
}

// TestMissedSlotsFireOnceAtStart: with every process down from 19:59 to 23:30,
// the 20:00 submit and the four hourly polls missed fire once each at start-up.
func TestMissedSlotsFireOnceAtStart(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	b := testenv.Connect(t, bus.Config{Embedded: testenv.Embedded(t)})
	sched := config.Schedule{Poll: cron(t, "0 * * * *")}
	env := newEnv(t, b, st, sched)
	env.Clearinghouses = map[string]*pipeline.Clearinghouse{"alpha": env.Clearinghouses["alpha"]}
	clock := schedule.NewManualClock(at(19, 59))
	s, err := schedule.New(env, b, schedule.WithClock(clock), schedule.WithLeaderTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, s)
	waitSleepers(t, clock, 3) // submit, poll, alarm: the first sight is recorded
	stop()
	if got := emitted(t, st, env.Topology); len(got) != 0 {
		t.Fatalf("emitted before any slot: %v", got)
	}

	clock.Set(at(23, 30))
	s, err = schedule.New(env, b, schedule.WithClock(clock), schedule.WithLeaderTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	waitSleepers(t, clock, 3)
	want := append(batchOf("alpha"), `fetch {"clearinghouse":"alpha"}`)
	if got := emitted(t, st, env.Topology); !slices.Equal(got, want) {
		t.Fatalf("emitted at start-up: %v, want %v", got, want)
	}
	clock.Set(at(23, 59))
	waitSleepers(t, clock, 3)
	if got := emitted(t, st, env.Topology); len(got) != 2 {
		t.Fatalf("emitted by 23:59: %v, want nothing more", got)
	}
	clock.Set(at(0, 0).AddDate(0, 0, 1))
	waitSleepers(t, clock, 3)
	if got := emitted(t, st, env.Topology); len(got) != 3 || !strings.HasPrefix(got[2], "fetch") {
		t.Fatalf("emitted at midnight: %v, want one more poll", got)
	}
}

// TestPostPending: the post schedule emits one remit message per stored 835 of
// the clearinghouse still new, and no other file.
func TestPostPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testenv.SQLite(t)
	b := testenv.Connect(t, bus.Config{Embedded: testenv.Embedded(t)})
	env := newEnv(t, b, st, config.Schedule{Post: cron(t, "0 2 * * *")})
	for _, ch := range env.Clearinghouses {
		ch.Schedule.Submit = config.Cron{} // off
	}
	files := []storage.InboundFile{
		{Source: "alpha", Name: "era1.835", Kind: "835"},
		{Source: "alpha", Name: "ack.999", Kind: "999"},
		{Source: "beta", Name: "era2.835", Kind: "835"},
		{Source: "alpha", Name: "era3.835", Kind: "835"},
		{Source: "alpha", Name: "era4.835", Kind: "835"},
	}
	var ids []int64
	for i, f := range files {
		f.Content = []byte(fmt.Sprintf("ISA*%d~", i))
		id, _, err := st.InsertInboundFile(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := st.MarkInboundProcessed(ctx, ids[3]); err != nil {
		t.Fatal(err)
	}
	clock := schedule.NewManualClock(at(1, 0))
	s, err := schedule.New(env, b, schedule.WithClock(clock), schedule.WithLeaderTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	waitSleepers(t, clock, 3) // two posts and the alarm
	clock.Set(at(2, 0))
	waitSleepers(t, clock, 3)
	var got []int64
	for _, m := range emitted(t, st, env.Topology) {
		var w pipeline.InboundWork
		stage, payload, _ := strings.Cut(m, " ")
		if err := json.Unmarshal([]byte(payload), &w); err != nil || stage != "remit" || w.Kind != "835" {
			t.Fatalf("emitted %q", m)
		}
		got = append(got, w.InboundID)
	}
	slices.Sort(got)
	if want := []int64{ids[0], ids[2], ids[4]}; !slices.Equal(got, want) {
		t.Fatalf("remit work for files %v, want %v (alpha's and beta's new 835s)", got, want)
	}
}

// TestSystemClock sleeps until a time a little ahead, and stops with its context.
func TestSystemClock(t *testing.T) {
	t.Parallel()
	var c schedule.SystemClock
	until := c.Now().Add(30 * time.Millisecond)
	if err := c.SleepUntil(context.Background(), until); err != nil || c.Now().Before(until) {
		t.Fatalf("SleepUntil = %v at %v, want nil at or after %v", err, c.Now(), until)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.SleepUntil(ctx, c.Now().Add(time.Hour)); err == nil {
		t.Fatal("SleepUntil with an ended context returned nil")
	}
}
