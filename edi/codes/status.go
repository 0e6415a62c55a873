package codes

import (
	"bufio"
	_ "embed"
	"strings"
	"sync"
)

// The claim status code lists of 277CA STC composites (X12-GUIDE.md section 5):
// category (STC01-1), status (STC01-2) and entity (STC01-3), in plain words.
// They are data (claimstatus.tsv), a subset of the X12 lists with the codes that
// clearinghouses and payers commonly send; a code not in them is still reported,
// by its number, with a note that claimflow has no wording for it.

//go:embed claimstatus.tsv
var claimStatusTSV string

// Status lists.
const (
	ListCategory = "category" // claim status category codes (STC01-1)
	ListStatus   = "status"   // claim status codes (STC01-2)
	ListEntity   = "entity"   // entity identifier codes (STC01-3)
)

var claimStatus struct {
	once  sync.Once
	lists map[string]map[string]string
}

func claimStatusLists() map[string]map[string]string {
	claimStatus.once.Do(func() {
		lists := map[string]map[string]string{ListCategory: {}, ListStatus: {}, ListEntity: {}}
		sc := bufio.NewScanner(strings.NewReader(claimStatusTSV))
		for sc.Scan() {
			line := sc.Text()
			if line == "" || line[0] == '#' {
				continue
			}
			list, rest, ok1 := strings.Cut(line, "\t")
			code, text, ok2 := strings.Cut(rest, "\t")
			if m := lists[list]; ok1 && ok2 && m != nil {
				m[code] = text
			}
		}
		claimStatus.lists = lists
	})
	return claimStatus.lists
}

// StatusCategoryText returns the meaning of a claim status category code
// (STC01-1, e.g. A7), and whether claimflow knows it.
func StatusCategoryText(code string) (string, bool) { return lookup(ListCategory, code) }

// ClaimStatusText returns the meaning of a claim status code (STC01-2, e.g. 562),
// and whether claimflow knows it.
func ClaimStatusText(code string) (string, bool) { return lookup(ListStatus, code) }

// EntityText returns the meaning of an entity identifier code (STC01-3, e.g. 85),
// and whether claimflow knows it.
func EntityText(code string) (string, bool) { return lookup(ListEntity, code) }

func lookup(list, code string) (string, bool) {
	t, ok := claimStatusLists()[list][code]
	return t, ok
}

// StatusCodes returns the codes of a list, for documentation and tests.
func StatusCodes(list string) []string {
	m := claimStatusLists()[list]
	out := make([]string, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	return out
}

// DescribeStatus says what one STC composite means in plain words: category,
// status and entity, each explained when known and otherwise given by its code with
// a note to look it up:
//
//	DescribeStatus("A7", "562", "85") // "rejected: information is not valid: the entity's National Provider Identifier (NPI) (entity: billing provider)"
//	DescribeStatus("A7", "733", "")   // "rejected: information is not valid: status code 733 (no wording in claimflow: see the X12 claim status code list)"
func DescribeStatus(category, status, entity string) string {
	var b strings.Builder
	if t, ok := StatusCategoryText(category); ok {
		b.WriteString(t)
	} else {
		b.WriteString("category " + category + " (no wording in claimflow: see the X12 claim status category code list)")
	}
	if status != "" {
		b.WriteString(": ")
		if t, ok := ClaimStatusText(status); ok {
			b.WriteString(t)
		} else {
			b.WriteString("status code " + status + " (no wording in claimflow: see the X12 claim status code list)")
		}
	}
	if entity != "" {
		if t, ok := EntityText(entity); ok {
			b.WriteString(" (entity: " + t + ")")
		} else {
			b.WriteString(" (entity code " + entity + ")")
		}
	}
	return b.String()
}
