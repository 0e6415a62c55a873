package remit_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/cputime"
	"github.com/claimflow/claimflow/internal/heapfloor"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

var (
	benchSize    = flag.Int64("remit.size", 50<<20, "size in bytes of the 835 BenchmarkPost835Postgres posts")
	benchGroup   = flag.Int("remit.group", 0, "claim payments per database transaction (Poster.GroupClaims; 0 the default)")
	benchWriters = flag.Int("remit.writers", 0, "database transactions written at once (Poster.Writers; 0 the default)")
	benchProfile = flag.String("remit.cpuprofile", "", "write a CPU profile of the posting alone (not the setup) to this file")
	benchFloor   = flag.Uint64("remit.heapfloor", heapfloor.Default, "the garbage collector's heap floor in MiB while posting, as serve and post keep it (0: none, GOGC 100)")
)

// BenchmarkPost835Postgres posts a synthetic 835 of -remit.size bytes (50 MB:
// about 100,000 claim payments) into PostgreSQL, the claims it pays stored first
// (fixtures.Write837P with the same seed), and reports claim payments per second,
// the peak heap in use while posting, the bytes a payment allocates, and the CPU
// time a payment costs this process and the PostgreSQL backends (when the server
// runs on this machine): on a shared machine those hold still when the rate does
// not. Run it alone:
//
//	CLAIMFLOW_TEST_POSTGRES=... go test ./pipeline/remit -run '^$' -bench Post835 -benchtime 1x
func BenchmarkPost835Postgres(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		url, app := cputime.WithApplicationName(testenv.PostgresURL(b))
		st := testenv.Open(b, url)
		w := newWorld(b, st)
		// The number of claims a file of the size holds; then the file paying exactly
		// the claims Write837P writes for that number.
		stats, err := fixtures.Write835(io.Discard, fixtures.Options{Seed: 7, Size: *benchSize})
		if err != nil {
			b.Fatal(err)
		}
		var era bytes.Buffer
		if stats, err = fixtures.Write835(&era, fixtures.Options{Seed: 7, Claims: stats.Claims}); err != nil {
			b.Fatal(err)
		}
		setup := time.Now()
		claimsOf(b, w, stats.Claims)
		// The claims' statistics, as the store's analyzer (or autovacuum) would have
		// them by the time their payments come in (it changes nothing measurable
		// since posting reads by index: Tx.PreferIndexes).
		if _, err := st.Analyze(ctx); err != nil {
			b.Fatal(err)
		}
		b.Logf("%d claims stored in %s; the 835 is %.1f MB", stats.Claims, time.Since(setup).Round(time.Millisecond), float64(stats.Bytes)/(1<<20))
		id, _, err := st.InsertInboundFile(ctx, storage.InboundFile{Source: "bench", Name: "bench.835", Kind: "835", Content: era.Bytes()})
		if err != nil {
			b.Fatal(err)
		}
		era = bytes.Buffer{}
		runtime.GC()
		peak := watchHeap()
		b.StartTimer()
		w.poster.GroupClaims, w.poster.Writers = *benchGroup, *benchWriters
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		alloc0 := ms.TotalAlloc
		stopProfile := startProfile(b)
		stopFloor := heapfloor.Start(*benchFloor << 20)
		cpu := cputime.Start(ctx, st.DB(), app)
		start := time.Now()
		sum, err := w.poster.PostInbound(ctx, id)
		elapsed := time.Since(start)
		client, server := cpu.Stop(ctx)
		stopFloor()
		stopProfile()
		runtime.ReadMemStats(&ms)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if sum.Quarantined != "" || sum.Matched != stats.Claims {
			b.Fatalf("posted %+v of %d claims", sum, stats.Claims)
		}
		b.ReportMetric(float64(sum.Payments)/elapsed.Seconds(), "payments/s")
		heap, live := peak()
		b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(live)/(1<<20), "live-heap-MB")
		b.ReportMetric(float64(sum.Entries), "entries")
		b.ReportMetric(float64(client.Microseconds())/float64(sum.Payments), "client-µs/payment")
		// Bytes allocated: steadier than CPU time on a shared machine, and what the
		// garbage collector's share of the client's CPU follows.
		b.ReportMetric(float64(ms.TotalAlloc-alloc0)/1024/float64(sum.Payments), "alloc-KB/payment")
		if server > 0 {
			b.ReportMetric(float64(server.Microseconds())/float64(sum.Payments), "server-µs/payment")
		}
	}
}

