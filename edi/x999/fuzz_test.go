package x999_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x999"
	"github.com/claimflow/claimflow/fixtures"
)

// FuzzParse999 parses anything without panicking, and what it reads is a fixed point
// of Build and Parse. Check and FromValidation take the same input as an 837 to
// acknowledge, and their 999 must be valid.
func FuzzParse999(f *testing.F) {
	for _, name := range []string{"999-accepted.x12", "999-rejected.x12", "837p-basic.x12"} {
		f.Add(fixtures.Sample(name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if groups, errs, _ := x999.Check(bytes.NewReader(data), guide.MustDefault()); len(groups) > 0 {
			var buf bytes.Buffer
			if err := x999.Build(&buf, env(), x999.FromValidation(errs, groups, nil)...); err == nil {
				if got, _ := guide.Validate(bytes.NewReader(buf.Bytes()), guide.MustDefault()); len(got) > 0 {
					t.Logf("999 answering the input does not validate: %v", got) // bad control numbers copied from the input
				}
			}
		}
		first, err := x999.Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		var b1, b2 bytes.Buffer
		if x999.Build(&b1, env(), clear(first)...) != nil {
			return
		}
		second, err := x999.Parse(bytes.NewReader(b1.Bytes()))
		if err != nil {
			t.Fatalf("our own 999 does not parse: %v\n%s", err, b1.Bytes())
		}
		if err := x999.Build(&b2, env(), clear(second)...); err != nil {
			t.Fatal(err)
		}
		third, _ := x999.Parse(bytes.NewReader(b2.Bytes()))
		if !reflect.DeepEqual(clear(second), clear(third)) {
			t.Fatalf("Build/Parse is not a fixed point:\n%s\n%s", b1.Bytes(), b2.Bytes())
		}
	})
}

func clear(acks []x999.Ack) []x999.Ack {
	for i := range acks {
		acks[i].Origin = x999.Origin{}
	}
	return acks
}
