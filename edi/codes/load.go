package codes

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Summary says what one loaded file held.
type Summary struct {
	Path      string
	Kind      Kind
	Release   string // "ICD-10-CM FY2026", "HCPCS 2025 OCT", "NUCC 25.1"
	Codes     int    // ICD-10-CM: codes (billable and header); HCPCS: Level II codes
	Billable  int    // ICD-10-CM: billable codes
	Modifiers int    // HCPCS Level II modifiers
	Skipped   int    // HCPCS Level I (CPT) records seen and not stored
}

// ErrUnknownFile is returned, wrapped, for a file that is none of the
// release files Load reads.
var ErrUnknownFile = errors.New("not a known code-set release file (want the CMS ICD-10-CM tabular-order zip or icd10cm_order_YYYY.txt, the CMS HCPCS alpha-numeric zip, xlsx or ANWEB txt, the place of service CSV or the NUCC taxonomy CSV)")

// maxZipMember bounds how much of a zip member is read into memory (a
// nested xlsx); official files are well under it.
const maxZipMember = 512 << 20

// Load reads release files, as their publishers ship them, and merges them
// into base (which may be nil), returning a new Set; base is not changed.
// The kind of each file is told from its name and content:
//
//   - CMS ICD-10-CM "code descriptions in tabular order" zip (or the
//     icd10cm_order_YYYY.txt inside it): fiscal year YYYY. Loading another
//     fiscal year adds it; loading the same year again replaces it. A zip
//     whose name says "april" is the April 1 update of its fiscal year.
//   - CMS HCPCS Level II alpha-numeric file: the quarterly zip, the
//     HCPCyyyy_MON_ANWEB xlsx or the fixed-width ANWEB txt. For each code
//     the newest release that lists it wins.
//   - CMS place of service CSV (code, name[, assigned]): replaces the list.
//   - NUCC taxonomy CSV (nucc_taxonomy_251.csv): replaces the taxonomy.
//
// CPT (HCPCS Level I) codes and modifiers met in a file are counted in
// Summary.Skipped and never stored.
func Load(base *Set, paths ...string) (*Set, []Summary, error) {
	b := newBuilder(base)
	var sums []Summary
	for _, p := range paths {
		s, err := b.addFile(p)
		if err != nil {
			return nil, nil, err
		}
		sums = append(sums, s...)
	}
	return b.compile(), sums, nil
}

// Update opens the store file at store (a missing store starts empty),
// loads paths into it as Load does, and saves it atomically. It is what
// `claimflow codes load` runs.
func Update(store string, paths ...string) ([]Summary, error) {
	base, err := Open(store)
	if errors.Is(err, fs.ErrNotExist) {
		base, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	set, sums, err := Load(base, paths...)
	if err != nil {
		return nil, err
	}
	if err := set.Save(store); err != nil {
		return nil, err
	}
	return sums, nil
}

func (b *builder) addFile(p string) ([]Summary, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("loading code set %s: %w", p, err)
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("loading code set %s: %w", p, err)
	}
	base := filepath.Base(p)
	if n == 4 && string(head) == "PK\x03\x04" {
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("loading code set %s: %w", p, err)
		}
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return nil, fmt.Errorf("reading zip %s: %w", p, err)
		}
		return b.addZip(zr, p, base)
	}
	s, err := b.addText(f, p, base)
	if err != nil {
		return nil, err
	}
	return []Summary{s}, nil
}

// addZip loads an xlsx workbook or the release files inside a publisher's zip.
func (b *builder) addZip(zr *zip.Reader, p, base string) ([]Summary, error) {
	var icd []*zip.File
	var hcpcsTxt, hcpcsXLSX *zip.File
	for _, f := range zr.File {
		name := path.Base(f.Name)
		switch {
		case f.Name == "xl/workbook.xml":
			s, err := b.addHCPCSXLSX(zr, p, base)
			if err != nil {
				return nil, err
			}
			return []Summary{s}, nil
		case icdOrderName.MatchString(name):
			icd = append(icd, f)
		case hcpcsName.MatchString(name) && strings.EqualFold(path.Ext(name), ".txt"):
			hcpcsTxt = f
		case hcpcsName.MatchString(name) && strings.EqualFold(path.Ext(name), ".xlsx"):
			hcpcsXLSX = f
		}
	}
	var sums []Summary
	for _, f := range icd {
		fy, _ := icdOrderFY(path.Base(f.Name))
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("reading ICD-10-CM zip %s: %w", p, err)
		}
		s, err := b.addICDOrder(rc, p+":"+f.Name, base, fy, isAprilRelease(base))
		rc.Close()
		if err != nil {
			return nil, err
		}
		sums = append(sums, s)
	}
	switch {
	case hcpcsTxt != nil: // the text is quicker to read than the xlsx
		rc, err := hcpcsTxt.Open()
		if err != nil {
			return nil, fmt.Errorf("reading HCPCS zip %s: %w", p, err)
		}
		s, err := b.addHCPCSText(rc, p+":"+hcpcsTxt.Name, path.Base(hcpcsTxt.Name))
		rc.Close()
		if err != nil {
			return nil, err
		}
		sums = append(sums, s)
	case hcpcsXLSX != nil:
		data, err := readZipMember(hcpcsXLSX)
		if err != nil {
			return nil, fmt.Errorf("reading HCPCS zip %s: %w", p, err)
		}
		inner, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("reading HCPCS zip %s: %s: %w", p, hcpcsXLSX.Name, err)
		}
		s, err := b.addHCPCSXLSX(inner, p+":"+hcpcsXLSX.Name, path.Base(hcpcsXLSX.Name))
		if err != nil {
			return nil, err
		}
		sums = append(sums, s)
	}
	if len(sums) == 0 {
		return nil, fmt.Errorf("loading zip %s: %w", p, ErrUnknownFile)
	}
	return sums, nil
}

