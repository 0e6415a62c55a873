package x12

import "fmt"

// Delimiters are the separators of an interchange. Repetition is 0 when the
// interchange has none (version 00401, where ISA11 is the "U" standards identifier).
type Delimiters struct {
	Element    byte // the byte after "ISA"
	Repetition byte // ISA11
	Component  byte // ISA16
	Segment    byte // the byte after ISA16
}

// DefaultDelimiters are the common choice: * ^ : ~.
var DefaultDelimiters = Delimiters{Element: '*', Repetition: '^', Component: ':', Segment: '~'}

// Validate checks that the delimiters are distinct and cannot be mistaken for data.
func (d Delimiters) Validate() error {
	all := []byte{d.Element, d.Component, d.Segment}
	if d.Repetition != 0 {
		all = append(all, d.Repetition)
	}
	for i, c := range all {
		if isAlnum(c) || c == ' ' || c == 0 {
			return fmt.Errorf("%w: %q cannot be a delimiter", ErrDelimiters, c)
		}
		if c >= 0x80 {
			return fmt.Errorf("%w: byte 0x%02x is not an ASCII character (a multi-byte character cannot be a delimiter)", ErrDelimiters, c)
		}
		for _, o := range all[i+1:] {
			if c == o {
				return fmt.Errorf("%w: %q is used twice", ErrDelimiters, c)
			}
		}
	}
	return nil
}

func (d Delimiters) String() string {
	rep := "none"
	if d.Repetition != 0 {
		rep = fmt.Sprintf("%q", d.Repetition)
	}
	return fmt.Sprintf("element %q, component %q, repetition %s, segment %q", d.Element, d.Component, rep, d.Segment)
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}
