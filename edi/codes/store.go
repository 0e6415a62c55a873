package codes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"time"
)

// StoreFile is the name of the store file in a data directory.
const StoreFile = "codesets.bin"

// StorePath returns the store file's path in dataDir.
func StorePath(dataDir string) string { return filepath.Join(dataDir, StoreFile) }

// ErrStoreFormat is returned, wrapped, for a store file that is not one, is
// of another version or is damaged.
var ErrStoreFormat = errors.New("not a claimflow code-set store, or damaged")

// The store is one little-endian binary file:
//
//	magic "CFCODES\n", u32 version
//	ICD-10-CM: u32 periods, each {u16 fy, u8 april, i32 start, i32 end,
//	           u32 billable count, str label, str source};
//	           u32 n, u64 keys[n], u64 billable masks[n], u64 header masks[n]
//	HCPCS:     u32 releases, each {u16 year, u8 month, i32 start, i32 end,
//	           u32 codes, u32 modifiers, str label, str source};
//	           codes and modifiers, each u32 n, u64 keys[n], i32 added[n],
//	           i32 terminated[n], i32 release[n]
//	POS:       u8 loaded, str release, str source, u8 n, n x {u8 code, str name}
//	taxonomy:  u8 loaded, str release, str source, u32 n,
//	           n x {u64 key, str code, str grouping, str classification, str specialization}
//	u32 CRC-32 (IEEE) of everything before it
//
// where str is u32 length + bytes and keys are packed codes (see pack),
// sorted. Lookup indexes are rebuilt on Open.
const (
	storeMagic   = "CFCODES\n"
	storeVersion = 1
)

