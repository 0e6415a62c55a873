package x837p_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
)

// FuzzParse feeds Parse mutated 837P files. It must never panic, and whatever Build
// then accepts of the claims must parse back to the same claims and build to the same
// bytes: our own output always round-trips.
func FuzzParse(f *testing.F) {
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.x12"))
	for _, p := range golden {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(fixtures.Sample("837p-basic.x12"))
	opt := goldenOptions()
	f.Fuzz(func(t *testing.T, data []byte) {
		claims, err := x837p.Parse(bytes.NewReader(data))
		if err != nil || len(claims) == 0 {
			return // Build writes nothing for no claims
		}
		var out bytes.Buffer
		_, err = x837p.Build(claims, opt, &out, &x12.Counter{})
		var probs billing.Problems
		if errors.As(err, &probs) || errors.Is(err, x12.ErrDelimiterInData) {
			return
		}
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		again, err := x837p.Parse(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("Parse of our own output: %v\n%s", err, out.Bytes())
		}
		var out2 bytes.Buffer
		if _, err := x837p.Build(again, opt, &out2, &x12.Counter{}); err != nil {
			t.Fatalf("Build again: %v", err)
		}
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("our output does not round-trip:\n%s", firstDiff(out2.Bytes(), out.Bytes()))
		}
	})
}
