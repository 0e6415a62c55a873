package guide_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/cputime"
)

var (
	bigOnce        sync.Once
	big835, big837 []byte
)

func bigFiles(b *testing.B) {
	bigOnce.Do(func() {
		var buf bytes.Buffer
		if _, err := fixtures.Write835(&buf, fixtures.Options{Seed: 1, Size: 50 << 20}); err != nil {
			b.Fatal(err)
		}
		big835 = bytes.Clone(buf.Bytes())
		buf.Reset()
		if _, err := fixtures.Write837P(&buf, fixtures.Options{Seed: 1, Size: 50 << 20}); err != nil {
			b.Fatal(err)
		}
		big837 = buf.Bytes()
	})
}

func benchValidate(b *testing.B, data []byte) {
	reg := guide.MustDefault()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Process()
	for i := 0; i < b.N; i++ {
		errs, err := guide.Validate(bytes.NewReader(data), reg)
		if err != nil || len(errs) != 0 {
			b.Fatalf("%v %v", err, errs.Err())
		}
	}
	reportCPU(b, cputime.Process()-cpu, len(data))
}

// reportCPU adds the rate per second of CPU time the process spent (cpu-MB/s), which
// holds still on a shared machine when the wall-clock MB/s does not.
func reportCPU(b *testing.B, cpu time.Duration, size int) {
	if cpu > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "cpu-MB/s")
	}
}

// BenchmarkValidate835 parses and validates a 50 MB 835 (SNIP 1-2): the README's figure.
func BenchmarkValidate835(b *testing.B) { bigFiles(b); benchValidate(b, big835) }

// BenchmarkValidate837P parses and validates a 50 MB 837P.
func BenchmarkValidate837P(b *testing.B) { bigFiles(b); benchValidate(b, big837) }

// BenchmarkTree835 reads the 50 MB 835 as loop trees, one transaction set at a time.
func BenchmarkTree835(b *testing.B) {
	bigFiles(b)
	reg := guide.MustDefault()
	b.SetBytes(int64(len(big835)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		_, err := guide.ReadTransactions(bytes.NewReader(big835), reg, func(t *guide.Transaction) error {
			n++
			return nil
		})
		if err != nil || n == 0 {
			b.Fatal(err)
		}
	}
}
