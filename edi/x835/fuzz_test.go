package x835_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/fixtures"
)

// FuzzParse835 parses anything without panicking, in bounded memory (the reader's
// segment limit, one transaction set at a time), and checks that what it reads is a
// fixed point of Build and Parse: parse -> build -> parse -> build -> parse gives
// the same remittances the second and third time.
func FuzzParse835(f *testing.F) {
	var buf bytes.Buffer
	if err := x835.Build(&buf, env(), full(), notification()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(fixtures.Sample("835-basic.x12"))
	// The shared corpus, read in place when it is there.
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "corpus", "835", "*"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parse := func(in []byte) ([]x835.Remittance, bool) {
			var out []x835.Remittance
			err := x835.ParseEach(bytes.NewReader(in), func(r *x835.Remittance) error {
				_ = x835.Balance(r)
				r.Origin = x835.Origin{}
				out = append(out, *r)
				return nil
			})
			return out, err == nil
		}
		rebuild := func(rems []x835.Remittance) ([]byte, bool) {
			var b bytes.Buffer
			err := x835.Build(&b, env(), rems...)
			if errors.Is(err, x12.ErrDelimiterInData) {
				return nil, false // values holding our delimiters: not writable as they are
			}
			if err != nil {
				t.Fatalf("Build of parsed remittances: %v", err)
			}
			return b.Bytes(), true
		}
		first, ok := parse(data)
		if !ok || len(first) == 0 {
			return
		}
		out1, ok := rebuild(first)
		if !ok {
			return
		}
		second, ok := parse(out1)
		if !ok {
			t.Fatalf("our own 835 does not parse:\n%s", out1)
		}
		out2, _ := rebuild(second)
		third, ok := parse(out2)
		if !ok || !reflect.DeepEqual(second, third) {
			t.Fatalf("Build/Parse is not a fixed point:\n%s\n%s", out1, out2)
		}
	})
}
