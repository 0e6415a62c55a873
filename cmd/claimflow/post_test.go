package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// remitDB returns the URL of a SQLite database holding claim A17 (99213, 200.00,
// line A17-1), transmitted to payer AHP01 with its charge posted.
func remitDB(t *testing.T) (string, *storage.Store) {
	t.Helper()
	ctx := context.Background()
	url := testenv.SQLiteURL(t)
	st := testenv.Open(t, url)
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	payer, err := st.UpsertPayer(ctx, storage.Payer{PayerID: "AHP01", Name: "ACME HEALTH PLAN"})
	ok(err)
	bp, err := st.UpsertBillingProvider(ctx, billing.Provider{NPI: "1234567893", Name: "EXAMPLE FAMILY MEDICINE", EntityType: billing.EntityOrganization})
	ok(err)
	pat, err := st.UpsertPatient(ctx, storage.Patient{AccountNumber: "ACCT1", Person: billing.Person{LastName: "DOE", FirstName: "PAT"}})
	ok(err)
	cl := billing.Claim{PatientControlNumber: "A17", PlaceOfService: "11", Diagnoses: []billing.Diagnosis{{Code: "Z0000"}},
		Patient:         billing.Person{LastName: "DOE", FirstName: "PAT"},
		Coverages:       []billing.Coverage{{Payer: billing.Payer{Name: "ACME HEALTH PLAN", ID: "AHP01"}, MemberID: "M1", FilingIndicator: "CI"}},
		BillingProvider: billing.Provider{NPI: "1234567893", Name: "EXAMPLE FAMILY MEDICINE"},
		Lines: []billing.Line{{ControlNumber: "A17-1", Procedure: billing.Procedure{Code: "99213"}, Charge: 20000,
			ServiceDates: billing.Period{From: billing.NewDate(2025, 1, 20)}}},
	}
	cl.Normalize()
	id, err := st.InsertClaim(ctx, storage.NewClaim{Claim: cl, PatientID: pat, PayerID: payer, BillingProviderID: bp,
		State: storage.StateValidated}, storage.Event{Cause: storage.CauseSystem})
	ok(err)
	ok(st.TransitionClaim(ctx, id, storage.StateBatched, storage.Event{Cause: storage.CauseSystem}))
	ok(st.TransitionClaim(ctx, id, storage.StateTransmitted, storage.Event{Cause: storage.CauseSystem}))
	return url, st
}

