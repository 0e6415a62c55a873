// Package heapfloor keeps the garbage collector's heap goal from falling below a
// floor.
//
// The pipeline's live heap is small (15-100 MB while a 100,000-claim demo runs) but
// it allocates quickly, so with the default GOGC of 100 the collector ran about 13
// times a second, and every cycle slows the goroutines that allocate meanwhile
// (assists, write barriers, sweeping). The collector's cost is set by how much is
// allocated between cycles, not by how much is live: letting the heap grow to a
// floor of a few hundred megabytes before collecting cuts the number of cycles by
// the same factor and costs only that much memory. A fixed higher GOGC would do the
// same for a small heap but multiply a large one; a floor costs nothing once the
// live heap is large (the goal is then GOGC 100's).
//
// Start raises GOGC after each collection so that the next goal is at least the
// floor: GOGC = (floor - live) / live * 100, never below 100 and at most
// maxPercent. It does nothing when the GOGC environment variable is set: the
// operator chose.
package heapfloor

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
)

// Env names the environment variable that sets the floor in MiB (0: none); Default
// is used when it is unset.
const Env = "CLAIMFLOW_HEAP_FLOOR_MB"

// Default is the floor, in MiB, of the long-running commands (demo, serve) and of
// post, which can post an 835 of tens of megabytes.
const Default = 256

const (
	basePercent = 100  // GOGC's default, and the least Start sets
	maxPercent  = 5000 // for a live heap under 1/50 of the floor
)

// FromEnv returns the floor in bytes that Env asks for, or def MiB when it is unset.
func FromEnv(def uint64) (uint64, error) {
	v, ok := os.LookupEnv(Env)
	if !ok || v == "" {
		return def << 20, nil
	}
	mb, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a whole number of MiB (0 for none)", Env, v)
	}
	return mb << 20, nil
}

// Start keeps the heap goal at or above floor bytes until the returned stop is
// called; stop restores GOGC 100. It does nothing (and stop nothing) when floor is
// 0, when GOGC is set in the environment, or when another floor is running.
func Start(floor uint64) (stop func()) {
	if floor == 0 || os.Getenv("GOGC") != "" || !running.CompareAndSwap(false, true) {
		return func() {}
	}
	t := &tuner{floor: floor, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.adjust()
	t.arm()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.stopped.Store(true)
			t.mu.Lock()
			debug.SetGCPercent(basePercent)
			t.mu.Unlock()
			running.Store(false)
		})
	}
}

// running is set while a floor is kept: GOGC is process-wide.
var running atomic.Bool

type tuner struct {
	floor   uint64
	stopped atomic.Bool

	mu      sync.Mutex // adjust's state
	sample  []metrics.Sample
	percent int
}

// sentinel is allocated for one collection: its cleanup runs after the collection
// that found it unreachable, adjusts GOGC and allocates the next. It holds a
// pointer so that it is never one of the tiny allocations that share a block.
type sentinel struct{ _ *tuner }

func (t *tuner) arm() {
	runtime.AddCleanup(&sentinel{}, func(t *tuner) {
		if t.stopped.Load() {
			return
		}
		t.adjust()
		t.arm()
	}, t)
}

// adjust sets GOGC for the live heap the last collection measured.
func (t *tuner) adjust() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped.Load() {
		return
	}
	metrics.Read(t.sample)
	p := Percent(t.floor, t.sample[0].Value.Uint64())
	if p != t.percent {
		debug.SetGCPercent(p)
		t.percent = p
	}
}

// Percent is the GOGC that puts the heap goal of a live heap of live bytes at the
// floor: at least 100, at most 5000 (and 5000 when live is 0, before the first
// collection).
func Percent(floor, live uint64) int {
	if live == 0 {
		return maxPercent
	}
	if floor <= 2*live {
		return basePercent
	}
	p := (floor - live) * 100 / live
	return int(min(p, maxPercent))
}
