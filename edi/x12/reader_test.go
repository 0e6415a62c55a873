package x12

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const isaStar = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*T*:~"

const isaPipe = "ISA|00|          |00|          |ZZ|SENDER         |ZZ|RECEIVER       |260101|1200|U|00401|000000002|0|T|>\n"

func readAll(t *testing.T, r *Reader) []*Segment {
	t.Helper()
	var out []*Segment
	for {
		s, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, s.Clone())
	}
}

func TestReaderDelimitersPerInterchange(t *testing.T) {
	t.Parallel()
	in := "\xEF\xBB\xBF" + isaStar + "\r\nGS*HC*A*B*20260101*1200*1*X*005010X222A1~\r\nST*837*0001*005010X222A1~\nCLM*P1*10***11:B:1~SE*3*0001~GE*1*1~IEA*1*000000001~\n" +
		isaPipe + "GS|HC|A|B|20260101|1200|7|X|004010X098A1\nST|837|0001\nSV1|HC>99213>25|10\nSE|3|0001\nGE|1|7\nIEA|1|000000002\n"
	r := NewReader(strings.NewReader(in))
	segs := readAll(t, r)
	var ids []string
	for _, s := range segs {
		ids = append(ids, s.ID)
	}
	if got, want := strings.Join(ids, " "), "ISA GS ST CLM SE GE IEA ISA GS ST SV1 SE GE IEA"; got != want {
		t.Fatalf("ids = %s, want %s", got, want)
	}
	clm := segs[3]
	if clm.Value(1) != "P1" || string(clm.Component(5, 3)) != "1" || string(clm.Component(5, 2)) != "B" {
		t.Errorf("CLM parsed wrong: %q", clm.String())
	}
	if clm.STOrdinal != 2 || clm.Ordinal != 4 || clm.Line != 4 {
		t.Errorf("CLM position: STOrdinal %d Ordinal %d Line %d", clm.STOrdinal, clm.Ordinal, clm.Line)
	}
	if segs[4].STOrdinal != 3 || segs[5].STOrdinal != 0 {
		t.Errorf("SE/GE ordinals %d %d", segs[4].STOrdinal, segs[5].STOrdinal)
	}
	sv1 := segs[10]
	if sv1.Delims.Element != '|' || sv1.Delims.Component != '>' || sv1.Delims.Repetition != 0 || sv1.Delims.Segment != '\n' {
		t.Errorf("second interchange delimiters: %v", sv1.Delims)
	}
	if string(sv1.Component(1, 2)) != "99213" || string(sv1.Component(1, 3)) != "25" {
		t.Errorf("SV1 components: %q", sv1.String())
	}
	if segs[0].Offset != 3 {
		t.Errorf("ISA offset after BOM = %d, want 3", segs[0].Offset)
	}
	if want := int64(strings.Index(in, "CLM")); clm.Offset != want {
		t.Errorf("CLM offset = %d, want %d", clm.Offset, want)
	}
	if segs[0].Delims.Repetition != '^' {
		t.Errorf("repetition separator = %q", segs[0].Delims.Repetition)
	}
}

func TestReaderRepetitions(t *testing.T) {
	t.Parallel()
	in := isaStar + "GS*HC*A*B*20260101*1200*1*X*005010X222A1~ST*837*0001~XX*a:b^c:d:e^f~SE*3*0001~GE*1*1~IEA*1*000000001~"
	segs := readAll(t, NewReader(strings.NewReader(in)))
	s := segs[3]
	if s.Repetitions(1) != 3 {
		t.Fatalf("Repetitions = %d", s.Repetitions(1))
	}
	if got := string(s.RepComponent(1, 2, 3)); got != "e" {
		t.Errorf("RepComponent(1,2,3) = %q", got)
	}
	if s.Components(1, 2) != 3 || s.Element(9) != nil || s.Component(1, 9) != nil {
		t.Errorf("component counts wrong")
	}
}

