package remit_test

import (
	"context"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
)

// TestDeposits: a remittance is reconciled by a deposit with its TRN02 and BPR02;
// a deposit with another amount reconciles nothing and is listed as unmatched.
func TestDeposits(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.claim("A17", false, "99213", 20000)
		w.claim("B2", false, "99213", 20000)
		w.post("era1.835", build835("000000301", [3]string{"120", "EFT1", example66}))
		w.post("era2.835", build835("000000302", [3]string{"120", "EFT2", "LX*1~CLP*B2*1*200*120*30*12*ICN2~NM1*QC*1*DOE*PAT~" +
			"SVC*HC:99213*200*120**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*30~REF*6R*B2-1~"}))
		un, err := st.UnreconciledRemittances(ctx, 0, 10)
		must(t, err)
		if len(un) != 2 {
			t.Fatalf("unreconciled %+v", un)
		}
		on := billing.NewDate(2025, 3, 28)
		_, isNew, err := st.AddDeposit(ctx, storage.Deposit{TraceNumber: "EFT1", Amount: 12000, DepositedOn: on, Source: "test"})
		must(t, err)
		_, again, err := st.AddDeposit(ctx, storage.Deposit{TraceNumber: "EFT1", Amount: 12000, DepositedOn: on, Source: "test"})
		must(t, err)
		if !isNew || again {
			t.Errorf("new %v, again %v", isNew, again)
		}
		_, _, err = st.AddDeposit(ctx, storage.Deposit{TraceNumber: "EFT2", Amount: 11000, DepositedOn: on}) // short by 10.00
		must(t, err)
		un, err = st.UnreconciledRemittances(ctx, 0, 10)
		must(t, err)
		if len(un) != 1 || un[0].TraceNumber != "EFT2" || un[0].TotalPaid != 12000 {
			t.Errorf("unreconciled %+v", un)
		}
		ds, err := st.UnmatchedDeposits(ctx, 0, 10)
		must(t, err)
		if len(ds) != 1 || ds[0].TraceNumber != "EFT2" || ds[0].Amount != 11000 {
			t.Errorf("unmatched deposits %+v", ds)
		}
	})
}
