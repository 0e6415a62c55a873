package x12_test

import (
	"bytes"
	"io"
	"sync"
	"testing"

	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/cputime"
)

var (
	big835Once sync.Once
	big835     []byte
)

// big835File is a 50 MB synthetic 835 from the fixtures generator, made once.
func big835File(b *testing.B) []byte {
	big835Once.Do(func() {
		var buf bytes.Buffer
		if _, err := fixtures.Write835(&buf, fixtures.Options{Seed: 1, Size: 50 << 20}); err != nil {
			b.Fatal(err)
		}
		big835 = buf.Bytes()
	})
	return big835
}

// BenchmarkReader835 reads a 50 MB 835 segment by segment (the README's reader figure).
func BenchmarkReader835(b *testing.B) {
	data := big835File(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Process()
	defer func() {
		// MB per second of the process's CPU time, steadier on a shared machine.
		if d := cputime.Process() - cpu; d > 0 {
			b.ReportMetric(float64(len(data))*float64(b.N)/1e6/d.Seconds(), "cpu-MB/s")
		}
	}()
	for i := 0; i < b.N; i++ {
		r := x12.NewReader(bytes.NewReader(data))
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n == 0 {
			b.Fatal("no segments")
		}
	}
}

// BenchmarkWriter writes the segments of the 50 MB 835 back out.
func BenchmarkWriter(b *testing.B) {
	data := big835File(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := x12.NewReader(bytes.NewReader(data))
		w, _ := x12.NewWriter(io.Discard, x12.DefaultDelimiters)
		for {
			s, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			w.WriteSegment(s)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
