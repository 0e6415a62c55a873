// Package x12 reads and writes ASC X12 interchanges: the syntax layer that every
// transaction set of claimflow rests on.
//
// A Reader tokenises any io.Reader into segments, taking the delimiters from each ISA
// segment, in bounded memory:
//
//	r := x12.NewReader(f)
//	for {
//		seg, err := r.Next()
//		if err == io.EOF {
//			break
//		}
//		if err != nil {
//			return err // a *SyntaxError with the position
//		}
//		fmt.Println(seg.ID, seg.Value(1))
//	}
//
// A Writer writes segments with chosen delimiters and wraps them in ISA/GS/ST
// envelopes whose control numbers come from caller-supplied sequences and whose counts
// (SE01, GE01, IEA01) it computes. An EnvelopeChecker checks the envelopes of what a
// Reader returns (control numbers and counts), reporting each problem with its position
// and the TA1/999 code that describes it.
//
// The package knows only the X12 syntax; the implementation guides live in edi/guide.
package x12