// TestReaderSmallReads feeds the input one byte at a time: positions and segments must
// not depend on how the source splits its reads.
func TestReaderSmallReads(t *testing.T) {
	t.Parallel()
	in := isaStar + "\nGS*HC*A*B*20260101*1200*1*X*005010X222A1~\nST*837*0001~\nSE*2*0001~\nGE*1*1~\nIEA*1*000000001~\n"
	a := readAll(t, NewReader(strings.NewReader(in)))
	b := readAll(t, NewReader(iotest.OneByteReader(strings.NewReader(in))))
	if len(a) != len(b) {
		t.Fatalf("%d vs %d segments", len(a), len(b))
	}
	for i := range a {
		if a[i].String() != b[i].String() || a[i].Offset != b[i].Offset || a[i].Line != b[i].Line {
			t.Errorf("segment %d differs: %q@%d:%d vs %q@%d:%d", i, a[i], a[i].Offset, a[i].Line, b[i], b[i].Offset, b[i].Line)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	t.Parallel()
	long := isaStar + "ST*837*" + strings.Repeat("A", 200) + "~"
	cases := []struct {
		name   string
		in     string
		max    int
		want   error
		offset int64
	}{
		{"empty", "", 0, ErrEmpty, 0},
		{"white space only", " \r\n\t\n", 0, ErrEmpty, 5},
		{"garbage", "hello world, this is not X12", 0, ErrNoISA, 0},
		{"binary", "\x00\x01\x02\x03ISA", 0, ErrNoISA, 0},
		{"short ISA", "ISA*00*", 0, ErrTruncated, 0},
		{"ISA without ISA16", "ISA*" + strings.Repeat("x", 600), 0, ErrDelimiters, 0},
		{"alphanumeric terminator", strings.Replace(isaStar, ":~", ":A", 1) + "GS*HC", 0, ErrDelimiters, 0},
		{"same separators", strings.Replace(isaStar, ":~", "**", 1) + "GS", 0, ErrDelimiters, 0},
		{"truncated segment", isaStar + "GS*HC*A", 0, ErrTruncated, 106},
		{"control byte", isaStar + "GS*H\x01C~", 0, ErrControlChar, 110},
		{"too long", long, 150, ErrSegmentTooLong, 106},
		{"data before ISA", "GS*HC~" + isaStar, 0, ErrNoISA, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := NewReader(strings.NewReader(c.in))
			if c.max > 0 {
				r.MaxSegmentLen = c.max
			}
			var err error
			for i := 0; i < 100 && err == nil; i++ {
				_, err = r.Next()
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err %T is not a *SyntaxError", err)
			}
			if se.Offset != c.offset {
				t.Errorf("offset = %d, want %d (%v)", se.Offset, c.offset, err)
			}
			if _, err2 := r.Next(); err2 != err {
				t.Errorf("error not sticky: %v then %v", err, err2)
			}
		})
	}
}

func TestReaderReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	r := NewReader(io.MultiReader(strings.NewReader(isaStar+"GS*HC"), iotest.ErrReader(boom)))
	var err error
	for err == nil {
		_, err = r.Next()
	}
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the read error", err)
	}
}

// TestReaderConstantMemory reads a long stream produced on the fly: the reader's buffer
// must stay the same size whatever the input length.
func TestReaderConstantMemory(t *testing.T) {
	t.Parallel()
	const n = 200000
	body := "CLM*PCN0000001*125.5***11:B:1*Y*A*Y*Y~"
	src := io.MultiReader(strings.NewReader(isaStar+"GS*HC*A*B*20260101*1200*1*X*005010X222A1~ST*837*0001~"),
		&repeatReader{s: body, n: n},
		strings.NewReader("SE*2*0001~GE*1*1~IEA*1*000000001~"))
	r := NewReader(src)
	count := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
	}
	if count != n+6 {
		t.Fatalf("read %d segments, want %d", count, n+6)
	}
	if len(r.buf) > readChunk+DefaultMaxSegmentLen+4096 {
		t.Fatalf("buffer grew to %d bytes", len(r.buf))
	}
}

type repeatReader struct {
	s string
	n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := 0
	for r.n > 0 && len(p)-k >= len(r.s) {
		k += copy(p[k:], r.s)
		r.n--
	}
	if k == 0 {
		return copy(p, r.s[:len(p)]), io.ErrShortBuffer
	}
	return k, nil
}

func TestSegmentClone(t *testing.T) {
	t.Parallel()
	r := NewReader(strings.NewReader(isaStar + "GS*HC*A*B*20260101*1200*1*X*X~GE*0*1~IEA*1*000000001~"))
	r.Next()
	gs, _ := r.Next()
	c := gs.Clone()
	r.Next()
	if c.String() != "GS*HC*A*B*20260101*1200*1*X*X" {
		t.Fatalf("clone changed: %q", c.String())
	}
	if !bytes.Equal(c.Element(8), []byte("X")) {
		t.Fatal("clone element wrong")
	}
}

func TestReaderUnterminatedIEA(t *testing.T) {
	t.Parallel()
	in := isaStar + "GS*HC*A*B*20260101*1200*1*X*X~GE*0*1~IEA*1*000000001\r\n"
	r := NewReader(strings.NewReader(in))
	segs := readAll(t, r)
	if n := len(segs); n != 4 || segs[3].String() != "IEA*1*000000001" {
		t.Fatalf("got %d segments, last %q", n, segs[len(segs)-1])
	}
	if !r.MissingTerminator {
		t.Error("MissingTerminator not set")
	}
	_, err := NewReader(strings.NewReader(isaStar + "GS*HC*A*B\n")).Next()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReaderNonASCIIDelimiter(t *testing.T) {
	t.Parallel()
	in := strings.ReplaceAll(isaStar, "*", "\xc3\x96")
	_, err := NewReader(strings.NewReader(in)).Next()
	if !errors.Is(err, ErrDelimiters) || !strings.Contains(err.Error(), "ASCII") {
		t.Fatalf("err = %v", err)
	}
}
