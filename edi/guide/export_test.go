package guide

// NewVerifyingChecker returns a Checker that holds every verdict of the fast element
// check against the full one, and panics when the fast check passed a segment the
// full check finds fault with.
func NewVerifyingChecker(reg *Registry) *Checker {
	c := NewChecker(reg)
	c.verifyFast = true
	return c
}
