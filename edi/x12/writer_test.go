package x12

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestWriterEnvelopes(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, DefaultDelimiters)
	if err != nil {
		t.Fatal(err)
	}
	w.Interchanges = &Counter{N: 41}
	at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	if err := w.BeginInterchange(InterchangeHeader{SenderQualifier: "ZZ", SenderID: "CLAIMFLOW", ReceiverQualifier: "ZZ", ReceiverID: "CLEARING", Time: at, Test: true, AckRequested: true}); err != nil {
		t.Fatal(err)
	}
	w.BeginGroup(GroupHeader{FunctionalID: "HC", SenderCode: "CF", ReceiverCode: "CH", Time: at, Version: "005010X222A1"})
	for i := 0; i < 2; i++ {
		ctl, err := w.BeginTransaction("837", "005010X222A1")
		if err != nil {
			t.Fatal(err)
		}
		if ctl.ISA13 != "000000042" || ctl.GS06 != "1" || ctl.ST02 != []string{"0001", "0002"}[i] {
			t.Errorf("control = %+v", ctl)
		}
		if w.STOrdinal() != 2 {
			t.Errorf("STOrdinal after ST = %d", w.STOrdinal())
		}
		w.Segment("BHT", "0019", "00", "B1", "20260304", "0506", "CH")
		w.Begin("CLM")
		w.Elem("PCN1")
		w.Cents(12050)
		w.Elem("")
		w.Elem("")
		w.Comp("11", "B", "1")
		w.Elem("")
		w.Elem("")
		w.End()
		w.Begin("SV1")
		w.Comp("HC", "99213", "25", "", "", "")
		w.Cents(10000)
		w.Elem("UN")
		w.Int(1)
		w.Elem("")
		w.End()
		if err := w.EndTransaction(); err != nil {
			t.Fatal(err)
		}
	}
	w.EndGroup()
	w.EndInterchange()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	isa, _, _ := strings.Cut(out, "~")
	if len(isa) != 105 {
		t.Errorf("ISA is %d characters before its terminator, want 105: %q", len(isa), isa)
	}
	want := "ISA*00*          *00*          *ZZ*CLAIMFLOW      *ZZ*CLEARING       *260304*0506*^*00501*000000042*1*T*:~" +
		"GS*HC*CF*CH*20260304*0506*1*X*005010X222A1~" +
		"ST*837*0001*005010X222A1~BHT*0019*00*B1*20260304*0506*CH~CLM*PCN1*120.5***11:B:1~SV1*HC:99213:25*100*UN*1~SE*5*0001~" +
		"ST*837*0002*005010X222A1~BHT*0019*00*B1*20260304*0506*CH~CLM*PCN1*120.5***11:B:1~SV1*HC:99213:25*100*UN*1~SE*5*0002~" +
		"GE*2*1~IEA*1*000000042~"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	// What the writer wrote passes the envelope checks.
	for _, e := range checkEnvelopes(t, out) {
		t.Errorf("envelope error: %v", e)
	}
}

func TestWriterRefusesDelimitersInData(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"A*B", "A:B", "A~B", "A^B"} {
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, DefaultDelimiters)
		w.Begin("NM1")
		w.Elem("IL")
		w.Elem(v)
		err := w.End()
		var we *WriteError
		if !errors.Is(err, ErrDelimiterInData) || !errors.As(err, &we) || we.Element != 2 || we.SegmentID != "NM1" {
			t.Errorf("%q: err = %v", v, err)
		}
		w.Flush()
		if buf.Len() != 0 {
			t.Errorf("%q: wrote %q despite the error", v, buf.String())
		}
	}
}

// TestWriterRefusesCharactersInData: after RefuseNonASCII, a line break, a tab or a
// UTF-8 letter in data is refused, naming the element and component, and never
// written: a line feed would make the file unreadable, an é is outside the X12
// character set. Without it (a writer echoing what others sent) they are kept.
func TestWriterRefusesCharactersInData(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"45 OAK AVE\nAPT 4", "A\rB", "A\tB", "JOSÉ", "A\x7fB", "A\x00B"} {
		var kept bytes.Buffer
		lenient, _ := NewWriter(&kept, DefaultDelimiters)
		lenient.Begin("SV1")
		lenient.Comp("HC", "99213", v)
		if err := lenient.End(); err != nil || lenient.Flush() != nil || !strings.Contains(kept.String(), v) {
			t.Errorf("%q without RefuseNonASCII: err %v, wrote %q", v, err, kept.String())
		}
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, DefaultDelimiters)
		w.RefuseNonASCII()
		w.Begin("SV1")
		w.Comp("HC", "99213", v)
		err := w.End()
		var we *WriteError
		if !errors.Is(err, ErrCharacterInData) || !errors.As(err, &we) || we.SegmentID != "SV1" || we.Element != 1 || we.Component != 3 {
			t.Errorf("%q: err = %v", v, err)
		}
		w.Flush()
		if buf.Len() != 0 {
			t.Errorf("%q: wrote %q despite the error", v, buf.String())
		}
	}
	// Printable ASCII, lower case and the extended set included, is data.
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, DefaultDelimiters)
	if err := w.Segment("NTE", "ADD", "Patient's note - 50% off (#2) & more @ 1/2 price; ok!"); err != nil {
		t.Errorf("printable ASCII refused: %v", err)
	}
}