func readZipMember(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxZipMember {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", f.Name, f.UncompressedSize64, maxZipMember)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxZipMember))
}

// addText loads a text file: ICD-10-CM order file, HCPCS ANWEB text, or a
// CSV, told apart by name and first line.
func (b *builder) addText(r io.Reader, p, base string) (Summary, error) {
	br := bufio.NewReader(r)
	first, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return Summary{}, fmt.Errorf("loading code set %s: %w", p, err)
	}
	rest := io.MultiReader(strings.NewReader(first), br)
	first = strings.TrimRight(first, "\r\n")
	if fy, ok := icdOrderFY(base); ok {
		return b.addICDOrder(rest, p, base, fy, isAprilRelease(base))
	}
	if hcpcsName.MatchString(base) && !strings.EqualFold(filepath.Ext(base), ".csv") {
		return b.addHCPCSText(rest, p, base)
	}
	if strings.Contains(first, ",") {
		hdr := strings.Split(first, ",")
		for i := range hdr {
			hdr[i] = strings.Trim(hdr[i], `"`)
		}
		switch k, _ := csvKind(hdr); k {
		case KindPOS:
			pos, err := parsePOS(rest, base)
			if err != nil {
				return Summary{}, err
			}
			b.pos = pos
			return Summary{Path: p, Kind: KindPOS, Release: pos.release, Codes: pos.count}, nil
		case KindTaxonomy:
			tax, err := parseTaxonomy(rest, base)
			if err != nil {
				return Summary{}, err
			}
			b.tax = tax
			return Summary{Path: p, Kind: KindTaxonomy, Release: tax.release, Codes: len(tax.entries)}, nil
		}
	}
	// A renamed ANWEB text: a 5-digit sequence number and a record id at col 11.
	if len(first) > anwebRecID && allDigits(first[anwebSeq:anwebRecID]) && strings.ContainsRune("3478", rune(first[anwebRecID])) {
		return b.addHCPCSText(rest, p, base)
	}
	return Summary{}, fmt.Errorf("loading code set %s: %w", p, ErrUnknownFile)
}

func (b *builder) addICDOrder(r io.Reader, p, base string, fy int, april bool) (Summary, error) {
	codes, err := parseICDOrder(r, p)
	if err != nil {
		return Summary{}, err
	}
	if err := b.addICD(fy, april, base, codes); err != nil {
		return Summary{}, err
	}
	s := Summary{Path: p, Kind: KindICD10CM, Release: fmt.Sprintf("ICD-10-CM FY%d", fy), Codes: len(codes)}
	if april {
		s.Release += " (April 1 update)"
	}
	for _, billable := range codes {
		if billable {
			s.Billable++
		}
	}
	return s, nil
}

func (b *builder) addHCPCSText(r io.Reader, p, base string) (Summary, error) {
	h := newHCPCSLoad(p)
	if err := parseANWEB(r, h); err != nil {
		return Summary{}, err
	}
	return b.finishHCPCS(h, p, base)
}

func (b *builder) addHCPCSXLSX(zr *zip.Reader, p, base string) (Summary, error) {
	h := newHCPCSLoad(p)
	if err := parseANWEBRows(xlsxRows(zr, p), h); err != nil {
		return Summary{}, err
	}
	return b.finishHCPCS(h, p, base)
}

func (b *builder) finishHCPCS(h *hcpcsLoad, p, base string) (Summary, error) {
	rel, err := h.release(base)
	if err != nil {
		return Summary{}, err
	}
	b.addHCPCS(rel, h.codes, h.mods)
	return Summary{Path: p, Kind: KindHCPCS, Release: rel.label, Codes: rel.codes, Modifiers: rel.mods, Skipped: h.skipped}, nil
}
