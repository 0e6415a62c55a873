package x837p_test

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

// corpusCLM matches the manifest's count of claims.
var corpusCLM = regexp.MustCompile(`(?:^|;)CLM=(\d+)(?:;|$)`)

// corpusProblems are the corpus files that break a rule Parse reports, with the
// element every problem of the file names: x12_complex.txt has a 2430 whose SVD01
// (43) is none of its 2330B payer ids.
var corpusProblems = map[string]string{"x12_complex.txt": "SVD01"}

// TestCorpus parses every 5010 837P file of the shared corpus that its source does not
// mark invalid: no error (but the problems corpusProblems expects), no panic, and as
// many claims as the manifest counts.
func TestCorpus(t *testing.T) {
	t.Parallel()
	n := 0
	for _, f := range sharedtest.Corpus(t) {
		if f.Type != "837P" || f.Invalid() || !strings.HasPrefix(f.Version, "005010X222") {
			continue
		}
		n++
		t.Run(shortName(f.Name), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			claims, err := x837p.Parse(strings.NewReader(string(data)))
			want, known := corpusProblems[shortName(f.Name)]
			var probs billing.Problems
			switch {
			case known && !errors.As(err, &probs):
				t.Fatalf("%s: %v, want problems naming %s", f.Name, err, want)
			case known:
				for _, p := range probs {
					if !strings.Contains(p.Where, want) {
						t.Errorf("%s: unexpected problem %v", f.Name, p)
					}
				}
			case err != nil:
				t.Fatalf("%s: %v", f.Name, err)
			}
			m := corpusCLM.FindStringSubmatch(f.Features)
			if m == nil {
				t.Fatalf("%s: the manifest has no CLM count", f.Name)
			}
			if n, _ := strconv.Atoi(m[1]); len(claims) != n {
				t.Errorf("%s: %d claims, the manifest says %d", f.Name, len(claims), n)
			}
			lines := 0
			for _, c := range claims {
				lines += len(c.Lines)
			}
			t.Logf("%d claims, %d lines", len(claims), lines)
		})
	}
	if n == 0 {
		t.Fatal("no 5010 837P file in the corpus")
	}
}

func shortName(name string) string {
	name = name[strings.LastIndexByte(name, '/')+1:]
	if i := strings.LastIndex(name, "__"); i >= 0 {
		name = name[i+2:]
	}
	return name
}
