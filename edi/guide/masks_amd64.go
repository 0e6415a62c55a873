//go:build amd64 && !purego

package guide

// splitMasks is maskSplit for n (1 to maxShort) bytes at p, with the delimiters
// repeated sixteen times each in dv (element, component, repetition separator), in
// SSE2 assembly; it copies the bytes to dst, which must have room for sixteen bytes
// before it and n+16 from it (it writes blocks of sixteen). For fewer than sixteen
// bytes it reads sixteen within the 4 KiB page of p, some of them outside the segment
// (they are left out of the masks, and copied around the segment's copy).
//
//go:noescape
func splitMasks(p *byte, n int, dv *[48]byte, dst *byte) (sep, special uint64)

// maskSplit returns the masks of raw (1 to maxShort bytes): bit i of sep set when
// raw[i] is an element separator, of special when it is a component or repetition
// separator or a byte outside 0x20-0x7e. It copies raw to text[textAt:], and may
// change the bytes of text around it.
func (ct *classTable) maskSplit(raw []byte, text *[textSize]byte) (sep, special uint64) {
	return splitMasks(&raw[0], len(raw), &ct.vec, &text[textAt])
}