// startProfile starts the CPU profile -remit.cpuprofile asks for, if any, and
// returns the function that stops it.
func startProfile(b *testing.B) func() {
	if *benchProfile == "" {
		return func() {}
	}
	f, err := os.Create(*benchProfile)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// watchHeap samples the heap in use (MemStats.HeapInuse: the bytes of the heap's
// spans in use) and the live heap the last collection marked until the returned
// function is called, which returns the largest sample of each. With a heap floor
// the heap in use grows to the floor whatever the file; the live heap is what
// posting holds. It reads runtime/metrics, which does not stop the world as
// runtime.ReadMemStats does: fifty stops a second cost the posting measured.
func watchHeap() func() (inUse, live uint64) {
	var mu sync.Mutex
	var max, maxLive uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"},
			{Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(samples)
			mu.Lock()
			max = maxU(max, samples[0].Value.Uint64()+samples[1].Value.Uint64())
			maxLive = maxU(maxLive, samples[2].Value.Uint64())
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(stop)
		<-done
		return max, maxLive
	}
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// claimsOf stores the n claims Write837P writes with the bench's seed, transmitted,
// for one patient, billed to payers known by the ids the 835s name.
func claimsOf(b *testing.B, w *world, n int) {
	ctx := context.Background()
	var buf bytes.Buffer
	if _, err := fixtures.Write837P(&buf, fixtures.Options{Seed: 7, Claims: n}); err != nil {
		b.Fatal(err)
	}
	claims, err := x837p.Parse(&buf)
	if err != nil {
		b.Fatal(err)
	}
	payers := map[string]int64{}
	for i := range claims {
		k, _ := claims[i].BilledCoverage()
		pid := claims[i].Coverages[k].Payer.ID
		if payers[pid] == 0 {
			if payers[pid], err = w.st.UpsertPayer(ctx, storage.Payer{PayerID: pid, Name: claims[i].Coverages[k].Payer.Name}); err != nil {
				b.Fatal(err)
			}
		}
	}
	// Four writers at once: the setup is not what is measured.
	const chunk = 2000
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for start := range next {
				if err := storeChunk(ctx, w, claims[start:min(start+chunk, len(claims))], payers); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for start := 0; start < len(claims); start += chunk {
		select {
		case next <- start:
		case err := <-errs:
			b.Fatal(err)
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

// storeChunk stores claims transmitted.
func storeChunk(ctx context.Context, w *world, batch []billing.Claim, payers map[string]int64) error {
	ncs := make([]storage.NewClaim, len(batch))
	for i := range batch {
		k, _ := batch[i].BilledCoverage()
		ncs[i] = storage.NewClaim{Claim: batch[i], PatientID: w.patient, PayerID: payers[batch[i].Coverages[k].Payer.ID],
			BillingProviderID: w.provider, State: storage.StateValidated}
	}
	ids, err := w.st.InsertClaims(ctx, ncs, storage.Event{Cause: storage.CauseSystem})
	if err != nil {
		return err
	}
	moves := make([]storage.ClaimMove, 0, 2*len(ids))
	for _, id := range ids {
		moves = append(moves, storage.ClaimMove{ClaimID: id, To: storage.StateBatched}, storage.ClaimMove{ClaimID: id, To: storage.StateTransmitted})
	}
	_, err = w.st.TransitionClaims(ctx, moves, storage.Event{Cause: storage.CauseSystem})
	return err
}
