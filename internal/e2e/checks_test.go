package e2e

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/pipeline/acks"
	"github.com/claimflow/claimflow/storage"
)

// stored is what a run left for one generated claim.
type stored struct {
	storage.Claim
	submissions []int64
}

// readClaims reads every generated claim back by its patient control number.
func readClaims(t *testing.T, st *storage.Store, gen *fixtures.ClaimGenerator) []stored {
	t.Helper()
	ctx := context.Background()
	out := make([]stored, gen.Len())
	for i := range out {
		c, err := st.ClaimByPCN(ctx, gen.PCN(i))
		if err != nil {
			t.Fatalf("claim %d (%s) was lost: %v", i, gen.PCN(i), err)
		}
		subs, err := st.ClaimSubmissions(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = stored{Claim: c, submissions: subs}
	}
	return out
}

// rejectedStates are the claim states of Summary.Rejected.
var rejectedStates = []storage.ClaimState{storage.StateHeld, storage.StateEnvelopeRejected, storage.StateSyntaxRejected,
	storage.StateClearinghouseRejected, storage.StatePayerRejected}

// checkOutcomes checks the end of a run against what the generator planted and the
// simulator's rules: every claim reached an outcome; the scrubber held exactly the
// claims with scrubber defects and the payer rejected exactly the unknown members;
// every clean claim was paid or denied (or reversed); clean claims with a secondary
// coverage went to the second payer unless the first denied them; nothing was
// dead-lettered; the money balances, its charges being the sent claims' charges.
func checkOutcomes(t *testing.T, st *storage.Store, gen *fixtures.ClaimGenerator, claims []stored) storage.Summary {
	t.Helper()
	ctx := context.Background()
	plan := gen.Plan()
	n := int64(gen.Len())
	s, err := st.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scrubbed, unknown := int64(plan.Scrubbed()), int64(plan.Defects[fixtures.DefectUnknownMember])
	if s.Claims != n || s.Pending != 0 || s.Paid+s.Denied+s.Rejected+s.Other != n {
		t.Errorf("claims %d of %d: pending %d paid %d denied %d rejected %d other %d",
			s.Claims, n, s.Pending, s.Paid, s.Denied, s.Rejected, s.Other)
	}
	if s.ByState[storage.StateHeld] != scrubbed || s.ByState[storage.StatePayerRejected] != unknown || s.Rejected != int64(plan.Bad()) {
		t.Errorf("held %d (planted %d), payer-rejected %d (planted %d), rejected %d (planted %d)",
			s.ByState[storage.StateHeld], scrubbed, s.ByState[storage.StatePayerRejected], unknown, s.Rejected, plan.Bad())
	}
	if s.Submitted != n-scrubbed {
		t.Errorf("submitted %d, want %d", s.Submitted, n-scrubbed)
	}
	reasons := map[string]int64{}
	for _, r := range s.RejectionReasons {
		reasons[r.Code] = r.Count
	}
	for _, d := range fixtures.Defects() {
		if d.Scrubbed() && reasons[string(d)] != int64(plan.Defects[d]) {
			t.Errorf("rejection reason %s ×%d, planted %d (reasons %v)", d, reasons[string(d)], plan.Defects[d], s.RejectionReasons)
		}
	}
	if s.OpenWork[storage.WorkRejection] != int64(plan.Bad()) || s.OpenWork[storage.WorkException] != 0 || s.OpenWork[storage.WorkUnmatchedRemittance] != 0 {
		t.Errorf("open work %v: want %d rejections, no exception (dead letters, failed postings), no unmatched remittance",
			s.OpenWork, plan.Bad())
	}
	if s.FirstPass != (storage.Rate{Count: s.Submitted - unknown, Of: s.Submitted}) {
		t.Errorf("first pass %v, submitted %d, unknown members %d", s.FirstPass, s.Submitted, unknown)
	}

	var charged billing.Money
	secondaries := 0
	for i, c := range claims {
		d, bad := gen.DefectOf(i)
		switch {
		case bad && d.Scrubbed():
			if c.State != storage.StateHeld || len(c.submissions) != 0 {
				t.Errorf("claim %d planted %s: state %s, %d submissions; want held, never sent", i, d, c.State, len(c.submissions))
			}
			continue
		case bad:
			if c.State != storage.StatePayerRejected || len(c.submissions) != 1 {
				t.Errorf("claim %d planted %s: state %s, %d submissions; want payer-rejected after one", i, d, c.State, len(c.submissions))
			}
		default:
			if pending(c.State) || slices.Contains(rejectedStates, c.State) {
				t.Errorf("clean claim %d ended %s", i, c.State)
			}
			want := 1
			if gen.HasSecondary(i) && c.State != storage.StateDenied {
				want = 2 // unless the primary paid nothing, the secondary was billed
			}
			// Denied with a second coverage: by the primary (sent once), or by the
			// secondary after the primary paid (sent twice).
			deniedBySecondary := gen.HasSecondary(i) && c.State == storage.StateDenied && len(c.submissions) == 2
			if len(c.submissions) != want && !deniedBySecondary && !(want == 2 && len(c.submissions) == 1 && secondaryOwedNothing(t, st, c)) {
				t.Errorf("clean claim %d (secondary %v, state %s) in %d submissions, want %d", i, gen.HasSecondary(i), c.State, len(c.submissions), want)
			}
		}
		if len(c.submissions) == 2 {
			secondaries++
		}
		charged += gen.Claim(i).Charge
	}
	m := s.Money
	if m.Charged != charged {
		t.Errorf("ledger charged %v; the claims sent charge %v", m.Charged, charged)
	}
	if m.Charged != m.InsurancePaid+m.Adjusted+m.PatientPaid+m.InsuranceOutstanding+m.PatientOutstanding-m.Refunds {
		t.Errorf("money does not balance: %+v", m)
	}
	if plan.SecondaryClean > 0 && secondaries == 0 {
		t.Errorf("no claim went to a second payer; %d clean claims have one", plan.SecondaryClean)
	}
	t.Logf("%d claims: paid %d, denied %d, rejected %d, other %d; %d sent to a second payer; charged %v, paid %v",
		n, s.Paid, s.Denied, s.Rejected, s.Other, secondaries, m.Charged, m.InsurancePaid)
	return s
}

// secondaryOwedNothing reports whether a claim with a second coverage was left
// nothing to bill it: the first payer's payments leave no balance on insurance.
func secondaryOwedNothing(t *testing.T, st *storage.Store, c stored) bool {
	t.Helper()
	b, err := st.ClaimBalance(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return b.Insurance == 0 && b.Patient == 0
}

// checkSentOnce checks what reached the clearinghouse: its upload folder holds one
// file per transmitted submission (none left created or failed), under the
// submission's name; ISA13s are unique, in the files and in the database; each
// claim appears once per payer billed across all the files, as often as the
// database says it was submitted; and every file's 999 accepted it, with no TA1
// rejecting an envelope.
func checkSentOnce(t *testing.T, s *system, claims []stored) {
	t.Helper()
	ctx := context.Background()
	st := s.store
	for _, status := range []storage.SubmissionStatus{storage.SubmissionCreated, storage.SubmissionFailed} {
		if ids, err := st.SubmissionIDs(ctx, simName, status, 0, 10); err != nil || len(ids) != 0 {
			t.Errorf("submissions %s: %v (%v)", status, ids, err)
		}
	}
	var subs []storage.Submission
	for after := int64(0); ; {
		ids, err := st.SubmissionIDs(ctx, simName, storage.SubmissionTransmitted, after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 {
			break
		}
		for _, id := range ids {
			sub, err := st.Submission(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, sub)
			after = id
		}
	}

	files := s.uploads()
	if len(files) != len(subs) {
		t.Errorf("the clearinghouse holds %d files, the database %d transmitted submissions", len(files), len(subs))
	}
	isa13s := map[string]string{}
	sent := map[string]int{} // PCN/billed coverage -> times in the files
	perPCN := map[string]int{}
	for name, data := range files {
		isa13 := interchangeNumber(data)
		if other, dup := isa13s[isa13]; dup || isa13 == "" {
			t.Errorf("ISA13 %q of %s is also that of %s", isa13, name, other)
		}
		isa13s[isa13] = name
		cs, err := x837p.Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("reading %s: %v", name, err)
		}
		for i := range cs {
			k, _ := cs[i].BilledCoverage()
			sent[fmt.Sprintf("%s/%d", cs[i].PatientControlNumber, k)]++
			perPCN[cs[i].PatientControlNumber]++
		}
	}
	for key, n := range sent {
		if n != 1 {
			t.Errorf("claim %s was sent %d times", key, n)
		}
	}
	dbISA := map[string]bool{}
	for _, sub := range subs {
		if dbISA[sub.ISA13] {
			t.Errorf("ISA13 %s recorded for two submissions", sub.ISA13)
		}
		dbISA[sub.ISA13] = true
		if data, ok := files[sub.FileName]; !ok || interchangeNumber(data) != sub.ISA13 {
			t.Errorf("submission %d (%s, ISA13 %s) is not in the upload folder as such", sub.ID, sub.FileName, sub.ISA13)
		}
		as, err := st.Acks(ctx, storage.AckFilter{SubmissionID: sub.ID})
		if err != nil {
			t.Fatal(err)
		}
		accepted := false
		for _, a := range as {
			accepted = accepted || a.Kind == acks.Kind999 && a.Status == "A"
			if a.Kind == acks.KindTA1 && a.Status == "R" {
				t.Errorf("submission %d: TA1 rejected its envelope (%v)", sub.ID, a.Codes)
			}
		}
		if !accepted {
			t.Errorf("submission %d (%s): no 999 accepting it", sub.ID, sub.FileName)
		}
	}
	for i, c := range claims {
		if perPCN[c.PatientControlNumber] != len(c.submissions) {
			t.Errorf("claim %d: in %d uploaded files, %d submissions recorded", i, perPCN[c.PatientControlNumber], len(c.submissions))
		}
	}
	t.Logf("%d files uploaded, %d claim sendings, ISA13s unique", len(files), len(sent))
}

// interchangeNumber returns ISA13 of an X12 file: the ISA segment has fixed
// widths, its element separator the fourth byte.
func interchangeNumber(data []byte) string {
	if len(data) < 106 || !bytes.HasPrefix(data, []byte("ISA")) {
		return ""
	}
	els := strings.Split(string(data[:106]), string(data[3]))
	if len(els) < 14 {
		return ""
	}
	return els[13]
}

// ledgerPrint is a run's ledger as a multiset of entries named by natural ids:
// the claim's PCN, the line's control number (REF*6R), the kind, the bucket, the
// reason and the amount. Idempotency keys themselves cannot be compared across
// runs: they embed remittance keys (the 835's TRN02, numbered by the simulator in
// the order files reach it) and database ids.
func ledgerPrint(t *testing.T, st *storage.Store, claims []stored) map[string]int {
	t.Helper()
	entries, err := st.Entries(context.Background(), storage.EntryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type names struct {
		pcn   string
		lines map[int64]string
	}
	byID := map[int64]names{}
	for _, c := range claims {
		ln := map[int64]string{}
		for _, l := range c.StoredLines {
			ln[l.ID] = l.ControlNumber
		}
		byID[c.ID] = names{c.PatientControlNumber, ln}
	}
	keys := map[string]bool{}
	out := map[string]int{}
	for _, e := range entries {
		if keys[e.IdempotencyKey] {
			t.Errorf("idempotency key %s posted twice", e.IdempotencyKey)
		}
		keys[e.IdempotencyKey] = true
		nm, ok := byID[e.ClaimID]
		if !ok && e.ClaimID != 0 {
			t.Errorf("ledger entry %d names claim %d, not one of the run's", e.ID, e.ClaimID)
		}
		line := "claim"
		if e.LineID != 0 {
			line = nm.lines[e.LineID]
		}
		out[fmt.Sprintf("%s|%s|%s|%s|%s|%s|%d", nm.pcn, line, e.Kind, e.Bucket, e.Reason, e.SourceKind, e.Amount)]++
	}
	return out
}

// diffPrints lists the first differences between two ledger prints.
func diffPrints(a, b map[string]int) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if a[k] != b[k] {
			out = append(out, fmt.Sprintf("%s: %d vs %d", k, a[k], b[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok {
			out = append(out, fmt.Sprintf("%s: 0 vs %d", k, b[k]))
		}
	}
	return out[:min(len(out), 20)]
}
