package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/internal/sharedtest"
)

func exampleClaims(t *testing.T, old, new string) string {
	t.Helper()
	data, err := os.ReadFile("../../billing/examples/claims.json")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if old != "" {
		if !strings.Contains(s, old) {
			t.Fatalf("example lacks %q", old)
		}
		s = strings.Replace(s, old, new, 1)
	}
	path := filepath.Join(t.TempDir(), "claims.json")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClaimsCheckClean(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "claims", "check", "--data-dir", t.TempDir(), exampleClaims(t, "", ""))
	if code != 0 || !strings.Contains(out, "0 held") || !strings.Contains(out, "ICD-10-CM not loaded") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestClaimsCheckHoldsBadNPI(t *testing.T) {
	t.Parallel()
	path := exampleClaims(t, `"npi": "1932104098"`, `"npi": "1932104099"`)
	code, out, _ := runCLI(t, "claims", "check", "--data-dir", t.TempDir(), path)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	if !strings.Contains(out, "npi-check-digit") || !strings.Contains(out, "rendering_provider") || !strings.Contains(out, "1 held") {
		t.Errorf("finding not reported as expected:\n%s", out)
	}
	for _, phi := range []string{"SAMPLE", "ALEX", "TAYLOR", "2015-08-08"} {
		if strings.Contains(out, phi) {
			t.Errorf("output shows patient data %q", phi)
		}
	}
	_, jsonOut, _ := runCLI(t, "claims", "check", "--json", "--data-dir", t.TempDir(), path)
	var reports []map[string]any
	if err := json.Unmarshal([]byte(jsonOut), &reports); err != nil || len(reports) != 1 {
		t.Fatalf("JSON: %v\n%s", err, jsonOut)
	}
}

// TestClaimsCheckWithCodeSets loads the official release files from ../shared and
// checks a claim whose diagnosis is a header code (not billable).
func TestClaimsCheckWithCodeSets(t *testing.T) {
	t.Parallel()
	dir := sharedtest.Dir(t, "codesets")
	data := t.TempDir()
	code, out, errOut := runCLI(t, "codes", "load", "--data-dir", data,
		filepath.Join(dir, "icd10cm", "cms_2025_dx__2025-code-descriptions-tabular-order.zip"),
		filepath.Join(dir, "place_of_service", "place_of_service_codes.csv"))
	if code != 0 || !strings.Contains(out, "ICD-10-CM FY2025") {
		t.Fatalf("codes load: exit %d\n%s%s", code, out, errOut)
	}
	_, status, _ := runCLI(t, "codes", "status", "--data-dir", data)
	if !strings.Contains(status, "ICD-10-CM FY2025") || !strings.Contains(status, "place of service") {
		t.Errorf("status: %s", status)
	}
	raw, _ := os.ReadFile("../../billing/examples/claims.json")
	if !strings.Contains(string(raw), `"E119"`) && !strings.Contains(string(raw), `"E11.9"`) {
		t.Skip("example claims changed: no E11.9 to turn into a header code")
	}
	old := `"E119"`
	if !strings.Contains(string(raw), old) {
		old = `"E11.9"`
	}
	path := exampleClaims(t, old, `"E11"`)
	code, out, _ = runCLI(t, "claims", "check", "--data-dir", data, path)
	if code != 1 || !strings.Contains(out, "icd10-valid") {
		t.Fatalf("header code not held: exit %d\n%s", code, out)
	}
}
