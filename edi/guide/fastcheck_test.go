package guide_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

// verifyFast validates data with a checker that holds each fast verdict against the
// full element check, and each placement from the table against the careful search,
// and returns the errors found.
func verifyFast(t *testing.T, reg *guide.Registry, data []byte) guide.List {
	t.Helper()
	errs, _ := guide.NewVerifyingChecker(reg).Run(bytes.NewReader(data))
	return errs
}

// mutate returns a copy of data with a few bytes changed, inserted or removed at
// random, so that elements go wrong in every way.
func mutate(rnd *rand.Rand, data []byte) []byte {
	out := bytes.Clone(data)
	alphabet := []byte("0123456789.-ABCXYZaz *:^~\t\xc3")
	for k := 0; k < 1+rnd.IntN(40); k++ {
		i := rnd.IntN(len(out))
		switch rnd.IntN(3) {
		case 0:
			out[i] = alphabet[rnd.IntN(len(alphabet))]
		case 1:
			out = append(out[:i], out[i+1:]...)
		default:
			out = append(out[:i], append([]byte{alphabet[rnd.IntN(len(alphabet))]}, out[i:]...)...)
		}
	}
	return out
}

// TestFastCheckAgrees runs the fast element check and the placement table, verified
// against the full check and the careful search, over the samples, generated 835 and
// 837P files, the public corpus when present, and mutated copies of them all.
func TestFastCheckAgrees(t *testing.T) {
	t.Parallel()
	reg := guide.MustDefault()
	inputs := samplesAndGenerated(t, 3, 1<<20)
	if _, err := os.Stat("../../../shared/corpus/MANIFEST.tsv"); err == nil {
		for _, c := range sharedtest.Corpus(t) {
			if data, err := os.ReadFile(c.Path); err == nil {
				inputs = append(inputs, data)
			}
		}
	}
	for i, data := range inputs[:len(fixtures.SampleNames())+2] {
		if i >= len(fixtures.SampleNames()) {
			if errs := verifyFast(t, reg, data); len(errs) != 0 {
				t.Fatalf("generated file %d: %v", i, errs.Err())
			}
		}
	}
	rnd := rand.New(rand.NewPCG(5, 9))
	for i, data := range inputs {
		verifyFast(t, reg, data)
		if len(data) == 0 {
			continue
		}
		rounds := 20
		if len(data) > 64<<10 {
			data, rounds = data[:64<<10], 5
		}
		for r := 0; r < rounds; r++ {
			m := mutate(rnd, data)
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("input %d, mutation %d: %v", i, r, p)
					}
				}()
				verifyFast(t, reg, m)
			}()
		}
	}
}

// TestAcceptPlacedAgrees: the walker's shortcut for the usual placed segment
// (acceptPlaced) finds the same errors as its general accept, on generated files and
// mutated copies of them and of the samples.
func TestAcceptPlacedAgrees(t *testing.T) {
	t.Parallel()
	reg := guide.MustDefault()
	inputs := samplesAndGenerated(t, 4, 256<<10)
	rnd := rand.New(rand.NewPCG(6, 1))
	found := 0
	for i, data := range inputs {
		for r := 0; r < 30; r++ {
			m := data
			if r > 0 {
				m = mutate(rnd, data)
			}
			want, _ := guide.NewCarefulAcceptChecker(reg).Run(bytes.NewReader(m))
			got, _ := guide.Validate(bytes.NewReader(m), reg)
			if g, w := renderAll(got), renderAll(want); g != w {
				t.Fatalf("input %d, mutation %d: with the shortcut\n%s\nwithout it\n%s", i, r, g, w)
			}
			found += len(got)
		}
	}
	if found == 0 {
		t.Fatal("the mutations found no errors at all")
	}
}

// renderAll prints every field of every error of the list.
func renderAll(l guide.List) string {
	var b strings.Builder
	for _, e := range l {
		fmt.Fprintf(&b, "%+v\n", *e)
	}
	return b.String()
}

// FuzzFastCheck: on any input the fast element check never passes a segment that the
// full check finds fault with, and the placement table never places a segment elsewhere
// than the careful search.
func FuzzFastCheck(f *testing.F) {
	for _, name := range fixtures.SampleNames() {
		f.Add(fixtures.Sample(name))
	}
	reg := guide.MustDefault()
	f.Fuzz(func(t *testing.T, data []byte) {
		verifyFast(t, reg, data)
	})
}

// TestWideSegmentKeyed: a segment of more than 64 elements is still placed by its
// qualifier (element 01), and reported for its extra elements, not as unexpected.
func TestWideSegmentKeyed(t *testing.T) {
	t.Parallel()
	data := string(fixtures.Sample("835-basic.x12"))
	i := strings.Index(data, "REF*EV*")
	if i < 0 {
		t.Fatal("no REF*EV in the sample")
	}
	j := i + strings.IndexByte(data[i:], '~')
	data = data[:j] + strings.Repeat("*", 70) + "X" + data[j:]
	errs, _ := guide.Validate(strings.NewReader(data), guide.MustDefault())
	if len(errs) != 1 || errs[0].SegmentID != "REF" || errs[0].ElementCode != guide.ElemTooMany {
		t.Fatalf("want one too-many-elements error at REF, got %v", errs.Err())
	}
}

// samplesAndGenerated returns the sample files, then a generated 835 and 837P of
// about size bytes each, from seed.
func samplesAndGenerated(t *testing.T, seed uint64, size int64) [][]byte {
	t.Helper()
	var inputs [][]byte
	for _, name := range fixtures.SampleNames() {
		inputs = append(inputs, fixtures.Sample(name))
	}
	for _, write := range []func(io.Writer, fixtures.Options) (fixtures.Stats, error){fixtures.Write835, fixtures.Write837P} {
		var buf bytes.Buffer
		if _, err := write(&buf, fixtures.Options{Seed: seed, Size: size}); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, buf.Bytes())
	}
	return inputs
}
