package remit_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/secondary"
	"github.com/claimflow/claimflow/storage"
)

// TestAdjudicatedClaimsFinish: every claim a payer paid and did not forward goes
// to the secondary stage, which moves it on by itself: paid in full with no other
// coverage, closed; the patient's share left and no other coverage,
// patient-billed; a second coverage, billed to it. A crossover and a denial get no
// secondary work and stay forwarded and denied.
func TestAdjudicatedClaimsFinish(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		full := w.claim("F1", false, "99213", 10000)
		owes := w.claim("P1", false, "99213", 20000)
		next := w.claim("A17", true, "99213", 20000)
		xo := w.claim("X1", false, "99213", 20000)
		den := w.claim("D1", false, "99213", 20000)
		// BPR02 = 80 + 120 + 120 + 120 + 0 = 440.
		_, sum := w.post("era.835", build835("000000301", [3]string{"440", "EFT7",
			"LX*1~CLP*F1*1*100*80*0*12*ICNF~NM1*QC*1*DOE*PAT~SVC*HC:99213*100*80**1~DTM*472*20250120~CAS*CO*45*20~REF*6R*F1-1~" +
				"CLP*P1*1*200*120*30*12*ICNP~NM1*QC*1*DOE*PAT~SVC*HC:99213*200*120**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*30~REF*6R*P1-1~" +
				example66 +
				"CLP*X1*19*200*120*30*12*ICN5~NM1*QC*1*DOE*PAT~NM1*TT*2*MEDIGAP PLAN*****PI*55555~" +
				"SVC*HC:99213*200*120**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*30~REF*6R*X1-1~" +
				"CLP*D1*1*200*0*0*12*ICN3~NM1*QC*1*DOE*PAT~MOA***N130~SVC*HC:99213*200*0**1~DTM*472*20250120~CAS*CO*50*200~REF*6R*D1-1~"}))
		if sum.Matched != 5 || sum.Secondary != 3 || sum.Forwarded != 1 || sum.Denials != 1 {
			t.Fatalf("summary %+v", sum)
		}
		pend, err := w.st.PendingOutbox(ctx, 10)
		must(t, err)
		if len(pend) != 1 || !strings.HasSuffix(pend[0].Subject, ".work.secondary") {
			t.Fatalf("outbox %+v", pend)
		}
		var work pipeline.ClaimWork
		must(t, json.Unmarshal(pend[0].Payload, &work))
		if got := slices.Sorted(slices.Values(work.ClaimIDs)); !slices.Equal(got, []int64{full, owes, next}) {
			t.Fatalf("secondary work for claims %v, want %v", got, []int64{full, owes, next})
		}
		// What the secondary stage does with the message.
		s, err := secondary.New(w.env)
		must(t, err)
		plans, err := s.ProcessAll(ctx, work.ClaimIDs)
		must(t, err)
		if len(plans) != 3 {
			t.Fatalf("%d plans", len(plans))
		}
		for id, want := range map[int64]storage.ClaimState{
			full: storage.StateClosed, owes: storage.StatePatientBilled, next: storage.StateSecondaryBilled,
			xo: storage.StateForwarded, den: storage.StateDenied,
		} {
			if got := w.state(id); got != want {
				t.Errorf("claim %d: state %s, want %s", id, got, want)
			}
		}
		if b := w.balance(owes); b.Patient != 3000 || b.Insurance != 0 {
			t.Errorf("patient-billed claim's balance %+v", b)
		}
		cl, err := w.st.Claim(ctx, next)
		must(t, err)
		if cl.PayerID != w.secondary {
			t.Errorf("claim with a second coverage billed to payer %d, want %d", cl.PayerID, w.secondary)
		}
		if ds := w.items(storage.WorkDenial); len(ds) != 1 || ds[0].ClaimID != den {
			t.Errorf("denials %+v", ds)
		}
	})
}
