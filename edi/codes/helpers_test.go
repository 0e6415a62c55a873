package codes

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// codesets returns the shared code-set release files directory
// (../shared/codesets next to the module root), skipping the test when it is
// absent: the files are never copied into the repository.
func codesets(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("skipping: no go.mod above the package directory, cannot find ../shared/codesets")
		}
		dir = parent
	}
	cs := filepath.Join(dir, "..", "shared", "codesets")
	if _, err := os.Stat(cs); err != nil {
		tb.Skipf("skipping: shared code-set release files not present at %s", cs)
	}
	return cs
}

// Paths of the shared release files, relative to codesets().
const (
	icd2025Zip  = "icd10cm/cms_2025_dx__2025-code-descriptions-tabular-order.zip"
	icd2026Zip  = "icd10cm/cms_2026_dx__2026-code-descriptions-tabular-order.zip"
	hcpcsXLSX   = "hcpcs/HCPC2025_OCT_ANWEB.xlsx"
	posCSV      = "place_of_service/place_of_service_codes.csv"
	taxonomyCSV = "nucc_taxonomy/nucc_taxonomy_251.csv"
	fixtureTxt  = "testdata/HCPC2026_JAN_ANWEB_fixture.txt"
)

// shared loads every shared release file once per test binary.
var shared struct {
	once sync.Once
	set  *Set
	sums []Summary
	err  error
}

func sharedSet(tb testing.TB) (*Set, []Summary) {
	tb.Helper()
	cs := codesets(tb)
	shared.once.Do(func() {
		var paths []string
		for _, p := range []string{icd2025Zip, icd2026Zip, hcpcsXLSX, posCSV, taxonomyCSV} {
			paths = append(paths, filepath.Join(cs, p))
		}
		shared.set, shared.sums, shared.err = Load(nil, paths...)
	})
	if shared.err != nil {
		tb.Fatalf("loading shared code sets: %v", shared.err)
	}
	return shared.set, shared.sums
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
