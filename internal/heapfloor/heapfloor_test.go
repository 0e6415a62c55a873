package heapfloor_test

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/claimflow/claimflow/internal/heapfloor"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		floor, live uint64
		want        int
	}{
		{256 * mib, 32 * mib, 700},  // goal 32 + 224 = 256
		{256 * mib, 64 * mib, 300},  // goal 64 + 192
		{256 * mib, 128 * mib, 100}, // GOGC 100 reaches the floor already
		{256 * mib, 1024 * mib, 100},
		{256 * mib, 1 * mib, 5000}, // capped
		{256 * mib, 0, 5000},       // before the first collection
	} {
		if got := heapfloor.Percent(c.floor, c.live); got != c.want {
			t.Errorf("Percent(%d MiB, %d MiB) = %d, want %d", c.floor/mib, c.live/mib, got, c.want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(heapfloor.Env, "")
	if got, err := heapfloor.FromEnv(256); err != nil || got != 256<<20 {
		t.Errorf("unset: %d, %v; want 256 MiB", got, err)
	}
	t.Setenv(heapfloor.Env, "0")
	if got, err := heapfloor.FromEnv(256); err != nil || got != 0 {
		t.Errorf("0: %d, %v; want 0", got, err)
	}
	t.Setenv(heapfloor.Env, "1.5G")
	if _, err := heapfloor.FromEnv(256); err == nil {
		t.Error("1.5G: no error")
	}
}

// gogc reads the GOGC the runtime uses now.
func gogc() int64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// TestStartRaisesAndRestores keeps a floor far above this test's live heap: after a
// collection GOGC is raised, and stopping puts it back to 100.
func TestStartRaisesAndRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	if got := gogc(); got != 100 {
		t.Skipf("GOGC is %d in this test process (set when it started); the test needs 100", got)
	}
	stop := heapfloor.Start(1 << 30)
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC() // the cleanup runs after the collection, on its own goroutine
		if gogc() > 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC still %d after collections with a 1 GiB floor", gogc())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A second Start while one runs does nothing (GOGC is process-wide).
	heapfloor.Start(1 << 20)()
	if got := gogc(); got <= 100 {
		t.Errorf("a second Start's stop changed GOGC to %d", got)
	}
	stop()
	runtime.GC()
	time.Sleep(50 * time.Millisecond) // a cleanup already queued must not raise it again
	if got := gogc(); got != 100 {
		t.Errorf("GOGC after stop: %d, want 100", got)
	}
}

// TestStartLeavesGOGCSet leaves GOGC alone when the environment sets it.
func TestStartLeavesGOGCSet(t *testing.T) {
	t.Setenv("GOGC", "100")
	stop := heapfloor.Start(1 << 30)
	defer stop()
	for range 3 {
		runtime.GC()
	}
	time.Sleep(50 * time.Millisecond)
	if got := gogc(); got != 100 {
		t.Errorf("GOGC %d with GOGC set in the environment, want 100", got)
	}
}
