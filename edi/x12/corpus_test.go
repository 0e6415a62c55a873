package x12_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

func readFile(data []byte) ([]*x12.Segment, error) {
	r := x12.NewReader(bytes.NewReader(data))
	var out []*x12.Segment
	for {
		s, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, s.Clone())
	}
}

// TestCorpusRoundTrip reads every public sample, writes it back with its own
// delimiters and with others, and reads it again: the segments must be the same.
func TestCorpusRoundTrip(t *testing.T) {
	t.Parallel()
	files := sharedtest.Corpus(t)
	other := x12.Delimiters{Element: '|', Component: '}', Repetition: '`', Segment: '\n'}
	readable := 0
	for _, f := range files {
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		segs, err := readFile(data)
		if err != nil {
			if !x12.IsSyntaxError(err) {
				t.Errorf("%s: error without position: %v", f.Name, err)
			}
			t.Logf("%s (%s): not readable: %v", f.Name, f.Marking, err)
			continue
		}
		readable++
		for _, d := range []x12.Delimiters{segs[0].Delims, other} {
			var buf bytes.Buffer
			w, err := x12.NewWriter(&buf, d)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range segs {
				if s.ID == "ISA" {
					// each interchange keeps its own separators when written with its own
					if d == segs[0].Delims && s.Delims != d {
						d = s.Delims
					}
				}
				w.WriteSegment(s)
			}
			if err := w.Flush(); err != nil {
				// Data that holds one of the other delimiters cannot be written with them.
				if d == other {
					continue
				}
				t.Errorf("%s: writing back: %v", f.Name, err)
				continue
			}
			back, err := readFile(buf.Bytes())
			if err != nil {
				t.Errorf("%s: reading back: %v", f.Name, err)
				continue
			}
			if len(back) != len(segs) {
				t.Errorf("%s: %d segments back, want %d", f.Name, len(back), len(segs))
				continue
			}
			for i := range segs {
				if !sameSegment(segs[i], back[i]) {
					t.Errorf("%s: segment %d differs:\n%s\n%s", f.Name, i+1, segs[i], back[i])
					break
				}
			}
		}
	}
	if readable < len(files)-10 {
		t.Errorf("only %d of %d corpus files are readable", readable, len(files))
	}
	t.Logf("%d of %d corpus files read and round-tripped", readable, len(files))
}

// sameSegment compares elements, components and repetitions independent of delimiters.
func sameSegment(a, b *x12.Segment) bool {
	if a.ID != b.ID || a.Len() != b.Len() {
		return false
	}
	for i := 1; i <= a.Len(); i++ {
		if a.ID == "ISA" && (i == 11 || i == 16) {
			continue
		}
		if a.Repetitions(i) != b.Repetitions(i) {
			return false
		}
		for r := 1; r <= a.Repetitions(i); r++ {
			if a.Components(i, r) != b.Components(i, r) {
				return false
			}
			for j := 1; j <= a.Components(i, r); j++ {
				if !bytes.Equal(a.RepComponent(i, r, j), b.RepComponent(i, r, j)) {
					return false
				}
			}
		}
	}
	return true
}
