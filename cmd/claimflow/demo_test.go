package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestDemoEndToEnd runs `claimflow demo` on a small number of claims, keeping its data
// directory, and checks the outcome against what the generator planted and what the
// simulator was told: every claim ends paid, denied or rejected; the scrubber held
// exactly the planted scrubber defects and the payer rejected exactly the planted
// unknown members; the ledger's charges are the sent claims' charges and its payments
// the 835s' payments; secondary claims went out and came back; no PHI was printed.
// It runs on the embedded default, and with --database on PostgreSQL.
func TestDemoEndToEnd(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testDemo(t, "")
	})
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(testenv.PostgresEnv) == "" {
			t.Skipf("PostgreSQL demo skipped: set %s to a database URL", testenv.PostgresEnv)
		}
		t.Parallel()
		url := testenv.PostgresURL(t)
		testDemo(t, url)
		// The database holds claims now: a second demo refuses it.
		code, _, errOut := runCLI(t, "demo", "--claims", "5", "--database", url)
		if code != 2 || !strings.Contains(errOut, "holds 80 claims already") {
			t.Errorf("a second demo on the same database: exit %d, %s", code, errOut)
		}
	})
}

// testDemo runs the demo on database (a PostgreSQL URL; "" for the embedded
// SQLite file) and checks it.
func testDemo(t *testing.T, database string) {
	const n = 80
	dir := filepath.Join(t.TempDir(), "kept")
	args := []string{"demo", "--claims", "80", "--seed", "3", "--bad-share", "0.1",
		"--secondary-share", "0.25", "--keep", dir, "--timeout", "3m"}
	where := []string{"--data-dir", dir} // what the report commands are pointed at
	if database != "" {
		args = append(args, "--database", database)
		where = []string{"--database", database}
	}
	code, out, errOut := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	gen, err := fixtures.NewClaimGenerator(fixtures.ClaimOptions{Seed: 3, Claims: n, BadShare: 0.1, SecondaryShare: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	plan := gen.Plan()
	unknown := int64(plan.Defects[fixtures.DefectUnknownMember])
	if plan.Bad() != 8 || unknown != 2 || plan.SecondaryClean == 0 {
		t.Fatalf("the test wants every defect planted and clean secondaries: plan %+v", plan)
	}
	kept := "CLAIMFLOW_DATA_DIR=" + dir
	if database != "" {
		kept = "CLAIMFLOW_DATABASE_URL="
	}
	for _, want := range []string{kept, "claims/s", "first-pass acceptance", "Aging as of"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	ctx := context.Background()
	storeURL := database
	if storeURL == "" {
		storeURL = "sqlite://" + filepath.Join(dir, databaseFile)
	}
	st, err := storage.Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	s, err := st.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Claims and outcomes.
	scrubbed := int64(plan.Scrubbed())
	if s.Claims != n || s.Pending != 0 || s.Paid+s.Denied+s.Rejected+s.Other != n {
		t.Errorf("claims %d: pending %d paid %d denied %d rejected %d other %d", s.Claims, s.Pending, s.Paid, s.Denied, s.Rejected, s.Other)
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
	for _, r := range s.DenialReasons {
		if r.Code != "CO-50" && r.Code != "CO-97" {
			t.Errorf("denial reason %s: the simulator denies with CO-50 and CO-97 only", r.Code)
		}
	}
	if s.Clean != (storage.Rate{Count: n - int64(plan.Bad()), Of: n}) {
		t.Errorf("clean claims %v", s.Clean)
	}
	if s.FirstPass != (storage.Rate{Count: s.Submitted - unknown, Of: s.Submitted}) {
		t.Errorf("first pass %v, submitted %d, unknown members %d", s.FirstPass, s.Submitted, unknown)
	}
	if s.OpenWork[storage.WorkRejection] != int64(plan.Bad()) || s.OpenWork[storage.WorkDenial] != s.Denied {
		t.Errorf("open work %v, want %d rejections and %d denials", s.OpenWork, plan.Bad(), s.Denied)
	}

	// Money: charges of the claims sent, payments of the 835s, and the balance.
	var charged, paid billing.Money
	secondaries := 0
	for i := range n {
		c := gen.Claim(i)
		stored, err := st.ClaimByPCN(ctx, c.PatientControlNumber)
		if err != nil {
			t.Fatal(err)
		}
		if d, bad := gen.DefectOf(i); !bad || !d.Scrubbed() {
			charged += c.Charge
		}
		cps, err := st.ClaimPayments(ctx, stored.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, cp := range cps {
			paid += cp.Paid
		}
		subs, err := st.ClaimSubmissions(ctx, stored.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) > 1 {
			secondaries++
			if len(c.Coverages) != 2 || len(cps) < 2 {
				t.Errorf("claim %d sent %d times with %d coverages, %d payments back", i, len(subs), len(c.Coverages), len(cps))
			}
		}
	}
	m := s.Money
	if m.Charged != charged || m.InsurancePaid != paid {
		t.Errorf("ledger charged %v paid %v; claims sent charge %v, 835s paid %v", m.Charged, m.InsurancePaid, charged, paid)
	}
	if m.Charged != m.InsurancePaid+m.Adjusted+m.PatientPaid+m.InsuranceOutstanding+m.PatientOutstanding-m.Refunds {
		t.Errorf("money does not balance: %+v", m)
	}
	if secondaries == 0 || secondaries > plan.SecondaryClean {
		t.Errorf("%d claims went to a second payer; %d clean claims have one", secondaries, plan.SecondaryClean)
	}

	// No PHI in what the demo printed.
	for i := range n {
		c := gen.Claim(i)
		for _, v := range []string{c.Coverages[0].MemberID, c.Patient.BirthDate.String(), c.Patient.Address.Line1} {
			if strings.Contains(out+errOut, v) {
				t.Fatalf("the demo printed patient data of claim %d", i)
			}
		}
	}

	// The kept directory serves the report commands.
	code, jsonOut, errOut := runCLI(t, append([]string{"report", "summary", "--json"}, where...)...)
	var doc summaryDoc
	if code != 0 || json.Unmarshal([]byte(jsonOut), &doc) != nil || doc.Claims != n || doc.Cents["charged"] != int64(charged) {
		t.Errorf("report summary --json: exit %d, %s%s", code, jsonOut, errOut)
	}
	code, agingOut, errOut := runCLI(t, append([]string{"report", "aging", "--as-of", time.Now().Format("2006-01-02")}, where...)...)
	if code != 0 || !strings.Contains(agingOut, "patients (") || !strings.Contains(agingOut, "total") {
		t.Errorf("report aging: exit %d, %s%s", code, agingOut, errOut)
	}
}

// TestDemoRefusesUsedDirectory: --keep never mixes a demo into existing data.
func TestDemoRefusesUsedDirectory(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCLI(t, "demo", "--claims", "5", "--keep", filepath.Dir(writeSample(t, "837p-basic.x12", "")))
	if code != 2 || !strings.Contains(errOut, "not empty") {
		t.Fatalf("exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "demo", "--claims", "5", "--bad-share", "2"); code != 2 || !strings.Contains(errOut, "bad share") {
		t.Fatalf("bad share 2: exit %d, %s", code, errOut)
	}
}

// TestDollars: amounts print with a dollar sign and thousands separators.
func TestDollars(t *testing.T) {
	t.Parallel()
	for m, want := range map[billing.Money]string{0: "$0.00", 5: "$0.05", 123456789: "$1,234,567.89", -100000: "-$1,000.00", 99999: "$999.99"} {
		if got := dollars(m); got != want {
			t.Errorf("dollars(%d) = %q, want %q", m, got, want)
		}
	}
}
