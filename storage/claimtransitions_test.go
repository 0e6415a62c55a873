package storage_test

import (
	"context"
	"testing"

	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/cputime"
	"github.com/claimflow/claimflow/storage"
)

// BenchmarkMoveClaims moves the 5,000 claims of one file from validated to batched
// and back in one transaction on SQLite, among 20,000 claims of the demo's shape:
// TransitionClaims (one UPDATE ... FROM json_each and one INSERT of the history)
// against TransitionClaim one by one. Most of the cost is rewriting each claim's
// row (its document lives apart, in claim_documents), its state index entry and
// the history row with its two indexes.
func BenchmarkMoveClaims(b *testing.B) {
	const total, file = 20000, 5000
	for _, how := range []string{"TransitionClaims", "TransitionClaim"} {
		b.Run(how, func(b *testing.B) {
			ctx := context.Background()
			st, ids := validatedClaims(b, total)
			ev := storage.Event{Cause: storage.CauseSystem, Actor: "bench"}
			b.ResetTimer()
			cpu0 := cputime.Process()
			for n := range b.N {
				to := []storage.ClaimState{storage.StateBatched, storage.StateValidated}[n%2]
				part := ids[(n/2%(total/file))*file:][:file]
				moves := make([]storage.ClaimMove, len(part))
				for i, id := range part {
					moves[i] = storage.ClaimMove{ClaimID: id, To: to, Detail: map[string]int{"submission": n}}
				}
				err := st.InTx(ctx, func(tx *storage.Tx) error {
					if how == "TransitionClaims" {
						_, err := tx.TransitionClaims(ctx, moves, ev)
						return err
					}
					for _, m := range moves {
						if err := tx.TransitionClaim(ctx, m.ClaimID, m.To, storage.Event{Cause: ev.Cause, Actor: ev.Actor, Detail: m.Detail}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(b.N*file), "cpu-µs/move")
		})
	}
}

// validatedClaims opens a new SQLite store holding n of the demo's generated
// claims (about 2 KB of JSON each), validated, and returns it with their ids; the
// store closes when the benchmark ends.
func validatedClaims(b *testing.B, n int) (*storage.Store, []int64) {
	b.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, sqliteDatabase(b), storage.MigrateOnOpen())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close(ctx) })
	gen, err := fixtures.NewClaimGenerator(fixtures.ClaimOptions{Seed: 1, Claims: n})
	if err != nil {
		b.Fatal(err)
	}
	ncs := make([]storage.NewClaim, n)
	for i, cl := range gen.Chunk(nil, 0, n) {
		cl.Normalize()
		ncs[i] = storage.NewClaim{Claim: cl, State: storage.StateValidated}
	}
	ids, err := st.InsertClaims(ctx, ncs, storage.Event{Cause: storage.CauseSystem})
	if err != nil {
		b.Fatal(err)
	}
	return st, ids
}
