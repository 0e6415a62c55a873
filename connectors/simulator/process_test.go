package simulator_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/edi/ta1"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/edi/x999"
)

// breakElement replaces element el of the first segment id found in transaction set
// st02 (after skip segments of that id) and returns the file, the segment's ordinal
// in its set and the CLM01 of the claim it belongs to.
func breakElement(t *testing.T, data []byte, st02, id string, el int, value string) ([]byte, int, string) {
	t.Helper()
	rd := x12.NewReader(bytes.NewReader(data))
	var inSet bool
	var pcn string
	for {
		seg, err := rd.Next()
		if err != nil {
			t.Fatalf("no %s in ST %s: %v", id, st02, err)
		}
		switch {
		case seg.ID == "ST":
			inSet = seg.Value(2) == st02
		case !inSet:
		case seg.ID == id:
			if id == "CLM" {
				pcn = seg.Value(1)
			}
			elems := strings.Split(string(seg.Raw()), string(seg.Delims.Element))
			elems[el] = value
			repl := strings.Join(elems, string(seg.Delims.Element))
			out := slices.Concat(data[:seg.Offset], []byte(repl), data[seg.Offset+int64(len(seg.Raw())):])
			return out, seg.STOrdinal, pcn
		case seg.ID == "CLM":
			pcn = seg.Value(1)
		}
	}
}

// TestRejectedSet: a set with a bad element gets a 999 that rejects it, with IK3 at
// the segment's ordinal, IK4 at the element and CTX*CLM01 the claim; the other set is
// accepted, and only its claims reach the 277CA.
func TestRejectedSet(t *testing.T) {
	t.Parallel()
	claims := fixtureClaims(t, 21, 6)
	data, res := build(t, claims, 700, 3)
	n := len(res.Transactions)
	if n < 2 || res.Transactions[1].ST02 != "0002" {
		t.Fatalf("%d transaction sets, want 2 or more", n)
	}
	data, ord, pcn := breakElement(t, data, "0002", "SV1", 3, "ZZ") // SV103 unit: not a code
	sim := newSim(t, simulator.Config{Seed: 1})
	rs, err := sim.Process("BROKEN.x12", data)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, rs)
	if len(rs) != 2 || rs[0].Name != "BROKEN.ta1" || rs[1].Name != "BROKEN.999" {
		t.Fatalf("responses %v", names(rs))
	}
	acks, err := x999.Parse(bytes.NewReader(rs[1].Data))
	if err != nil {
		t.Fatal(err)
	}
	a := acks[0]
	if a.Status != x999.PartiallyAccepted || a.Received != n || a.Accepted != n-1 || a.Group.Control != "700" {
		t.Errorf("AK9 %s %d/%d group %s, want P %d/%d 700", a.Status, a.Accepted, a.Received, a.Group.Control, n-1, n)
	}
	for i, set := range a.Sets {
		if i != 1 && (set.Status != x999.Accepted || len(set.Segments) > 0) {
			t.Errorf("set %s: %+v", set.Control, set)
		}
	}
	bad := a.Sets[1]
	if bad.Control != "0002" || bad.Status != x999.Rejected || !slices.Equal(bad.Codes, []string{"5"}) || len(bad.Segments) != 1 {
		t.Fatalf("set 0002: %+v", bad)
	}
	seg := bad.Segments[0]
	if seg.ID != "SV1" || seg.Position != ord || seg.Loop != "2400" || seg.Code != "8" || seg.BusinessUnit() != pcn {
		t.Errorf("IK3 %s*%d*%s*%s CTX %s, want SV1*%d*2400*8 CTX %s", seg.ID, seg.Position, seg.Loop, seg.Code, seg.BusinessUnit(), ord, pcn)
	}
	if len(seg.Elements) != 1 || seg.Elements[0].Position != 3 || seg.Elements[0].Ref != "355" || seg.Elements[0].Code != "7" || seg.Elements[0].Value != "ZZ" {
		t.Errorf("IK4 %+v, want 3*355*7*ZZ", seg.Elements)
	}
	if loc, found := res.Locate("700", "0002", ord, "SV1", 3, 0); !found || claims[loc.Claim].PatientControlNumber != pcn {
		t.Errorf("the builder places IK3 %d at claim %+v, want %s", ord, loc, pcn)
	}

	// Only the claims of the accepted sets go on.
	var want []string
	for i, tx := range res.Transactions {
		for _, ci := range tx.Claims {
			if i != 1 {
				want = append(want, claims[ci].PatientControlNumber)
			}
		}
	}
	if got := sim.Pending(simulator.StageClearinghouse); got != len(want) {
		t.Errorf("%d claims wait for the clearinghouse, want %d", got, len(want))
	}
	ch, err := sim.Flush(simulator.StageClearinghouse)
	if err != nil || len(ch) != 1 {
		t.Fatalf("Flush: %v %v", names(ch), err)
	}
	checkAll(t, ch)
	st, _, _ := statuses(t, ch[0].Data)
	if got := keys(st); !slices.Equal(got, sorted(want)) {
		t.Errorf("the 277CA answers %v, want the accepted sets' %v", got, sorted(want))
	}
}

