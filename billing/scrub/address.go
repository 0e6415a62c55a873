package scrub

import "strings"

// isPOBox reports whether an address line is a post office box, a lock box or a
// private mail drawer rather than a street address: "PO Box 12", "P.O. Box 12",
// "PO BOX123", "POBOX123", "Post Office Box 12", "POB 12", "P.O.B. 12", "Box 12",
// "Lockbox 4471", "Lock Box 9", "Drawer 8", "PO Drawer 5", wherever they are in the
// line. It splits the line into words of letters and digits (a number glued to the
// letters before it, as in "BOX123", is a word of its own) and looks at every word,
// without allocating. Words that only begin like one ("BOXWOOD LANE", "POBOY ST")
// and a box that is not one ("1 BOX ELDER RD") are street addresses.
func isPOBox(line string) bool {
	var prev [3]string // the words before the current one, prev[0] the last
	n := 0             // words seen
	for i := 0; i < len(line); {
		for i < len(line) && !isWordByte(line[i]) {
			i++
		}
		j := i
		for j < len(line) && isWordByte(line[j]) {
			j++
		}
		if j == i {
			break
		}
		word := line[i:j]
		i = j
		// "BOX123": letters, then digits.
		split := len(word)
		for split > 0 && isDigit(word[split-1]) {
			split--
		}
		words := [2]string{word}
		if split > 0 && split < len(word) && !hasDigit(word[:split]) {
			words = [2]string{word[:split], word[split:]}
		}
		for _, w := range words {
			if w == "" {
				continue
			}
			if poBoxAt(w, &prev, n) {
				return true
			}
			prev[2], prev[1], prev[0] = prev[1], prev[0], w
			n++
		}
	}
	return false
}

// poBoxAt reports whether word w, after the words prev (the last first; n words
// before it in all), completes a box: "POBOX", "PO BOX", "P O BOX", "POST OFFICE
// BOX", "LOCK BOX", "PO DRAWER", "POB 12", "P O B 12", or a line that starts "BOX 12",
// "DRAWER 12" or "CALLER 12".
func poBoxAt(w string, prev *[3]string, n int) bool {
	switch w[0] | 0x20 { // lower case; digits stay digits
	case 'p', 'l', 'b', 'd', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
	default:
		return false // most words: not POBOX, LOCKBOX, BOX, DRAWER nor a number
	}
	is := strings.EqualFold
	p := prev
	switch {
	case is(w, "POBOX"), is(w, "LOCKBOX"), is(w, "POSTBOX"):
		return true
	case is(w, "BOX"):
		return is(p[0], "PO") || is(p[0], "POST") || is(p[0], "LOCK") ||
			is(p[0], "O") && is(p[1], "P") || is(p[0], "OFFICE") && is(p[1], "POST")
	case is(w, "DRAWER"):
		return is(p[0], "PO") || is(p[0], "O") && is(p[1], "P")
	case isDigit(w[0]):
		return is(p[0], "POB") || is(p[0], "B") && is(p[1], "O") && is(p[2], "P") ||
			n == 1 && (is(p[0], "BOX") || is(p[0], "DRAWER") || is(p[0], "CALLER"))
	}
	return false
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}
