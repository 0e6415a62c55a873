package codes

import (
	"archive/zip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHCPCSText(t *testing.T) {
	t.Parallel()
	set, sums, err := Load(nil, fixtureTxt)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Path: fixtureTxt, Kind: KindHCPCS, Release: "HCPCS 2026 JAN", Codes: 4, Modifiers: 3, Skipped: 2}
	if len(sums) != 1 || sums[0] != want {
		t.Fatalf("summaries = %+v, want %+v", sums, want)
	}
	feb := day(2026, time.February, 1)
	tests := []struct {
		code     string
		dos      time.Time
		modifier bool
		want     Status
	}{
		{"G0439", feb, false, Valid}, // with a continuation record
		{"J1100", feb, false, Valid}, // line stripped of trailing blanks
		{"J2150", feb, false, Terminated},
		{"J2150", day(2025, time.September, 30), false, Valid},
		{"A2040", feb, false, Valid},
		{"A2040", day(2025, time.December, 31), false, NotYetEffective},
		{"99213", feb, false, NotChecked}, // CPT record skipped
		{"G0000", feb, false, Unknown},
		{"G0439", day(2026, time.April, 1), false, NotChecked}, // after the JAN quarter
		{"JG", feb, true, Terminated},
		{"JG", day(2024, time.December, 31), true, Valid},
		{"KX", feb, true, Valid},
		{"LT", feb, true, Valid},
		{"25", feb, true, NotChecked}, // CPT modifier skipped
	}
	for _, tt := range tests {
		lookup := set.HCPCS
		if tt.modifier {
			lookup = set.Modifier
		}
		if got := lookup(tt.code, tt.dos); got.Status != tt.want {
			t.Errorf("%s on %s = %v, want %v", tt.code, tt.dos.Format(time.DateOnly), got.Status, tt.want)
		}
	}
	// CPT is never stored, not even as a key.
	for _, k := range set.hcpcs.codes.keys {
		if c := unpack(k); isDigit(c[0]) {
			t.Errorf("CPT code %s stored", c)
		}
	}
	for _, k := range set.hcpcs.mods.keys {
		if c := unpack(k); allDigits(c) {
			t.Errorf("CPT modifier %s stored", c)
		}
	}
}

// The text fixture copies its dates from the October 2025 workbook: both
// readers must give the same answers.
func TestHCPCSTextMatchesXLSX(t *testing.T) {
	t.Parallel()
	xl, _ := sharedSet(t)
	txt, _, err := Load(nil, fixtureTxt)
	if err != nil {
		t.Fatal(err)
	}
	dos := day(2025, time.November, 1)
	for _, c := range []string{"G0439", "J1100", "J2150"} {
		a, b := xl.HCPCS(c, dos), txt.HCPCS(c, dos)
		if a.Added != b.Added || a.Terminated != b.Terminated {
			t.Errorf("%s: xlsx %s..%s, text %s..%s", c, a.Added, a.Terminated, b.Added, b.Terminated)
		}
	}
	for _, c := range []string{"JG", "KX", "LT"} {
		a, b := xl.Modifier(c, dos), txt.Modifier(c, dos)
		if a.Added != b.Added || a.Terminated != b.Terminated {
			t.Errorf("%s: xlsx %s..%s, text %s..%s", c, a.Added, a.Terminated, b.Added, b.Terminated)
		}
	}
}

// For each code the newest release that lists it wins, whatever the order
// files are loaded in; every release stays listed.
func TestHCPCSMergeNewestWins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	older := filepath.Join(dir, "HCPC2025_OCT_ANWEB.txt")
	content := anwebLine("J2150", '3', "19860101", "19860101", "") + // not yet terminated in this file
		anwebLine("A0021", '3', "19850101", "19960910", "") + // only in the older file
		anwebLine("JG", '7', "20180101", "20180101", "")
	if err := os.WriteFile(older, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, order := range [][]string{{older, fixtureTxt}, {fixtureTxt, older}} {
		set, _, err := Load(nil, order...)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("order %s", strings.Join([]string{filepath.Base(order[0]), filepath.Base(order[1])}, ", "))
		feb := day(2026, time.February, 1)
		if r := set.HCPCS("J2150", feb); r.Status != Terminated || r.Release != "HCPCS 2026 JAN" {
			t.Errorf("%s: J2150 = %v %q, want terminated by HCPCS 2026 JAN", name, r.Status, r.Release)
		}
		if r := set.HCPCS("A0021", feb); r.Status != Valid {
			t.Errorf("%s: A0021 (only in the older file) = %v, want valid", name, r.Status)
		}
		if r := set.Modifier("JG", feb); r.Status != Terminated {
			t.Errorf("%s: JG = %v, want terminated", name, r.Status)
		}
		if r := set.HCPCS("A0021", day(2025, time.November, 1)); r.Status != Valid || r.Release != "HCPCS 2026 JAN" {
			t.Errorf("%s: A0021 in Nov 2025 = %v %q", name, r.Status, r.Release)
		}
		var rels []string
		for _, r := range set.Loaded() {
			rels = append(rels, r.Name+" "+r.From.String()+".."+r.Through.String())
		}
		want := "HCPCS 2025 OCT 2025-10-01..2025-12-31|HCPCS 2026 JAN 2026-01-01..2026-03-31"
		if got := strings.Join(rels, "|"); got != want {
			t.Errorf("%s: Loaded = %s, want %s", name, got, want)
		}
	}
}

