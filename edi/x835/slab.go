package x835

// slabSize is the most elements a slab allocates at a time; it starts with 8 and
// doubles, so that a small transaction set allocates little.
const slabSize = 128

// slab hands out the room of the short lists a transaction set holds many of
// (adjustments, dates, amounts, references: one or two per claim and per line) as
// parts of larger arrays: an allocation per slabSize elements rather than one per
// list. Each part's capacity ends where the next begins, so appending to a list
// beyond it copies the list elsewhere and never writes over another.
type slab[T any] struct {
	free []T
	next int // the size of the next array
}

// room returns s with room for n more elements: s itself when it has the room,
// else a copy of it in a new part.
func (b *slab[T]) room(s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	need := len(s) + n
	if len(b.free) < need {
		size := max(b.next, 8)
		b.next = min(2*size, slabSize)
		b.free = make([]T, max(need, size))
	}
	part := b.free[:len(s):need]
	copy(part, s)
	b.free = b.free[need:]
	return part
}