// era writes an 835 paying A17 as X12-GUIDE 6.6 (and an unmatched claim payment for
// a patient named ROE) and returns its path.
func era(t *testing.T, edit string) string {
	t.Helper()
	body := "ST*835*0001~BPR*I*120*C*ACH*CCP*01*111111118*DA*1234567890*1990000101**01*122222229*DA*000123456789*20250328~" +
		"TRN*1*EFT66*1990000101~DTM*405*20250327~" +
		"N1*PR*ACME HEALTH PLAN~N3*100 INSURANCE WAY~N4*COLUMBUS*OH*432150001~REF*2U*AHP01~PER*BL*EDI SUPPORT*TE*8005550199~" +
		"N1*PE*EXAMPLE FAMILY MEDICINE*XX*1234567893~N3*123 MAIN ST~N4*SPRINGFIELD*IL*627011234~" +
		"LX*1~CLP*A17*1*200*120*30*12*ICN1~NM1*QC*1*DOE*PAT****MI*MEMBER99~" +
		"SVC*HC:99213*200*120**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*30~REF*6R*A17-1~" +
		"CLP*ZZ9*1*50*0*0*12*ICN2~NM1*QC*1*ROE*RAY~SVC*HC:99211*50*0**1~CAS*CO*50*50~"
	if edit != "" {
		old, new, _ := strings.Cut(edit, "=>")
		body = strings.Replace(body, old, new, 1)
	}
	text := "ISA*00*          *00*          *ZZ*DEMOCH         *ZZ*CLAIMFLOWDEMO  *250328*0610*^*00501*000000301*0*T*:~" +
		"GS*HP*DEMOCH*CLAIMFLOWDEMO*20250328*0610*301*X*005010X221A1~" + body +
		"SE*" + itoaCount(strings.Count(body, "~")+1) + "*0001~GE*1*301~IEA*1*000000301~"
	path := filepath.Join(t.TempDir(), "era.835")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func itoaCount(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestPostDryRunThenPost(t *testing.T) {
	t.Parallel()
	url, st := remitDB(t)
	path := era(t, "")
	code, out, errOut := runCLI(t, "post", "--dry-run", "--database", url, path)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	for _, want := range []string{
		"remittance EFT66 (ST 0001): ACH I paid 120.00 on 2025-03-28 by ACME HEALTH PLAN",
		"claim A17 (id 1, transmitted): CLP02 1 processed as primary, charge 200.00, paid 120.00",
		"payment -120.00, contractual -50.00, other 0.00; patient: deductible 0.00, coinsurance 30.00, copay 0.00, other 0.00",
		"claim -> paid",
		"claim ZZ9: CLP02 1",
		"unmatched: no claim has this patient control number",
		"dry run, nothing written",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	for _, phi := range []string{"DOE", "ROE", "MEMBER99"} {
		if strings.Contains(out, phi) {
			t.Errorf("dry run shows %s without --show-phi:\n%s", phi, out)
		}
	}
	if es, _ := st.Entries(context.Background(), storage.EntryFilter{}); len(es) != 0 {
		t.Fatalf("the dry run wrote %d entries", len(es))
	}
	_, out, _ = runCLI(t, "post", "--dry-run", "--show-phi", "--database", url, path)
	if !strings.Contains(out, "patient DOE PAT MEMBER99") {
		t.Errorf("--show-phi hides the patient:\n%s", out)
	}

	code, out, errOut = runCLI(t, "post", "--database", url, path)
	if code != 0 || !strings.Contains(out, "1 remittances (0 posted before from another file), 2 claim payments (1 matched, 1 unmatched), paid 120.00") ||
		!strings.Contains(out, "4 ledger entries, 0 denials") {
		t.Fatalf("post: exit %d: %s %s", code, out, errOut)
	}
	// No charge was posted in this database: the payer's side is -120 - 50 - 30 =
	// -200, the patient's +30.
	b, err := st.ClaimBalance(context.Background(), 1)
	if err != nil || b.Insurance != -20000 || b.Patient != 3000 {
		t.Errorf("balance %+v %v", b, err)
	}
	code, out, _ = runCLI(t, "post", "--database", url, path)
	if code != 0 || !strings.Contains(out, "was posted before; nothing done") {
		t.Errorf("again: exit %d: %s", code, out)
	}
	_, out, _ = runCLI(t, "post", "--dry-run", "--database", url, path)
	if !strings.Contains(out, "posted before: nothing would be posted") {
		t.Errorf("dry run after posting:\n%s", out)
	}
}

func TestPostQuarantinesUnbalanced(t *testing.T) {
	t.Parallel()
	url, st := remitDB(t)
	path := era(t, "CAS*CO*45*50~=>CAS*CO*45*51~")
	code, out, _ := runCLI(t, "post", "--dry-run", "--database", url, path)
	if code != 1 || !strings.Contains(out, "would be quarantined, nothing posted: transaction set 0001 does not balance") {
		t.Fatalf("dry run: exit %d: %s", code, out)
	}
	code, out, _ = runCLI(t, "post", "--database", url, path)
	if code != 1 || !strings.Contains(out, "quarantined, nothing posted") {
		t.Fatalf("post: exit %d: %s", code, out)
	}
	if es, _ := st.Entries(context.Background(), storage.EntryFilter{}); len(es) != 0 {
		t.Fatalf("%d entries posted from a quarantined file", len(es))
	}
}

func TestRemitsReconcile(t *testing.T) {
	t.Parallel()
	url, _ := remitDB(t)
	if code, out, errOut := runCLI(t, "post", "--database", url, era(t, "")); code != 0 {
		t.Fatalf("post: %d %s %s", code, out, errOut)
	}
	_, out, _ := runCLI(t, "remits", "unreconciled", "--database", url)
	if !strings.Contains(out, "1 remittances without a deposit") || !strings.Contains(out, "EFT66") {
		t.Fatalf("unreconciled:\n%s", out)
	}
	code, out, errOut := runCLI(t, "remits", "deposit", "--database", url, "--trace", "EFT66", "--amount", "120.00", "--date", "2025-03-28")
	if code != 0 || !strings.Contains(out, "recorded") {
		t.Fatalf("deposit: %d %s %s", code, out, errOut)
	}
	csvPath := filepath.Join(t.TempDir(), "bank.csv")
	if err := os.WriteFile(csvPath, []byte("date,trace,amount\n2025-03-28,EFT66,120.00\n2025-03-29,CHK77,55.10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "remits", "import-deposits", "--database", url, csvPath)
	if code != 0 || !strings.Contains(out, "2 deposits, 1 new") {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	_, out, _ = runCLI(t, "remits", "unreconciled", "--database", url)
	if !strings.Contains(out, "0 remittances without a deposit") || !strings.Contains(out, "1 deposits without a remittance") || !strings.Contains(out, "CHK77") {
		t.Errorf("after the deposits:\n%s", out)
	}
	if code, _, errOut := runCLI(t, "remits", "deposit", "--database", url, "--trace", "X", "--amount", "-1", "--date", "2025-03-28"); code != 2 || !strings.Contains(errOut, "positive") {
		t.Errorf("negative deposit: exit %d %s", code, errOut)
	}
}
