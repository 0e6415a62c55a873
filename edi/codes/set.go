package codes

import (
	"strconv"
	"time"
)

// Kind names a code set.
type Kind string

// The code sets a Set can hold.
const (
	KindICD10CM  Kind = "ICD-10-CM"
	KindHCPCS    Kind = "HCPCS"
	KindPOS      Kind = "POS"
	KindTaxonomy Kind = "taxonomy"
)

// Status is the answer to a code lookup.
type Status uint8

const (
	// NotChecked: no loaded release covers the date of service, the set is
	// not loaded, or the code is of a kind never stored (CPT). The code was
	// not checked; it is not invalid.
	NotChecked Status = iota
	// Valid: the code is valid (billable) on the date of service.
	Valid
	// NotBillable: an ICD-10-CM header code, present in the release but not
	// valid in a claim (E11: a more specific code is required).
	NotBillable
	// Unknown: the code is not in the release that covers the date of service.
	Unknown
	// NotYetEffective: a HCPCS code or modifier added after the date of service.
	NotYetEffective
	// Terminated: a HCPCS code or modifier whose termination date (the last
	// day it may be used) is before the date of service.
	Terminated
)

// String returns a lower-case description: "valid", "not checked", ...
func (s Status) String() string {
	switch s {
	case NotChecked:
		return "not checked"
	case Valid:
		return "valid"
	case NotBillable:
		return "not billable (header code)"
	case Unknown:
		return "unknown"
	case NotYetEffective:
		return "not yet effective"
	case Terminated:
		return "terminated"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Invalid reports whether s means the claim carries a code a payer will
// reject. NotChecked and Valid are not invalid.
func (s Status) Invalid() bool { return s >= NotBillable }

// Result is the answer to a lookup.
type Result struct {
	Status Status
	// Release names the release the code was checked against, as
	// "ICD-10-CM FY2026" or "HCPCS 2025 OCT"; empty when nothing covered
	// the date of service.
	Release string
	// Added and Terminated are the HCPCS add date and termination date (the
	// last day the code may be used) when the code was found; zero otherwise
	// and for ICD-10-CM.
	Added, Terminated Date
}

// Release describes one loaded release, as Set.Loaded reports it.
type Release struct {
	Kind Kind
	Name string // "ICD-10-CM FY2026", "HCPCS 2025 OCT", "NUCC 25.1"
	// From and Through bound the dates of service the release answers for;
	// zero means no bound. A HCPCS release also answers dates of service
	// before From from each code's add and termination dates.
	From, Through Date
	Codes         int    // ICD-10-CM: billable codes; HCPCS: Level II codes
	Modifiers     int    // HCPCS Level II modifiers
	Source        string // base name of the file it was loaded from
}

// TaxonomyEntry is one NUCC provider taxonomy code.
type TaxonomyEntry struct {
	Code           string // 207Q00000X
	Grouping       string // Allopathic & Osteopathic Physicians
	Classification string // Family Medicine
	Specialization string // empty for a classification-level code
}

// Set is a loaded, read-only collection of code sets. Lookups never
// allocate and are safe for concurrent use. The zero Set, and a nil *Set,
// hold nothing and answer NotChecked.
type Set struct {
	icd   icdSet
	hcpcs hcpcsSet
	pos   posSet
	tax   taxSet
}

// icdPeriod is the span of dates of service one ICD-10-CM release answers
// for: a fiscal year (October 1 to September 30), split at April 1 when an
// April update of that year is loaded too. Its bit in icdSet masks is its
// position in icdSet.periods.
type icdPeriod struct {
	fy         int
	april      bool // loaded from an April 1 update
	start, end Date
	count      int // billable codes
	label      string
	source     string
}

type icdSet struct {
	periods []icdPeriod // sorted by start, at most 64
	keys    []uint64    // sorted packed codes
	bill    []uint64    // per code: bit p set when billable in periods[p]
	head    []uint64    // per code: bit p set when a header code in periods[p]
	idx     index
}

// hcpcsRelease is one loaded quarterly HCPCS Level II file.
type hcpcsRelease struct {
	year       int
	month      time.Month
	start, end Date // the quarter it is effective for
	codes      int
	mods       int
	label      string
	source     string
}

// order sorts releases: yyyymm.
func (r *hcpcsRelease) order() int32 { return int32(r.year*100 + int(r.month)) }

type hcpcsSet struct {
	releases []hcpcsRelease // sorted by start
	through  Date           // last date of service any release covers
	latest   string         // label of the newest release
	codes    datedTable
	mods     datedTable
}

// datedTable holds codes with add and termination dates, and the release
// (yyyymm) each record was taken from, so that merging keeps the newest.
type datedTable struct {
	keys  []uint64
	added []Date
	term  []Date
	rel   []int32
	idx   index
}

type posSet struct {
	loaded  bool
	release string
	source  string
	names   [100]string // by code; "" = unassigned
	count   int
}

type taxSet struct {
	loaded  bool
	release string
	source  string
	keys    []uint64 // sorted
	entries []TaxonomyEntry
	idx     index
}

// ICD10 checks an ICD-10-CM diagnosis code, as sent in X12 (no dot: E119),
// against the release that covers the date of service dos (the fiscal year
// of dos; October 1 starts a new year). dos counts as the calendar date it
// has in its own location. A date of service no loaded release covers
// answers NotChecked.
func (s *Set) ICD10(code string, dos time.Time) Result {
	if s == nil || len(s.icd.periods) == 0 {
		return Result{}
	}
	d := DateOf(dos)
	p := -1
	for i := range s.icd.periods {
		if d >= s.icd.periods[i].start && d <= s.icd.periods[i].end {
			p = i
			break
		}
	}
	if p < 0 {
		return Result{}
	}
	r := Result{Status: Unknown, Release: s.icd.periods[p].label}
	k, ok := pack(code)
	if !ok {
		return r
	}
	i := s.icd.idx.find(k)
	if i < 0 {
		return r
	}
	bit := uint64(1) << uint(p)
	switch {
	case s.icd.bill[i]&bit != 0:
		r.Status = Valid
	case s.icd.head[i]&bit != 0:
		r.Status = NotBillable
	}
	return r
}

// HCPCS checks a HCPCS Level II code (G0439) on the date of service dos:
// Valid when added on or before dos and not terminated before it. A dos
// after the quarter of the newest loaded release answers NotChecked, since a
// later release may add or end codes; so does a CPT (Level I) code, which is
// never stored.
func (s *Set) HCPCS(code string, dos time.Time) Result {
	if len(code) > 0 && isDigit(code[0]) {
		return Result{}
	}
	if s == nil {
		return Result{}
	}
	return s.hcpcs.lookup(&s.hcpcs.codes, code, dos)
}

// Modifier checks a HCPCS Level II modifier (KX, LT) on the date of service
// dos, as HCPCS does codes. A two-digit CPT modifier (25, 59) answers
// NotChecked: CPT is never stored.
func (s *Set) Modifier(code string, dos time.Time) Result {
	if len(code) == 2 && isDigit(code[0]) && isDigit(code[1]) {
		return Result{}
	}
	if s == nil {
		return Result{}
	}
	return s.hcpcs.lookup(&s.hcpcs.mods, code, dos)
}

func (h *hcpcsSet) lookup(t *datedTable, code string, dos time.Time) Result {
	if len(h.releases) == 0 {
		return Result{}
	}
	d := DateOf(dos)
	if d > h.through {
		return Result{}
	}
	r := Result{Status: Unknown, Release: h.latest}
	k, ok := pack(code)
	if !ok {
		return r
	}
	i := t.idx.find(k)
	if i < 0 {
		return r
	}
	r.Added, r.Terminated = t.added[i], t.term[i]
	switch {
	case r.Added != 0 && d < r.Added:
		r.Status = NotYetEffective
	case r.Terminated != 0 && d > r.Terminated:
		r.Status = Terminated
	default:
		r.Status = Valid
	}
	return r
}

// POS returns the name of a place of service code (11: "Office") and
// whether the code is assigned in the loaded list. It answers false when no
// list is loaded; see Has.
func (s *Set) POS(code string) (name string, ok bool) {
	if s == nil || !s.pos.loaded || !POSFormat(code) {
		return "", false
	}
	n := s.pos.names[int(code[0]-'0')*10+int(code[1]-'0')]
	return n, n != ""
}

// Taxonomy reports whether code is in the loaded NUCC taxonomy. It answers
// false when none is loaded; see Has.
func (s *Set) Taxonomy(code string) bool {
	_, ok := s.LookupTaxonomy(code)
	return ok
}

// LookupTaxonomy returns the NUCC entry for code.
func (s *Set) LookupTaxonomy(code string) (TaxonomyEntry, bool) {
	if s == nil || !s.tax.loaded || len(code) != 10 {
		return TaxonomyEntry{}, false
	}
	k, ok := pack(code)
	if !ok {
		return TaxonomyEntry{}, false
	}
	i := s.tax.idx.find(k)
	if i < 0 {
		return TaxonomyEntry{}, false
	}
	return s.tax.entries[i], true
}

// Has reports whether any release of kind k is loaded. A scrubber calls it
// once to say, for example, "ICD-10-CM not loaded: format checks only".
func (s *Set) Has(k Kind) bool {
	if s == nil {
		return false
	}
	switch k {
	case KindICD10CM:
		return len(s.icd.periods) > 0
	case KindHCPCS:
		return len(s.hcpcs.releases) > 0
	case KindPOS:
		return s.pos.loaded
	case KindTaxonomy:
		return s.tax.loaded
	}
	return false
}

// Loaded lists the loaded releases: ICD-10-CM periods in date order, then
// HCPCS releases, place of service and taxonomy.
func (s *Set) Loaded() []Release {
	if s == nil {
		return nil
	}
	var out []Release
	for _, p := range s.icd.periods {
		out = append(out, Release{Kind: KindICD10CM, Name: p.label, From: p.start, Through: p.end, Codes: p.count, Source: p.source})
	}
	for _, r := range s.hcpcs.releases {
		out = append(out, Release{Kind: KindHCPCS, Name: r.label, From: r.start, Through: r.end, Codes: r.codes, Modifiers: r.mods, Source: r.source})
	}
	if s.pos.loaded {
		out = append(out, Release{Kind: KindPOS, Name: s.pos.release, Codes: s.pos.count, Source: s.pos.source})
	}
	if s.tax.loaded {
		out = append(out, Release{Kind: KindTaxonomy, Name: s.tax.release, Codes: len(s.tax.keys), Source: s.tax.source})
	}
	return out
}
