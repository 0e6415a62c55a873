package x12

import (
	"io"
	"strings"
	"testing"
)

func checkEnvelopes(t *testing.T, in string) []*EnvelopeError {
	t.Helper()
	var c EnvelopeChecker
	r := NewReader(strings.NewReader(in))
	for {
		s, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c.Check(s)
	}
	c.Finish()
	return c.Errors()
}

func TestEnvelopeChecker(t *testing.T) {
	t.Parallel()
	const gs = "GS*HC*A*B*20260101*1200*1*X*005010X222A1~"
	cases := []struct {
		name    string
		in      string
		level   Level
		code    string
		segment string
		ordinal int64
	}{
		{"IEA02 mismatch", isaStar + gs + "ST*837*0001~SE*2*0001~GE*1*1~IEA*1*000000009~", LevelInterchange, "001", "IEA", 6},
		{"IEA01 count", isaStar + gs + "ST*837*0001~SE*2*0001~GE*1*1~IEA*2*000000001~", LevelInterchange, "021", "IEA", 6},
		{"GE01 count", isaStar + gs + "ST*837*0001~SE*2*0001~GE*3*1~IEA*1*000000001~", LevelGroup, "5", "GE", 5},
		{"GE02 mismatch", isaStar + gs + "ST*837*0001~SE*2*0001~GE*1*2~IEA*1*000000001~", LevelGroup, "4", "GE", 5},
		{"SE01 count", isaStar + gs + "ST*837*0001~BHT~SE*2*0001~GE*1*1~IEA*1*000000001~", LevelTransaction, "4", "SE", 5},
		{"SE02 mismatch", isaStar + gs + "ST*837*0001~SE*2*0002~GE*1*1~IEA*1*000000001~", LevelTransaction, "3", "SE", 4},
		{"ST02 twice", isaStar + gs + "ST*837*0001~SE*2*0001~ST*837*0001~SE*2*0001~GE*2*1~IEA*1*000000001~", LevelTransaction, "23", "ST", 5},
		{"GS06 twice", isaStar + gs + "GE*0*1~" + gs + "GE*0*1~IEA*2*000000001~", LevelGroup, "19", "GS", 4},
		{"missing SE", isaStar + gs + "ST*837*0001~BHT~GE*1*1~IEA*1*000000001~", LevelTransaction, "2", "GE", 5},
		{"missing IEA", isaStar + gs + "ST*837*0001~SE*2*0001~GE*1*1~", LevelInterchange, "023", "GE", 5},
		{"ISA width", strings.Replace(isaStar, "SENDER         ", "SENDER", 1) + "IEA*0*000000001~", LevelInterchange, "006", "ISA", 1},
		{"ST outside GS", isaStar + "ST*837*0001~SE*2*0001~IEA*0*000000001~", LevelTransaction, "18", "ST", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			errs := checkEnvelopes(t, c.in)
			if len(errs) == 0 {
				t.Fatal("no error reported")
			}
			e := errs[0]
			if e.Level != c.level || e.Code != c.code || e.SegmentID != c.segment || e.Ordinal != c.ordinal {
				t.Errorf("got %v (level %v code %s seg %s ord %d), want level %v code %s seg %s ord %d", e, e.Level, e.Code, e.SegmentID, e.Ordinal, c.level, c.code, c.segment, c.ordinal)
			}
		})
	}
	if errs := checkEnvelopes(t, isaStar+gs+"ST*837*0001~SE*2*0001~GE*1*000001~IEA*1*000000001~"); len(errs) != 0 {
		t.Errorf("a good envelope (GE02 with leading zeros) reported: %v", errs[0])
	}
}
