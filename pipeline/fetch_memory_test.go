package pipeline_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
)

// TestFetchLargeFileInBoundedMemory: fetching and classifying a 64 MB file grows the
// heap by a few megabytes, not by the file's size (DESIGN principle 6). Fetch used
// to read the downloaded file whole (os.ReadFile) and store it as one value, and
// Classify to load it whole for its first 8 KB: the heap grew by 65 MB. The file
// is now stored from the downloaded file a megabyte at a time
// (storage.InsertInboundFileFrom) and read back the same way.
//
// It does not run in parallel: the heap it measures is the process's.
func TestFetchLargeFileInBoundedMemory(t *testing.T) {
	ctx := ctxT(t)
	st := testenv.SQLite(t)
	f := newFront(t, st, simConfig{})
	const size = 64 << 20
	seg := []byte("CLP*PCN0000000001*1*125.00*100.00*25.00*12*ICN0000000001~")
	data := bytes.Repeat(seg, size/len(seg)+1)[:size]
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	download := filepath.Join(f.root, f.sim.Layout().Inbound[0].Dir)
	if err := os.WriteFile(filepath.Join(download, "BIG_ERA_835_5010_20260302.835"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	data = nil

	var fetched []pipeline.FetchedFile
	var classified pipeline.Classified
	var err error
	growth := testenv.PeakHeapGrowth(func() {
		fetched, err = pipeline.Fetch(ctx, f.env, simName)
		if err == nil && len(fetched) == 1 {
			classified, err = pipeline.Classify(ctx, f.env, fetched[0].InboundID)
		}
	})
	if err != nil || len(fetched) != 1 || fetched[0].Size != size || fetched[0].SHA256 != want {
		t.Fatalf("Fetch: %+v (%v)", fetched, err)
	}
	if !classified.Quarantined { // CLP segments without an envelope
		t.Errorf("classified %+v", classified)
	}
	t.Logf("fetching and classifying a %d MB file grew the heap by %.1f MB at peak", size>>20, float64(growth)/(1<<20))
	if growth >= 16<<20 {
		t.Errorf("peak heap growth %d MB while fetching a %d MB file: the file is held in memory", growth>>20, size>>20)
	}

	// Stored byte for byte.
	r, n, err := st.InboundContent(ctx, fetched[0].InboundID)
	if err != nil || n != size {
		t.Fatalf("stored %d bytes (%v)", n, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil || hex.EncodeToString(h.Sum(nil)) != want {
		t.Fatalf("stored content differs (%v)", err)
	}
}
