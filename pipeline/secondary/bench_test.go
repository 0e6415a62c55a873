package secondary_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/claimflow/claimflow/billing"
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
		c := w.claim(fmt.Sprintf("B%07d", i), 2)
		w.adjudicate(c, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: adjudicated,
			lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
		ids[i] = c.ID
	}
	data, err := json.Marshal(pipeline.ClaimWork{ClaimIDs: ids})
	if err != nil {
		b.Fatal(err)
	}
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
