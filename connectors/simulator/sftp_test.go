package simulator_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/connectortest"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/connectors/sftp"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/edi/ta1"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/edi/x999"
	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// serve starts a simulator over SFTP on a loopback port and opens a client that
// pinned its host key, with the layout given. The client takes inbound files as
// listed (Settle off): the simulator writes its responses under a temporary name and
// renames them, and the suite writes its files just before it lists them.
func serve(t *testing.T, cfg simulator.Config, l connectors.Layout) (*simulator.Server, *sftp.Client) {
	t.Helper()
	key := connectortest.NewSigner(t)
	cfg.Users = map[string]simulator.User{"tester": {AuthorizedKeys: []ssh.PublicKey{key.PublicKey()}}}
	sim := newSim(t, cfg)
	addr, err := sim.Start(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if l.UploadDir == "" {
		l = sim.Layout()
	}
	host, portText, _ := net.SplitHostPort(addr)
	if host != "127.0.0.1" {
		t.Fatalf("listening on %s, want loopback", addr)
	}
	port, _ := strconv.Atoi(portText)
	keys, err := sftp.OpenHostKeys(filepath.Join(t.TempDir(), "known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Pin(addr, sim.HostKey()); err != nil {
		t.Fatal(err)
	}
	c, err := sftp.Open(ctxT(t), sftp.Config{
		Host: host, Port: port, User: "tester",
		Auth: []ssh.AuthMethod{ssh.PublicKeys(key)}, HostKeys: keys, Layout: l,
		Backoff:     connectors.Backoff{Attempts: 2, Base: 10 * time.Millisecond, Max: 50 * time.Millisecond},
		DialTimeout: 5 * time.Second, Settle: -1, Logger: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return sim, c
}

// TestSuite runs the connector suite against the simulator's SFTP server, with the
// auto-responder off: it must upload, rename, list and archive like a real server.
func TestSuite(t *testing.T) {
	t.Parallel()
	connectortest.Run(t, func(t *testing.T, l connectors.Layout) connectortest.Harness {
		root := t.TempDir()
		_, c := serve(t, simulator.Config{Root: root, Layout: &l}, l)
		return connectortest.Harness{Conn: c, Remote: connectortest.DirRemote(root)}
	})
}

// TestAccess checks what the server refuses: unknown keys, wrong passwords, host
// keys that are not pinned, and paths outside the root.
func TestAccess(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	sim := newSim(t, simulator.Config{Root: root, Users: map[string]simulator.User{"pw": {Password: "synthetic-secret"}}})
	addr, err := sim.Start(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	host, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	keys, _ := sftp.OpenHostKeys(filepath.Join(t.TempDir(), "known_hosts"))
	cfg := sftp.Config{Host: host, Port: port, User: "pw", HostKeys: keys, Layout: sim.Layout(),
		Backoff: connectors.Backoff{Attempts: 1}, DialTimeout: 5 * time.Second, Logger: quiet()}

	cfg.Auth = []ssh.AuthMethod{sftp.PasswordAuth("synthetic-secret")}
	if _, err := sftp.Open(ctxT(t), cfg); !errors.Is(err, connectors.ErrHostKey) {
		t.Fatalf("unpinned host key: %v, want ErrHostKey", err)
	}
	if err := keys.Pin(addr, sim.HostKey()); err != nil {
		t.Fatal(err)
	}
	cfg.Auth = []ssh.AuthMethod{sftp.PasswordAuth("wrong")}
	if _, err := sftp.Open(ctxT(t), cfg); !errors.Is(err, connectors.ErrAuth) {
		t.Fatalf("wrong password: %v, want ErrAuth", err)
	}
	cfg.Auth = []ssh.AuthMethod{ssh.PublicKeys(connectortest.NewSigner(t))}
	if _, err := sftp.Open(ctxT(t), cfg); !errors.Is(err, connectors.ErrAuth) {
		t.Fatalf("unknown key: %v, want ErrAuth", err)
	}
	cfg.Auth = []ssh.AuthMethod{sftp.PasswordAuth("synthetic-secret")}
	c, err := sftp.Open(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("right password: %v", err)
	}
	defer c.Close(context.Background())

	if files, err := c.List(ctxT(t)); err != nil || len(files) != 0 {
		t.Errorf("List: %v %v", files, err)
	}

	// A raw SFTP session: no path, .. or link leads out of the root.
	conn, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "pw", Auth: []ssh.AuthMethod{ssh.Password("synthetic-secret")},
		HostKeyCallback: ssh.FixedHostKey(sim.HostKey()), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := pkgsftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	outside := filepath.Join(t.TempDir(), "outside.txt")
	if err := os.WriteFile(outside, []byte("not yours"), 0o600); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(root, outside)
	if err := os.Symlink(outside, filepath.Join(root, "download", "link")); err != nil {
		t.Fatal(err)
	}
	if f, err := raw.Create("upload/inside.txt"); err != nil {
		t.Fatalf("Create inside the root: %v", err)
	} else {
		f.Write([]byte("synthetic"))
		f.Close()
	}
	if f, err := raw.Open("/upload/../upload/inside.txt"); err != nil {
		t.Errorf("Open inside the root: %v", err)
	} else {
		f.Close()
	}
	for _, p := range []string{rel, "/" + rel, "download/../../" + rel, "download/link"} {
		if f, err := raw.Open(p); err == nil {
			f.Close()
			t.Errorf("opened %s", p)
		}
	}
	if err := raw.Symlink(outside, "download/mine"); err == nil {
		t.Error("created a symbolic link")
	}
	if f, err := raw.Create("../escaped.txt"); err == nil {
		f.Close()
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "escaped.txt")); err == nil {
		t.Error("a file was written above the root")
	}
	if fi, err := raw.Stat("/"); err != nil || !fi.IsDir() {
		t.Errorf("Stat /: %v %v", fi, err)
	}
	if sim.Fingerprint() != ssh.FingerprintSHA256(sim.HostKey()) || sim.KnownHostsLine("") == "" {
		t.Error("fingerprint or known_hosts line missing")
	}
}

// TestEndToEnd sends claims through the connectors over SFTP, with the simulator
// answering on its own, pulls every response back, and checks each stage against the
// rules: which claims are rejected and why, and what the 835s pay.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	claims := fixtureClaims(t, 5, 24)
	// Break some claims the way the rules catch them.
	badBilling, badRendering, unknown1, unknown2 := claims[2].PatientControlNumber, "", claims[7].PatientControlNumber, claims[11].PatientControlNumber
	claims[2].BillingProvider.NPI = "1234567890" // fails the check digit
	for i := range claims {
		if i != 2 && claims[i].RenderingProvider != nil {
			claims[i].RenderingProvider.NPI = "1932104090"
			badRendering = claims[i].PatientControlNumber
			break
		}
	}
	claims[7].Coverages[0].MemberID = "ZZ" + claims[7].Coverages[0].MemberID
	claims[11].Coverages[0].MemberID = "ZZ" + claims[11].Coverages[0].MemberID
	data, _ := build(t, claims, 501, 5)

	rules := simulator.Rules{
		CheckNPI: true, CheckBalance: true, UnknownMemberPrefixes: []string{"ZZ"},
		FeeSchedule:           map[string]int64{"99213": 9000, "99214": 12800, "36415": 900, "85025": 1050, "97110": 3000},
		DefaultAllowedPercent: 60, Deductible: 10000, Copay: 2000, CoinsurancePercent: 20,
	}
	root := t.TempDir()
	_, c := serve(t, simulator.Config{Root: root, Seed: 11, Rules: &rules, AutoRespond: true}, connectors.Layout{})
	ledger, err := connectors.OpenFileLedger(filepath.Join(t.TempDir(), "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	ctx := ctxT(t)
	if _, err := connectors.Send(ctx, c, ledger, "sim", "CFTEST_837P_20260301180000_000000501.x12", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	got, err := connectors.Pull(ctx, c, ledger, "sim", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	generic, _ := profile.Load("generic", "")
	files := map[profile.Kind][][]byte{}
	for _, d := range got {
		b, err := os.ReadFile(d.Stored)
		if err != nil {
			t.Fatal(err)
		}
		kind := generic.Classify(d.Remote.Name, b)
		checkResponse(t, d.Remote.Name, kind, b)
		files[kind] = append(files[kind], b)
	}
	if len(files[profile.KindTA1]) != 1 || len(files[profile.Kind999]) != 1 || len(files[profile.Kind835]) == 0 {
		t.Fatalf("pulled %d files: %d TA1, %d 999, %d 277CA, %d 835", len(got), len(files[profile.KindTA1]),
			len(files[profile.Kind999]), len(files[profile.Kind277CA]), len(files[profile.Kind835]))
	}

	// TA1 and 999: everything accepted.
	acks, err := ta1.Parse(bytes.NewReader(files[profile.KindTA1][0]))
	if err != nil || len(acks) != 1 || acks[0].ControlNumber != "000000501" || acks[0].Code != ta1.Accepted || acks[0].Note != "000" {
		t.Fatalf("TA1 %+v %v", acks, err)
	}
	a999, err := x999.Parse(bytes.NewReader(files[profile.Kind999][0]))
	if err != nil || len(a999) != 1 || a999[0].Status != x999.Accepted || a999[0].Accepted != a999[0].Received || a999[0].Received < 5 {
		t.Fatalf("999 %+v %v", a999, err)
	}

	// 277CAs: the clearinghouse rejects the bad NPIs, the payers the unknown members,
	// and accept everything else with a claim number.
	st, icn, all := statuses(t, files[profile.Kind277CA]...)
	want := map[string]string{badBilling: "A7:562:85", badRendering: "A7:562:82", unknown1: "A3:33:", unknown2: "A3:33:"}
	var sources int
	for _, a := range all {
		if a.InformationSource.Code != "AY" {
			continue
		}
		sources++
		for _, p := range a.Providers {
			for _, cl := range p.Claims {
				s := cl.Statuses[0]
				if _, bad := want[cl.PCN]; !bad && s.Category+":"+s.Code+":"+s.Entity != "A1:19:PR" || cl.ClearinghouseID == "" {
					t.Errorf("clearinghouse status of %s: %+v (REF*D9 %q)", cl.PCN, s, cl.ClearinghouseID)
				}
			}
		}
	}
	if sources == 0 || sources == len(all) {
		t.Errorf("%d of %d 277CA sets from the clearinghouse, want some from it and some from payers", sources, len(all))
	}
	accepted := map[string]bool{}
	for _, cl := range claims {
		pcn := cl.PatientControlNumber
		s := st[pcn]
		code := s.Category + ":" + s.Code + ":" + s.Entity
		switch w, bad := want[pcn]; {
		case bad && code != w:
			t.Errorf("claim %s: %s, want rejected %s", pcn, code, w)
		case bad && s.Action != "U":
			t.Errorf("claim %s: action %s, want U", pcn, s.Action)
		case !bad && (code != "A2:20:" || icn[pcn] == ""):
			t.Errorf("claim %s: %s (ICN %q), want accepted A2:20 with a claim number", pcn, code, icn[pcn])
		case !bad:
			accepted[pcn] = true
		}
	}
	if len(accepted) != len(claims)-4 {
		t.Errorf("%d claims accepted, want %d", len(accepted), len(claims)-4)
	}

	// 835s: exactly the accepted claims, priced by the fee schedule math.
	byPCN := map[string]*billing.Claim{}
	for i := range claims {
		byPCN[claims[i].PatientControlNumber] = &claims[i]
	}
	paid := map[string]bool{}
	for _, f := range files[profile.Kind835] {
		for _, rem := range parse835(t, f) {
			var sum int64
			used := map[string]int64{}
			for _, cp := range rem.Claims {
				c := byPCN[cp.PCN]
				if c == nil || !accepted[cp.PCN] || paid[cp.PCN] {
					t.Fatalf("835 pays %s, which was not accepted or was paid already", cp.PCN)
				}
				paid[cp.PCN] = true
				if cp.PayerClaimNumber != icn[cp.PCN] {
					t.Errorf("%s: CLP07 %s, 277CA REF*1K %s", cp.PCN, cp.PayerClaimNumber, icn[cp.PCN])
				}
				wantPaid, wantPR := price(t, &rules, c, &cp, used)
				if cp.Paid != wantPaid || cp.PatientResponsibility != wantPR {
					t.Errorf("%s: paid %d, patient %d; the rules give %d and %d", cp.PCN, cp.Paid, cp.PatientResponsibility, wantPaid, wantPR)
				}
				sum += cp.Paid
			}
			if rem.Payment.Amount != sum || len(rem.ProviderAdjustments) != 0 {
				t.Errorf("BPR02 %d, claims pay %d", rem.Payment.Amount, sum)
			}
		}
	}
	if len(paid) != len(accepted) {
		t.Errorf("835s pay %d claims, %d were accepted", len(paid), len(accepted))
	}

	// Nothing is fetched twice.
	again, err := connectors.Pull(ctx, c, ledger, "sim", t.TempDir())
	if err != nil || len(again) != 0 {
		t.Errorf("second Pull: %d files, %v", len(again), err)
	}
}

// price works out what the rules pay for a claim, line by line, and checks the
// line adjustments against it. used tracks each member's deductible within the 835.
func price(t *testing.T, r *simulator.Rules, c *billing.Claim, cp *x835.ClaimPayment, used map[string]int64) (paid, patient int64) {
	t.Helper()
	member := c.Coverages[0].MemberID
	copayLeft := r.Copay
	if len(cp.Lines) != len(c.Lines) {
		t.Fatalf("%s: %d SVC for %d lines", c.PatientControlNumber, len(cp.Lines), len(c.Lines))
	}
	for i, l := range c.Lines {
		charge := int64(l.Charge)
		allowed := charge * int64(r.DefaultAllowedPercent) / 100
		if fee, ok := r.FeeSchedule[l.Procedure.Code]; ok {
			allowed = fee * int64(l.Units) / 1000
		}
		allowed = min(allowed, charge)
		ded := min(r.Deductible-used[member], allowed)
		used[member] += ded
		copay := min(copayLeft, allowed-ded)
		copayLeft -= copay
		coins := ((allowed-ded-copay)*int64(r.CoinsurancePercent) + 50) / 100
		linePaid := allowed - ded - copay - coins
		sp := cp.Lines[i]
		if sp.Paid != linePaid || sp.LineControlNumber != l.ControlNumber {
			t.Errorf("%s line %d: SVC03 %d REF*6R %s; want %d %s", c.PatientControlNumber, i+1, sp.Paid, sp.LineControlNumber, linePaid, l.ControlNumber)
		}
		wantCAS := []x835.Adjustment{}
		for _, a := range []x835.Adjustment{{Group: "CO", Reason: "45", Amount: charge - allowed}, {Group: "PR", Reason: "1", Amount: ded},
			{Group: "PR", Reason: "2", Amount: coins}, {Group: "PR", Reason: "3", Amount: copay}} {
			if a.Amount != 0 {
				wantCAS = append(wantCAS, a)
			}
		}
		if !slices.Equal(sp.Adjustments, wantCAS) {
			t.Errorf("%s line %d: CAS %v, want %v", c.PatientControlNumber, i+1, sp.Adjustments, wantCAS)
		}
		if b6, _ := sp.Allowed(); b6 != allowed {
			t.Errorf("%s line %d: AMT*B6 %d, want %d", c.PatientControlNumber, i+1, b6, allowed)
		}
		paid += linePaid
		patient += ded + copay + coins
	}
	return paid, patient
}
