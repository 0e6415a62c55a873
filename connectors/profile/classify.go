package profile

import (
	"bytes"
	"regexp"
)

// Classify says what an inbound file is: by the first response rule whose pattern
// matches its base name, else (or when the rule's kind is x12) by its content. head
// is the start of the file; 4 KB is plenty.
func (p Profile) Classify(name string, head []byte) Kind {
	if k := p.KindByName(name); k != KindX12 {
		return k
	}
	return Sniff(head)
}

// KindByName classifies by name alone: the first matching rule's kind, or KindX12
// when the content must tell (a rule of kind x12, or no rule).
func (p Profile) KindByName(name string) Kind {
	for _, r := range p.Responses {
		if re, err := regexp.Compile(r.Pattern); err == nil && re.MatchString(name) {
			return r.Kind
		}
	}
	return KindX12
}

// Sniff reads the kind of an X12 file from its start: TA1 when the interchange holds
// a TA1 segment before any group, else the first ST01 (and for 277, ST03 005010X214
// makes it a 277CA). The delimiters are the ones the ISA segment declares. Anything
// else is KindUnknown.
func Sniff(head []byte) Kind {
	head = bytes.TrimLeft(head, "\ufeff \t\r\n")
	if len(head) < 106 || !bytes.HasPrefix(head, []byte("ISA")) {
		return KindUnknown
	}
	elem, term := head[3], head[105]
	if elem == term {
		return KindUnknown
	}
	rest := head[106:]
	for len(rest) > 0 {
		seg := rest
		if i := bytes.IndexByte(rest, term); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil // a segment cut by the end of head
		}
		seg = bytes.TrimLeft(seg, "\r\n")
		fields := bytes.Split(seg, []byte{elem})
		switch string(fields[0]) {
		case "TA1":
			return KindTA1
		case "ST":
			if len(fields) < 2 {
				return KindUnknown
			}
			switch string(fields[1]) {
			case "999":
				return Kind999
			case "835":
				return Kind835
			case "277":
				if len(fields) > 3 && bytes.HasPrefix(fields[3], []byte("005010X214")) {
					return Kind277CA
				}
				return Kind277
			}
			return KindUnknown
		}
	}
	return KindUnknown
}
