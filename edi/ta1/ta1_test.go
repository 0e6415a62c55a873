package ta1_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/ta1"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

func env(n uint64) ta1.Envelope {
	return ta1.Envelope{
		SenderID: "DEMOCH", ReceiverID: "CLAIMFLOWDEMO", Test: true,
		Time:         time.Date(2025, 3, 12, 8, 0, 0, 0, time.UTC),
		Interchanges: &x12.Counter{N: n},
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		acks []ta1.Ack
	}{
		{"accepted", []ta1.Ack{{ControlNumber: "000000101", Date: "250310", Time: "0930", Code: ta1.Accepted, Note: "000"}}},
		{"duplicate", []ta1.Ack{{ControlNumber: "000000104", Date: "250312", Time: "0755", Code: ta1.Rejected, Note: "025"}}},
		{"several", []ta1.Ack{
			{ControlNumber: "000000105", Date: "250312", Time: "0756", Code: ta1.AcceptedWithErrors, Note: "021"},
			{ControlNumber: "000000106", Date: "250312", Time: "0757", Code: ta1.Rejected, Note: "008"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := ta1.Build(&buf, env(600), tc.acks...); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), "GS*") {
				t.Errorf("a TA1 interchange must have no functional group:\n%s", buf.String())
			}
			errs, err := guide.Validate(bytes.NewReader(buf.Bytes()), guide.MustDefault())
			if err != nil || len(errs) > 0 {
				t.Fatalf("validation: %v %v\n%s", err, errs, buf.String())
			}
			got, err := ta1.Parse(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				want := ta1.Origin{SenderQualifier: "ZZ", SenderID: "DEMOCH", ReceiverQualifier: "ZZ", ReceiverID: "CLAIMFLOWDEMO", ISA13: "000000601", Test: true}
				if got[i].Origin != want {
					t.Errorf("source %+v, want %+v", got[i].Origin, want)
				}
				got[i].Origin = ta1.Origin{}
			}
			if !reflect.DeepEqual(got, tc.acks) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tc.acks)
			}
		})
	}
}

func TestParseBeforeGroups(t *testing.T) {
	t.Parallel()
	// A TA1 may precede the functional groups of an interchange that carries them.
	in := "ISA*00*          *00*          *ZZ*DEMOCH         *ZZ*CLAIMFLOWDEMO  *250310*0945*^*00501*000000501*0*T*:~" +
		"TA1*000000101*250310*0930*A*000~" +
		"GS*FA*DEMOCH*CLAIMFLOWDEMO*20250310*0945*501*X*005010X231A1~ST*999*0001*005010X231A1~AK1*HC*101*005010X222A1~" +
		"AK2*837*0001*005010X222A1~IK5*A~AK9*A*1*1*1~SE*6*0001~GE*1*501~IEA*1*000000501~"
	if errs, _ := guide.Validate(strings.NewReader(in), guide.MustDefault()); len(errs) > 0 {
		t.Fatalf("sample does not validate: %v", errs)
	}
	acks, err := ta1.Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(acks) != 1 || acks[0].ControlNumber != "000000101" || !acks[0].Accepted() || acks[0].Origin.ISA13 != "000000501" {
		t.Errorf("got %+v", acks)
	}
	if _, err := ta1.Parse(strings.NewReader(strings.Replace(in, "TA1*000000101*250310*0930*A*000~", "", 1))); !errors.Is(err, ta1.ErrNoTA1) {
		t.Errorf("without a TA1: %v, want ErrNoTA1", err)
	}
}

