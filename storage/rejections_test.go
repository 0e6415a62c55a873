package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestRejectionQueries runs the acknowledgement stage's queries on both drivers.
func TestRejectionQueries(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB, ...storage.Option) *storage.Store{
		"sqlite": testenv.SQLite, "postgres": testenv.Postgres,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkRejectionQueries(t, open(t))
		})
	}
}

func checkRejectionQueries(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	var ids []int64
	for _, pcn := range []string{"PCN-A", "PCN-B"} {
		c := billing.Claim{PatientControlNumber: pcn, Lines: []billing.Line{{ControlNumber: "1", Charge: 100}}}
		id, err := st.InsertClaim(ctx, storage.NewClaim{Claim: c}, storage.Event{Cause: storage.CauseSystem})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	sub := storage.Submission{Clearinghouse: "ch", FileName: "f", SHA256: "s1", ISA13: "000000007", Size: 1,
		Claims: []storage.SubmittedClaim{{ClaimID: ids[0], Trace: x837p.Trace{GS06: "7", ST02: "0001", CLM: 9}}}}
	subID, err := st.InsertSubmission(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.SubmissionByGroup(ctx, "ch", "7"); err != nil || got != subID {
		t.Errorf("SubmissionByGroup = %d, %v, want %d", got, err, subID)
	}
	if _, err := st.SubmissionByGroup(ctx, "other", "7"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("another clearinghouse's group: %v, want ErrNotFound", err)
	}
	pcns, err := st.ClaimPCNs(ctx, append(ids, 999999))
	if err != nil || len(pcns) != 2 || pcns[ids[1]] != "PCN-B" {
		t.Errorf("ClaimPCNs = %v, %v", pcns, err)
	}
	for i, key := range []string{"a", "b"} {
		if _, _, err := st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkRejection, DedupKey: key, ClaimID: ids[0]}); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if _, _, err := st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkDenial, DedupKey: "d", ClaimID: ids[0]}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := st.ResolveClaimWork(ctx, ids[0], storage.WorkRejection); err != nil || n != 2 {
		t.Errorf("ResolveClaimWork = %d, %v, want 2", n, err)
	}
	if n, _ := st.ResolveClaimWork(ctx, ids[0], storage.WorkRejection); n != 0 {
		t.Errorf("resolving again changed %d items", n)
	}
	open, _ := st.WorkItems(ctx, storage.WorkFilter{Status: storage.WorkOpen})
	if len(open) != 1 || open[0].Kind != storage.WorkDenial {
		t.Errorf("open items %+v, want the denial only", open)
	}
}
