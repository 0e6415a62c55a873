package codes

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// icdOrderName matches the CMS order file inside the "code descriptions in
// tabular order" zip: icd10cm_order_2026.txt (not the _addenda_ file).
var icdOrderName = regexp.MustCompile(`(?i)^icd10cm[_-]order[_-](\d{4})\.txt$`)

// icdOrderFY returns the fiscal year named by an order file's base name.
func icdOrderFY(base string) (int, bool) {
	m := icdOrderName.FindStringSubmatch(base)
	if m == nil {
		return 0, false
	}
	fy, _ := strconv.Atoi(m[1])
	return fy, true
}

// isAprilRelease reports whether a zip or file name is that of an April 1
// update ("april-1-2026-code-descriptions-tabular-order.zip").
func isAprilRelease(name string) bool {
	return strings.Contains(strings.ToLower(name), "april")
}

// parseICDOrder reads a CMS ICD-10-CM order file (icd10cm_order_YYYY.txt).
// Its fixed-width layout, checked against the FY2025 and FY2026 files:
//
//	cols 1-5   order number, zero-padded
//	col  6     blank
//	cols 7-13  code, no dot, left-justified
//	col  14    blank
//	col  15    1 = valid for HIPAA-covered transactions (billable), 0 = header
//	col  16    blank
//	cols 17-76 short description; col 77 blank; long description from col 78
//
// Lines end in CRLF. It returns each code with whether it is billable.
func parseICDOrder(r io.Reader, name string) (map[uint64]bool, error) {
	codes := make(map[uint64]bool, 100000)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), 64*1024)
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if len(l) < 15 || !allDigits(l[0:5]) || l[5] != ' ' || l[13] != ' ' || (len(l) > 15 && l[15] != ' ') {
			return nil, fmt.Errorf("reading ICD-10-CM order file %s line %d: not the CMS order-file layout", name, line)
		}
		code := trimSpace(l[6:13])
		if !ICD10CMFormat(code) {
			return nil, fmt.Errorf("reading ICD-10-CM order file %s line %d: bad code %q", name, line, code)
		}
		var billable bool
		switch l[14] {
		case '1':
			billable = true
		case '0':
		default:
			return nil, fmt.Errorf("reading ICD-10-CM order file %s line %d: billable flag %q, want 0 or 1", name, line, l[14])
		}
		k, _ := pack(code)
		if _, dup := codes[k]; dup {
			return nil, fmt.Errorf("reading ICD-10-CM order file %s line %d: code %s listed twice", name, line, code)
		}
		codes[k] = billable
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading ICD-10-CM order file %s: %w", name, err)
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("reading ICD-10-CM order file %s: no codes", name)
	}
	return codes, nil
}
