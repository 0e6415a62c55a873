package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/claimflow/claimflow/internal/cputime"
	"github.com/claimflow/claimflow/storage"
)

// BenchmarkAckMoves moves the 5,000 claims of one file through the three moves the
// acknowledgements make in the demo, on SQLite, among 20,000 claims of the demo's
// shape: a 999 (every claim from transmitted to syntax-accepted, one detail shared
// by all), a clearinghouse 277CA (to clearinghouse-accepted, a detail of its own
// per claim, about 220 bytes, and a new payer claim number) and a payer 277CA (to
// payer-accepted, a detail per claim, the same payer claim number again). Then the
// claims go back to transmitted (paid, secondary-billed, batched), untimed. It
// reports the CPU time per move of the three timed ones, and of each.
func BenchmarkAckMoves(b *testing.B) {
	const total, file = 20000, 5000
	ctx := context.Background()
	st, ids := validatedClaims(b, total)
	move := func(part []int64, to storage.ClaimState, cause storage.Cause, detail func(i int) any, icn func(i int) string) {
		moves := make([]storage.ClaimMove, len(part))
		for i, id := range part {
			moves[i] = storage.ClaimMove{ClaimID: id, To: to, Detail: detail(i)}
			if icn != nil {
				moves[i].PayerClaimNumber = icn(i)
			}
		}
		err := st.InTx(ctx, func(tx *storage.Tx) error {
			skipped, err := tx.TransitionClaims(ctx, moves, storage.Event{Cause: cause, Actor: "inbound-file/7"})
			if err == nil && len(skipped) > 0 {
				err = fmt.Errorf("%d moves skipped", len(skipped))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	shared := json.RawMessage(`{"submission":1}`)
	same := func(int) any { return shared }
	for start := 0; start < total; start += file {
		move(ids[start:start+file], storage.StateBatched, storage.CauseSystem, same, nil)
		move(ids[start:start+file], storage.StateTransmitted, storage.CauseSystem, same, nil)
	}
	note := func(round int, source string) func(i int) any {
		return func(i int) any {
			return json.RawMessage(fmt.Sprintf(`{"inbound_file_id":%d,"answer":"277ca/0/0/%d","status":"A1:19","codes":["A1:19:PR"],"text":"A1:19:PR acknowledged: received, not yet accepted for adjudication: the entity acknowledges it received the claim (entity: %s)"}`,
				round, i, source))
		}
	}
	var cpu [3]time.Duration
	b.ResetTimer()
	for n := range b.N {
		part := ids[(n%(total/file))*file:][:file]
		icn := func(i int) string { return fmt.Sprintf("ICN%d-%d", n, i) }
		ack999 := json.RawMessage(fmt.Sprintf(`{"inbound_file_id":%d,"answer":"999/0/0","status":"A","text":"accepted"}`, n))
		cpu0 := cputime.Process()
		move(part, storage.StateSyntaxAccepted, storage.Cause999, func(int) any { return ack999 }, nil)
		cpu1 := cputime.Process()
		move(part, storage.StateClearinghouseAccepted, storage.Cause277CAClearinghouse, note(n, "clearinghouse"), icn)
		cpu2 := cputime.Process()
		move(part, storage.StatePayerAccepted, storage.Cause277CAPayer, note(n, "payer"), icn)
		cpu3 := cputime.Process()
		cpu[0], cpu[1], cpu[2] = cpu[0]+cpu1-cpu0, cpu[1]+cpu2-cpu1, cpu[2]+cpu3-cpu2
		b.StopTimer()
		move(part, storage.StatePaid, storage.Cause835, same, icn)
		move(part, storage.StateSecondaryBilled, storage.CauseSystem, same, nil)
		move(part, storage.StateBatched, storage.CauseSystem, same, nil)
		move(part, storage.StateTransmitted, storage.CauseSystem, same, nil)
		b.StartTimer()
	}
	perMove := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N*file) }
	b.ReportMetric(perMove(cpu[0]+cpu[1]+cpu[2])/3, "cpu-µs/move")
	b.ReportMetric(perMove(cpu[0]), "999-cpu-µs/move")
	b.ReportMetric(perMove(cpu[1]), "277ch-cpu-µs/move")
	b.ReportMetric(perMove(cpu[2]), "277payer-cpu-µs/move")
}
