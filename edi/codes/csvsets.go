package codes

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// csvKind tells a place of service list from a NUCC taxonomy file by the
// header row.
func csvKind(header []string) (Kind, bool) {
	col := csvColumns(header)
	has := func(name string) bool { _, ok := col[name]; return ok }
	switch {
	case has("code") && has("grouping") && has("classification") && has("specialization"):
		return KindTaxonomy, true
	case has("code") && has("name"):
		return KindPOS, true
	}
	return "", false
}

// csvColumns maps lower-cased header names to column positions.
func csvColumns(header []string) map[string]int {
	m := map[string]int{}
	for i, h := range header {
		h = strings.TrimPrefix(h, "\ufeff")
		m[strings.ToLower(trimSpace(h))] = i
	}
	return m
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr
}

// parsePOS reads the CMS place of service list as a CSV with a header row
// holding at least "code" and "name", and optionally "assigned" (Y/N).
// Unassigned codes are left out, so they answer false.
func parsePOS(r io.Reader, name string) (posSet, error) {
	cr := newCSVReader(r)
	header, err := cr.Read()
	if err != nil {
		return posSet{}, fmt.Errorf("reading place of service file %s: %w", name, err)
	}
	col := csvColumns(header)
	ci, ni := col["code"], col["name"]
	ai, hasAssigned := col["assigned"]
	p := posSet{loaded: true, release: "CMS place of service", source: name}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return posSet{}, fmt.Errorf("reading place of service file %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) <= max(ci, ni) {
			return posSet{}, fmt.Errorf("reading place of service file %s line %d: %d fields", name, line, len(rec))
		}
		code, nm := trimSpace(rec[ci]), trimSpace(rec[ni])
		if !POSFormat(code) {
			return posSet{}, fmt.Errorf("reading place of service file %s line %d: bad code %q", name, line, code)
		}
		if hasAssigned && ai < len(rec) && strings.EqualFold(trimSpace(rec[ai]), "N") || nm == "" || strings.EqualFold(nm, "unassigned") {
			continue
		}
		i := int(code[0]-'0')*10 + int(code[1]-'0')
		if p.names[i] != "" {
			return posSet{}, fmt.Errorf("reading place of service file %s line %d: code %s listed twice", name, line, code)
		}
		p.names[i] = strings.Clone(nm)
		p.count++
	}
	if p.count == 0 {
		return posSet{}, fmt.Errorf("reading place of service file %s: no assigned codes", name)
	}
	return p, nil
}

// nuccName matches the NUCC file name, nucc_taxonomy_251.csv = version 25.1.
var nuccName = regexp.MustCompile(`(?i)^nucc_taxonomy_(\d+)(\d)\b`)

// parseTaxonomy reads the NUCC taxonomy CSV (Code, Grouping, Classification,
// Specialization, Definition, Notes, Display Name, Section).
func parseTaxonomy(r io.Reader, name string) (taxData, error) {
	cr := newCSVReader(r)
	header, err := cr.Read()
	if err != nil {
		return taxData{}, fmt.Errorf("reading NUCC taxonomy file %s: %w", name, err)
	}
	col := csvColumns(header)
	ci, gi, cli, si := col["code"], col["grouping"], col["classification"], col["specialization"]
	release := "NUCC"
	if m := nuccName.FindStringSubmatch(name); m != nil {
		release = "NUCC " + m[1] + "." + m[2]
	}
	t := taxData{loaded: true, release: release, source: name, entries: map[uint64]TaxonomyEntry{}}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return taxData{}, fmt.Errorf("reading NUCC taxonomy file %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) <= max(ci, gi, cli, si) {
			return taxData{}, fmt.Errorf("reading NUCC taxonomy file %s line %d: %d fields", name, line, len(rec))
		}
		code := trimSpace(rec[ci])
		if !TaxonomyFormat(code) {
			return taxData{}, fmt.Errorf("reading NUCC taxonomy file %s line %d: bad code %q", name, line, code)
		}
		k, _ := pack(code)
		if _, dup := t.entries[k]; dup {
			return taxData{}, fmt.Errorf("reading NUCC taxonomy file %s line %d: code %s listed twice", name, line, code)
		}
		t.entries[k] = TaxonomyEntry{
			Code:           strings.Clone(code),
			Grouping:       strings.Clone(trimSpace(rec[gi])),
			Classification: strings.Clone(trimSpace(rec[cli])),
			Specialization: strings.Clone(trimSpace(rec[si])),
		}
	}
	if len(t.entries) == 0 {
		return taxData{}, fmt.Errorf("reading NUCC taxonomy file %s: no codes", name)
	}
	return t, nil
}
