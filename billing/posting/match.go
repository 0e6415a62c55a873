package posting

import (
	"slices"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
)

// MatchLines returns, for each SVC loop of the claim payment, the id of the claim
// line it pays (0 when none): by REF*6R, our line item control number; failing
// that, by procedure, modifiers, date of service and charge, taking the submitted
// procedure (SVC06) when the payer changed the code. Each line is matched once.
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
		if i < 0 || used[i] {
			pending = append(pending, k)
			continue
		}
		ids[k], used[i] = lines[i].ID, true
	}
	for _, k := range pending {
		s := &p.Lines[k]
		proc := s.Procedure
		if s.OriginalProcedure != nil {
			proc = *s.OriginalProcedure
		}
		on := serviceDate(s)
		for i := range lines {
			l := &lines[i]
			if used[i] || l.Procedure != proc.Code || !slices.Equal(l.Modifiers, proc.Modifiers) ||
				l.Charge != billing.Money(s.Charge) || (!on.IsZero() && !l.ServiceDate.IsZero() && on != l.ServiceDate) {
				continue
			}
			ids[k], used[i] = l.ID, true
			break
		}
	}
	return ids
}