// Save writes s to the store file at path atomically: to a temporary file in
// the same directory, synced, then renamed over path.
func (s *Set) Save(path string) error {
	data := s.encode()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("saving code-set store %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("saving code-set store %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("saving code-set store %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving code-set store %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving code-set store %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("saving code-set store %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving code-set store %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable where the OS allows
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Open reads the store file at path. A missing file gives an error wrapping
// fs.ErrNotExist; callers that can run without code sets may then use a nil
// *Set, which answers NotChecked.
func Open(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("opening code-set store %s: %w", path, err)
	}
	s, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("opening code-set store %s: %w", path, err)
	}
	return s, nil
}

func (s *Set) encode() []byte {
	if s == nil {
		s = &Set{}
	}
	w := &encoder{b: make([]byte, 0, 64+24*len(s.icd.keys)+20*(len(s.hcpcs.codes.keys)+len(s.hcpcs.mods.keys))+128*len(s.tax.keys))}
	w.b = append(w.b, storeMagic...)
	w.u32(storeVersion)

	w.u32(uint32(len(s.icd.periods)))
	for _, p := range s.icd.periods {
		w.u16(uint16(p.fy))
		w.bool(p.april)
		w.date(p.start)
		w.date(p.end)
		w.u32(uint32(p.count))
		w.str(p.label)
		w.str(p.source)
	}
	w.u32(uint32(len(s.icd.keys)))
	w.u64s(s.icd.keys)
	w.u64s(s.icd.bill)
	w.u64s(s.icd.head)

	w.u32(uint32(len(s.hcpcs.releases)))
	for _, r := range s.hcpcs.releases {
		w.u16(uint16(r.year))
		w.b = append(w.b, byte(r.month))
		w.date(r.start)
		w.date(r.end)
		w.u32(uint32(r.codes))
		w.u32(uint32(r.mods))
		w.str(r.label)
		w.str(r.source)
	}
	for _, t := range []*datedTable{&s.hcpcs.codes, &s.hcpcs.mods} {
		w.u32(uint32(len(t.keys)))
		w.u64s(t.keys)
		for _, d := range t.added {
			w.date(d)
		}
		for _, d := range t.term {
			w.date(d)
		}
		for _, o := range t.rel {
			w.u32(uint32(o))
		}
	}

	w.bool(s.pos.loaded)
	w.str(s.pos.release)
	w.str(s.pos.source)
	w.b = append(w.b, byte(s.pos.count))
	for i, n := range s.pos.names {
		if n != "" {
			w.b = append(w.b, byte(i))
			w.str(n)
		}
	}

	w.bool(s.tax.loaded)
	w.str(s.tax.release)
	w.str(s.tax.source)
	w.u32(uint32(len(s.tax.keys)))
	for i, k := range s.tax.keys {
		e := s.tax.entries[i]
		w.u64(k)
		w.str(e.Code)
		w.str(e.Grouping)
		w.str(e.Classification)
		w.str(e.Specialization)
	}
	w.u32(crc32.ChecksumIEEE(w.b))
	return w.b
}

func decode(data []byte) (*Set, error) {
	if len(data) < len(storeMagic)+8 || string(data[:len(storeMagic)]) != storeMagic {
		return nil, ErrStoreFormat
	}
	body := data[:len(data)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrStoreFormat)
	}
	r := &decoder{b: body[len(storeMagic):]}
	if v := r.u32(); v != storeVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrStoreFormat, v, storeVersion)
	}
	s := &Set{}

	np := r.count(4 + 1 + 16)
	if np > maxICDPeriods {
		return nil, fmt.Errorf("%w: %d ICD-10-CM periods", ErrStoreFormat, np)
	}
	for range np {
		p := icdPeriod{fy: int(r.u16()), april: r.bool(), start: r.date(), end: r.date(), count: int(r.u32())}
		p.label, p.source = r.str(), r.str()
		s.icd.periods = append(s.icd.periods, p)
	}
	n := r.count(24)
	s.icd.keys, s.icd.bill, s.icd.head = r.u64s(n), r.u64s(n), r.u64s(n)

	nr := r.count(3 + 24)
	for range nr {
		rel := hcpcsRelease{year: int(r.u16()), month: time.Month(r.u8()), start: r.date(), end: r.date(), codes: int(r.u32()), mods: int(r.u32())}
		rel.label, rel.source = r.str(), r.str()
		s.hcpcs.releases = append(s.hcpcs.releases, rel)
	}
	for _, t := range []*datedTable{&s.hcpcs.codes, &s.hcpcs.mods} {
		n := r.count(20)
		t.keys = r.u64s(n)
		t.added, t.term, t.rel = make([]Date, n), make([]Date, n), make([]int32, n)
		for i := range n {
			t.added[i] = r.date()
		}
		for i := range n {
			t.term[i] = r.date()
		}
		for i := range n {
			t.rel[i] = int32(r.u32())
		}
	}

	s.pos.loaded = r.bool()
	s.pos.release, s.pos.source = r.str(), r.str()
	s.pos.count = int(r.u8())
	for range s.pos.count {
		i := int(r.u8())
		name := r.str()
		if i >= len(s.pos.names) {
			r.fail("place of service code %d", i)
			break
		}
		s.pos.names[i] = name
	}

	s.tax.loaded = r.bool()
	s.tax.release, s.tax.source = r.str(), r.str()
	nt := r.count(8 + 16)
	s.tax.keys = make([]uint64, 0, nt)
	s.tax.entries = make([]TaxonomyEntry, 0, nt)
	for range nt {
		s.tax.keys = append(s.tax.keys, r.u64())
		s.tax.entries = append(s.tax.entries, TaxonomyEntry{Code: r.str(), Grouping: r.str(), Classification: r.str(), Specialization: r.str()})
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	for _, keys := range [][]uint64{s.icd.keys, s.hcpcs.codes.keys, s.hcpcs.mods.keys, s.tax.keys} {
		for i := 1; i < len(keys); i++ {
			if keys[i] <= keys[i-1] {
				return nil, fmt.Errorf("%w: keys out of order", ErrStoreFormat)
			}
		}
	}
	s.finish()
	return s, nil
}

type encoder struct{ b []byte }

func (w *encoder) u16(v uint16) { w.b = binary.LittleEndian.AppendUint16(w.b, v) }
func (w *encoder) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *encoder) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *encoder) date(d Date)  { w.u32(uint32(d)) }
func (w *encoder) str(s string) { w.u32(uint32(len(s))); w.b = append(w.b, s...) }
func (w *encoder) u64s(v []uint64) {
	for _, x := range v {
		w.u64(x)
	}
}
func (w *encoder) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// decoder reads the store body; the first short read sets err and every
// later read returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (r *decoder) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrStoreFormat}, args...)...)
	}
	r.b = nil
}

func (r *decoder) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.fail("truncated")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *decoder) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *decoder) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *decoder) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *decoder) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (r *decoder) bool() bool  { return r.u8() != 0 }
func (r *decoder) date() Date  { return Date(int32(r.u32())) }
func (r *decoder) str() string { return string(r.take(int(r.u32()))) }

// count reads an element count and checks that n elements of at least
// minSize bytes each can be left, so damaged counts fail before allocating.
func (r *decoder) count(minSize int) int {
	n := r.u32()
	if r.err == nil && (n > math.MaxInt32 || int(n) > len(r.b)/minSize) {
		r.fail("count %d too large", n)
		return 0
	}
	return int(n)
}

func (r *decoder) u64s(n int) []uint64 {
	b := r.take(8 * n)
	if b == nil {
		return nil
	}
	v := make([]uint64, n)
	for i := range v {
		v[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return v
}
