//go:build !amd64 || purego

package guide

// maskSplit returns the masks of raw (1 to maxShort bytes): bit i of sep set when
// raw[i] is an element separator, of special when it is a component or repetition
// separator or a byte outside 0x20-0x7e. It copies raw to text[textAt:], and may
// change the bytes of text around it.
func (ct *classTable) maskSplit(raw []byte, text *[textSize]byte) (sep, special uint64) {
	copy(text[textAt:], raw)
	return maskSplitWords(raw, ct.d)
}
