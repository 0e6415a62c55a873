package x835

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSlabListsStayApart appends at random to many lists through one slab, and
// through plain appends, and checks that every list holds what was appended to it:
// no part of the slab is handed out twice.
func TestSlabListsStayApart(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var b slab[int]
	got := make([][]int, 300)
	want := make([][]int, len(got))
	for v := range 20000 {
		i := rng.IntN(len(got))
		n := 1 + rng.IntN(3)
		got[i] = b.room(got[i], n)
		for k := range n {
			got[i] = append(got[i], v*10+k)
			want[i] = append(want[i], v*10+k)
		}
		if rng.IntN(50) == 0 {
			got[i] = append(got[i], -1) // beyond the room asked for
			want[i] = append(want[i], -1)
		}
	}
	for i := range got {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("list %d: %v, want %v", i, got[i], want[i])
		}
	}
}
