package x999_test

import (
	"bytes"
	"fmt"
	"github.com/claimflow/claimflow/internal/x12test"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x999"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

func env() x999.Envelope {
	return x999.Envelope{
		SenderID: "DEMOCH", ReceiverID: "CLAIMFLOWDEMO", Test: true,
		Time:         time.Date(2025, 3, 10, 9, 45, 0, 0, time.UTC),
		Interchanges: &x12.Counter{N: 500},
	}
}

// build writes acks, checks the 999 against the guide and parses it back.
func build(t *testing.T, acks ...x999.Ack) ([]x999.Ack, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := x999.Build(&buf, env(), acks...); err != nil {
		t.Fatal(err)
	}
	errs, err := guide.Validate(bytes.NewReader(buf.Bytes()), guide.MustDefault())
	if err != nil || len(errs) > 0 {
		t.Fatalf("the 999 does not validate: %v\n%v\n%s", err, errs, buf.String())
	}
	got, err := x999.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		s := got[i].Origin
		if s.ISA13 != "000000501" || s.GS06 != "1" || s.ST02 != fmt.Sprintf("%04d", i+1) || s.SenderID != "DEMOCH" || !s.Test || len(s.Errors) > 0 || len(s.Unread) > 0 {
			t.Errorf("source %+v", s)
		}
		got[i].Origin = x999.Origin{}
	}
	return got, buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		acks []x999.Ack
	}{
		{"accepted", []x999.Ack{{
			Group:  x999.Group{FunctionalID: "HC", Control: "101", Version: "005010X222A1"},
			Sets:   []x999.SetResponse{{ID: "837", Control: "0001", Version: "005010X222A1", Status: x999.Accepted}},
			Status: x999.Accepted, Included: 1, Received: 1, Accepted: 1,
		}}},
		{"several sets, partly accepted", []x999.Ack{{
			Group: x999.Group{FunctionalID: "HC", Control: "17456", Version: "005010X222A1"},
			Sets: []x999.SetResponse{
				{ID: "837", Control: "0001", Status: x999.Accepted},
				{ID: "837", Control: "0002", Status: x999.Rejected, Codes: []string{"5"}, Segments: []x999.SegmentError{{
					ID: "CLM", Position: 22, Loop: "2300", Code: "8",
					Context:  []x999.Context{{Name: "CLM01", Reference: "123456789"}},
					Elements: []x999.ElementError{{Position: 2, Ref: "782", Code: "1"}},
				}}},
				{ID: "837", Control: "0003", Status: x999.Rejected, Codes: []string{"5", "4"}, Segments: []x999.SegmentError{{
					ID: "REF", Position: 57, Code: "3",
					Context: []x999.Context{
						{Name: x999.ContextSituationalTrigger, SegmentID: "CLM", Position: 43, Element: 5, Component: 3},
						{Name: "CLM01", Reference: "987654321"},
					},
				}}},
				{ID: "837", Control: "0004", Status: x999.AcceptedWithErrors, Segments: []x999.SegmentError{{
					ID: "HI", Position: 23, Loop: "2300", Code: "8",
					Elements: []x999.ElementError{
						{Position: 2, Component: 1, Repetition: 3, Ref: "1270", Code: "7", Value: "ABX"},
						{Position: 3, Component: 2, Ref: "1271", Code: "I12", Value: "E11.9", Context: []x999.Context{
							{Name: x999.ContextSituationalTrigger, SegmentID: "HI", Position: 23, Loop: "2300", Element: 2, Component: 1, Repetition: 2},
						}},
					},
				}}},
			},
			Status: x999.PartiallyAccepted, Included: 4, Received: 4, Accepted: 2,
		}}},
		{"group rejected, two acks", []x999.Ack{
			{
				Group:  x999.Group{FunctionalID: "HC", Control: "7", Version: "005010X222A1"},
				Sets:   []x999.SetResponse{{ID: "837", Control: "0001", Status: x999.Rejected, Codes: []string{"2"}}},
				Status: x999.Rejected, Included: 2, Received: 1, Codes: []string{"5", "4"},
			},
			{
				Group:  x999.Group{FunctionalID: "HC", Control: "8", Version: "005010X222A1"},
				Status: x999.Accepted,
			},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, out := build(t, tc.acks...)
			if !reflect.DeepEqual(got, tc.acks) {
				t.Errorf("round trip:\n got %+v\nwant %+v\n%s", got, tc.acks, out)
			}
		})
	}
}

