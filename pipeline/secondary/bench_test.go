package secondary_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/cputime"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// BenchmarkHandleSQLite measures the stage moving adjudicated claims on to their
// secondary on SQLite: one message naming b.N claims, moved on 100 per transaction;
// per claim a plan (claim, payments, balances, cob.Next, COB rules) and its writes
// (content, payer, state, transfers). Run with a fixed count:
// go test -bench Handle -benchtime 1000x.
func BenchmarkHandleSQLite(b *testing.B) { benchmarkHandle(b, testenv.SQLite(b)) }

// BenchmarkHandlePostgres is BenchmarkHandleSQLite on PostgreSQL.
func BenchmarkHandlePostgres(b *testing.B) { benchmarkHandle(b, testenv.Postgres(b)) }

func benchmarkHandle(b *testing.B, st *storage.Store) {
	w := newWorld(b, st)
	s := newStage(b, st)
	ids := make([]int64, b.N)
	for i := range ids {
		ids[i] = w.partlyPaid(fmt.Sprintf("B%07d", i), 2)
	}
	data := claimWork(b, ids)
	b.ResetTimer()
	if err := s.Handle(context.Background(), bus.Message{Stage: bus.Secondary, ID: "1", Data: data}); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if c := w.stored(ids[len(ids)-1]); c.State != storage.StateSecondaryBilled {
		b.Fatalf("last claim %s", c.State)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "claims/s")
}

// BenchmarkHandleMixSQLite measures the stage on the demo's mix of claims on
// SQLite: of every five adjudicated claims, four have no further coverage (the
// patient is billed) and one has a secondary (billed to it), in one message of
// 1,000 claims per round. It reports the CPU time a claim costs this process
// ("client-µs/claim") and, on a PostgreSQL server on this machine, its backends
// ("server-µs/claim"): on a shared machine these hold still when rates do not.
func BenchmarkHandleMixSQLite(b *testing.B) { benchmarkHandleMix(b, testenv.SQLiteURL(b)) }

// BenchmarkHandleMixPostgres is BenchmarkHandleMixSQLite on PostgreSQL.
func BenchmarkHandleMixPostgres(b *testing.B) { benchmarkHandleMix(b, testenv.PostgresURL(b)) }

func benchmarkHandleMix(b *testing.B, url string) {
	app := ""
	if strings.HasPrefix(url, "postgres") {
		url, app = cputime.WithApplicationName(url)
	}
	st := testenv.Open(b, url)
	w := newWorld(b, st)
	s := newStage(b, st)
	const n = 1000
	ctx := context.Background()
	var claims int
	var client, server time.Duration
	for round := 0; b.Loop(); round++ {
		b.StopTimer()
		ids := make([]int64, n)
		for i := range ids {
			ncov := 1
			if i%5 == 0 {
				ncov = 2
			}
			ids[i] = w.partlyPaid(fmt.Sprintf("M%03d%05d", round, i), ncov)
		}
		data := claimWork(b, ids)
		meter := cputime.Start(ctx, st.DB(), app)
		b.StartTimer()
		err := s.Handle(ctx, bus.Message{Stage: bus.Secondary, ID: strconv.Itoa(round), Data: data})
		b.StopTimer()
		c, sv := meter.Stop(ctx)
		client, server, claims = client+c, server+sv, claims+n
		if err != nil {
			b.Fatal(err)
		}
		if c := w.stored(ids[0]); c.State != storage.StateSecondaryBilled {
			b.Fatalf("claim with a secondary: %s", c.State)
		}
		if c := w.stored(ids[1]); c.State != storage.StatePatientBilled {
			b.Fatalf("claim without: %s", c.State)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(client.Microseconds())/float64(claims), "client-µs/claim")
	if server > 0 {
		b.ReportMetric(float64(server.Microseconds())/float64(claims), "server-µs/claim")
	}
}

// partlyPaid adds a claim with ncov coverages that the primary paid $120 of, with
// $50 written off and $30 left to the patient, and returns its id.
func (w *world) partlyPaid(pcn string, ncov int) int64 {
	c := w.claim(pcn, ncov)
	w.adjudicate(c, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: adjudicated,
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
	return c.ID
}

// claimWork is the secondary stage's message for the claims.
func claimWork(b *testing.B, ids []int64) []byte {
	data, err := json.Marshal(pipeline.ClaimWork{ClaimIDs: ids})
	if err != nil {
		b.Fatal(err)
	}
	return data
}
