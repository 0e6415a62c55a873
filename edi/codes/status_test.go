package codes

import (
	"bufio"
	"strings"
	"testing"
)

func TestDescribeStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cat, status, entity, want string
	}{
		{"A7", "562", "85", "rejected: information is not valid: the entity's National Provider Identifier (NPI) (entity: billing provider)"},
		{"A2", "20", "", "acknowledged: accepted into the adjudication system: accepted for processing"},
		{"A3", "33", "", "rejected: returned as unprocessable, not entered into adjudication: the subscriber and the subscriber id were not found"},
		{"A7", "9999", "", "rejected: information is not valid: status code 9999 (no wording in claimflow: see the X12 claim status code list)"},
		{"Q9", "", "ZZZ", "category Q9 (no wording in claimflow: see the X12 claim status category code list) (entity code ZZZ)"},
		{"A1", "19", "PR", "acknowledged: received, not yet accepted for adjudication: the entity acknowledges it received the claim (entity: payer)"},
	} {
		if got := DescribeStatus(tc.cat, tc.status, tc.entity); got != tc.want {
			t.Errorf("DescribeStatus(%s, %s, %s) = %q, want %q", tc.cat, tc.status, tc.entity, got, tc.want)
		}
	}
}

// TestClaimStatusData: every data line of the table is well formed, in a known list,
// and no code is listed twice; the rejection categories say so.
func TestClaimStatusData(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(claimStatusTSV))
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[1] == "" || f[2] == "" {
			t.Errorf("malformed line %q", line)
			continue
		}
		if f[0] != ListCategory && f[0] != ListStatus && f[0] != ListEntity {
			t.Errorf("unknown list in %q", line)
		}
		if seen[f[0]+"/"+f[1]] {
			t.Errorf("%s %s listed twice", f[0], f[1])
		}
		seen[f[0]+"/"+f[1]] = true
		n++
	}
	if got := len(StatusCodes(ListCategory)) + len(StatusCodes(ListStatus)) + len(StatusCodes(ListEntity)); got != n {
		t.Errorf("%d codes loaded, %d lines", got, n)
	}
	for _, c := range []string{"A3", "A6", "A7", "A8"} {
		if txt, _ := StatusCategoryText(c); !strings.HasPrefix(txt, "rejected") {
			t.Errorf("category %s: %q does not say rejected", c, txt)
		}
	}
	if _, ok := ClaimStatusText("not-a-code"); ok {
		t.Error("unknown status code reported as known")
	}
}
