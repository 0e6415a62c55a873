package x12

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// A segment id of one to three bytes is packed with its length into a uint32: the
// bytes little-endian in the low 24 bits, the length in the top byte. The key is a
// cheap stand-in for the id's string, used to find that string without allocating and
// to recognise ST and SE without comparing strings.
const (
	keyST = 2<<24 | 'T'<<8 | 'S'
	keySE = 2<<24 | 'E'<<8 | 'S'
)

// idTableSize is the number of slots of an idTable (a power of two).
const idTableSize = 1024

// idTable keeps the string of each short segment id seen, so that returning the id of
// a segment allocates only the first time that id is met.
type idTable [idTableSize]idEntry

// idEntry is one slot of an idTable; key 0 marks an empty slot.
type idEntry struct {
	key uint32
	id  string
}

// idLowMasks keeps the low n bytes of a little-endian word, for n = 0..3.
var idLowMasks = [4]uint32{0, 0xff, 0xffff, 0xffffff}

// segmentID returns the id of the segment raw (its text up to the first element
// separator, or all of it) and the id's packed key (0 when the id is empty or longer
// than three bytes).
func (r *Reader) segmentID(raw []byte) (string, uint32) {
	if len(raw) >= 4 {
		// The first element separator among the first four bytes, found without
		// branching: the lowest zero byte of x ^ el (a zero-byte test has no false
		// positive below the first true zero).
		x := binary.LittleEndian.Uint32(raw)
		y := x ^ uint32(r.d.Element)*0x01010101
		z := (y - 0x01010101) &^ y & 0x80808080
		n := uint32(bits.TrailingZeros32(z)) >> 3 // 4 when there is none
		if n-1 < 3 {
			key := x&idLowMasks[n] | n<<24
			if e := &r.ids[idHash(key)]; e.key == key {
				return e.id, key
			}
			return r.ids.intern(raw[:n], key), key
		}
	}
	n := bytes.IndexByte(raw, r.d.Element)
	if n < 0 {
		n = len(raw)
	}
	id := raw[:n]
	if len(id) == 0 || len(id) > 3 {
		return string(id), 0
	}
	key := uint32(len(id)) << 24
	for i, c := range id {
		key |= uint32(c) << (8 * i)
	}
	return r.ids.intern(id, key), key
}

// idHash is the home slot of a packed id in an idTable; an id lives in its home slot
// or the one next to it (h^1) when it can, so that a look-up tries two slots.
func idHash(key uint32) uint32 { return (key * 2654435761) >> (32 - 10) }

// intern returns the string of the id whose packed key is key, adding it to the table
// when there is room near its home slot.
func (t *idTable) intern(id []byte, key uint32) string {
	h := idHash(key)
	for p := uint32(0); p < 8; p++ {
		e := &t[(h^p)&(idTableSize-1)]
		if e.key == key {
			return e.id
		}
		if e.key == 0 {
			e.key, e.id = key, string(id)
			return e.id
		}
	}
	return string(id)
}
