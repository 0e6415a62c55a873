package scrub

import "strings"

// isPOBox reports whether an address line is a post office box, a lock box or a
// private mail drawer rather than a street address: "PO Box 12", "P.O. Box 12",
// "Post Office Box 12", "POB 12", "Box 12", "Lockbox 4471", "Drawer 8". It splits the
// line into words of letters and digits, without allocating.
func isPOBox(line string) bool {
	var w [8]string
	n := 0
	for i := 0; i < len(line) && n < len(w); {
		for i < len(line) && !isWordByte(line[i]) {
			i++
		}
		j := i
		for j < len(line) && isWordByte(line[j]) {
			j++
		}
		if j > i {
			w[n] = line[i:j]
			n++
		}
		i = j
	}
	words := w[:n]
	is := func(k int, s string) bool { return k < len(words) && strings.EqualFold(words[k], s) }
	for k := range words {
		switch {
		case is(k, "POBOX"), is(k, "LOCKBOX"), is(k, "POSTBOX"):
			return true
		case is(k, "PO") && is(k+1, "BOX"),
			is(k, "P") && is(k+1, "O") && is(k+2, "BOX"),
			is(k, "POST") && is(k+1, "OFFICE") && is(k+2, "BOX"),
			is(k, "LOCK") && is(k+1, "BOX"),
			is(k, "POB") && k+1 < len(words) && startsWithDigit(words[k+1]):
			return true
		case k == 0 && (is(0, "BOX") || is(0, "DRAWER") || is(0, "CALLER")) && len(words) > 1 && startsWithDigit(words[1]):
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func startsWithDigit(s string) bool { return len(s) > 0 && s[0] >= '0' && s[0] <= '9' }
