package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/storage"
)

// rejectedClaimDB makes an SQLite database holding one claim rejected by a 999, with
// its rejection item, and returns its URL and the claim's id.
func rejectedClaimDB(t *testing.T) (string, int64, billing.Claim) {
	t.Helper()
	url := "sqlite://" + filepath.Join(t.TempDir(), "claimflow.db")
	ctx := context.Background()
	st, err := storage.Open(ctx, url, storage.MigrateOnOpen())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	var buf bytes.Buffer
	if _, err := fixtures.Write837P(&buf, fixtures.Options{Seed: 31, Claims: 1}); err != nil {
		t.Fatal(err)
	}
	claims, err := x837p.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	c := claims[0]
	c.Lines[0].Unit = "ZZ"
	c.Normalize()
	id, err := st.InsertClaim(ctx, storage.NewClaim{Claim: c, State: storage.StateValidated}, storage.Event{Cause: storage.CauseScrubber})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []storage.ClaimState{storage.StateBatched, storage.StateTransmitted, storage.StateSyntaxRejected} {
		if err := st.TransitionClaim(ctx, id, to, storage.Event{Cause: storage.CauseSystem}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkRejection, DedupKey: "test:1", ClaimID: id,
		Codes: []string{"999", "IK403-7"}, Field: "lines[0].unit",
		Message: `999: element SV103: invalid code value "ZZ" (IK403 7). Fix lines[0].unit and send the claim again.`}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkException, DedupKey: "test:2",
		Codes: []string{"quarantined"}, Message: "inbound file 9 was quarantined"}); err != nil {
		t.Fatal(err)
	}
	return url, id, c
}

// TestQueueRejections: the rejection queue lists the claim, its PCN, the field and
// the codes, with quoted values masked unless --show-phi; --json gives the same.
func TestQueueRejections(t *testing.T) {
	t.Parallel()
	url, id, c := rejectedClaimDB(t)
	code, out, errOut := runCLI(t, "queue", "rejections", "--database", url)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{c.PatientControlNumber, "lines[0].unit", "999,IK403-7", `"xxx"`, "1 open rejection items"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, `"ZZ"`) || strings.Contains(out, "quarantined") {
		t.Errorf("output shows a masked value or another queue:\n%s", out)
	}
	code, out, _ = runCLI(t, "queue", "rejections", "--database", url, "--show-phi", "--json")
	var items []queueItem
	if code != 0 || json.Unmarshal([]byte(out), &items) != nil || len(items) != 1 {
		t.Fatalf("exit %d, json %s", code, out)
	}
	if it := items[0]; it.ClaimID != id || it.PCN != c.PatientControlNumber || it.Field != "lines[0].unit" || !strings.Contains(it.Message, `"ZZ"`) {
		t.Errorf("item %+v", it)
	}
	code, out, _ = runCLI(t, "queue", "exceptions", "--database", url)
	if code != 0 || !strings.Contains(out, "quarantined") {
		t.Errorf("exceptions: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "queue", "denials", "--database", url, "--status", "all")
	if code != 0 || !strings.Contains(out, "no all denial items") {
		t.Errorf("denials: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "queue", "rejections", "--database", url, "--status", "later"); code != 2 || !strings.Contains(errOut, "--status") {
		t.Errorf("bad status: exit %d %s", code, errOut)
	}
}