// claimAt maps a segment of an 837P to its claim: the last CLM at or before the
// ordinal under the last HL, else the first CLM after that HL (the subscriber or
// patient of the claim).
func claimAt(file []byte) x999.BusinessUnitFunc {
	type mark struct {
		ord  int
		hl   bool
		clm1 string
	}
	var marks []mark
	var st02 string
	rd := x12.NewReader(bytes.NewReader(file))
	for {
		seg, err := rd.Next()
		if err != nil {
			break
		}
		switch seg.ID {
		case "ST":
			st02 = seg.Value(2)
		case "HL":
			marks = append(marks, mark{ord: seg.STOrdinal, hl: true})
		case "CLM":
			marks = append(marks, mark{ord: seg.STOrdinal, clm1: seg.Value(1)})
		}
	}
	return func(gs06, st02Want string, ordinal int) string {
		if st02Want != st02 {
			return ""
		}
		for i := len(marks) - 1; i >= 0; i-- {
			if marks[i].ord > ordinal {
				continue
			}
			if marks[i].clm1 != "" {
				return marks[i].clm1
			}
			for _, m := range marks[i+1:] {
				if m.hl {
					return ""
				}
				if m.clm1 != "" {
					return m.clm1
				}
			}
			return ""
		}
		return ""
	}
}

func TestFromValidation(t *testing.T) {
	t.Parallel()
	sample := string(fixtures.Sample("837p-basic.x12"))
	if sample == "" {
		t.Fatal("no sample 837p-basic.x12")
	}
	tests := []struct {
		name     string
		from, to string
		seg      x999.SegmentError // IK3 expected (with the first IK4, if any)
		clm01    string
		setCodes []string
	}{
		{name: "invalid date", from: "DMG*D8*19800115*F", to: "DMG*D8*19801315*F",
			seg: x999.SegmentError{ID: "DMG", Position: 17, Loop: "2010", Code: "8",
				Elements: []x999.ElementError{{Position: 2, Ref: "1251", Code: "8", Value: "19801315"}}},
			clm01: "DEMO0001", setCodes: []string{"5"}},
		{name: "component code", from: "HI*ABK:E119*ABF:I10", to: "HI*ABK:E119*ABX:I10",
			seg: x999.SegmentError{ID: "HI", Position: 21, Loop: "2300", Code: "8",
				Elements: []x999.ElementError{{Position: 2, Component: 1, Ref: "1270", Code: "7", Value: "ABX"}}},
			clm01: "DEMO0001", setCodes: []string{"5"}},
		{name: "too many components: no copy of the value", from: "SV1*HC:99213:25*125*UN*1***1:2", to: "SV1*HC:99213:25*125*UN*1***1:2:3:4:5",
			seg: x999.SegmentError{ID: "SV1", Position: 48, Loop: "2400", Code: "8",
				Elements: []x999.ElementError{{Position: 7, Component: 5, Code: "13"}}},
			clm01: "DEMO0002", setCodes: []string{"5"}},
		{name: "unexpected segment", from: "NM1*QC*1*EXAMPLE*TAYLOR~", to: "",
			seg:   x999.SegmentError{ID: "N3", Position: 39, Loop: "2000", Code: "2"},
			clm01: "DEMO0002", setCodes: []string{"5", "4"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			broken := strings.Replace(sample, tc.from, tc.to, 1)
			if broken == sample {
				t.Fatalf("%q not in the sample", tc.from)
			}
			groups, errs, err := x999.Check(strings.NewReader(broken), guide.MustDefault())
			if err != nil || len(errs) == 0 {
				t.Fatalf("Check: %v, %d errors", err, len(errs))
			}
			acks := x999.FromValidation(errs, groups, claimAt([]byte(broken)))
			got, out := build(t, acks...)
			if !reflect.DeepEqual(got, acks) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, acks)
			}
			if len(got) != 1 || len(got[0].Sets) != 1 {
				t.Fatalf("want one ack with one set:\n%s", out)
			}
			a := got[0]
			if a.Group != (x999.Group{FunctionalID: "HC", Control: "101", Version: "005010X222A1"}) || a.Status != x999.Rejected ||
				a.Included != 1 || a.Received != 1 || a.Accepted != 0 {
				t.Errorf("AK1/AK9: %+v", a)
			}
			s := a.Sets[0]
			if s.ID != "837" || s.Control != "0001" || s.Version != "005010X222A1" || s.Status != x999.Rejected || !reflect.DeepEqual(s.Codes, tc.setCodes) {
				t.Errorf("AK2/IK5: %+v", s)
			}
			first := s.Segments[0]
			if first.BusinessUnit() != tc.clm01 {
				t.Errorf("CTX*CLM01 %q, want %q", first.BusinessUnit(), tc.clm01)
			}
			first.Context = nil
			if len(first.Elements) > 1 {
				first.Elements = first.Elements[:1]
			}
			if !reflect.DeepEqual(first, tc.seg) {
				t.Errorf("IK3/IK4:\n got %+v\nwant %+v\n%s", first, tc.seg, out)
			}
			// The error the validator found is what the 999 says, field for field.
			e := errs[0]
			if first.Position != e.STOrdinal || first.ID != e.SegmentID || first.Code != e.SegmentCode {
				t.Errorf("IK3 %+v does not match the validator's %v", first, e)
			}
			if len(first.Elements) > 0 {
				ik4 := first.Elements[0]
				if ik4.Position != e.Element || ik4.Component != e.Component || ik4.Ref != e.ElementRef || ik4.Code != e.ElementCode {
					t.Errorf("IK4 %+v does not match the validator's %v", ik4, e)
				}
			}
		})
	}
}

