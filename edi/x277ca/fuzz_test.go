package x277ca_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/claimflow/claimflow/edi/x277ca"
	"github.com/claimflow/claimflow/fixtures"
)

// FuzzParse277CA parses anything without panicking, and what it reads is a fixed
// point of Build and Parse.
func FuzzParse277CA(f *testing.F) {
	f.Add(fixtures.Sample("277ca-mixed.x12"))
	var buf bytes.Buffer
	if err := x277ca.Build(&buf, env(), payerAck()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		first, err := x277ca.Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		var b1, b2 bytes.Buffer
		if x277ca.Build(&b1, env(), clear(first)...) != nil {
			return
		}
		second, err := x277ca.Parse(bytes.NewReader(b1.Bytes()))
		if err != nil {
			t.Fatalf("our own 277CA does not parse: %v\n%s", err, b1.Bytes())
		}
		if err := x277ca.Build(&b2, env(), clear(second)...); err != nil {
			t.Fatal(err)
		}
		third, _ := x277ca.Parse(bytes.NewReader(b2.Bytes()))
		if !reflect.DeepEqual(clear(second), clear(third)) {
			t.Fatalf("Build/Parse is not a fixed point:\n%s\n%s", b1.Bytes(), b2.Bytes())
		}
	})
}

func clear(acks []x277ca.Ack) []x277ca.Ack {
	for i := range acks {
		acks[i].Origin = x277ca.Origin{}
	}
	return acks
}
