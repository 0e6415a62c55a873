package remit_test

import (
	"context"
	"sync"
	"testing"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/remit"
	"github.com/claimflow/claimflow/storage"
)

// TestClaimsChangedAfterRead: on SQLite a group's claims are read before its
// transaction; a claim written meanwhile (here billed to another payer) is read
// again inside it, and a claim stored meanwhile under a number that matched nothing
// is found. The postings are those of the claims as the transaction sees them.
func TestClaimsChangedAfterRead(t *testing.T) {
	t.Parallel()
	func(t *testing.T, st *storage.Store) { // PostgreSQL reads the claims inside the transaction
		ctx := context.Background()
		w := newWorld(t, st)
		a := w.claim("A17", true, "99213", 20000)
		w.claim("B18", false, "99213", 20000)
		var once sync.Once
		var late int64
		remit.SetPreReadHook(w.poster, func() {
			once.Do(func() {
				must(t, st.SetClaimPayer(ctx, a, w.secondary, ""))
				late = w.claim("C19", false, "99213", 20000)
			})
		})
		b18 := "LX*1~CLP*B18*1*200*150**12*ICN2~NM1*QC*1*DOE*PAT~SVC*HC:99213*200*150**1~DTM*472*20250120~CAS*CO*45*50~REF*6R*B18-1~"
		c19 := "LX*1~CLP*C19*1*200*150**12*ICN3~NM1*QC*1*DOE*PAT~SVC*HC:99213*200*150**1~DTM*472*20250120~CAS*CO*45*50~REF*6R*C19-1~"
		_, sum := w.post("era.835", build835("000000401", [3]string{"420", "EFTCHG", example66 + b18 + c19}))
		if sum.Matched != 3 || sum.Unmatched != 0 {
			t.Fatalf("summary %+v", sum)
		}
		es, err := st.Entries(ctx, storage.EntryFilter{ClaimID: a})
		must(t, err)
		n := 0
		for _, e := range es {
			if e.Kind == storage.KindCharge {
				continue
			}
			n++
			if e.Bucket == storage.BucketInsurance && e.PayerID != w.secondary {
				t.Errorf("entry %s of the claim billed to the second payer meanwhile names payer %d, want %d", e.IdempotencyKey, e.PayerID, w.secondary)
			}
		}
		if n != 4 {
			t.Errorf("%d entries posted to A17, want 4", n)
		}
		if s := w.state(late); s != storage.StatePaid {
			t.Errorf("claim stored meanwhile: %s, want paid", s)
		}
		lines(t, w.ledger(late), "insurance-payment insurance -150.00 ", "contractual-adjustment insurance -50.00 CO-45")
	}(t, testenv.SQLite(t))
}
