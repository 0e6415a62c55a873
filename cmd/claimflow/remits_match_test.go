package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// TestRemitsMatch: a payment whose CLP01 the payer mangled is listed unmatched
// (numbers only, no patient names), matched by hand onto the claim and posted; the
// other stays unmatched through a rematch.
func TestRemitsMatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, st := remitDB(t)
	if code, out, errOut := runCLI(t, "post", "--database", url, era(t, "CLP*A17*=>CLP*A17Q*")); code != 0 {
		t.Fatalf("post: %d %s %s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "remits", "unmatched", "--database", url)
	if code != 0 || !strings.Contains(out, "2 unmatched claim payments") || !strings.Contains(out, "A17Q") || !strings.Contains(out, "EFT66") {
		t.Fatalf("unmatched: %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "DOE") || strings.Contains(out, "ROE") || strings.Contains(out, "MEMBER99") {
		t.Errorf("unmatched list shows patient data:\n%s", out)
	}
	ids, err := st.UnmatchedClaimPayments(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var payment int64
	for _, id := range ids {
		cp, err := st.ClaimPaymentByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if cp.PatientControlNumber == "A17Q" {
			payment = id
		}
	}
	claim, err := st.ClaimByPCN(ctx, "A17")
	if err != nil {
		t.Fatal(err)
	}
	pid, cid := strconv.FormatInt(payment, 10), strconv.FormatInt(claim.ID, 10)
	code, out, errOut = runCLI(t, "remits", "match", "--database", url, "--by", "alice", pid, cid)
	if code != 0 || !strings.Contains(out, "posted onto claim "+cid+": 4 ledger entries, paid 120.00") {
		t.Fatalf("match: %d %s %s", code, out, errOut)
	}
	b, err := st.ClaimBalance(ctx, claim.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Patient != 3000 {
		t.Errorf("patient balance %s after the match", b.Patient)
	}
	if code, _, errOut = runCLI(t, "remits", "match", "--database", url, pid, cid); code != 2 || !strings.Contains(errOut, "matched already") {
		t.Errorf("second match: exit %d %s", code, errOut)
	}
	code, out, _ = runCLI(t, "remits", "rematch", "--database", url)
	if code != 0 || !strings.Contains(out, "0 claim payments matched and posted, 1 still unmatched") {
		t.Errorf("rematch: %d %s", code, out)
	}
}