// icdOrderFile builds a small order file in the CMS layout.
func icdOrderFile(codes ...string) string {
	var sb strings.Builder
	for i, c := range codes {
		code, flag, _ := strings.Cut(c, ":")
		fmt.Fprintf(&sb, "%05d %-7s %s %-60s %s\r\n", i+1, code, flag, "Fixture description", "Fixture description")
	}
	return sb.String()
}

func writeZip(t *testing.T, path, member, content string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.Create(member)
	if err == nil {
		_, err = w.Write([]byte(content))
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// An April 1 update splits its fiscal year: October to March answers from
// the October release, April to September from the update.
func TestICD10AprilUpdate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	oct := filepath.Join(dir, "2026-code-descriptions-tabular-order.zip")
	apr := filepath.Join(dir, "april-1-2026-code-descriptions-tabular-order.zip")
	writeZip(t, oct, "icd10cm_order_2026.txt", icdOrderFile("A00:0", "A000:1", "A009:1"))
	writeZip(t, apr, "icd10cm_order_2026.txt", icdOrderFile("A00:0", "A000:1", "A001:1", "A009:1"))

	set, sums, err := Load(nil, apr, oct)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 2 || sums[0].Release != "ICD-10-CM FY2026 (April 1 update)" || sums[1].Release != "ICD-10-CM FY2026" {
		t.Fatalf("summaries = %+v", sums)
	}
	tests := []struct {
		code    string
		dos     time.Time
		want    Status
		release string
	}{
		{"A001", day(2025, time.October, 1), Unknown, "ICD-10-CM FY2026"},
		{"A001", day(2026, time.March, 31), Unknown, "ICD-10-CM FY2026"},
		{"A001", day(2026, time.April, 1), Valid, "ICD-10-CM FY2026 (April 1 update)"},
		{"A001", day(2026, time.September, 30), Valid, "ICD-10-CM FY2026 (April 1 update)"},
		{"A000", day(2025, time.December, 1), Valid, "ICD-10-CM FY2026"},
		{"A00", day(2026, time.May, 1), NotBillable, "ICD-10-CM FY2026 (April 1 update)"},
		{"A001", day(2026, time.October, 1), NotChecked, ""},
		{"A001", day(2025, time.September, 30), NotChecked, ""},
	}
	for _, tt := range tests {
		if got := set.ICD10(tt.code, tt.dos); got.Status != tt.want || got.Release != tt.release {
			t.Errorf("ICD10(%s, %s) = %v %q, want %v %q", tt.code, tt.dos.Format(time.DateOnly), got.Status, got.Release, tt.want, tt.release)
		}
	}
	loaded := set.Loaded()
	if len(loaded) != 2 || loaded[0].Through != NewDate(2026, 3, 31) || loaded[1].From != NewDate(2026, 4, 1) || loaded[1].Through != NewDate(2026, 9, 30) {
		t.Errorf("Loaded = %+v", loaded)
	}

	// Loading a release again replaces it rather than adding to it.
	writeZip(t, oct, "icd10cm_order_2026.txt", icdOrderFile("A00:0", "A000:1"))
	set2, _, err := Load(set, oct)
	if err != nil {
		t.Fatal(err)
	}
	if got := set2.ICD10("A009", day(2025, time.December, 1)).Status; got != Unknown {
		t.Errorf("A009 after reloading October without it = %v, want unknown", got)
	}
	if got := set2.ICD10("A009", day(2026, time.May, 1)).Status; got != Valid {
		t.Errorf("A009 in the April update = %v, want valid", got)
	}
	if got := set.ICD10("A009", day(2025, time.December, 1)).Status; got != Valid {
		t.Errorf("Load changed its base set: A009 = %v", got)
	}
}