func TestNoteText(t *testing.T) {
	t.Parallel()
	for n := 0; n <= 31; n++ {
		code := fmt.Sprintf("%03d", n)
		if ta1.NoteText(code) == "" {
			t.Errorf("no text for TA105 %s", code)
		}
	}
	for _, code := range []string{"", "032", "25", "abc", "0250"} {
		if got := ta1.NoteText(code); got != "" {
			t.Errorf("NoteText(%q) = %q, want empty", code, got)
		}
	}
	a := ta1.Ack{Code: ta1.Rejected, Note: "025"}
	if got := a.Text(); !strings.Contains(got, "duplicate") || !strings.HasPrefix(got, "rejected") {
		t.Errorf("Text() = %q", got)
	}
	if got := (ta1.Ack{Code: ta1.Accepted, Note: "000"}).Text(); got != "accepted" {
		t.Errorf("Text() = %q", got)
	}
	when, err := (ta1.Ack{Date: "250312", Time: "0755"}).Prepared()
	if err != nil || !when.Equal(time.Date(2025, 3, 12, 7, 55, 0, 0, time.UTC)) {
		t.Errorf("Prepared() = %v, %v", when, err)
	}
}

func TestBuildNeedsSequence(t *testing.T) {
	t.Parallel()
	e := env(0)
	e.Interchanges = nil
	if err := ta1.Build(&bytes.Buffer{}, e, ta1.Ack{ControlNumber: "1"}); !errors.Is(err, ta1.ErrEnvelope) {
		t.Errorf("got %v, want ErrEnvelope", err)
	}
}

// TestCorpus parses every TA1 sample of the shared corpus.
func TestCorpus(t *testing.T) {
	t.Parallel()
	for _, f := range sharedtest.Corpus(t) {
		if f.Type != "TA1" || f.Invalid() {
			continue
		}
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		acks, err := ta1.Parse(bytes.NewReader(data))
		if err != nil {
			t.Logf("%s: %v", f.Name, err)
			continue
		}
		for _, a := range acks {
			if ta1.NoteText(a.Note) == "" {
				t.Logf("%s: TA105 %q has no text", f.Name, a.Note)
			}
			t.Logf("%s: TA1 %s %s", f.Name, a.ControlNumber, a.Text())
		}
	}
}

// TestCodes: what a TA1 read from a file says of each TA104: E accepts (with the
// TA105 reason in words), an unknown TA105 is named by its code, and a TA104 that
// is none of A, E and R is read, does not accept, and says it is unknown.
func TestCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, note string
		accepted   bool
		text       []string
	}{
		{"E", "014", true, []string{"accepted with errors", "ISA09", "TA105 014"}},
		{"R", "999", false, []string{"rejected", "TA105 999"}},
		{"Z", "000", false, []string{`unknown acknowledgment code "Z"`}},
	}
	for _, tc := range tests {
		in := "ISA*00*          *00*          *ZZ*SIMCH          *ZZ*CFTEST         *260302*0930*^*00501*000000500*0*T*:~" +
			"TA1*000000042*260301*1800*" + tc.code + "*" + tc.note + "~IEA*0*000000500~"
		acks, err := ta1.Parse(strings.NewReader(in))
		if err != nil || len(acks) != 1 {
			t.Fatalf("%s %s: %v %v", tc.code, tc.note, acks, err)
		}
		a := acks[0]
		if a.ControlNumber != "000000042" || a.Code != tc.code || a.Note != tc.note || a.Accepted() != tc.accepted {
			t.Errorf("%s %s: read %+v, accepted %v", tc.code, tc.note, a, a.Accepted())
		}
		for _, s := range tc.text {
			if !strings.Contains(a.Text(), s) {
				t.Errorf("%s %s: Text() = %q, want it to hold %q", tc.code, tc.note, a.Text(), s)
			}
		}
	}
}

// TestParseUnpaddedISA: an ISA whose fixed-width ids are not padded (the UHIN
// sample, version 00401) is read.
func TestParseUnpaddedISA(t *testing.T) {
	t.Parallel()
	in := "ISA*00* *00* *30*560891234 *30*566012345*030813*1505*U*00401*000000007*1*P*:~\nTA1*000000100*030809*0823*R*024~\nIEA*1*000000007~\n"
	acks, err := ta1.Parse(strings.NewReader(in))
	if err != nil || len(acks) != 1 {
		t.Fatalf("%v %v", acks, err)
	}
	if a := acks[0]; a.ControlNumber != "000000100" || a.Code != ta1.Rejected || a.Note != "024" || a.Origin.ISA13 != "000000007" {
		t.Errorf("read %+v", a)
	}
}
