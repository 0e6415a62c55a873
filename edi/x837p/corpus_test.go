package x837p_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

// corpusCLM matches the manifest's count of claims.
var corpusCLM = regexp.MustCompile(`(?:^|;)CLM=(\d+)(?:;|$)`)

// TestCorpus parses every 5010 837P file of the shared corpus that its source does not
// mark invalid: no error, no panic, and as many claims as the manifest counts.
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
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			m := corpusCLM.FindStringSubmatch(f.Features)
			if m == nil {
				t.Fatalf("%s: the manifest has no CLM count", f.Name)
			}
			want, _ := strconv.Atoi(m[1])
			if len(claims) != want {
				t.Errorf("%s: %d claims, the manifest says %d", f.Name, len(claims), want)
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
