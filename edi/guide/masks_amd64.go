//go:build amd64 && !purego

package guide

// splitMasks is maskSplit for raw (1 to maxShort bytes), with the delimiters
// repeated sixteen times each in dv (element, component, repetition separator), in
// SSE2 assembly. It copies raw to text[textAt:] in blocks of sixteen bytes, some of
// which may fall before or after the copy. For fewer than sixteen bytes it reads
// sixteen within the 4 KiB page of raw's first byte, some of them outside raw (they
// are left out of the masks).
//
//go:noescape
func splitMasks(raw []byte, dv *[48]byte, text *[textSize]byte) (sep, special uint64)

// maskSplit returns the masks of raw (1 to maxShort bytes): bit i of sep set when
// raw[i] is an element separator, of special when it is a component or repetition
// separator or a byte outside 0x20-0x7e. It copies raw to text[textAt:], and may
// change the bytes of text around it.
func (ct *classTable) maskSplit(raw []byte, text *[textSize]byte) (sep, special uint64) {
	return splitMasks(raw, &ct.vec, text)
}