func TestFromValidationAccepts(t *testing.T) {
	t.Parallel()
	sample := fixtures.Sample("837p-basic.x12")
	// Two interchanges: the sample, and the sample with another ISA13 and a group
	// whose GE01 is wrong.
	second := strings.NewReplacer("000000101", "000000102", "GE*1*101", "GE*2*101").Replace(string(sample))
	groups, errs, err := x999.Check(strings.NewReader(string(sample)+second), guide.MustDefault())
	if err != nil {
		t.Fatal(err)
	}
	acks := x999.FromValidation(errs, groups, nil)
	got, _ := build(t, acks...)
	if len(got) != 2 {
		t.Fatalf("got %d acks, want 2", len(got))
	}
	if a := got[0]; a.Status != x999.Accepted || a.Accepted != 1 || a.Sets[0].Status != x999.Accepted || len(a.Sets[0].Segments) > 0 {
		t.Errorf("first group: %+v", a)
	}
	if a := got[1]; a.Status != x999.Rejected || a.Included != 2 || a.Received != 1 || !reflect.DeepEqual(a.Codes, []string{"5"}) {
		t.Errorf("second group: %+v", a)
	}
}

func TestCodeTexts(t *testing.T) {
	t.Parallel()
	reg := guide.MustDefault()
	g := reg.ByName("999")
	// Every code the guide allows has a text.
	lists := map[string]func(string) string{
		"IK304": x999.SegmentCodeText, "IK403": x999.ElementCodeText, "IK501": x999.StatusText,
		"IK502": x999.SetCodeText, "AK901": x999.StatusText, "AK905": x999.GroupCodeText,
	}
	found := 0
	var walk func(l *guide.Loop)
	walk = func(l *guide.Loop) {
		for _, it := range l.Items {
			if it.Loop != nil {
				walk(it.Loop)
				continue
			}
			for _, el := range it.Segment.Elements {
				if fn, ok := lists[el.Label]; ok {
					found++
					for _, c := range el.Codes {
						if fn(c) == "" {
							t.Errorf("%s code %s has no text", el.Label, c)
						}
					}
				}
			}
		}
	}
	walk(g.Root)
	if found != len(lists) {
		t.Errorf("found %d of the %d code lists in the guide", found, len(lists))
	}
}

