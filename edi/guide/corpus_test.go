package guide_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

// defect is an error the validator must report in a corpus file: the segment's ordinal
// in the file and the 999/TA1 code, checked by hand against the file.
type defect struct {
	ordinal int64
	code    string
	why     string
}

// invalidDefects are the defects of the files their sources mark invalid.
var invalidDefects = map[string]defect{
	"x12_bad_first_line.txt":                                    {1, "TA105=011", "ISA02 is 9 characters, not 10"},
	"x12_bad_segment_identifier.txt":                            {6, "IK304=1", "a segment with an empty id (*IC*DAVID...)"},
	"x12_bad_valid_code.txt":                                    {9, "IK403=7", "NM101 holds a code the guide does not allow"},
	"x12_loop_errors1_exceeds_max_1_parent.txt":                 {15, "IK304=4", "a second 2010AA under one 2000A"},
	"x12_loop_errors2_exceeds_max_repeats_multiple_parents.txt": {34, "IK304=4", "a second 2010AA in a later 2000A"},
	"x12_loop_errors3_missing_loops.txt":                        {21, "IK304=3", "2000A without its 2010AA"},
	"x12_missing_elements.txt":                                  {7, "IK403=1", "NM102 of the receiver is empty"},
	"x12_missing_required_loop_in_one_repeat.txt":               {26, "IK304=3", "a 2000B without 2010BA"},
	"x12_missing_required_loops_mult_repeats.txt":               {35, "IK304=3", "2300 without any 2400"},
	"x12_segment_errors.txt":                                    {12, "IK304=5", "REF*EI twice in 2010AA"},
	"x12_segments_out_of_order.txt":                             {12, "IK304=7", "N4 before N3"},
	"issue229__837-header-ref-only.edi":                         {5, "IK304=2", "a REF in the 837 header"},
	"invalid999.edi":                                            {4, "IK304=2", "IK5 right after ST"},
}

// validDefects are real defects in files their sources mark valid (the sources never
// checked them); the test fails if the validator stops seeing them.
var validDefects = map[string]defect{
	"profee-multiple.edi":                {70, "TA105=025", "every interchange reuses ISA13 006000600"},
	"x12_complex.txt":                    {28, "IK403=1", "HI written as HI*BK*8901*BF*87200 (elements where components belong)"},
	"x12_many_claims.txt":                {23, "IK403=1", "HI written with element separators inside the composites"},
	"x12_multiple_transactions.txt":      {23, "IK403=1", "HI written with element separators inside the composites"},
	"x12_no_errors.txt":                  {23, "IK403=1", "HI written with element separators inside the composites"},
	"x12_valid.txt":                      {23, "IK403=1", "HI written with element separators inside the composites"},
	"x12_valid_different_separators.txt": {23, "IK403=1", "HI written with element separators inside the composites"},
}

func matchDefect(name string, m map[string]defect) (defect, bool) {
	for suffix, d := range m {
		if strings.HasSuffix(name, suffix) {
			return d, true
		}
	}
	return defect{}, false
}

// TestCorpus validates every 5010 837P, 835, 999, 277CA and TA1 sample: files marked
// valid pass or show their known defect; files marked invalid fail at their defect.
func TestCorpus(t *testing.T) {
	t.Parallel()
	reg := guide.MustDefault()
	checked := 0
	for _, f := range sharedtest.Corpus(t) {
		switch f.Type {
		case "837P", "835", "999", "277CA":
			if !strings.HasPrefix(f.Version, "00501") {
				continue
			}
		case "TA1":
		default:
			continue
		}
		checked++
		fh, err := os.Open(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		errs, _ := guide.Validate(fh, reg)
		fh.Close()
		base := filepath.Base(f.Name)
		has := func(d defect) bool {
			for _, e := range errs {
				if e.Ordinal == d.ordinal && e.Code() == d.code {
					return true
				}
			}
			return false
		}
		switch {
		case f.Invalid():
			d, ok := matchDefect(base, invalidDefects)
			if !ok {
				t.Errorf("%s is marked invalid but has no recorded defect (%d errors found)", f.Name, len(errs))
				continue
			}
			if !has(d) {
				t.Errorf("%s: expected %s at segment %d (%s); got:\n%s", f.Name, d.code, d.ordinal, d.why, firstErrors(errs))
			}
		case f.Marking == "valid":
			if len(errs) == 0 {
				continue
			}
			d, ok := matchDefect(base, validDefects)
			if !ok {
				t.Errorf("%s is marked valid and the validator disagrees:\n%s", f.Name, firstErrors(errs))
				continue
			}
			if !has(d) {
				t.Errorf("%s: its known defect %s at segment %d (%s) is no longer reported", f.Name, d.code, d.ordinal, d.why)
			}
			t.Logf("disagreement with the source on %s: %s (%d errors)", f.Name, d.why, len(errs))
		default:
			t.Logf("%s (unmarked): %d errors", f.Name, len(errs))
		}
	}
	if checked < 60 {
		t.Errorf("only %d corpus files checked", checked)
	}
}

func firstErrors(errs guide.List) string {
	var b strings.Builder
	for i, e := range errs {
		if i == 8 {
			fmt.Fprintf(&b, "  ... %d more\n", len(errs)-i)
			break
		}
		fmt.Fprintf(&b, "  %v\n", e)
	}
	return b.String()
}
