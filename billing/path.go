package billing

import "strconv"

// Path names a field of the claims by the JSON names of the fields on the way to it,
// as "claims[3].lines[1].procedure.modifiers[0]". Scrubber findings, import errors and
// 999 errors traced back to a claim all name fields this way, so that a person (or
// the operator UI) can find the field to fix.
type Path string

// ClaimPath is the path of claims[i].
func ClaimPath(i int) Path { return Path("claims[" + strconv.Itoa(i) + "]") }

// Field returns the path of the named field of p ("" starts a new path).
func (p Path) Field(name string) Path {
	if p == "" {
		return Path(name)
	}
	return p + "." + Path(name)
}

// Index returns the path of element i of the list p.
func (p Path) Index(i int) Path { return p + "[" + Path(strconv.Itoa(i)) + "]" }

// At is Field(name).Index(i).
func (p Path) At(name string, i int) Path { return p.Field(name).Index(i) }

// String returns the path.
func (p Path) String() string { return string(p) }
