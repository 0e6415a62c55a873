package codes

import (
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkLookup measures single lookups and the code checks of a typical
// professional claim (4 diagnoses, 2 lines with a HCPCS code and a
// modifier each, place of service, taxonomy).
func BenchmarkLookup(b *testing.B) {
	set, _ := sharedSet(b)
	dos := day(2025, time.November, 12)
	icd := []string{"E119", "I10", "Z0000", "E11A", "E11", "S72001A", "NOPE1", "J449"}
	b.Run("ICD10", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_ = set.ICD10(icd[i&7], dos)
			i++
		}
	})
	b.Run("HCPCS", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = set.HCPCS("G0439", dos)
		}
	})
	b.Run("Modifier", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = set.Modifier("KX", dos)
		}
	})
	b.Run("POS", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = set.POS("11")
		}
	})
	b.Run("Taxonomy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = set.Taxonomy("207Q00000X")
		}
	})
	b.Run("Claim", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = set.ICD10("E119", dos)
			_ = set.ICD10("I10", dos)
			_ = set.ICD10("Z0000", dos)
			_ = set.ICD10("E785", dos)
			_ = set.HCPCS("G0439", dos)
			_ = set.Modifier("KX", dos)
			_ = set.HCPCS("J1100", dos)
			_ = set.Modifier("LT", dos)
			_, _ = set.POS("11")
			_ = set.Taxonomy("207Q00000X")
		}
	})
}

// BenchmarkOpen measures opening a store holding ICD-10-CM FY2025 and
// FY2026, HCPCS, place of service and taxonomy.
func BenchmarkOpen(b *testing.B) {
	set, _ := sharedSet(b)
	path := filepath.Join(b.TempDir(), StoreFile)
	if err := set.Save(path); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad measures reading release files (what `codes load` does).
func BenchmarkLoad(b *testing.B) {
	cs := codesets(b)
	for _, f := range []string{icd2026Zip, hcpcsXLSX, taxonomyCSV} {
		b.Run(filepath.Base(f), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Load(nil, filepath.Join(cs, f)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
