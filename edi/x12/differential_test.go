package x12

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// compareWithReference reads data with the Reader and with refReader, the reader as it
// was before the bulk scanner, and returns a description of the first difference in
// segments, positions, errors or end state (nil when they agree). wrap, when not nil,
// wraps the source of both (to split its reads).
func compareWithReference(data []byte, max int, wrap func(io.Reader) io.Reader) error {
	var src1, src2 io.Reader = bytes.NewReader(data), bytes.NewReader(data)
	if wrap != nil {
		src1, src2 = wrap(src1), wrap(src2)
	}
	a, b := NewReader(src1), newRefReader(src2)
	if max > 0 {
		a.MaxSegmentLen, b.MaxSegmentLen = max, max
	}
	for i := 1; ; i++ {
		sa, errA := a.Next()
		sb, errB := b.Next()
		if (errA == nil) != (errB == nil) {
			return fmt.Errorf("call %d: error %v, reference %v", i, errA, errB)
		}
		if errA != nil {
			if errA.Error() != errB.Error() {
				return fmt.Errorf("call %d: error %q, reference %q", i, errA, errB)
			}
			var pa, pb *SyntaxError
			if errors.As(errA, &pa) != errors.As(errB, &pb) {
				return fmt.Errorf("call %d: error %#v, reference %#v", i, errA, errB)
			}
			if pa != nil {
				ca, cb := *pa, *pb
				ca.Err, cb.Err = nil, nil
				if ca != cb || pa.Err.Error() != pb.Err.Error() {
					return fmt.Errorf("call %d: error %#v, reference %#v", i, pa, pb)
				}
			}
			if errA == io.EOF && (a.MissingTerminator != b.MissingTerminator || a.InputOffset() != b.InputOffset() || a.Line() != b.Line()) {
				return fmt.Errorf("end state: missing terminator %v offset %d line %d, reference %v %d %d",
					a.MissingTerminator, a.InputOffset(), a.Line(), b.MissingTerminator, b.InputOffset(), b.Line())
			}
			return nil
		}
		if sa.ID != sb.ID || sa.Delims != sb.Delims || sa.Offset != sb.Offset || sa.Line != sb.Line ||
			sa.Ordinal != sb.Ordinal || sa.STOrdinal != sb.STOrdinal || !bytes.Equal(sa.Raw(), sb.Raw()) {
			return fmt.Errorf("segment %d: %q id %q at %d line %d ord %d/%d %v, reference %q id %q at %d line %d ord %d/%d %v", i,
				sa.Raw(), sa.ID, sa.Offset, sa.Line, sa.Ordinal, sa.STOrdinal, sa.Delims,
				sb.Raw(), sb.ID, sb.Offset, sb.Line, sb.Ordinal, sb.STOrdinal, sb.Delims)
		}
		if sa.Len() != sb.Len() {
			return fmt.Errorf("segment %d: %d elements, reference %d", i, sa.Len(), sb.Len())
		}
		if a.InputOffset() != b.InputOffset() || a.Line() != b.Line() {
			return fmt.Errorf("segment %d: reader at offset %d line %d, reference %d %d", i, a.InputOffset(), a.Line(), b.InputOffset(), b.Line())
		}
	}
}

