package codes

import (
	"strings"
	"testing"
)

func TestCARCAndRARCWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		got, want string
	}{
		{CARC("45"), "fee schedule"},
		{CARC("50"), "medical necessity"},
		{CARC("ZZ9"), "not in claimflow's list"},
		{RARC("MA18"), "supplemental insurer"},
		{RARC("N130"), "benefit documents"},
		{RARC("X1"), "remark code X1 (not in claimflow's list"},
	} {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("%q lacks %q", c.got, c.want)
		}
	}
	if !KnownCARC("253") || KnownCARC("ZZ9") || !KnownRARC("M15") || KnownRARC("X1") {
		t.Error("Known* disagree with the tables")
	}
	for code, w := range carcWords {
		if w == "" || strings.TrimSpace(w) != w {
			t.Errorf("CARC %s: empty or padded words %q", code, w)
		}
	}
}
