package x835_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/fixtures"
)

// BenchmarkParseEach reads a synthetic 5 MB 835 into remittances, as the remit
// stage does twice per file, and reports claim payments per second.
func BenchmarkParseEach(b *testing.B) {
	var buf bytes.Buffer
	if _, err := fixtures.Write835(&buf, fixtures.Options{Seed: 7, Size: 5 << 20}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	claims := 0
	for b.Loop() {
		claims = 0
		err := x835.ParseEach(bytes.NewReader(data), func(rem *x835.Remittance) error {
			claims += len(rem.Claims)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(claims*b.N)/b.Elapsed().Seconds(), "payments/s")
}

// BenchmarkReader reads the same 835 as BenchmarkParseEach with a Reader, as the
// remit stage does, and reports claim payments per second.
func BenchmarkReader(b *testing.B) {
	var buf bytes.Buffer
	if _, err := fixtures.Write835(&buf, fixtures.Options{Seed: 7, Size: 5 << 20}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	claims := 0
	for b.Loop() {
		claims = 0
		rd := x835.NewReader(bytes.NewReader(data))
		for {
			rem, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			claims += len(rem.Claims)
		}
	}
	b.ReportMetric(float64(claims*b.N)/b.Elapsed().Seconds(), "payments/s")
}