// TestEnvelopeRejections: a duplicate ISA13 and a broken envelope get a TA1 R with
// the right TA105 and nothing else; the same upload processed again is answered once.
func TestEnvelopeRejections(t *testing.T) {
	t.Parallel()
	claims := fixtureClaims(t, 22, 4)
	data, _ := build(t, claims, 42, 10)
	sim := newSim(t, simulator.Config{Seed: 1})
	first, err := sim.Process("FIRST.x12", data)
	if err != nil || len(first) != 2 {
		t.Fatalf("first upload: %v %v", names(first), err)
	}
	pending := sim.Pending(simulator.StageClearinghouse)
	if again, err := sim.Process("FIRST.x12", data); err != nil || len(again) != 0 {
		t.Errorf("the same upload again: %v %v, want nothing", names(again), err)
	}

	dup, err := sim.Process("SECOND.x12", data)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, dup)
	wantTA1(t, dup, "000000042", ta1.Rejected, "025")

	// IEA02 differs from ISA13: 001.
	bad := bytes.Replace(data, []byte("IEA*1*000000042"), []byte("IEA*1*000000043"), 1)
	bad = bytes.Replace(bad, []byte("*000000042*1*T*"), []byte("*000000044*1*T*"), 1)
	env, err := sim.Process("THIRD.x12", bad)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, env)
	wantTA1(t, env, "000000044", ta1.Rejected, "001")
	if n := sim.Pending(simulator.StageClearinghouse); n != pending {
		t.Errorf("%d claims pending after rejected interchanges, want %d", n, pending)
	}

	if rs, err := sim.Process("junk.txt", []byte("not x12 at all")); !errors.Is(err, simulator.ErrNotX12) || len(rs) != 0 {
		t.Errorf("junk: %v %v, want ErrNotX12", names(rs), err)
	}
}

func wantTA1(t *testing.T, rs []simulator.Response, isa13, code, note string) {
	t.Helper()
	if len(rs) != 1 || rs[0].Kind != profile.KindTA1 {
		t.Fatalf("responses %v, want a TA1 alone", names(rs))
	}
	acks, err := ta1.Parse(bytes.NewReader(rs[0].Data))
	if err != nil || len(acks) != 1 || acks[0].ControlNumber != isa13 || acks[0].Code != code || acks[0].Note != note {
		t.Errorf("TA1 %+v %v, want %s %s %s", acks, err, isa13, code, note)
	}
}

// TestPolicies: TA1 only on errors, 999 only when negative.
func TestPolicies(t *testing.T) {
	t.Parallel()
	claims := fixtureClaims(t, 23, 4)
	clean, _ := build(t, claims, 90, 2)
	other, _ := build(t, claims, 91, 2)
	broken, _, _ := breakElement(t, other, "0001", "CLM", 1, "") // CLM01 missing
	rules := simulator.DefaultRules()
	rules.TA1, rules.Ack999 = simulator.TA1OnErrors, simulator.AckNegative
	sim := newSim(t, simulator.Config{Rules: &rules})
	if rs, err := sim.Process("CLEAN.x12", clean); err != nil || len(rs) != 0 {
		t.Errorf("clean file: %v %v, want no TA1 and no 999", names(rs), err)
	}
	rs, err := sim.Process("BROKEN.x12", broken)
	if err != nil || len(rs) != 1 || rs[0].Kind != profile.Kind999 {
		t.Fatalf("broken file: %v %v, want a 999 alone", names(rs), err)
	}
	checkAll(t, rs)
}

