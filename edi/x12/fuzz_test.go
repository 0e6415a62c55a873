package x12_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

// addCorpusSeeds seeds a fuzz target with the public samples when they are present.
func addCorpusSeeds(f *testing.F) {
	f.Add([]byte("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*T*:~GS*HC*A*B*20260101*1200*1*X*005010X222A1~ST*837*0001~SE*2*0001~GE*1*1~IEA*1*000000001~"))
	f.Add([]byte(""))
	f.Add([]byte("ISA*"))
	if _, err := os.Stat("../../../shared/corpus/MANIFEST.tsv"); err != nil {
		return
	}
	for _, c := range sharedtest.Corpus(f) {
		if data, err := os.ReadFile(c.Path); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
}

// FuzzReader: any input ends in segments then io.EOF, or a positioned error; never a
// panic or a loop. What reads without error writes back and reads the same again.
func FuzzReader(f *testing.F) {
	addCorpusSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := x12.NewReader(bytes.NewReader(data))
		r.MaxSegmentLen = 4096
		var segs []*x12.Segment
		var err error
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("more segments (%d) than input bytes (%d)", i, len(data))
			}
			var s *x12.Segment
			s, err = r.Next()
			if err != nil {
				break
			}
			if s.Offset < 0 || s.Offset > int64(len(data)) {
				t.Fatalf("segment offset %d outside the input", s.Offset)
			}
			segs = append(segs, s.Clone())
		}
		if err != io.EOF {
			if !x12.IsSyntaxError(err) {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		var w *x12.Writer
		for _, s := range segs {
			if w == nil || s.ID == "ISA" {
				if w != nil {
					w.Flush()
				}
				w, err = x12.NewWriter(&buf, s.Delims)
				if err != nil {
					t.Fatalf("delimiters the reader accepted are refused by the writer: %v", err)
				}
			}
			if err := w.WriteSegment(s); err != nil {
				t.Fatalf("writing back %q: %v", s, err)
			}
		}
		if w != nil {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		back, err := readFile(buf.Bytes())
		if err != nil {
			t.Fatalf("reading back: %v\n%q", err, buf.Bytes())
		}
		if len(back) != len(segs) {
			t.Fatalf("%d segments back, want %d", len(back), len(segs))
		}
		for i := range segs {
			if !sameSegment(segs[i], back[i]) {
				t.Fatalf("segment %d: %q became %q", i+1, segs[i], back[i])
			}
		}
	})
}