// differentialInputs are hand-made streams that take the unusual paths: blank space
// and line breaks of every kind between segments, line-break terminators, control
// delimiters, several interchanges with different delimiters, defects of every kind.
func differentialInputs() []string {
	gs := "GS*HC*A*B*20260101*1200*1*X*005010X222A1~"
	body := "ST*837*0001~BHT*0019*00*1*20260101*1200*CH~CLM*P1*10***11:B:1~SE*4*0001~GE*1*1~IEA*1*000000001~"
	nl := strings.NewReplacer("~", "\n", "*", "|")
	isaNL := strings.Replace(strings.ReplaceAll(isaStar, "*", "|"), ":~", ":\n", 1)
	isaCtl := strings.Replace(strings.ReplaceAll(isaStar, "*", "\x1d"), ":~", "\x1f\x1c", 1)
	ctl := strings.NewReplacer("~", "\x1c", "*", "\x1d", ":", "\x1f")
	return []string{
		isaStar + gs + body,
		"\xEF\xBB\xBF" + isaStar + "\r\n" + gs + "\r\n" + strings.ReplaceAll(body, "~", "~\r\n"),
		isaStar + gs + strings.ReplaceAll(body, "~", "~ \t \n  "),
		isaStar + gs + strings.ReplaceAll(body, "~", "~\n\n\r\r\n"),
		isaStar + " \n\t" + gs + "  " + body + "\n\n  \n",
		isaStar + gs + strings.ReplaceAll(body, "~", "~~"),
		isaStar + gs + strings.ReplaceAll(body, "~", "~ ~"),
		isaStar + gs + "\tST*837*0001~ CLM*\t1~SE*3*0001~GE*1*1~IEA*1*000000001~",
		isaNL + nl.Replace(gs+body),
		isaNL + nl.Replace(gs+strings.ReplaceAll(body, "~", "~~")),
		isaNL + nl.Replace(gs) + " \n \r\n" + nl.Replace(body),
		isaNL + nl.Replace(gs) + "ST|837|0001\r\nSE|2|0001\n",
		isaCtl + ctl.Replace(gs+body),
		isaCtl + ctl.Replace(gs) + "\n\r\n" + ctl.Replace(body),
		isaStar + gs + body + isaPipe + "GS|HC|A|B|20260101|1200|7|X|004010X098A1\nST|837|0001\nSV1|HC>99213>25|10\nSE|3|0001\nGE|1|7\nIEA|1|000000002\n" + isaStar + gs + body,
		isaStar + gs + body + "\n" + isaNL + nl.Replace(gs+body),
		isaStar + gs + "ISA~ST*837*0001~ISA~",
		isaStar + gs + "IS~ISAB~ISA1*2~ISA",
		isaStar + gs + "ST*837*0001~CLM*\x01~",
		isaStar + gs + "ST*837*0001~CLM*1\x7f~",
		isaStar + gs + "ST*837*0001~CLM*1\n2~",
		isaStar + gs + "ST*837*0001~CLM*1\r2~",
		isaStar + gs + "ST*837*0001~CLM*\xff\xfe~SE*3*0001~GE*1*1~IEA*1*000000001~",
		isaStar + gs + "ST*837*0001~CLM*1",
		isaStar + gs + "ST*837*0001~SE*2*0001~GE*1*1~IEA*1*000000001",
		isaStar + gs + "ST*837*0001~SE*2*0001~GE*1*1~IEA*1*000000001\r\n",
		isaStar + gs + "ST*837*0001~SE*2*0001~GE*1*1~IEA*1*000000001\r\n x",
		isaStar + gs + "ST*837*0001~" + strings.Repeat("N", 300) + "~SE*3*0001~",
		isaStar + gs + "ST*837*0001~N*" + strings.Repeat("N", 298) + "~SE*3*0001~",
		isaStar + gs + "ST~SE~ST*1~S~STX*1~SEG*1~SE*1~",
		isaStar + gs + "*1~**~ABCD*1~ABCDEFGH~ABCD~A~AB~ABC~",
		isaStar + gs + "CLM*1~\x00",
		isaStar + "GS*HC",
		isaStar,
		"  \n" + isaStar + "GS*1~",
		"\xEF\xBB\xBF",
		"\xEF\xBB",
		"",
	}
}

// TestReaderMatchesReference holds the Reader against the reference reader on the
// hand-made inputs, whole and read one byte at a time, with the default and a small
// maximum segment length.
func TestReaderMatchesReference(t *testing.T) {
	t.Parallel()
	for i, in := range differentialInputs() {
		for _, max := range []int{0, 200} {
			for _, wrap := range []func(io.Reader) io.Reader{nil, iotest.OneByteReader, iotest.HalfReader} {
				if err := compareWithReference([]byte(in), max, wrap); err != nil {
					t.Errorf("input %d (max %d, wrapped %v): %v", i, max, wrap != nil, err)
				}
			}
		}
	}
}

// TestReaderMatchesReferenceLong reads streams of several buffers, so that segments
// and blank space fall across refills, with a random mix of the unusual shapes.
func TestReaderMatchesReferenceLong(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(7, 11))
	pieces := []string{"CLM*P1*10***11:B:1~", "N1*PR*X~", "REF*EV*1~", "LX*1~", "\r\n", "\n", " ", "\t",
		"SVC*HC:99213*125*103.75~", "CAS*CO*45*21.25~", "SE*2*0001~", "ST*835*0002~", "ABCD*1~", "~", "X~",
		"DTM*232*20250413~" + strings.Repeat("M", 40) + "~"}
	for round := 0; round < 4; round++ {
		var b strings.Builder
		b.WriteString(isaStar + "GS*HC*A*B*20260101*1200*1*X*005010X222A1~ST*835*0001~")
		for b.Len() < 3*readChunk/2 {
			b.WriteString(pieces[rnd.IntN(len(pieces))])
			if rnd.IntN(20000) == 0 {
				b.WriteString(isaStar)
			}
		}
		switch round {
		case 1:
			b.WriteString("CLM*\x02~")
		case 2:
			b.WriteString("IEA*1*000000001\n")
		case 3:
			b.WriteString("CLM*1")
		}
		data := []byte(b.String())
		for _, wrap := range []func(io.Reader) io.Reader{nil, iotest.HalfReader, iotest.DataErrReader} {
			if err := compareWithReference(data, 0, wrap); err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
	}
}

// FuzzReaderReference: on any input the Reader returns what the reference reader
// returns, segment for segment and error for error.
func FuzzReaderReference(f *testing.F) {
	for _, in := range differentialInputs() {
		f.Add([]byte(in), uint16(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		if err := compareWithReference(data, int(max), nil); err != nil {
			t.Fatal(err)
		}
		if err := compareWithReference(data, int(max), iotest.HalfReader); err != nil {
			t.Fatalf("half reads: %v", err)
		}
	})
}
