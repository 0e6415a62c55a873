package guide

// NewVerifyingChecker returns a Checker that holds every verdict of the fast element
// check against the full one, and every answer of the placement table against the
// careful search, and panics when the fast check passed a segment the full check finds
// fault with or the table placed a segment elsewhere than the search would.
func NewVerifyingChecker(reg *Registry) *Checker {
	c := NewChecker(reg)
	c.verifyFast = true
	return c
}

// NewCarefulAcceptChecker returns a Checker whose walker takes every segment the
// placement table places with its general accept, never the shortcut for the usual
// segment, so that the two can be compared.
func NewCarefulAcceptChecker(reg *Registry) *Checker {
	c := NewChecker(reg)
	c.carefulAccept = true
	return c
}
