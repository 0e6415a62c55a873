package posting

import (
	"slices"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
)

// MatchLines returns, for each SVC loop of the claim payment, the id of the claim
// line it pays (0 when none): by REF*6R, our line item control number; failing
// that, by procedure, modifiers, date of service and charge, taking the submitted
// procedure (SVC06) when the payer changed the code. The fallback matches a line
// once; REF*6R may name a line several times, when the payer unbundled it into
// several services that each carry the line's control number.
func MatchLines(p *x835.ClaimPayment, lines []Line) []int64 {
	ids := make([]int64, len(p.Lines))
	used := make([]bool, len(lines))
	var pending []int
	for k := range p.Lines {
		cn := p.Lines[k].LineControlNumber
		i := -1
		if cn != "" {
			i = slices.IndexFunc(lines, func(l Line) bool { return l.ControlNumber == cn })
		}
		if i < 0 {
			pending = append(pending, k)
			continue
		}
		ids[k], used[i] = lines[i].ID, true
	}
	// Services that give their date go first: one without a date fits any line
	// of its procedure and charge, and would otherwise take a line a dated one
	// names.
	slices.SortStableFunc(pending, func(a, b int) int {
		return boolOrder(serviceDate(&p.Lines[a]).IsZero(), serviceDate(&p.Lines[b]).IsZero())
	})
	for _, k := range pending {
		s := &p.Lines[k]
		proc := s.Procedure
		if s.OriginalProcedure != nil {
			proc = *s.OriginalProcedure
		}
		on := serviceDate(s)
		for i := range lines {
			l := &lines[i]
			if used[i] || l.Procedure != proc.Code || !sameModifiers(l.Modifiers, proc.Modifiers) ||
				l.Charge != billing.Money(s.Charge) || (!on.IsZero() && !l.ServiceDate.IsZero() && on != l.ServiceDate) {
				continue
			}
			ids[k], used[i] = l.ID, true
			break
		}
	}
	return ids
}

// sameModifiers reports whether two lists hold the same modifiers, in any order:
// a payer may list them in another order than the claim did.
func sameModifiers(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if slices.Equal(a, b) {
		return true
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// boolOrder orders false before true.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
