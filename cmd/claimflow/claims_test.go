package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/x837p"
)

var (
	exampleJSON = filepath.Join("..", "..", "billing", "examples", "claims.json")
	exampleCSV  = filepath.Join("..", "..", "billing", "examples", "claims.csv")
)

func writeEdited(t *testing.T, from, old, new string) string {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s lacks %q", from, old)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(from))
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClaimsImportExamples(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "claims.json")
	code, stdout, stderr := runCLI(t, "claims", "import", exampleJSON, exampleCSV, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	for _, want := range []string{"JSON, 4 claims, 8 lines, total charge 765.00", "CSV, 2 claims, 4 lines, total charge 387.00", "6 normalized claims written"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// The normalized JSON imports again, unchanged.
	code, stdout, _ = runCLI(t, "claims", "import", out)
	if code != 0 || !strings.Contains(stdout, "JSON, 6 claims, 12 lines, total charge 1152.00") || !strings.Contains(stdout, "no claim storage") {
		t.Errorf("re-import: exit %d\n%s", code, stdout)
	}
}

func TestClaimsImportTracesProblemsWithoutPHI(t *testing.T) {
	t.Parallel()
	path := writeEdited(t, exampleJSON, `"place_of_service": "20"`, `"place_of_service": "201"`)
	code, stdout, _ := runCLI(t, "claims", "import", path)
	if code != 1 || !strings.Contains(stdout, "claims[1].place_of_service (ST 0001 segment 46, CLM05-1 IK403=5)") {
		t.Fatalf("exit %d:\n%s", code, stdout)
	}
	path = writeEdited(t, exampleCSV, "1980-01-15", "1980-13-15")
	code, stdout, _ = runCLI(t, "claims", "import", path)
	if code != 1 || !strings.Contains(stdout, "claims[0].patient.birth_date (row 2, column patient_birth_date)") {
		t.Fatalf("exit %d:\n%s", code, stdout)
	}
	if strings.Contains(stdout, "1980-13-15") {
		t.Errorf("the birth date is shown without --show-phi:\n%s", stdout)
	}
	_, stdout, _ = runCLI(t, "claims", "import", "--show-phi", path)
	if !strings.Contains(stdout, "1980-13-15") {
		t.Errorf("--show-phi hides the value:\n%s", stdout)
	}
}

func TestClaimsBuild(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out.x12")
	code, stdout, stderr := runCLI(t, "claims", "build", exampleJSON, exampleCSV, "-o", out, "--isa13", "42", "--claims-per-st", "1")
	if code != 0 || !strings.Contains(stdout, "ISA13 000000042, 6 transaction sets, 6 claims") || !strings.Contains(stdout, "valid (SNIP 1-2)") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	claims, err := x837p.Parse(f)
	if err != nil || len(claims) != 6 {
		t.Fatalf("the file parses to %d claims: %v", len(claims), err)
	}
	// An 837P in, an 837P out.
	again := filepath.Join(t.TempDir(), "again.x12")
	if code, stdout, _ := runCLI(t, "claims", "build", out, "-o", again, "--isa13", "42", "--claims-per-st", "1"); code != 0 {
		t.Fatalf("rebuild: exit %d\n%s", code, stdout)
	}
}

func TestClaimsBuildRefusesBadClaims(t *testing.T) {
	t.Parallel()
	path := writeEdited(t, exampleCSV, "991234567,207Q", ",207Q")
	out := filepath.Join(t.TempDir(), "out.x12")
	code, stdout, _ := runCLI(t, "claims", "build", path, "-o", out)
	if code != 1 || !strings.Contains(stdout, "claims[0].billing_provider.tax_id") || !strings.Contains(stdout, "no file written") {
		t.Fatalf("exit %d:\n%s", code, stdout)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a file was written: %v", err)
	}
	if code, _, stderr := runCLI(t, "claims", "build", exampleJSON); code != 2 || !strings.Contains(stderr, "-o") {
		t.Errorf("no -o: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "claims", "build", exampleJSON, "-o", out, "--production"); code != 2 || !strings.Contains(stderr, "--production") {
		t.Errorf("--production with demo ids: exit %d %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "claims", "import", filepath.Join(t.TempDir(), "missing.json")); code != 2 {
		t.Errorf("missing file: exit %d", code)
	}
}

func TestClaimsHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"claims", "import", "--help"}, {"claims", "build", "--help"}} {
		code, out, _ := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, "JSON") || !strings.Contains(out, "CSV") || !strings.Contains(out, "837P") || !strings.Contains(out, "Exit status") {
			t.Errorf("%v: %d %q", args, code, out)
		}
	}
}
