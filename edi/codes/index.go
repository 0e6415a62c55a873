package codes

// Codes are kept as packed uint64 keys: each character 0-9 or A-Z takes six
// bits (1-36, so no character packs to zero), first character highest, and
// the key is left-aligned to ten characters. Packing keeps the codes' sort
// order and fits every code kind held here (ICD-10-CM up to 7 characters,
// taxonomy 10).
const maxPacked = 10

// pack returns the key of code, or false if code is empty, longer than ten
// characters or holds anything but 0-9 and A-Z.
func pack(code string) (uint64, bool) {
	if len(code) == 0 || len(code) > maxPacked {
		return 0, false
	}
	var k uint64
	for i := 0; i < len(code); i++ {
		c := code[i]
		var v uint64
		switch {
		case c >= '0' && c <= '9':
			v = uint64(c-'0') + 1
		case c >= 'A' && c <= 'Z':
			v = uint64(c-'A') + 11
		default:
			return 0, false
		}
		k = k<<6 | v
	}
	return k << (6 * (maxPacked - len(code))), true
}

// unpack is the inverse of pack.
func unpack(k uint64) string {
	var b [maxPacked]byte
	n := 0
	for i := maxPacked - 1; i >= 0; i-- {
		v := byte(k >> (6 * i) & 63)
		if v == 0 {
			break
		}
		if v <= 10 {
			b[n] = '0' + v - 1
		} else {
			b[n] = 'A' + v - 11
		}
		n++
	}
	return string(b[:n])
}

// index is an open-addressing hash table over a sorted key slice: slots hold
// position+1 in keys (0 = empty). It is built once when a Set is made and
// only read afterwards.
type index struct {
	keys  []uint64
	slots []uint32
	shift uint
}

func newIndex(keys []uint64) index {
	size, bits := 8, uint(3)
	for size < 2*len(keys) {
		size <<= 1
		bits++
	}
	x := index{keys: keys, slots: make([]uint32, size), shift: 64 - bits}
	mask := uint64(size - 1)
	for i, k := range keys {
		h := hashKey(k) >> x.shift
		for x.slots[h] != 0 {
			h = (h + 1) & mask
		}
		x.slots[h] = uint32(i + 1)
	}
	return x
}

func hashKey(k uint64) uint64 { return k * 0x9E3779B97F4A7C15 }

// find returns the position of k in keys, or -1.
func (x *index) find(k uint64) int {
	if len(x.slots) == 0 {
		return -1
	}
	mask := uint64(len(x.slots) - 1)
	h := hashKey(k) >> x.shift
	for {
		s := x.slots[h]
		if s == 0 {
			return -1
		}
		if x.keys[s-1] == k {
			return int(s - 1)
		}
		h = (h + 1) & mask
	}
}