// TestStages: with AutoRespond off, uploads wait in the folder, and each stage
// arrives when flushed, in order.
func TestStages(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	cfg := simulator.Config{Root: root, Seed: 3, StateFile: filepath.Join(t.TempDir(), "state.json")}
	sim := newSim(t, cfg)
	l := sim.Layout()
	claims := fixtureClaims(t, 24, 12)
	claims[3].Coverages[0].MemberID = "ZZ000000001"
	data, _ := build(t, claims, 300, 6)
	up := filepath.Join(root, l.UploadDir)
	os.WriteFile(filepath.Join(up, "WAITING.x12.part"), []byte("half"), 0o644)
	if err := os.WriteFile(filepath.Join(up, "WAITING.x12"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	acks, err := sim.ProcessUploads()
	if err != nil || len(acks) != 2 {
		t.Fatalf("ProcessUploads: %v %v", names(acks), err)
	}
	if again, err := sim.ProcessUploads(); err != nil || len(again) != 0 {
		t.Errorf("ProcessUploads again: %v %v", names(again), err)
	}
	// The claims waiting survive a restart.
	sim.Close()
	sim = newSim(t, cfg)
	if again, err := sim.ProcessUploads(); err != nil || len(again) != 0 {
		t.Errorf("ProcessUploads after a restart: %v %v", names(again), err)
	}
	if n := sim.Pending(simulator.StageClearinghouse); n != 12 {
		t.Errorf("%d claims wait for the clearinghouse, want 12", n)
	}
	if rs, err := sim.Flush(simulator.StageAcknowledgment); err != nil || len(rs) != 0 {
		t.Errorf("Flush(acknowledgment): %v %v", names(rs), err)
	}
	ch, err := sim.Flush(simulator.StageClearinghouse)
	if err != nil || len(ch) != 1 || ch[0].Stage != simulator.StageClearinghouse || ch[0].Name != "WAITING_277CA.277" {
		t.Fatalf("clearinghouse stage: %v %v", names(ch), err)
	}
	if sim.Pending(simulator.StageClearinghouse) != 0 || sim.Pending(simulator.StagePayer) != 12 {
		t.Errorf("pending %d %d after the clearinghouse", sim.Pending(simulator.StageClearinghouse), sim.Pending(simulator.StagePayer))
	}
	rest, err := sim.Flush(simulator.StageRemittance)
	if err != nil {
		t.Fatal(err)
	}
	last := simulator.StageClearinghouse
	for _, r := range rest {
		if r.Stage < last {
			t.Errorf("%s (%s) after a later stage", r.Name, r.Stage)
		}
		last = r.Stage
		if b, err := os.ReadFile(filepath.Join(root, l.Inbound[0].Dir, r.Name)); err != nil || !bytes.Equal(b, r.Data) {
			t.Errorf("%s is not in the download folder as returned: %v", r.Name, err)
		}
	}
	checkAll(t, slices.Concat(acks, ch, rest))
	if last != simulator.StageRemittance || sim.Pending(simulator.StageRemittance) != 0 {
		t.Errorf("no 835 or claims left: %v", names(rest))
	}
	if rs, err := sim.Flush(simulator.StageRemittance); err != nil || len(rs) != 0 {
		t.Errorf("nothing left to flush: %v %v", names(rs), err)
	}
}

// scenario uploads three files of claims and flushes after each, returning every
// response.
func scenario(t *testing.T, cfg simulator.Config, reopen bool) []simulator.Response {
	t.Helper()
	claims := fixtureClaims(t, 31, 45)
	var out []simulator.Response
	sim := newSim(t, cfg)
	for i := range 3 {
		if reopen && i > 0 {
			sim.Close()
			sim = newSim(t, cfg) // the state file carries everything over
		}
		data, _ := build(t, claims[15*i:15*i+15], uint64(800+i), 5)
		rs, err := sim.Process(fmt.Sprintf("UPLOAD%d.x12", i), data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rs...)
	}
	return out
}

func busyRules() *simulator.Rules {
	r := simulator.DefaultRules()
	r.ReversalRate, r.InterestRate = 1, 0.5
	r.Denials[0].Rate = 0.2
	return &r
}

// TestDeterministic: the same uploads with the same seed, rules and clock give the
// same bytes, whether the state stays in memory or goes through the state file.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	a := scenario(t, simulator.Config{Seed: 77, Rules: busyRules(), AutoRespond: true}, false)
	b := scenario(t, simulator.Config{Seed: 77, Rules: busyRules(), AutoRespond: true,
		StateFile: filepath.Join(t.TempDir(), "state.json"), Root: t.TempDir()}, true)
	if len(a) != len(b) || len(a) < 10 {
		t.Fatalf("%d and %d responses", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("response %d differs: %s and %s", i, a[i].Name, b[i].Name)
		}
	}
	// Saved only when each server closes: the same again.
	d := scenario(t, simulator.Config{Seed: 77, Rules: busyRules(), AutoRespond: true, SaveOnClose: true,
		StateFile: filepath.Join(t.TempDir(), "state.json"), Root: t.TempDir()}, true)
	if len(a) != len(d) {
		t.Fatalf("%d and %d responses saving on close", len(a), len(d))
	}
	for i := range a {
		if a[i].Name != d[i].Name || !bytes.Equal(a[i].Data, d[i].Data) {
			t.Fatalf("response %d differs saving on close: %s and %s", i, a[i].Name, d[i].Name)
		}
	}
	checkAll(t, a)
	c := scenario(t, simulator.Config{Seed: 78, Rules: busyRules(), AutoRespond: true}, false)
	same := true
	for i := range min(len(a), len(c)) {
		same = same && bytes.Equal(a[i].Data, c[i].Data)
	}
	if same && len(a) == len(c) {
		t.Error("another seed gives the same responses")
	}
}

// TestRemittanceRules: denials, reversals with their corrections, interest, and a
// payment that would go negative carried forward (PLB FB) and taken back later.
func TestRemittanceRules(t *testing.T) {
	t.Parallel()
	all := fixtureClaims(t, 41, 90)
	payer := all[0].Coverages[0].Payer.ID
	var claims []billing.Claim
	for _, c := range all {
		if c.Coverages[0].Payer.ID == payer {
			claims = append(claims, c)
		}
	}
	if len(claims) < 12 {
		t.Fatalf("%d claims of payer %s", len(claims), payer)
	}
	// The second upload pays almost nothing.
	small := claims[8]
	small.Lines = slices.Clone(small.Lines[:1])
	small.Lines[0].Charge, small.Charge = 100, 100
	rules := &simulator.Rules{
		DefaultAllowedPercent: 60, CoinsurancePercent: 20,
		Denials:      []simulator.Denial{{Rate: 0, Group: "CO", Reason: "50", Remark: "N115"}},
		ReversalRate: 1, InterestRate: 1, InterestPercent: 2,
	}
	sim := newSim(t, simulator.Config{Seed: 5, Rules: rules, AutoRespond: true})
	var rems [][]x835.Remittance
	for i, part := range [][]billing.Claim{claims[:8], {small}, claims[9:]} {
		data, _ := build(t, part, uint64(900+i), 50)
		rs, err := sim.Process(fmt.Sprintf("P%d.x12", i), data)
		if err != nil {
			t.Fatal(err)
		}
		checkAll(t, rs)
		eras := byKind(rs, profile.Kind835)
		if len(eras) != 1 {
			t.Fatalf("upload %d: %d 835s", i, len(eras))
		}
		r := parse835(t, eras[0].Data)
		if len(r) != 1 {
			t.Fatalf("upload %d: %d remittances", i, len(r))
		}
		rems = append(rems, r)
	}
	first, second, third := rems[0][0], rems[1][0], rems[2][0]

	// Interest on every paid claim: AMT*I and a PLB L6 for the claim.
	for _, rem := range []x835.Remittance{first, third} {
		l6 := plb(rem, "L6")
		for _, cp := range rem.Claims {
			if cp.Status != x835.StatusPrimary || cp.Paid <= 0 || len(cp.References) > 0 {
				continue
			}
			i, _ := cp.Amount("I")
			if i <= 0 || l6[cp.PCN] != -i {
				t.Errorf("%s: AMT*I %d, PLB L6 %d", cp.PCN, i, l6[cp.PCN])
			}
		}
	}
	// The second run reverses a first-run payment and denies it on review: the
	// payment would be negative, so the balance is forwarded.
	if len(second.Claims) != 3 || second.Claims[0].Status != x835.StatusReversal {
		t.Fatalf("second 835: %d claims, first %s", len(second.Claims), second.Claims[0].Status)
	}
	rev, corr := second.Claims[0], second.Claims[1]
	orig := findClaim(first, rev.PCN)
	if orig == nil || rev.Paid != -orig.Paid || rev.Charge != -orig.Charge || rev.PayerClaimNumber != orig.PayerClaimNumber {
		t.Fatalf("reversal %+v of %+v", rev, orig)
	}
	if corr.PCN != rev.PCN || corr.Paid != 0 || corr.PayerClaimNumber == orig.PayerClaimNumber ||
		len(corr.References) != 1 || corr.References[0] != (x835.Reference{Qualifier: "F8", Value: orig.PayerClaimNumber}) {
		t.Errorf("correction %+v", corr)
	}
	for _, l := range corr.Lines {
		if len(l.Adjustments) != 1 || l.Adjustments[0].Reason != "50" || len(l.Remarks) != 1 || l.Remarks[0].Code != "N115" {
			t.Errorf("correction line %+v, want CO-50 N115", l)
		}
	}
	fb := plbAdj(second, "FB")
	if len(fb) != 1 || fb[0].Amount >= 0 || fb[0].Reference != second.Trace.Number ||
		second.Payment.Amount != 0 || second.Payment.Handling != "H" || second.Payment.Method != "NON" {
		t.Fatalf("second 835: FB %+v, BPR %+v", fb, second.Payment)
	}
	// The third takes the forwarded balance back.
	fb3 := plbAdj(third, "FB")
	if len(fb3) != 1 || fb3[0].Reference != second.Trace.Number || fb3[0].Amount != -fb[0].Amount || third.Payment.Amount <= 0 {
		t.Errorf("third 835: FB %+v (carried %d), BPR02 %d", fb3, -fb[0].Amount, third.Payment.Amount)
	}

	// Denials: every line CO with its remark, nothing paid.
	rules.Denials[0].Rate = 1
	den := newSim(t, simulator.Config{Seed: 5, Rules: rules, AutoRespond: true})
	data, _ := build(t, claims[:4], 950, 50)
	rs, err := den.Process("DENIED.x12", data)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, rs)
	for _, rem := range parse835(t, byKind(rs, profile.Kind835)[0].Data) {
		for _, cp := range rem.Claims {
			if cp.Status != x835.StatusPrimary || cp.Paid != 0 || cp.PatientResponsibility != 0 {
				t.Errorf("denied %s: CLP02 %s paid %d", cp.PCN, cp.Status, cp.Paid)
			}
			for _, l := range cp.Lines {
				if len(l.Adjustments) != 1 || l.Adjustments[0] != (x835.Adjustment{Group: "CO", Reason: "50", Amount: l.Charge}) ||
					len(l.Remarks) != 1 || l.Remarks[0] != (x835.Remark{Qualifier: "HE", Code: "N115"}) {
					t.Errorf("denied %s line: %+v %+v", cp.PCN, l.Adjustments, l.Remarks)
				}
			}
		}
		if rem.Payment.Amount != 0 {
			t.Errorf("BPR02 %d for denials", rem.Payment.Amount)
		}
	}
}

