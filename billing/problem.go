package billing

import (
	"fmt"
	"strings"
)

// Problem is something wrong with one field of the input of an import: which field
// (its Path), where in the source it was (a CSV row, an X12 segment) and what.
type Problem struct {
	Path  Path   // the field, "claims[2].lines[0].charge"; "" for the input as a whole
	Where string // where in the source: "row 14", "segment 37 (SV102)"; may be ""
	Err   error
}

// Error renders the problem as "path (where): message".
func (p *Problem) Error() string {
	var b strings.Builder
	if p.Path != "" {
		b.WriteString(string(p.Path))
	}
	if p.Where != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "(%s)", p.Where)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (p *Problem) Unwrap() error { return p.Err }

// Problems is the list of problems of an import, in input order. Err is nil when it
// is empty.
type Problems []*Problem

// Err returns the list as an error, or nil when empty.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Error renders the first problem and how many more there are.
func (ps Problems) Error() string {
	switch len(ps) {
	case 0:
		return "no problems"
	case 1:
		return ps[0].Error()
	}
	return fmt.Sprintf("%s (and %d more problems)", ps[0].Error(), len(ps)-1)
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (ps Problems) Unwrap() []error {
	out := make([]error, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}
