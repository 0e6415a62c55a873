package pipeline_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// TestFetchClassify: the simulator's answers to a submitted file are fetched once,
// stored byte for byte and classified by content (TA1, 999, 277CA, 835) with work
// for the acks or remit stage; a file that is not X12 is quarantined with an
// exception work item; the same content under another name is stored once.
func TestFetchClassify(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	st := testenv.SQLite(t)
	f := newFront(t, st, simConfig{autoRespond: true})
	env := f.env
	readyClaims(t, env, 41, 6)
	if _, err := pipeline.Batch(ctx, env, simName); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.SubmitPending(ctx, env, simName); err != nil {
		t.Fatal(err)
	}
	download := filepath.Join(f.root, f.sim.Layout().Inbound[0].Dir)
	answers, err := os.ReadDir(download)
	if err != nil || len(answers) < 4 {
		t.Fatalf("the simulator wrote %d files (%v)", len(answers), err)
	}
	junk := []byte("Dear customer, your claims were received.\n")
	if err := os.WriteFile(filepath.Join(download, "NOTICE.txt"), junk, 0o644); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(filepath.Join(download, answers[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(download, "copy_of_"+answers[0].Name()), first, 0o644); err != nil {
		t.Fatal(err)
	}

	fetched, err := pipeline.Fetch(ctx, env, simName)
	if err != nil {
		t.Fatal(err)
	}
	if len(fetched) != len(answers)+2 {
		t.Fatalf("fetched %d files, want %d", len(fetched), len(answers)+2)
	}
	kinds := map[string]int{}
	quarantined, dupes := 0, 0
	for _, ff := range fetched {
		if !ff.New {
			dupes++
			continue
		}
		in, err := st.InboundFile(ctx, ff.InboundID)
		if err != nil || in.Size != ff.Size || in.Source != simName {
			t.Fatalf("inbound %+v (%v)", in, err)
		}
		c, err := pipeline.Classify(ctx, env, ff.InboundID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Quarantined {
			quarantined++
			continue
		}
		kinds[c.Kind]++
		again, err := pipeline.Classify(ctx, env, ff.InboundID)
		if err != nil || !again.Before || again.Kind != c.Kind {
			t.Fatalf("classifying again: %+v (%v)", again, err)
		}
	}
	if dupes != 1 || quarantined != 1 || kinds["ta1"] != 1 || kinds["999"] != 1 || kinds["277ca"] < 1 || kinds["835"] < 1 {
		t.Fatalf("kinds %v, %d quarantined, %d duplicates", kinds, quarantined, dupes)
	}
	if n, want := countOutbox(t, env, bus.Acks), kinds["ta1"]+kinds["999"]+kinds["277ca"]; n != want {
		t.Errorf("%d acks messages, want %d", n, want)
	}
	if n := countOutbox(t, env, bus.Remit); n != kinds["835"] {
		t.Errorf("%d remit messages, want %d", n, kinds["835"])
	}
	if n := countOutbox(t, env, bus.Classify); n != len(fetched)-1 {
		t.Errorf("%d classify messages, want %d", n, len(fetched)-1)
	}
	items, err := st.WorkItems(ctx, storage.WorkFilter{Kind: storage.WorkException})
	if err != nil || len(items) != 1 {
		t.Fatalf("exception items %+v (%v)", items, err)
	}
	q, err := st.InboundFiles(ctx, storage.InboundQuarantined, 0, 10)
	if err != nil || len(q) != 1 || q[0].Name != "NOTICE.txt" || q[0].Reason == "" {
		t.Fatalf("quarantined %+v (%v)", q, err)
	}

	// Polling again takes nothing.
	again, err := pipeline.Fetch(ctx, env, simName)
	if err != nil || len(again) != 0 {
		t.Fatalf("fetching again: %+v (%v)", again, err)
	}
}
