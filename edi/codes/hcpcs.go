package codes

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// hcpcsName matches the CMS alpha-numeric file names: HCPC2025_OCT_ANWEB.xlsx,
// HCPC2025_OCT_ANWEB_v2.txt, HCPC2026_JUL_ANWEB_06172026.txt.
var hcpcsName = regexp.MustCompile(`(?i)^HCPC(\d{4})_([A-Z]{3})_ANWEB`)

// monthAbbr returns the month named by a three-letter upper-case abbreviation.
func monthAbbr(s string) (time.Month, bool) {
	for m := time.January; m <= time.December; m++ {
		if strings.ToUpper(m.String()[:3]) == s {
			return m, true
		}
	}
	return 0, false
}

// hcpcsReleaseFromName returns the year and month a CMS file name carries.
func hcpcsReleaseFromName(base string) (int, time.Month, bool) {
	m := hcpcsName.FindStringSubmatch(base)
	if m == nil {
		return 0, 0, false
	}
	mon, ok := monthAbbr(strings.ToUpper(m[2]))
	if !ok {
		return 0, 0, false
	}
	y, _ := strconv.Atoi(m[1])
	return y, mon, true
}

// The CMS HCPCS record layout (HCPCyyyy_recordlayout.txt, 320-byte records),
// as 0-based [from, to) byte ranges of the fields used here.
const (
	anwebCode     = 0   // cols 1-5: HCPCS code; a modifier is in cols 4-5, cols 1-3 blank
	anwebSeq      = 5   // cols 6-10: sequence number
	anwebRecID    = 10  // col 11: 3 procedure, 4 its continuation, 7 modifier, 8 its continuation
	anwebAddDate  = 268 // cols 269-276: code added date, CCYYMMDD
	anwebEffDate  = 276 // cols 277-284: action effective date
	anwebTermDate = 284 // cols 285-292: termination date, the last day the code may be used
	anwebDateLen  = 8
)

// hcpcsLoad collects the records of one HCPCS file.
type hcpcsLoad struct {
	name    string
	codes   map[uint64]datedRecord
	mods    map[uint64]datedRecord
	skipped int  // Level I (CPT) codes and modifiers seen and not kept
	maxEff  Date // latest action effective date, to tell the release when the name does not
}

func newHCPCSLoad(name string) *hcpcsLoad {
	return &hcpcsLoad{name: name, codes: map[uint64]datedRecord{}, mods: map[uint64]datedRecord{}}
}

// record takes one first-line record (RECID 3 or 7). where is "line N" or
// "row N", for errors.
func (h *hcpcsLoad) record(code string, recid byte, add, eff, term, where string) error {
	code = trimSpace(code)
	var dst map[uint64]datedRecord
	switch recid {
	case '3':
		if len(code) == 5 && isDigit(code[0]) { // CPT: AMA-licensed, never stored
			h.skipped++
			return nil
		}
		if !HCPCSFormat(code) {
			return fmt.Errorf("reading HCPCS file %s %s: bad HCPCS code %q", h.name, where, code)
		}
		dst = h.codes
	case '7':
		if len(code) == 2 && allDigits(code) { // CPT modifier
			h.skipped++
			return nil
		}
		if !ModifierFormat(code) {
			return fmt.Errorf("reading HCPCS file %s %s: bad modifier %q", h.name, where, code)
		}
		dst = h.mods
	default:
		return fmt.Errorf("reading HCPCS file %s %s: record id %q, want 3, 4, 7 or 8", h.name, where, recid)
	}
	var r datedRecord
	var err error
	if r.added, err = parseYMD(add); err != nil {
		return fmt.Errorf("reading HCPCS file %s %s: add date: %w", h.name, where, err)
	}
	if r.term, err = parseYMD(term); err != nil {
		return fmt.Errorf("reading HCPCS file %s %s: termination date: %w", h.name, where, err)
	}
	e, err := parseYMD(eff)
	if err != nil {
		return fmt.Errorf("reading HCPCS file %s %s: action effective date: %w", h.name, where, err)
	}
	h.maxEff = max(h.maxEff, e)
	k, _ := pack(code)
	if _, dup := dst[k]; dup {
		return fmt.Errorf("reading HCPCS file %s %s: %s listed twice", h.name, where, code)
	}
	dst[k] = r
	return nil
}