func findClaim(rem x835.Remittance, pcn string) *x835.ClaimPayment {
	for i := range rem.Claims {
		if rem.Claims[i].PCN == pcn {
			return &rem.Claims[i]
		}
	}
	return nil
}

func plbAdj(rem x835.Remittance, reason string) []x835.PLBAdjustment {
	var out []x835.PLBAdjustment
	for _, p := range rem.ProviderAdjustments {
		for _, a := range p.Adjustments {
			if a.Reason == reason {
				out = append(out, a)
			}
		}
	}
	return out
}

func plb(rem x835.Remittance, reason string) map[string]int64 {
	m := map[string]int64{}
	for _, a := range plbAdj(rem, reason) {
		m[a.Reference] += a.Amount
	}
	return m
}

func names(rs []simulator.Response) []string {
	var n []string
	for _, r := range rs {
		n = append(n, r.Name)
	}
	return n
}

func keys[V any](m map[string]V) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	slices.Sort(k)
	return k
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestSaveOnClose: with SaveOnClose the state file is written when the server
// closes, not after each file.
func TestSaveOnClose(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	sim := newSim(t, simulator.Config{Seed: 5, AutoRespond: true, SaveOnClose: true, StateFile: path, Root: t.TempDir()})
	data, _ := build(t, fixtureClaims(t, 9, 6), 900, 3)
	if _, err := sim.Process("UPLOAD.x12", data); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("state file before close: %v", err)
	}
	if err := sim.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("state file after close: %v", err)
	}
}
