package codes

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// A minimal reader for the one xlsx shape we load (CMS's HCPCS workbook):
// the first worksheet's cell values as text, shared strings resolved. It
// reads the OOXML parts with archive/zip and encoding/xml; styles, formulas
// and dates-as-serial-numbers are not interpreted.

// xlsxRows returns an iterator over the rows of the first worksheet of the
// workbook in zr: yield gets the 1-based row number and the cells by column
// (A = 0); the slice is reused between calls.
func xlsxRows(zr *zip.Reader, name string) func(yield func(row int, cells []string) error) error {
	return func(yield func(int, []string) error) error {
		files := map[string]*zip.File{}
		for _, f := range zr.File {
			files[f.Name] = f
		}
		sheet, err := xlsxFirstSheet(files)
		if err != nil {
			return fmt.Errorf("reading xlsx %s: %w", name, err)
		}
		var sst []string
		if f := files["xl/sharedStrings.xml"]; f != nil {
			if sst, err = xlsxSharedStrings(f); err != nil {
				return fmt.Errorf("reading xlsx %s shared strings: %w", name, err)
			}
		}
		f := files[sheet]
		if f == nil {
			return fmt.Errorf("reading xlsx %s: no worksheet %s", name, sheet)
		}
		var yieldErr error // the caller's own error, passed back as it is
		err = xlsxSheet(f, sst, func(row int, cells []string) error {
			yieldErr = yield(row, cells)
			return yieldErr
		})
		if yieldErr != nil {
			return yieldErr
		}
		if err != nil {
			return fmt.Errorf("reading xlsx %s %s: %w", name, sheet, err)
		}
		return nil
	}
}

// xlsxFirstSheet finds the part name of the workbook's first sheet through
// xl/workbook.xml and its relationships, falling back to sheet1.xml.
func xlsxFirstSheet(files map[string]*zip.File) (string, error) {
	const fallback = "xl/worksheets/sheet1.xml"
	wb, rels := files["xl/workbook.xml"], files["xl/_rels/workbook.xml.rels"]
	if wb == nil {
		return "", errors.New("no xl/workbook.xml: not an xlsx workbook")
	}
	if rels == nil {
		return fallback, nil
	}
	var w struct {
		Sheets []struct {
			ID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xmlPart(wb, &w); err != nil {
		return "", err
	}
	var r struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := xmlPart(rels, &r); err != nil {
		return "", err
	}
	if len(w.Sheets) == 0 {
		return "", errors.New("workbook has no sheets")
	}
	for _, rel := range r.Rels {
		if rel.ID == w.Sheets[0].ID {
			if strings.HasPrefix(rel.Target, "/") {
				return strings.TrimPrefix(rel.Target, "/"), nil
			}
			return path.Join("xl", rel.Target), nil
		}
	}
	return fallback, nil
}

func xmlPart(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("decoding %s: %w", f.Name, err)
	}
	return nil
}

// xlsxSharedStrings reads the shared string table: the text of each <si>,
// rich-text runs joined, phonetic runs (<rPh>) left out.
func xlsxSharedStrings(f *zip.File) ([]string, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var (
		out         []string
		buf         []byte
		inT, inSI   bool
		phoneticDep int
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI, buf = true, buf[:0]
			case "rPh":
				phoneticDep++
			case "t":
				inT = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				out = append(out, string(buf))
				inSI = false
			case "rPh":
				phoneticDep--
			case "t":
				inT = false
			}
		case xml.CharData:
			if inSI && inT && phoneticDep == 0 {
				buf = append(buf, t...)
			}
		}
	}
}

// xlsxSheet streams a worksheet part, calling yield once per <row>.
func xlsxSheet(f *zip.File, sst []string, yield func(int, []string) error) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var (
		cells   []string
		rowNum  int
		col     int    // column of the current cell
		typ     string // t attribute of the current cell
		val     []byte
		inValue bool // inside <v> or <is><t>
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				rowNum++
				cells = cells[:0]
				col = -1
				for _, a := range t.Attr {
					if a.Name.Local == "r" {
						if n, err := strconv.Atoi(a.Value); err == nil {
							rowNum = n
						}
					}
				}
			case "c":
				col++
				typ, val = "", val[:0]
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "r":
						if c, ok := xlsxColumn(a.Value); ok {
							col = c
						}
					case "t":
						typ = a.Value
					}
				}
			case "v", "t":
				inValue = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				inValue = false
			case "c":
				s := string(val)
				if typ == "s" {
					i, err := strconv.Atoi(strings.TrimSpace(s))
					if err != nil || i < 0 || i >= len(sst) {
						return fmt.Errorf("row %d: bad shared string index %q", rowNum, s)
					}
					s = sst[i]
				}
				for len(cells) <= col {
					cells = append(cells, "")
				}
				cells[col] = s
			case "row":
				if err := yield(rowNum, cells); err != nil {
					return err
				}
			}
		case xml.CharData:
			if inValue {
				val = append(val, t...)
			}
		}
	}
}

// xlsxColumn returns the 0-based column of a cell reference such as "AV12".
func xlsxColumn(ref string) (int, bool) {
	c := 0
	i := 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		c = c*26 + int(ref[i]-'A'+1)
	}
	if i == 0 || c > 16384 {
		return 0, false
	}
	return c - 1, true
}