// release names the release from the file name (HCPC2025_OCT_ANWEB...) or,
// failing that, from the quarter of the latest action effective date, and
// stamps every record with it.
func (h *hcpcsLoad) release(base string) (*hcpcsRelease, error) {
	if len(h.codes) == 0 && len(h.mods) == 0 {
		return nil, fmt.Errorf("reading HCPCS file %s: no Level II codes or modifiers", h.name)
	}
	year, month, ok := hcpcsReleaseFromName(base)
	if !ok {
		if h.maxEff == 0 {
			return nil, fmt.Errorf("reading HCPCS file %s: cannot tell the release; keep the CMS file name (HCPC2025_OCT_ANWEB...)", h.name)
		}
		year, month = h.maxEff.Year(), time.Month((int(h.maxEff.Month())-1)/3*3+1)
	}
	start := NewDate(year, month, 1)
	rel := &hcpcsRelease{
		year: year, month: month,
		start: start, end: DateOf(start.Time().AddDate(0, 3, -1)),
		codes: len(h.codes), mods: len(h.mods),
		label:  fmt.Sprintf("HCPCS %d %s", year, strings.ToUpper(month.String()[:3])),
		source: base,
	}
	o := rel.order()
	for _, m := range []map[uint64]datedRecord{h.codes, h.mods} {
		for k, r := range m {
			r.rel = o
			m[k] = r
		}
	}
	return rel, nil
}

// field returns l[from:from+n], or what of it the line has (lines may be
// stripped of trailing blanks).
func field(l string, from, n int) string {
	if from >= len(l) {
		return ""
	}
	return l[from:min(from+n, len(l))]
}

// parseANWEB reads the fixed-width CMS alpha-numeric text file
// (HCPC2025_OCT_ANWEB.txt): one 320-byte record per line, continuation
// records (4, 8) carrying only more description text.
func parseANWEB(r io.Reader, h *hcpcsLoad) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), 64*1024)
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if len(l) <= anwebRecID || !allDigits(l[anwebSeq:anwebRecID]) {
			return fmt.Errorf("reading HCPCS file %s line %d: not the CMS ANWEB record layout", h.name, line)
		}
		recid := l[anwebRecID]
		if recid == '4' || recid == '8' {
			continue
		}
		where := "line " + strconv.Itoa(line)
		err := h.record(l[anwebCode:anwebSeq], recid,
			field(l, anwebAddDate, anwebDateLen), field(l, anwebEffDate, anwebDateLen),
			field(l, anwebTermDate, anwebDateLen), where)
		if err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading HCPCS file %s: %w", h.name, err)
	}
	return nil
}

// parseANWEBRows reads the rows of CMS's xlsx rendering of the same file:
// a header row (HCPC, SEQNUM, RECID, ..., ADD DT, ACT EFF DT, TERM DT,
// ACTION CD), then one row per code with continuations already merged.
func parseANWEBRows(rows func(yield func(row int, cells []string) error) error, h *hcpcsLoad) error {
	col := map[string]int{}
	need := []string{"HCPC", "RECID", "ADDDT", "ACTEFFDT", "TERMDT"}
	cell := func(cells []string, name string) string {
		if i := col[name]; i < len(cells) {
			return cells[i]
		}
		return ""
	}
	return rows(func(row int, cells []string) error {
		if len(col) == 0 {
			for i, c := range cells {
				col[headerKey(c)] = i
			}
			for _, n := range need {
				if _, ok := col[n]; !ok {
					return fmt.Errorf("reading HCPCS file %s: header row lacks column %s", h.name, n)
				}
			}
			return nil
		}
		recid := trimSpace(cell(cells, "RECID"))
		code := cell(cells, "HCPC")
		if recid == "" && trimSpace(code) == "" {
			return nil
		}
		if len(recid) != 1 {
			return fmt.Errorf("reading HCPCS file %s row %d: record id %q", h.name, row, recid)
		}
		if recid[0] == '4' || recid[0] == '8' {
			return nil
		}
		return h.record(code, recid[0], cell(cells, "ADDDT"), cell(cells, "ACTEFFDT"), cell(cells, "TERMDT"), "row "+strconv.Itoa(row))
	})
}

// headerKey normalises a column heading: upper case, no blanks or underscores.
func headerKey(s string) string {
	s = strings.ToUpper(trimSpace(s))
	return strings.NewReplacer(" ", "", "_", "").Replace(s)
}