func TestWriterEnvelopeOrder(t *testing.T) {
	t.Parallel()
	w, _ := NewWriter(io.Discard, DefaultDelimiters)
	if _, err := w.BeginTransaction("837", "X"); !errors.Is(err, ErrEnvelope) {
		t.Errorf("ST outside GS: %v", err)
	}
	w2, _ := NewWriter(io.Discard, DefaultDelimiters)
	if err := w2.BeginInterchange(InterchangeHeader{}); err == nil {
		t.Error("BeginInterchange without a sequence succeeded")
	}
	w3, _ := NewWriter(io.Discard, DefaultDelimiters)
	w3.Interchanges = &Counter{}
	if err := w3.BeginInterchange(InterchangeHeader{SenderID: strings.Repeat("X", 16)}); err == nil {
		t.Error("an ISA06 of 16 characters was accepted")
	}
	if _, err := NewWriter(io.Discard, Delimiters{Element: '*', Component: '*', Segment: '~'}); !errors.Is(err, ErrDelimiters) {
		t.Errorf("duplicate delimiters: %v", err)
	}
}

func TestCents(t *testing.T) {
	t.Parallel()
	good := map[string]int64{"0": 0, "120": 12000, "120.5": 12050, "120.55": 12055, "-2.15": -215, ".5": 50, "7.": 700, "1.500": 150, "+3": 300, "00012": 1200}
	for in, want := range good {
		got, err := ParseCents([]byte(in))
		if err != nil || got != want {
			t.Errorf("ParseCents(%q) = %d, %v; want %d", in, got, err, want)
		}
		if err == nil {
			back, _ := ParseCents(AppendCents(nil, got))
			if back != got {
				t.Errorf("round trip of %d via %q", got, AppendCents(nil, got))
			}
		}
	}
	for _, in := range []string{"", "-", ".", "1.234", "1e5", "12a", "1.2.3", "99999999999999999999"} {
		if _, err := ParseCents([]byte(in)); !errors.Is(err, ErrAmount) {
			t.Errorf("ParseCents(%q) err = %v", in, err)
		}
	}
	for c, want := range map[int64]string{0: "0", 12000: "120", 12050: "120.5", 12055: "120.55", -215: "-2.15", 5: "0.05", -50: "-0.5"} {
		if got := FormatCents(c); got != want {
			t.Errorf("FormatCents(%d) = %q, want %q", c, got, want)
		}
	}
}

func TestEnvelopeOpen(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	env := Envelope{SenderID: "CLAIMFLOW", ReceiverID: "PARTNER", Interchanges: &Counter{N: 6}, Time: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), Test: true}
	w, err := env.Open(&buf, "FA", "005010X231A1")
	if err != nil {
		t.Fatal(err)
	}
	w.BeginTransaction("999", "005010X231A1")
	w.Segment("AK1", "HC", "1", "005010X222A1")
	w.EndTransaction()
	if err := w.EndEnvelope(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "*ZZ*CLAIMFLOW      *ZZ*PARTNER        *260102*0304*^*00501*000000007*0*T*:~GS*FA*CLAIMFLOW*PARTNER*20260102*0304*1*X*005010X231A1~") {
		t.Errorf("envelope: %s", out)
	}
	for _, e := range checkEnvelopes(t, out) {
		t.Errorf("envelope error: %v", e)
	}
	isa := NewSegment(DefaultDelimiters, "ISA", "00", "", "00", "", "ZZ", "CLAIMFLOW      ", "ZZ", "PARTNER        ", "260102", "0304", "^", "00501", "000000007", "0", "T", ":")
	if o := OriginOf(isa, nil, "0001"); o.SenderID != "CLAIMFLOW" || o.ReceiverID != "PARTNER" || o.ISA13 != "000000007" || !o.Test || o.ST02 != "0001" {
		t.Errorf("origin: %+v", o)
	}
	if _, err := (&Envelope{}).Open(&buf, "FA", "X"); !errors.Is(err, ErrEnvelopeConfig) {
		t.Errorf("no sequence: %v", err)
	}
}
