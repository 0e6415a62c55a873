package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/storage"
)

func openTestDB(t *testing.T, url string) *storage.Store {
	t.Helper()
	st, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// TestClaimsEditSet: --set fixes the field; the claim goes back to draft with
// frequency 1, its rejection item is resolved, the history and the audit log name
// the actor and the field, and the scrub work is in the outbox.
func TestClaimsEditSet(t *testing.T) {
	t.Parallel()
	url, id, c := rejectedClaimDB(t)
	code, out, errOut := runCLI(t, "claims", "edit", c.PatientControlNumber, "--set", "lines[0].unit=UN",
		"--set", "lines[0].procedure.modifiers[0]=25", "--actor", "alice", "--database", url)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if !strings.Contains(out, "syntax-rejected -> draft") || !strings.Contains(out, "1 rejection items resolved") {
		t.Errorf("output %q", out)
	}
	st := openTestDB(t, url)
	ctx := context.Background()
	got, err := st.Claim(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != storage.StateDraft || got.Lines[0].Unit != "UN" || got.Lines[0].Procedure.Modifiers[0] != "25" ||
		got.Frequency != billing.FrequencyOriginal {
		t.Errorf("claim %s unit %q modifiers %v frequency %q", got.State, got.Lines[0].Unit, got.Lines[0].Procedure.Modifiers, got.Frequency)
	}
	items, _ := st.WorkItems(ctx, storage.WorkFilter{Kind: storage.WorkRejection})
	if len(items) != 1 || items[0].Status != storage.WorkResolved {
		t.Errorf("rejection items %+v, want resolved", items)
	}
	audit, _ := st.AuditLog(ctx, storage.AuditFilter{SubjectKind: "claim", SubjectID: id})
	if len(audit) != 1 || audit[0].Actor != "alice" || !strings.Contains(strings.Join(audit[0].Fields, ","), "lines[0].unit") {
		t.Errorf("audit %+v", audit)
	}
	hist, _ := st.ClaimHistory(ctx, id)
	if last := hist[len(hist)-1]; last.Cause != storage.CausePerson || last.Actor != "alice" || last.To != storage.StateDraft {
		t.Errorf("history %+v", last)
	}
	pending, _ := st.PendingOutbox(ctx, 10)
	if len(pending) != 1 || !strings.Contains(pending[0].Subject, "scrub") {
		t.Fatalf("outbox %+v, want one scrub message", pending)
	}
	var w pipeline.ClaimWork
	if err := json.Unmarshal(pending[0].Payload, &w); err != nil || len(w.ClaimIDs) != 1 || w.ClaimIDs[0] != id {
		t.Errorf("scrub work %s", pending[0].Payload)
	}
	if strings.Contains(out+errOut, "UN\n") {
		t.Errorf("output shows a value")
	}
}

// TestClaimsEditRefusals: a misspelt field, a value of the wrong type and a claim
// already adjudicated change nothing; --file replaces the whole claim.
func TestClaimsEditRefusals(t *testing.T) {
	t.Parallel()
	url, id, c := rejectedClaimDB(t)
	for _, args := range [][]string{
		{"--set", "lines[0].colour=blue"},
		{"--set", "lines[0].emergency=maybe"},
		{"--set", "lines[7].unit=UN"},
		{},
	} {
		code, _, errOut := runCLI(t, append([]string{"claims", "edit", itoa(id), "--actor", "bob", "--database", url}, args...)...)
		if code != 2 || strings.Contains(errOut, "blue") || strings.Contains(errOut, "maybe") {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
	st := openTestDB(t, url)
	ctx := context.Background()
	if s, _ := st.ClaimState(ctx, id); s != storage.StateSyntaxRejected {
		t.Fatalf("state %s after refused edits", s)
	}

	c.Lines[0].Unit = "MJ"
	path := filepath.Join(t.TempDir(), "claim.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := billing.WriteJSON(f, []billing.Claim{c}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, out, errOut := runCLI(t, "claims", "edit", itoa(id), "--file", path, "--actor", "bob", "--database", url)
	if code != 0 || !strings.Contains(out, "lines[0].unit") {
		t.Fatalf("--file: exit %d %s %s", code, out, errOut)
	}
	if got, _ := st.Claim(ctx, id); got.Lines[0].Unit != "MJ" || got.State != storage.StateDraft {
		t.Errorf("after --file: unit %q state %s", got.Lines[0].Unit, got.State)
	}
	// Now draft: edits are allowed; a claim sent and accepted is not editable.
	for _, to := range []storage.ClaimState{storage.StateValidated, storage.StateBatched, storage.StateTransmitted, storage.StatePayerAccepted} {
		if err := st.TransitionClaim(ctx, id, to, storage.Event{Cause: storage.CauseSystem}); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut = runCLI(t, "claims", "edit", itoa(id), "--set", "lines[0].unit=UN", "--actor", "bob", "--database", url)
	if code != 2 || !strings.Contains(errOut, "payer-accepted") {
		t.Errorf("editing an accepted claim: exit %d %q", code, errOut)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
