package cob_test

import (
	"testing"

	"github.com/claimflow/claimflow/billing/cob"
)

// BenchmarkNext measures building the secondary claim of X12-GUIDE section 7.
func BenchmarkNext(b *testing.B) {
	c := exampleClaim()
	p := primaryPayment()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := cob.Next(&c, &p); err != nil {
			b.Fatal(err)
		}
	}
}
