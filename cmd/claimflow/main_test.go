package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/fixtures"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeSampleEdits writes a sample with several old=>new replacements applied.
func writeSampleEdits(t *testing.T, name string, edits ...string) string {
	t.Helper()
	data := string(fixtures.Sample(name))
	for _, edit := range edits {
		old, new, _ := strings.Cut(edit, "=>")
		if !strings.Contains(data, old) {
			t.Fatalf("sample lacks %q", old)
		}
		data = strings.Replace(data, old, new, 1)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeSample writes a sample with one old=>new replacement applied ("" for none).
func writeSample(t *testing.T, name, edit string) string {
	t.Helper()
	if edit == "" {
		return writeSampleEdits(t, name)
	}
	return writeSampleEdits(t, name, edit)
}

func TestValidateValidFile(t *testing.T) {
	t.Parallel()
	path := writeSample(t, "837p-basic.x12", "")
	code, out, _ := runCLI(t, "x12", "validate", path)
	if code != 0 || !strings.Contains(out, path+": valid") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestValidateReportsErrorsWithoutPHI(t *testing.T) {
	t.Parallel()
	// A birth date in the 13th month: the value is patient data and must not be shown.
	path := writeSample(t, "837p-basic.x12", "DMG*D8*19800115*F=>DMG*D8*19801315*F")
	code, out, _ := runCLI(t, "x12", "validate", path)
	if code != 1 {
		t.Fatalf("exit %d, want 1; output %q", code, out)
	}
	if !strings.Contains(out, "loop 2010BA DMG02 IK403=8") || !strings.Contains(out, ":19:") {
		t.Errorf("error line lacks its place: %q", out)
	}
	if strings.Contains(out, "19801315") {
		t.Errorf("birth date printed without --show-phi: %q", out)
	}
	_, out, _ = runCLI(t, "x12", "validate", "--show-phi", path)
	if !strings.Contains(out, "19801315") {
		t.Errorf("--show-phi did not show the value: %q", out)
	}
}

func TestValidateJSON(t *testing.T) {
	t.Parallel()
	path := writeSample(t, "837p-basic.x12", "SE*59*0001=>SE*58*0001")
	code, out, _ := runCLI(t, "x12", "validate", "--json", path)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var errs []map[string]any
	if err := json.Unmarshal([]byte(out), &errs); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(errs) != 1 || errs[0]["code"] != "IK502=4" || errs[0]["segment_id"] != "SE" || errs[0]["file"] != path {
		t.Fatalf("JSON errors: %v", errs)
	}
	if _, ok := errs[0]["value"]; ok {
		t.Error("value present without --show-phi")
	}
}

func TestValidateUnreadableFile(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCLI(t, "x12", "validate", filepath.Join(t.TempDir(), "missing.x12"))
	if code != 2 || !strings.Contains(errOut, "missing.x12") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestInspectMasksPHI(t *testing.T) {
	t.Parallel()
	path := writeSample(t, "837p-basic.x12", "")
	code, out, _ := runCLI(t, "x12", "inspect", path)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"2000C Patient Hierarchical Level", "2300 Claim Information", "NM1*QC*1*xxx", "SV1*HC:xxx:xxx*125*UN*1"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q", want)
		}
	}
	for _, phi := range []string{"TAYLOR", "19800115", "XYZ100000001", "9 ELM ST", "627031111"} {
		if strings.Contains(out, phi) {
			t.Errorf("inspect shows %q without --show-phi", phi)
		}
	}
	_, out, _ = runCLI(t, "x12", "inspect", "--show-phi", path)
	if !strings.Contains(out, "TAYLOR") {
		t.Error("--show-phi hid the patient's name")
	}
}

func TestHelpExplainsCommands(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "x12", "validate", "--help")
	if code != 0 || !strings.Contains(out, "SNIP") || !strings.Contains(out, "--show-phi") {
		t.Fatalf("help: %d %q", code, out)
	}
}

func TestBenchRuns(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "bench", "--size", "1", "--claims", "200", "--rounds", "1", "--data-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"X12 reader", "parse + validate 835", "837P build", "scrub (no code sets"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("data_dir: "+dir+"\nclearinghouses:\n  availity:\n    schedule:\n      submit: \"0 20 * * *\"\n"), 0o600)
	code, out, errOut := runCLI(t, "config", "check", "--config", good)
	if code != 0 || !strings.Contains(out, "0 20 * * *") {
		t.Fatalf("good config: exit %d\n%s%s", code, out, errOut)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("clearinghouses:\n  availity:\n    schedule:\n      submit: \"61 25 * * *\"\n"), 0o600)
	code, out, errOut = runCLI(t, "config", "check", "--config", bad)
	if code != 1 || !strings.Contains(out+errOut, "submit") {
		t.Fatalf("bad cron accepted: exit %d\n%s%s", code, out, errOut)
	}
}