// TestCorpus parses every 5010 999 of the shared corpus and says what does not map:
// the segments that Build(Parse(file)) does not give back.
func TestCorpus(t *testing.T) {
	t.Parallel()
	for _, f := range sharedtest.Corpus(t) {
		if f.Type != "999" || f.Invalid() || !strings.HasPrefix(f.Version, "00501") {
			continue
		}
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		acks, err := x999.Parse(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		for _, a := range acks {
			for _, s := range a.Sets {
				for _, e := range s.Segments {
					if x999.SegmentCodeText(e.Code) == "" {
						t.Logf("%s: IK304 %q has no text", f.Name, e.Code)
					}
					for _, el := range e.Elements {
						if x999.ElementCodeText(el.Code) == "" {
							t.Logf("%s: IK403 %q has no text", f.Name, el.Code)
						}
					}
				}
			}
			if len(a.Origin.Errors) > 0 {
				t.Logf("%s: ST %s: %d guide errors, first: %v", f.Name, a.Origin.ST02, len(a.Origin.Errors), a.Origin.Errors[0])
			}
			if len(a.Origin.Unread) > 0 {
				t.Logf("%s: unread values: %v", f.Name, a.Origin.Unread)
			}
		}
		var buf bytes.Buffer
		if err := x999.Build(&buf, env(), acks...); err != nil {
			t.Logf("%s: cannot be rebuilt: %v", f.Name, err)
			continue
		}
		if lost := bodyDiff(data, buf.Bytes()); len(lost) > 0 {
			t.Logf("%s: does not map: %v", f.Name, lost)
		} else {
			t.Logf("%s: %d acks, every segment maps", f.Name, len(acks))
		}
	}
}

// bodyDiff returns the segments of a's transaction sets (envelopes excluded) that b
// does not have in the same order.
func bodyDiff(a, b []byte) []string {
	return x12test.Lost(x12test.Body(a, nil, nil), x12test.Body(b, nil, nil))
}

// TestBusinessUnit: the claim a segment error names is CTX*CLM01, whether it
// follows a segment-context CTX (the TR3's order), comes alone (with an element
// context under the IK4), or is absent (a situational trigger alone names no
// claim); in the stupidedi sample of three sets too (ISA16 ':', repetition '>',
// IK3 without a loop).
func TestBusinessUnit(t *testing.T) {
	t.Parallel()
	wrap := func(body ...string) string {
		return "ISA*00*          *00*          *ZZ*DEMOCH         *ZZ*CLAIMFLOW      *260302*0930*^*00501*000000900*0*T*:~" +
			"GS*FA*DEMOCH*CLAIMFLOW*20260302*0930*900*X*005010X231A1~ST*999*0001*005010X231A1~AK1*HC*101*005010X222A1~" +
			"AK2*837*0001*005010X222A1~" + strings.Join(body, "~") + "~IK5*R*5~AK9*R*1*1*0~" +
			fmt.Sprintf("SE*%d*0001~", len(body)+6) + "GE*1*900~IEA*1*000000900~"
	}
	tests := []struct {
		name, in string
		want     []string // by set
	}{
		{"trigger then CLM01", wrap("IK3*REF*57*2300*I6", "CTX*SITUATIONAL TRIGGER*CLM*43*2300*5:3", "CTX*CLM01:PCN-77"), []string{"PCN-77"}},
		{"CLM01 and an element context", wrap("IK3*DTP*35*2300*8", "CTX*CLM01:ABC123", "IK4*3*1251*8*20261340",
			"CTX*SITUATIONAL TRIGGER*DTP*35*2300*2"), []string{"ABC123"}},
		{"trigger only", wrap("IK3*REF*57*2300*I6", "CTX*SITUATIONAL TRIGGER*CLM*43*2300*5:3"), []string{""}},
		{"stupidedi sample", "ISA*00*          *00*          *ZZ*123456789012345*ZZ*123456789012346*080503*1705*>*00501*000010216*0*T*:~" +
			"GS*FA*1234567890*2345678901*20080503*1705*20213*X*005010X231A1~ST*999*2870001*005010X231A1~AK1*HC*17456*005010X222A2~" +
			"AK2*837*0001~IK5*A~AK2*837*0002~IK3*CLM*22**8~CTX*CLM01:123456789~IK4*2*782*1~IK5*R*5~" +
			"AK2*837*0003~IK3*REF*57**3~CTX*SITUATIONAL TRIGGER*CLM*43**5:3~CTX*CLM01:987654321~IK5*R*5~" +
			"AK9*P*3*3*1~SE*16*2870001~GE*1*20213~IEA*1*000010216~", []string{"", "123456789", "987654321"}},
	}
	for _, tc := range tests {
		acks, err := x999.Parse(strings.NewReader(tc.in))
		if err != nil || len(acks) != 1 || len(acks[0].Sets) != len(tc.want) {
			t.Fatalf("%s: %+v %v", tc.name, acks, err)
		}
		for i, s := range acks[0].Sets {
			got := ""
			if len(s.Segments) > 0 {
				got = s.Segments[0].BusinessUnit()
			}
			if got != tc.want[i] {
				t.Errorf("%s: set %s: business unit %q, want %q", tc.name, s.Control, got, tc.want[i])
			}
		}
	}
}
