package storage_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestInboundFileInBoundedMemory: storing a 64 MB file from disk and reading it back
// grows the heap by a few megabytes, not by the file's size, on both engines
// (DESIGN principle 6). InsertInboundFile used to take the content as one value.
//
// It does not run in parallel, nor its engines side by side: the heap it measures is
// the process's.
func TestInboundFileInBoundedMemory(t *testing.T) {
	const size = 64 << 20
	seg := []byte("CLP*PCN0000000001*1*125.00*100.00*25.00*12*ICN0000000001~")
	path := filepath.Join(t.TempDir(), "big.835")
	data := bytes.Repeat(seg, size/len(seg)+1)[:size]
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	data = nil
	for _, engine := range []struct {
		name string
		open func(testing.TB, ...storage.Option) *storage.Store
	}{{"sqlite", testenv.SQLite}, {"postgres", testenv.Postgres}} {
		t.Run(engine.name, func(t *testing.T) {
			ctx := t.Context()
			st := engine.open(t)
			file, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			h := sha256.New()
			growth := testenv.PeakHeapGrowth(func() {
				var id int64
				id, _, err = st.InsertInboundFileFrom(ctx, storage.InboundFile{Source: "t", Name: "big.835"}, file)
				if err != nil {
					return
				}
				var r io.Reader
				if r, _, err = st.InboundContent(ctx, id); err == nil {
					_, err = io.Copy(h, r)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != want {
				t.Fatalf("read back sha256 %s, stored %s", got, want)
			}
			t.Logf("storing and reading a %d MB file grew the heap by %.1f MB at peak", size>>20, float64(growth)/(1<<20))
			if growth >= 16<<20 {
				t.Errorf("peak heap growth %d MB while storing a %d MB file: the file is held in memory", growth>>20, size>>20)
			}
		})
	}
}
