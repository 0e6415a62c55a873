package scrub

import (
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/billing"
)

// checkBuildable: the claim can be written as an 837P. It runs what x837p.Build
// checks (x837p.Checker, with the default delimiters the batches use) and reports
// each problem that no earlier rule reported for the same field, so that a claim the
// builder would refuse is held here, with its field named, instead of failing the
// batch it would have gone into.
func checkBuildable(ck *checker, c *billing.Claim) {
	probs := ck.s.build.Check(nil, c, ck.i)
	for _, p := range probs {
		if ck.reported(p.Path) {
			continue
		}
		ck.add(ck.lineOf(p.Path), p.Path, p.Where, Error, "", sentence(p.Err.Error()))
	}
}

// reported reports whether an earlier rule found an error in the field, in a field
// inside it or in the record holding it.
func (ck *checker) reported(field billing.Path) bool {
	for _, f := range ck.rep.Findings[ck.start:] {
		if f.Severity == Error && (within(f.Field, field) || within(field, f.Field)) {
			return true
		}
	}
	return false
}

// within reports whether path p is field or a field (or list element) inside it.
func within(p, field billing.Path) bool {
	rest, ok := strings.CutPrefix(string(p), string(field))
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}

// lineOf returns the index of the line a path of the claim being checked is in
// ("claims[i].lines[j]..."), or -1.
func (ck *checker) lineOf(p billing.Path) int {
	rest, ok := strings.CutPrefix(string(p), string(ck.path().Field("lines"))+"[")
	if !ok {
		return -1
	}
	num, _, _ := strings.Cut(rest, "]")
	j, err := strconv.Atoi(num)
	if err != nil {
		return -1
	}
	return j
}

// sentence makes an error text a message: capitalized, with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		s = string(c-'a'+'A') + s[1:]
	}
	return s + "."
}
