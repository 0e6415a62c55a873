package codes

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Saving and opening gives a Set that answers every lookup the same way.
func TestStoreRoundTrip(t *testing.T) {
	t.Parallel()
	set, _ := sharedSet(t)
	path := filepath.Join(t.TempDir(), "data", StoreFile)
	if err := set.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Loaded(), set.Loaded()) {
		t.Errorf("Loaded after round trip = %+v, want %+v", got.Loaded(), set.Loaded())
	}
	if !bytes.Equal(got.encode(), set.encode()) {
		t.Error("re-encoding the opened store gives different bytes")
	}
	dates := []time.Time{day(2024, 10, 1), day(2025, 6, 1), day(2025, 12, 1), day(2026, 9, 30), day(2030, 1, 1), day(2010, 1, 1)}
	extra := []string{"", "E11.9", "XXXXXXX", "99213", "25", "ZZ", "G0000"}
	check := func(kind string, lookup func(*Set, string, time.Time) Result, keys []uint64) {
		codes := extra
		for _, k := range keys {
			codes = append(codes, unpack(k))
		}
		for _, c := range codes {
			for _, d := range dates {
				if a, b := lookup(set, c, d), lookup(got, c, d); a != b {
					t.Fatalf("%s(%q, %s): before save %+v, after open %+v", kind, c, d.Format(time.DateOnly), a, b)
				}
			}
		}
	}
	check("ICD10", (*Set).ICD10, set.icd.keys)
	check("HCPCS", (*Set).HCPCS, set.hcpcs.codes.keys)
	check("Modifier", (*Set).Modifier, set.hcpcs.mods.keys)
	for i := range 100 {
		c := string([]byte{byte('0' + i/10), byte('0' + i%10)})
		n1, ok1 := set.POS(c)
		n2, ok2 := got.POS(c)
		if n1 != n2 || ok1 != ok2 {
			t.Errorf("POS(%s): %q %v before, %q %v after", c, n1, ok1, n2, ok2)
		}
	}
	for _, k := range set.tax.keys {
		c := unpack(k)
		e1, _ := set.LookupTaxonomy(c)
		e2, ok := got.LookupTaxonomy(c)
		if !ok || e1 != e2 {
			t.Errorf("LookupTaxonomy(%s): %+v before, %+v %v after", c, e1, e2, ok)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := (&Set{}).encode()
	flipped := bytes.Clone(good)
	flipped[len(storeMagic)+1] ^= 0xff
	version := bytes.Clone(good)
	version[len(storeMagic)] = 9
	tests := []struct {
		name    string
		content []byte
		want    error
	}{
		{"empty", nil, ErrStoreFormat},
		{"not a store", []byte("PK\x03\x04 something else entirely"), ErrStoreFormat},
		{"truncated", good[:len(good)-3], ErrStoreFormat},
		{"damaged", flipped, ErrStoreFormat},
		{"other version", version, ErrStoreFormat},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
		if err := os.WriteFile(p, tt.content, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(p); !errors.Is(err, tt.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: Open error = %v, want %v naming the file", tt.name, err, tt.want)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
	if s, err := decode(good); err != nil || len(s.Loaded()) != 0 {
		t.Errorf("empty store: %v, %v", s, err)
	}
}

// Update keeps what earlier updates loaded: FY2025 then FY2026 gives both.
func TestUpdateAddsYears(t *testing.T) {
	t.Parallel()
	cs := codesets(t)
	dir := t.TempDir()
	store := StorePath(dir)
	for _, z := range []string{icd2025Zip, icd2026Zip, posCSV} {
		if _, err := Update(store, filepath.Join(cs, z)); err != nil {
			t.Fatal(err)
		}
	}
	set, err := Open(store)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range set.Loaded() {
		names = append(names, r.Name)
	}
	if got, want := strings.Join(names, ", "), "ICD-10-CM FY2025, ICD-10-CM FY2026, CMS place of service"; got != want {
		t.Errorf("Loaded = %s, want %s", got, want)
	}
	if set.ICD10("E11A", day(2025, 3, 1)).Status != Unknown || set.ICD10("E11A", day(2025, 11, 1)).Status != Valid {
		t.Error("E11A not answered per fiscal year after two updates")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != StoreFile {
		t.Errorf("data dir holds %v, want only %s (no temporary files left)", entries, StoreFile)
	}
	// A failed update leaves the store as it was.
	before, _ := os.ReadFile(store)
	if _, err := Update(store, filepath.Join(dir, "missing.zip")); err == nil {
		t.Error("Update with a missing file succeeded")
	}
	after, _ := os.ReadFile(store)
	if !bytes.Equal(before, after) {
		t.Error("failed Update changed the store")
	}
}
