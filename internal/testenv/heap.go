package testenv

import (
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// PeakHeapGrowth runs fn and returns by how much the heap in use grew at most
// meanwhile, sampled every 2 ms. The collector runs when the heap grows by a fifth
// (GOGC 20, not 100) while fn runs, so that the figure is what fn holds and little
// of the garbage it leaves, however large the heap of the tests that ran before.
// The heap is the process's: a test that measures it must not run in parallel.
func PeakHeapGrowth(fn func()) int64 {
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			peak.Store(max(peak.Load(), m.HeapAlloc))
		}
	})
	fn()
	close(stop)
	wg.Wait()
	return int64(peak.Load()) - int64(base)
}
