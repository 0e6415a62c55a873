package acks_test

import (
	"bytes"
	"testing"

	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x999"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestGroupRejectedWhole: a 999 that rejects a functional group without answering
// its transaction sets (AK9*R with AK905 codes) rejects every claim of the group's
// sets, each queued with the group's codes: the submission's claims are read for
// it, where an answer by set reads only the set's. On both databases.
func TestGroupRejectedWhole(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		w := newWorld(t, st, fixtureClaims(t, 31, 3), 971, 2, nil)
		gs06 := w.res.Transactions[0].GS06
		var buf bytes.Buffer
		ack := x999.Ack{Group: x999.Group{FunctionalID: "HC", Control: gs06, Version: "005010X222A1"},
			Status: x999.Rejected, Included: len(w.res.Transactions), Received: len(w.res.Transactions), Codes: []string{"4"}}
		if err := x999.Build(&buf, x999.Envelope{SenderID: "SIMCH", ReceiverID: "CFTEST", Time: clock(), Test: true,
			Interchanges: &x12.Counter{N: 700}}, ack); err != nil {
			t.Fatal(err)
		}
		res := w.apply(w.receiveBytes("group.999", "999", buf.Bytes()))
		sets := map[string]bool{}
		for _, tx := range w.res.Transactions {
			if tx.GS06 == gs06 {
				sets[tx.ST02] = true
			}
		}
		if res.Moved != 3 || res.Stored != len(sets) || res.WorkItems != 3 {
			t.Errorf("%+v, want 3 claims moved, %d set answers, 3 work items", res, len(sets))
		}
		w.wantStates(storage.StateSyntaxRejected, storage.StateSyntaxRejected, storage.StateSyntaxRejected)
		items := w.work(storage.WorkRejection)
		if len(items) != 3 {
			t.Errorf("%d rejections, want 3", len(items))
		}
		for _, it := range items {
			if len(it.Codes) != 4 || it.Codes[2] != "AK901-R" || it.Codes[3] != "AK905-4" {
				t.Errorf("rejection of claim %d: codes %v, want the group's", it.ClaimID, it.Codes)
			}
		}
	})
}
