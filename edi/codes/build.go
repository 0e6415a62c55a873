package codes

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// builder is the mutable form of a Set, used while loading release files.
// Load turns a Set into a builder, adds files and compiles a new Set.
type builder struct {
	icd       map[Date]*icdPeriodData // by period start
	hcpcsRels map[int32]*hcpcsRelease // by yyyymm
	hcpcs     map[uint64]datedRecord
	mods      map[uint64]datedRecord
	pos       posSet
	tax       taxData
}

type icdPeriodData struct {
	fy     int
	april  bool
	source string
	codes  map[uint64]bool // code -> billable (false: header)
}

type datedRecord struct {
	added, term Date
	rel         int32
}

type taxData struct {
	loaded  bool
	release string
	source  string
	entries map[uint64]TaxonomyEntry
}

// maxICDPeriods is the number of ICD-10-CM periods a Set can hold (one bit
// each in a uint64 mask): 32 fiscal years with an April update each.
const maxICDPeriods = 64

// newBuilder returns a builder holding what s holds (s may be nil).
func newBuilder(s *Set) *builder {
	b := &builder{
		icd:       map[Date]*icdPeriodData{},
		hcpcsRels: map[int32]*hcpcsRelease{},
		hcpcs:     map[uint64]datedRecord{},
		mods:      map[uint64]datedRecord{},
		tax:       taxData{entries: map[uint64]TaxonomyEntry{}},
	}
	if s == nil {
		return b
	}
	for p, per := range s.icd.periods {
		d := &icdPeriodData{fy: per.fy, april: per.april, source: per.source, codes: map[uint64]bool{}}
		bit := uint64(1) << uint(p)
		for i, k := range s.icd.keys {
			switch {
			case s.icd.bill[i]&bit != 0:
				d.codes[k] = true
			case s.icd.head[i]&bit != 0:
				d.codes[k] = false
			}
		}
		b.icd[per.start] = d
	}
	for _, r := range s.hcpcs.releases {
		b.hcpcsRels[r.order()] = &r
	}
	for i, k := range s.hcpcs.codes.keys {
		t := &s.hcpcs.codes
		b.hcpcs[k] = datedRecord{added: t.added[i], term: t.term[i], rel: t.rel[i]}
	}
	for i, k := range s.hcpcs.mods.keys {
		t := &s.hcpcs.mods
		b.mods[k] = datedRecord{added: t.added[i], term: t.term[i], rel: t.rel[i]}
	}
	b.pos = s.pos
	if s.tax.loaded {
		b.tax.loaded, b.tax.release, b.tax.source = true, s.tax.release, s.tax.source
		for i, k := range s.tax.keys {
			b.tax.entries[k] = s.tax.entries[i]
		}
	}
	return b
}

// icdStart returns the first date of service of an ICD-10-CM release of
// fiscal year fy: October 1 of the year before, or April 1 for an April update.
func icdStart(fy int, april bool) Date {
	if april {
		return NewDate(fy, time.April, 1)
	}
	return NewDate(fy-1, time.October, 1)
}

// addICD replaces the ICD-10-CM release of fiscal year fy (October or April)
// with codes.
func (b *builder) addICD(fy int, april bool, source string, codes map[uint64]bool) error {
	start := icdStart(fy, april)
	if _, ok := b.icd[start]; !ok && len(b.icd) >= maxICDPeriods {
		return fmt.Errorf("adding ICD-10-CM FY%d: a store holds at most %d releases", fy, maxICDPeriods)
	}
	b.icd[start] = &icdPeriodData{fy: fy, april: april, source: source, codes: codes}
	return nil
}

// addHCPCS merges one HCPCS release: for each code the record from the
// newest release that lists it wins, so files may be loaded in any order.
func (b *builder) addHCPCS(rel *hcpcsRelease, codes, mods map[uint64]datedRecord) {
	b.hcpcsRels[rel.order()] = rel
	merge := func(dst, src map[uint64]datedRecord) {
		for k, r := range src {
			if old, ok := dst[k]; ok && old.rel > r.rel {
				continue
			}
			dst[k] = r
		}
	}
	merge(b.hcpcs, codes)
	merge(b.mods, mods)
}

// compile builds the read-only Set.
func (b *builder) compile() *Set {
	s := &Set{}

	// ICD-10-CM: periods in date order; each ends at the end of its fiscal
	// year or the day before the next period starts.
	starts := slices.Sorted(maps.Keys(b.icd))
	all := map[uint64]struct{}{}
	for _, st := range starts {
		d := b.icd[st]
		end := NewDate(d.fy, time.September, 30)
		label := fmt.Sprintf("ICD-10-CM FY%d", d.fy)
		if d.april {
			label += " (April 1 update)"
		}
		s.icd.periods = append(s.icd.periods, icdPeriod{fy: d.fy, april: d.april, start: st, end: end, label: label, source: d.source})
		for k := range d.codes {
			all[k] = struct{}{}
		}
	}
	for i := range s.icd.periods {
		if i+1 < len(s.icd.periods) {
			if next := s.icd.periods[i+1].start; next <= s.icd.periods[i].end {
				s.icd.periods[i].end = next.addDays(-1)
			}
		}
	}
	s.icd.keys = slices.Sorted(maps.Keys(all))
	s.icd.bill = make([]uint64, len(s.icd.keys))
	s.icd.head = make([]uint64, len(s.icd.keys))
	for p, st := range starts {
		bit := uint64(1) << uint(p)
		for i, k := range s.icd.keys {
			billable, ok := b.icd[st].codes[k]
			switch {
			case !ok:
			case billable:
				s.icd.bill[i] |= bit
				s.icd.periods[p].count++
			default:
				s.icd.head[i] |= bit
			}
		}
	}

	// HCPCS.
	for _, o := range slices.Sorted(maps.Keys(b.hcpcsRels)) {
		s.hcpcs.releases = append(s.hcpcs.releases, *b.hcpcsRels[o])
	}
	s.hcpcs.codes = compileDated(b.hcpcs)
	s.hcpcs.mods = compileDated(b.mods)

	s.pos = b.pos
	if b.tax.loaded {
		s.tax.loaded, s.tax.release, s.tax.source = true, b.tax.release, b.tax.source
		s.tax.keys = slices.Sorted(maps.Keys(b.tax.entries))
		for _, k := range s.tax.keys {
			s.tax.entries = append(s.tax.entries, b.tax.entries[k])
		}
	}
	s.finish()
	return s
}

func compileDated(m map[uint64]datedRecord) datedTable {
	var t datedTable
	t.keys = slices.Sorted(maps.Keys(m))
	t.added = make([]Date, len(t.keys))
	t.term = make([]Date, len(t.keys))
	t.rel = make([]int32, len(t.keys))
	for i, k := range t.keys {
		r := m[k]
		t.added[i], t.term[i], t.rel[i] = r.added, r.term, r.rel
	}
	return t
}

// finish builds the lookup indexes and the derived HCPCS fields; it is the
// last step of both compile and decoding a store.
func (s *Set) finish() {
	s.icd.idx = newIndex(s.icd.keys)
	s.hcpcs.codes.idx = newIndex(s.hcpcs.codes.keys)
	s.hcpcs.mods.idx = newIndex(s.hcpcs.mods.keys)
	s.tax.idx = newIndex(s.tax.keys)
	s.hcpcs.through, s.hcpcs.latest = 0, ""
	for _, r := range s.hcpcs.releases {
		s.hcpcs.through = max(s.hcpcs.through, r.end)
	}
	if n := len(s.hcpcs.releases); n > 0 {
		s.hcpcs.latest = s.hcpcs.releases[n-1].label
	}
}
