package x835_test

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/cputime"
)

// BenchmarkParseEach reads a synthetic 5 MB 835 into remittances through loop
// trees, and reports claim payments per second and the CPU time per payment.
func BenchmarkParseEach(b *testing.B) {
	data := bench835(b)
	claims := 0
	cpu := cputime.Process()
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
	reportRates(b, claims, cputime.Process()-cpu)
}

// BenchmarkReader reads the same 835 as BenchmarkParseEach with a Reader, as the
// remit stage does twice per file, and reports the same figures.
func BenchmarkReader(b *testing.B) {
	data := bench835(b)
	claims := 0
	cpu := cputime.Process()
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
	reportRates(b, claims, cputime.Process()-cpu)
}

// bench835 is the synthetic 5 MB 835 the benchmarks read, its size set as the
// bytes of an iteration.
func bench835(b *testing.B) []byte {
	var buf bytes.Buffer
	if _, err := fixtures.Write835(&buf, fixtures.Options{Seed: 7, Size: 5 << 20}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	return buf.Bytes()
}

// reportRates reports claim payments per second and the CPU time the process spent
// per claim payment, which holds still on a shared machine when the rate does not.
func reportRates(b *testing.B, claims int, cpu time.Duration) {
	b.ReportMetric(float64(claims*b.N)/b.Elapsed().Seconds(), "payments/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(claims*b.N), "cpu-µs/payment")
}
