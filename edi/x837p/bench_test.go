package x837p_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
)

// BenchmarkBuild builds and writes batches of 10,000 generated claims (2.6 lines on
// average, a fifth of them dependents in 2000C) to io.Discard, with the segment map
// and traces, and reports claims per second.
func BenchmarkBuild(b *testing.B) {
	_, claims, opt := generated(b, fixtures.Options{Seed: 5, Claims: 10000, ClaimsPerST: 100})
	var seq x12.Counter
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := x837p.Build(claims, opt, io.Discard, &seq); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(claims))/b.Elapsed().Seconds(), "claims/s")
}

// BenchmarkParse parses a file of 10,000 generated claims.
func BenchmarkParse(b *testing.B) {
	data, claims, _ := generated(b, fixtures.Options{Seed: 5, Claims: 10000, ClaimsPerST: 100})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := x837p.Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(claims))/b.Elapsed().Seconds(), "claims/s")
}
