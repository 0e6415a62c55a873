package codes

import (
	"bufio"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadSummaries(t *testing.T) {
	t.Parallel()
	_, sums := sharedSet(t)
	// Counts from SOURCE.txt: FY2025 97,584 rows (74,260 billable), FY2026
	// 98,186 rows (74,719 billable); HCPCS Oct 2025 8,463 codes, 383
	// modifiers; 52 assigned POS codes; NUCC 25.1 883 codes.
	want := []Summary{
		{Kind: KindICD10CM, Release: "ICD-10-CM FY2025", Codes: 97584, Billable: 74260},
		{Kind: KindICD10CM, Release: "ICD-10-CM FY2026", Codes: 98186, Billable: 74719},
		{Kind: KindHCPCS, Release: "HCPCS 2025 OCT", Codes: 8463, Modifiers: 383},
		{Kind: KindPOS, Release: "CMS place of service", Codes: 52},
		{Kind: KindTaxonomy, Release: "NUCC 25.1", Codes: 883},
	}
	if len(sums) != len(want) {
		t.Fatalf("got %d summaries, want %d: %+v", len(sums), len(want), sums)
	}
	for i, w := range want {
		got := sums[i]
		got.Path = ""
		if got != w {
			t.Errorf("summary %d = %+v, want %+v", i, got, w)
		}
	}
}

func TestICD10(t *testing.T) {
	t.Parallel()
	set, _ := sharedSet(t)
	fy25, fy26 := day(2025, time.March, 15), day(2025, time.November, 1)
	tests := []struct {
		code        string
		dos         time.Time
		want        Status
		wantRelease string
	}{
		{"E119", fy25, Valid, "ICD-10-CM FY2025"},
		{"E119", fy26, Valid, "ICD-10-CM FY2026"},
		{"E11", fy25, NotBillable, "ICD-10-CM FY2025"},
		{"E11", fy26, NotBillable, "ICD-10-CM FY2026"},
		{"E11A", fy25, Unknown, "ICD-10-CM FY2025"}, // added FY2026
		{"E11A", fy26, Valid, "ICD-10-CM FY2026"},
		{"B880", fy25, Valid, "ICD-10-CM FY2025"},       // billable FY2025,
		{"B880", fy26, NotBillable, "ICD-10-CM FY2026"}, // header FY2026
		{"B8801", fy25, Unknown, "ICD-10-CM FY2025"},
		{"B8801", fy26, Valid, "ICD-10-CM FY2026"},
		{"S301XXA", fy25, Valid, "ICD-10-CM FY2025"}, // deleted FY2026
		{"S301XXA", fy26, Unknown, "ICD-10-CM FY2026"},
		{"QA0010", fy26, NotBillable, "ICD-10-CM FY2026"},
		{"I10", day(2024, time.October, 1), Valid, "ICD-10-CM FY2025"},       // first day of FY2025
		{"E11A", day(2025, time.September, 30), Unknown, "ICD-10-CM FY2025"}, // last day of FY2025
		{"E11A", day(2025, time.October, 1), Valid, "ICD-10-CM FY2026"},
		{"E11A", day(2026, time.September, 30), Valid, "ICD-10-CM FY2026"},
		{"E119", day(2026, time.October, 1), NotChecked, ""}, // FY2027 not loaded
		{"E119", day(2030, time.June, 1), NotChecked, ""},
		{"E119", day(2024, time.September, 30), NotChecked, ""}, // FY2024 not loaded
		{"XYZ99", day(2030, time.June, 1), NotChecked, ""},
		{"E11.9", fy26, Unknown, "ICD-10-CM FY2026"}, // X12 sends no dot
		{"e119", fy26, Unknown, "ICD-10-CM FY2026"},
		{"", fy26, Unknown, "ICD-10-CM FY2026"},
		{"Z99999999999", fy26, Unknown, "ICD-10-CM FY2026"},
	}
	for _, tt := range tests {
		got := set.ICD10(tt.code, tt.dos)
		if got.Status != tt.want || got.Release != tt.wantRelease {
			t.Errorf("ICD10(%q, %s) = %v %q, want %v %q", tt.code, tt.dos.Format(time.DateOnly), got.Status, got.Release, tt.want, tt.wantRelease)
		}
	}
}

// TestICD10Addenda checks every change in the CMS FY2026 order addenda (a
// file the loader does not read) against the loaded FY2025 and FY2026 sets.
func TestICD10Addenda(t *testing.T) {
	t.Parallel()
	set, _ := sharedSet(t)
	f, err := os.Open(filepath.Join(codesets(t), "icd10cm/addenda/icd10cm_order_addenda_2026.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Lines read "Add:         1 B8801   ..." or "Delete:      1 B880 ...";
	// a code deleted and added again changed its billable flag.
	after := map[string]Status{}
	before := map[string]Status{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		st := NotBillable
		if fields[1] == "1" {
			st = Valid
		}
		switch fields[0] {
		case "Add:":
			after[fields[2]] = st
		case "Delete:":
			before[fields[2]] = st
			if _, ok := after[fields[2]]; !ok {
				after[fields[2]] = Unknown
			}
		case "Revise:":
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(after) < 400 {
		t.Fatalf("read only %d changes from the addenda", len(after))
	}
	fy25, fy26 := day(2025, time.June, 1), day(2026, time.June, 1)
	for code, want := range after {
		if got := set.ICD10(code, fy26).Status; got != want {
			t.Errorf("ICD10(%s, FY2026) = %v, want %v (addenda)", code, got, want)
		}
		wantBefore, ok := before[code]
		if !ok {
			wantBefore = Unknown // added in FY2026
		}
		if got := set.ICD10(code, fy25).Status; got != wantBefore {
			t.Errorf("ICD10(%s, FY2025) = %v, want %v (addenda)", code, got, wantBefore)
		}
	}
}

func TestHCPCS(t *testing.T) {
	t.Parallel()
	set, _ := sharedSet(t)
	oct := day(2025, time.October, 15)
	tests := []struct {
		code     string
		dos      time.Time
		want     Status
		modifier bool
	}{
		{"G0439", oct, Valid, false},
		{"J1100", oct, Valid, false},
		{"G0439", day(2010, time.June, 1), NotYetEffective, false}, // added 2011-01-01
		{"G0439", day(2011, time.January, 1), Valid, false},
		{"J2150", day(2025, time.September, 30), Valid, false}, // TERM DT 20250930 is its last day
		{"J2150", day(2025, time.October, 1), Terminated, false},
		{"J2150", day(2024, time.January, 1), Valid, false},
		{"G0439", day(2026, time.January, 1), NotChecked, false}, // after the Oct-Dec 2025 quarter
		{"99213", oct, NotChecked, false},                        // CPT: never stored
		{"0042T", oct, NotChecked, false},
		{"G0000", oct, Unknown, false},
		{"V9999", oct, Unknown, false},
		{"g0439", oct, Unknown, false},
		{"KX", oct, Valid, true},
		{"LT", oct, Valid, true},
		{"JG", day(2024, time.December, 31), Valid, true}, // TERM DT 20241231
		{"JG", day(2025, time.January, 1), Terminated, true},
		{"25", oct, NotChecked, true}, // CPT modifier
		{"ZZ", oct, Unknown, true},
		{"KX", day(2026, time.February, 1), NotChecked, true},
	}
	for _, tt := range tests {
		lookup, kind := set.HCPCS, "HCPCS"
		if tt.modifier {
			lookup, kind = set.Modifier, "Modifier"
		}
		got := lookup(tt.code, tt.dos)
		wantRel := "HCPCS 2025 OCT"
		if tt.want == NotChecked {
			wantRel = ""
		}
		if got.Status != tt.want || got.Release != wantRel {
			t.Errorf("%s(%q, %s) = %v %q, want %v %q", kind, tt.code, tt.dos.Format(time.DateOnly), got.Status, got.Release, tt.want, wantRel)
		}
	}
	if r := set.HCPCS("J2150", oct); r.Added != NewDate(1986, 1, 1) || r.Terminated != NewDate(2025, 9, 30) {
		t.Errorf("HCPCS(J2150) dates = %s, %s; want 1986-01-01, 2025-09-30", r.Added, r.Terminated)
	}
}

// TestHCPCSAgainstCSV compares every code's dates with the CSV derived from
// the same workbook by another tool (SOURCE.txt).
func TestHCPCSAgainstCSV(t *testing.T) {
	t.Parallel()
	set, _ := sharedSet(t)
	cs := codesets(t)
	for _, tc := range []struct {
		file   string
		lookup func(string, time.Time) Result
	}{
		{"hcpcs/hcpcs_level2_2025oct.csv", set.HCPCS},
		{"hcpcs/hcpcs_modifiers_2025oct.csv", set.Modifier},
	} {
		f, err := os.Open(filepath.Join(cs, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows[1:] { // code,record_type,short,long,add_date,action_effective_date,termination_date,...
			r := tc.lookup(row[0], day(2025, time.December, 31))
			add, _ := parseYMD(row[4])
			term, _ := parseYMD(row[6])
			if r.Status == Unknown || r.Added != add || r.Terminated != term {
				t.Errorf("%s %s: got %v added %s terminated %s; CSV says %s, %s", tc.file, row[0], r.Status, r.Added, r.Terminated, add, term)
			}
		}
	}
}

func TestPOSAndTaxonomy(t *testing.T) {
	t.Parallel()
	set, _ := sharedSet(t)
	for _, tt := range []struct {
		code, name string
		ok         bool
	}{
		{"11", "Office", true},
		{"22", "On Campus Outpatient Hospital", true},
		{"02", "Telehealth (provided other than in patient's home)", true},
		{"00", "", false}, // unassigned
		{"1", "", false},
		{"AB", "", false},
	} {
		name, ok := set.POS(tt.code)
		if ok != tt.ok || name != tt.name {
			t.Errorf("POS(%q) = %q, %v; want %q, %v", tt.code, name, ok, tt.name, tt.ok)
		}
	}
	for _, tt := range []struct {
		code string
		ok   bool
	}{
		{"207Q00000X", true},
		{"207QB0505X", true}, // new in 25.1
		{"193200000X", true},
		{"207Q00000Y", false},
		{"999999999X", false},
		{"", false},
	} {
		if got := set.Taxonomy(tt.code); got != tt.ok {
			t.Errorf("Taxonomy(%q) = %v, want %v", tt.code, got, tt.ok)
		}
	}
	e, ok := set.LookupTaxonomy("207Q00000X")
	want := TaxonomyEntry{Code: "207Q00000X", Grouping: "Allopathic & Osteopathic Physicians", Classification: "Family Medicine"}
	if !ok || e != want {
		t.Errorf("LookupTaxonomy(207Q00000X) = %+v, %v; want %+v", e, ok, want)
	}
}

func TestLoaded(t *testing.T) {
	t.Parallel()
	set, _ := sharedSet(t)
	got := set.Loaded()
	want := []Release{
		{Kind: KindICD10CM, Name: "ICD-10-CM FY2025", From: NewDate(2024, 10, 1), Through: NewDate(2025, 9, 30), Codes: 74260, Source: filepath.Base(icd2025Zip)},
		{Kind: KindICD10CM, Name: "ICD-10-CM FY2026", From: NewDate(2025, 10, 1), Through: NewDate(2026, 9, 30), Codes: 74719, Source: filepath.Base(icd2026Zip)},
		{Kind: KindHCPCS, Name: "HCPCS 2025 OCT", From: NewDate(2025, 10, 1), Through: NewDate(2025, 12, 31), Codes: 8463, Modifiers: 383, Source: filepath.Base(hcpcsXLSX)},
		{Kind: KindPOS, Name: "CMS place of service", Codes: 52, Source: filepath.Base(posCSV)},
		{Kind: KindTaxonomy, Name: "NUCC 25.1", Codes: 883, Source: filepath.Base(taxonomyCSV)},
	}
	if len(got) != len(want) {
		t.Fatalf("Loaded() = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Loaded()[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, k := range []Kind{KindICD10CM, KindHCPCS, KindPOS, KindTaxonomy} {
		if !set.Has(k) {
			t.Errorf("Has(%s) = false", k)
		}
	}
}

// The zero Set and a nil *Set hold nothing and answer NotChecked.
func TestEmptySet(t *testing.T) {
	t.Parallel()
	for _, set := range []*Set{nil, {}} {
		dos := day(2025, time.November, 1)
		if r := set.ICD10("E119", dos); r != (Result{}) {
			t.Errorf("ICD10 on empty set = %+v", r)
		}
		if r := set.HCPCS("G0439", dos); r != (Result{}) {
			t.Errorf("HCPCS on empty set = %+v", r)
		}
		if r := set.Modifier("KX", dos); r != (Result{}) {
			t.Errorf("Modifier on empty set = %+v", r)
		}
		if _, ok := set.POS("11"); ok {
			t.Error("POS on empty set ok")
		}
		if set.Taxonomy("207Q00000X") || set.Has(KindICD10CM) || len(set.Loaded()) != 0 {
			t.Error("empty set claims content")
		}
	}
}

func TestLookupsDoNotAllocate(t *testing.T) {
	set, _ := sharedSet(t)
	dos := day(2025, time.November, 1)
	var sink Result
	allocs := testing.AllocsPerRun(100, func() {
		sink = set.ICD10("E119", dos)
		sink = set.ICD10("E11", dos)
		sink = set.ICD10("NOPE1", dos)
		sink = set.HCPCS("G0439", dos)
		sink = set.Modifier("KX", dos)
		_, _ = set.POS("11")
		_ = set.Taxonomy("207Q00000X")
	})
	_ = sink
	if allocs != 0 {
		t.Errorf("lookups allocate %.1f times per run", allocs)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path string
		wantIn     string
		wantIs     error
	}{
		{"missing file", filepath.Join(dir, "nope.zip"), "nope.zip", os.ErrNotExist},
		{"unknown text", write("notes.txt", "hello\n"), "notes.txt", ErrUnknownFile},
		{"unknown csv", write("x.csv", "a,b\n1,2\n"), "x.csv", ErrUnknownFile},
		{"bad ICD line", write("icd10cm_order_2026.txt", "00001 A00     0 Cholera\r\n00002 A000    X Cholera due\r\n"), "line 2", nil},
		{"bad ICD layout", write("icd10cm_order_2025.txt", "A00 Cholera\n"), "line 1: not the CMS order-file layout", nil},
		{"bad HCPCS date", write("HCPC2025_OCT_ANWEB.txt", anwebLine("G0439", '3', "2011013X", "", "")), "line 1: add date", nil},
		{"bad POS code", write("pos.csv", "code,name\n1A,Office\n"), "line 2: bad code", nil},
		{"bad taxonomy code", write("nucc_taxonomy_251.csv", "Code,Grouping,Classification,Specialization\nABC,G,C,S\n"), "line 2: bad code", nil},
	}
	for _, tt := range tests {
		_, _, err := Load(nil, tt.path)
		if err == nil {
			t.Errorf("%s: Load succeeded", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantIn) || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
			t.Errorf("%s: error %q, want it to contain %q and match %v", tt.name, err, tt.wantIn, tt.wantIs)
		}
	}
}

// anwebLine builds one 320-byte record of the CMS ANWEB layout.
func anwebLine(code string, recid byte, add, eff, term string) string {
	b := []byte(strings.Repeat(" ", 320))
	if len(code) == 2 {
		code = "   " + code
	}
	copy(b[0:], code)
	copy(b[5:], "00100")
	b[10] = recid
	copy(b[11:], "description")
	copy(b[268:], add)
	copy(b[276:], eff)
	copy(b[284:], term)
	b[292] = 'N'
	return string(b) + "\r\n"
}
