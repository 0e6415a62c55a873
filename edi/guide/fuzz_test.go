package guide_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

// FuzzValidate: whatever the input, validation and the loop-tree builder end without a
// panic or a hang, every error has a code and a message, and building trees finds the
// same errors as plain validation.
func FuzzValidate(f *testing.F) {
	for _, name := range fixtures.SampleNames() {
		f.Add(fixtures.Sample(name))
	}
	if _, err := os.Stat("../../../shared/corpus/MANIFEST.tsv"); err == nil {
		for _, c := range sharedtest.Corpus(f) {
			switch c.Type {
			case "837P", "835", "999", "277CA", "TA1":
				if data, err := os.ReadFile(c.Path); err == nil && len(data) < 32<<10 {
					f.Add(data)
				}
			}
		}
	}
	reg := guide.MustDefault()
	f.Fuzz(func(t *testing.T, data []byte) {
		errs, err := guide.Validate(bytes.NewReader(data), reg)
		if err != nil && len(errs) == 0 {
			t.Fatalf("a read error without a list entry: %v", err)
		}
		for _, e := range errs {
			if e.Msg == "" {
				t.Fatalf("error without a message: %+v", e)
			}
			if e.Level == guide.LevelSegment && e.SegmentCode == "" {
				t.Fatalf("segment-level error without IK304: %+v", e)
			}
		}
		n := 0
		treeErrs, err2 := guide.ReadTransactions(bytes.NewReader(data), reg, func(tx *guide.Transaction) error {
			n += len(tx.Errors)
			if tx.Guide != nil && tx.Root == nil {
				t.Fatal("transaction with a guide but no tree")
			}
			return nil
		})
		if (err == nil) != (err2 == nil) {
			t.Fatalf("Validate err %v, ReadTransactions err %v", err, err2)
		}
		if len(treeErrs) != len(errs) && err == nil {
			t.Fatalf("Validate found %d errors, ReadTransactions %d", len(errs), len(treeErrs))
		}
	})
}
