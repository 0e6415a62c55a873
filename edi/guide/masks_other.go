//go:build !amd64 || purego

package guide

// maskSplit returns the masks of raw (1 to maxShort bytes): bit i of sep set when
// raw[i] is an element separator, of special when it is a component or repetition
// separator or a byte outside 0x20-0x7e.
func (ct *classTable) maskSplit(raw []byte) (sep, special uint64) {
	return maskSplitWords(raw, ct.d)
}
