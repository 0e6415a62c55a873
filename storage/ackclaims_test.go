package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/cputime"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestClaimHeadsStampsByPCN: the one query reads what ClaimHeadsByPCN (but the
// lines) and ClaimStampsByPCN read, leaves out PCNs without a claim, and its stamps
// change when the claim does. On both engines.
func TestClaimHeadsStampsByPCN(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := t.Context()
		ncs := make([]storage.NewClaim, 4)
		pcns := []string{"NONE"}
		for i := range ncs {
			pcn := fmt.Sprintf("H%d", i)
			pcns = append(pcns, pcn)
			ncs[i] = storage.NewClaim{State: storage.StateValidated, Claim: billing.Claim{PatientControlNumber: pcn,
				Lines: []billing.Line{{ControlNumber: pcn + "-1", Procedure: billing.Procedure{Code: "99213"}, Charge: 100}}}}
		}
		ids, err := st.InsertClaims(ctx, ncs, storage.Event{Cause: storage.CauseSystem})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.TransitionClaims(ctx, []storage.ClaimMove{{ClaimID: ids[1], To: storage.StateBatched, PayerClaimNumber: "ICN1"}},
			storage.Event{Cause: storage.CauseSystem}); err != nil {
			t.Fatal(err)
		}
		heads, stamps, err := st.ClaimHeadsStampsByPCN(ctx, pcns)
		if err != nil {
			t.Fatal(err)
		}
		wantHeads, err := st.ClaimHeadsByPCN(ctx, pcns)
		if err != nil {
			t.Fatal(err)
		}
		wantStamps, err := st.ClaimStampsByPCN(ctx, pcns)
		if err != nil {
			t.Fatal(err)
		}
		if len(heads) != len(ids) || len(stamps) != len(ids) || len(wantHeads) != len(ids) {
			t.Fatalf("%d heads and %d stamps of %d claims", len(heads), len(stamps), len(ids))
		}
		for pcn, want := range wantHeads {
			h := heads[pcn]
			if h.Lines != nil {
				t.Errorf("%s: lines read: %+v", pcn, h.Lines)
			}
			want.Lines = nil
			if fmt.Sprintf("%+v", h) != fmt.Sprintf("%+v", want) {
				t.Errorf("%s: head %+v, want %+v", pcn, h, want)
			}
			if !stamps[pcn].Same(wantStamps[pcn]) {
				t.Errorf("%s: stamp %+v, want %+v", pcn, stamps[pcn], wantStamps[pcn])
			}
		}
		if h := heads["H1"]; h.State != storage.StateBatched || h.PayerClaimNumber != "ICN1" {
			t.Errorf("moved claim: %s %q", h.State, h.PayerClaimNumber)
		}
		if _, err := st.TransitionClaims(ctx, []storage.ClaimMove{{ClaimID: ids[2], To: storage.StateBatched}},
			storage.Event{Cause: storage.CauseSystem}); err != nil {
			t.Fatal(err)
		}
		_, later, err := st.ClaimHeadsStampsByPCN(ctx, pcns)
		if err != nil {
			t.Fatal(err)
		}
		for pcn, s := range stamps {
			if later[pcn].Same(s) == (pcn == "H2") {
				t.Errorf("%s: stamp %+v, then %+v", pcn, s, later[pcn])
			}
		}
	})
}

// TestInsertAcksMany: InsertAcks over several statements' worth of answers (the
// statement of a whole chunk prepared once on SQLite) stores each new key once,
// skips keys stored before and keys repeated in the call, and says how many it
// stored; the rows read back are the answers given. On both engines.
func TestInsertAcksMany(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := t.Context()
		const n = 700 // two whole statements of 300 and one of 100
		ncs := []storage.NewClaim{{State: storage.StateValidated, Claim: billing.Claim{PatientControlNumber: "A1",
			Lines: []billing.Line{{ControlNumber: "A1-1", Procedure: billing.Procedure{Code: "99213"}, Charge: 100}}}}}
		ids, err := st.InsertClaims(ctx, ncs, storage.Event{Cause: storage.CauseSystem})
		if err != nil {
			t.Fatal(err)
		}
		ack := func(i int) storage.Ack {
			return storage.Ack{Key: fmt.Sprintf("file/277ca/%d", i), Kind: "277ca", ClaimID: ids[0], PCN: "A1",
				Status: fmt.Sprintf("A1:%d", i), Codes: []string{"A1:19:PR", fmt.Sprint(i)},
				Detail: []byte(fmt.Sprintf(`{"answer":%d,"text":"quote \" back slash \\"}`, i))}
		}
		before := 0
		for i := 0; i < n; i += 17 {
			if _, isNew, err := st.InsertAck(ctx, ack(i)); err != nil || !isNew {
				t.Fatalf("storing answer %d first: new %v, %v", i, isNew, err)
			}
			before++
		}
		var acks []storage.Ack
		for i := range n {
			acks = append(acks, ack(i))
			if i%100 == 50 {
				acks = append(acks, ack(i)) // the same answer twice in one call
			}
		}
		stored, err := st.InsertAcks(ctx, acks)
		if err != nil {
			t.Fatal(err)
		}
		if stored != n-before {
			t.Errorf("stored %d of %d answers (%d stored before, %d repeated)", stored, len(acks), before, len(acks)-n)
		}
		list, err := st.Acks(ctx, storage.AckFilter{ClaimID: ids[0]})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != n {
			t.Fatalf("%d answers read back, want %d", len(list), n)
		}
		got := map[string]storage.Ack{}
		for _, a := range list {
			got[a.Key] = a
		}
		for i := range n {
			want, a := ack(i), got[ack(i).Key]
			var d map[string]any
			if err := json.Unmarshal(a.Detail, &d); err != nil || a.Status != want.Status || fmt.Sprint(a.Codes) != fmt.Sprint(want.Codes) ||
				d["answer"] != float64(i) || d["text"] != `quote " back slash \` {
				t.Fatalf("answer %d read back as %+v (%s, %v)", i, a, a.Detail, err)
			}
		}
	})
}

// BenchmarkInsertAcks stores the 5,000 answers of one 277CA file (about 400 bytes
// of detail each) in one transaction on SQLite and reports the CPU time per answer.
func BenchmarkInsertAcks(b *testing.B) {
	const file = 5000
	ctx := context.Background()
	st, err := storage.Open(ctx, sqliteDatabase(b), storage.MigrateOnOpen())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close(ctx)
	var cpu time.Duration
	for n := range b.N {
		acks := make([]storage.Ack, file)
		for i := range acks {
			acks[i] = storage.Ack{Key: fmt.Sprintf("%064d/277ca/0/0/%d", n, i), Kind: "277ca", PCN: fmt.Sprintf("P%08d", i),
				Status: "A1:19", Codes: []string{"A1:19:PR"},
				Detail: []byte(fmt.Sprintf(`{"source":"payer","source_id":"PAYER1","batch_id":"0000000010001","statuses":[{"codes":["A1:19:PR"],"text":"A1:19:PR acknowledged: received, not yet accepted for adjudication: the entity acknowledges it received the claim (entity: payer)"}],"payer_claim_number":"26331%08d"}`, i))}
		}
		cpu0 := cputime.Process()
		if err := st.InTx(ctx, func(tx *storage.Tx) error {
			_, err := tx.InsertAcks(ctx, acks)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Process() - cpu0
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*file), "cpu-µs/ack")
}
