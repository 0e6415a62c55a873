package posting

import (
	"slices"
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/codes"
	"github.com/claimflow/claimflow/edi/x835"
)

// Denial is what the denial queue gets for a claim payment: the codes and, in
// words, what the payer refused and why. It names lines by number and procedure
// code, amounts and codes: never patient data.
type Denial struct {
	Whole   bool          // the whole claim was denied (else some lines or amounts)
	Amount  billing.Money // what was denied, left on the insurance bucket
	Codes   []string      // "CO-50", then the remark codes "N130"
	Message string
}

type deniedAmount struct {
	line          int // 1-based SVC position; 0 at claim level
	group, reason string
	amount        billing.Money
}

func newDenial(p *x835.ClaimPayment, ds []deniedAmount, whole bool) *Denial {
	d := &Denial{Whole: whole}
	var b strings.Builder
	if whole {
		b.WriteString("Claim denied by the payer")
		if p.Status == x835.StatusDenied {
			b.WriteString(" (CLP02 4: patient not recognised)")
		}
	} else {
		b.WriteString("Part of the claim denied by the payer")
	}
	b.WriteString(", charge " + billing.Money(p.Charge).String() + ", paid " + billing.Money(p.Paid).String())
	if p.PayerClaimNumber != "" {
		b.WriteString(", payer claim number " + p.PayerClaimNumber)
	}
	b.WriteString(".")
	for _, x := range ds {
		d.Amount += x.amount
		code := x.group + "-" + x.reason
		if !slices.Contains(d.Codes, code) {
			d.Codes = append(d.Codes, code)
		}
		b.WriteString(" ")
		if x.line > 0 {
			b.WriteString("Line " + strconv.Itoa(x.line))
			if l := &p.Lines[x.line-1]; l.Procedure.Code != "" {
				b.WriteString(" (" + l.Procedure.Code + ")")
			}
			b.WriteString(": ")
		} else {
			b.WriteString("Claim: ")
		}
		b.WriteString(code + " " + x.amount.String() + ", " + codes.CARC(x.reason) + ".")
	}
	remarks := p.Remarks()
	for k := range p.Lines {
		for _, r := range p.Lines[k].Remarks {
			if r.Qualifier == "HE" {
				remarks = append(remarks, r.Code)
			}
		}
	}
	for _, r := range remarks {
		if slices.Contains(d.Codes, r) {
			continue
		}
		d.Codes = append(d.Codes, r)
		b.WriteString(" Remark " + r + ": " + codes.RARC(r) + ".")
	}
	b.WriteString(" Correct and resubmit (frequency 7) or appeal; nothing was written off.")
	d.Message = b.String()
	return d
}
