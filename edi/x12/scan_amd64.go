//go:build amd64 && !purego

package x12

// scanFlags is scanWords in SSE2 assembly, with the flagged high bytes given by lim
// (the low seven bits above it are flagged: 0x7e flags 0x7f, 0x7d flags 0x7e and 0x7f)
// and the terminator by tm.
//
//go:noescape
func scanFlags(q *flagQueue, b []byte, j int, lim, tm byte, exact bool) int

// scan queues the positions, from buffer position j on, of the bytes whose low seven
// bits are below 0x20 or at least 0x80 minus the bytes of hiAdd (0x7f for hiAdd 0x01,
// 0x7e for 0x02), and, when exact, of the bytes equal to those of tm; it returns their
// number. It stops before the last sixteen bytes of b, or once about aheadMax are
// queued.
func (q *flagQueue) scan(b []byte, j int, hiAdd, tm uint64, exact bool) int {
	return scanFlags(q, b, j, 0x7f-byte(hiAdd), byte(tm), exact)
}
