package cob

import (
	"errors"
	"fmt"
	"slices"

	"github.com/claimflow/claimflow/billing"
)

// The errors Next returns; match them with errors.Is.
var (
	// ErrCrossedOver: the payer forwarded the claim to the next payer (crossover);
	// billing that payer too would bill it twice.
	ErrCrossedOver = errors.New("cob: the payer forwarded the claim to the next payer (crossover)")
	// ErrNoNextCoverage: the coverage billed now is the patient's last one; what is
	// left is the patient's.
	ErrNoNextCoverage = errors.New("cob: no further coverage to bill")
	// ErrNotBilled: the claim has no coverage without an adjudication, so no payer
	// is billed now whose decision could be added.
	ErrNotBilled = errors.New("cob: the claim is billed to no coverage")
	// ErrReversal: the payment is a reversal (CLP02 22), not a decision to send on.
	ErrReversal = errors.New("cob: the payment is a reversal")
)

// Next returns the claim for the payer after the one billed now: a copy of c in
// which the billed coverage (the first without an adjudication) carries the payer's
// decision p, so that the claim is billed to the following coverage, whose index it
// returns. Earlier payers' adjudications already on c are kept: from a secondary's
// payment Next builds the tertiary claim. c must be normalized and is not changed.
//
// The decision is sent as the payer reported it: claim-level CAS in 2320, AMT*D the
// paid amount (0 when nothing), REF*F8 the payer's claim number, MOA its remark
// codes, and SBR09 its claim filing indicator (CLP06) when the coverage has none;
// each service matched to a line becomes that line's 2430 (SVD paid amount,
// procedure and units as adjudicated, the line's CAS, DTP*573, AMT*EAF its patient
// responsibility, zero included). When a service matches no line, or two match one,
// the lines cannot carry the decision: the line adjustments are then reported at
// claim level and 2320 AMT*EAF carries the patient responsibility (each adjustment
// is reported once, at one level, either way, so the amounts still balance).
//
// The claim billed next is an original claim (frequency 1: that payer has never seen
// it) without the prior authorizations, which the earlier payer gave (2300 and 2400
// REF*G1 and REF*9F belong to the payer billed).
func Next(c *billing.Claim, p *Payment) (billing.Claim, int, error) {
	k, ok := c.BilledCoverage()
	switch {
	case !ok:
		return billing.Claim{}, -1, ErrNotBilled
	case Reversal(p.Status):
		return billing.Claim{}, -1, ErrReversal
	case CrossedOver(p.Status):
		return billing.Claim{}, -1, fmt.Errorf("%w (CLP02 %s)", ErrCrossedOver, p.Status)
	case k+1 >= len(c.Coverages):
		return billing.Claim{}, -1, ErrNoNextCoverage
	}
	next := clone(c)
	next.Coverages[k].Adjudication = Adjudication(c, p)
	if next.Coverages[k].FilingIndicator == "" {
		// 2320 SBR09: the plan the payer says it adjudicated under (CLP06).
		next.Coverages[k].FilingIndicator = p.FilingIndicator
	}
	next.Frequency = billing.FrequencyOriginal
	next.OriginalPayerClaimNumber = ""
	next.Authorization = billing.Authorization{}
	for i := range next.Lines {
		next.Lines[i].Authorization = billing.Authorization{}
	}
	next.Normalize()
	return next, k + 1, nil
}

// Adjudication returns the payer's decision p as an earlier payer's adjudication of
// claim c (2320, 2330B and 2430); see Next.
func Adjudication(c *billing.Claim, p *Payment) *billing.OtherPayerAdjudication {
	a := &billing.OtherPayerAdjudication{
		PaidAmount:  p.Paid,
		Adjustments: slices.Clone(p.Adjustments),
		Date:        p.Date,
		ClaimNumber: p.PayerClaimNumber,
		RemarkCodes: slices.Clone(p.RemarkCodes),
	}
	if !linesMatch(c, p) {
		// Claim level only (2320 AMT*EAF, 2330B DTP*573): the line adjustments join
		// the claim's, each still reported once.
		for i := range p.Services {
			a.Adjustments = append(a.Adjustments, p.Services[i].Adjustments...)
		}
		a.Adjustments = merge(a.Adjustments)
		// Sent even when nothing is left to the patient: once a payer adjudicated
		// the claim the remaining liability is required, zero included (X12 RFI
		// 1515), at the claim level here and per line below.
		pr := groupSum(a.Adjustments, "PR")
		a.RemainingPatientLiability = &pr
		return a
	}
	for i := range p.Services {
		s := &p.Services[i]
		la := billing.LineAdjudication{
			Line:        s.Line,
			PaidAmount:  s.Paid,
			Procedure:   s.Procedure,
			Units:       s.Units,
			Adjustments: slices.Clone(s.Adjustments),
			Date:        p.Date,
		}
		if la.Units == 0 {
			// No SVC05: one unit paid (not the line's billed units, the default of
			// an SVD05 from a paper remittance).
			la.Units = billing.Units(1)
		}
		la.Procedure.Modifiers = slices.Clone(s.Procedure.Modifiers)
		pr := groupSum(s.Adjustments, "PR")
		la.RemainingPatientLiability = &pr
		a.Lines = append(a.Lines, la)
	}
	return a
}

// linesMatch reports whether the payment's decision can be sent per line: it has
// services, and each matched a line of its own.
func linesMatch(c *billing.Claim, p *Payment) bool {
	if len(p.Services) == 0 {
		return false
	}
	seen := make([]bool, len(c.Lines)+1)
	for i := range p.Services {
		n := p.Services[i].Line
		if n < 1 || n > len(c.Lines) || seen[n] {
			return false
		}
		seen[n] = true
	}
	return true
}

// merge adds up adjustments with the same group and reason, keeping the order in
// which each first appears (CAS repeats a reason once per segment).
func merge(adj []billing.Adjustment) []billing.Adjustment {
	out := make([]billing.Adjustment, 0, len(adj))
	for _, a := range adj {
		i := slices.IndexFunc(out, func(b billing.Adjustment) bool { return b.Group == a.Group && b.Reason == a.Reason })
		if i < 0 {
			out = append(out, a)
			continue
		}
		out[i].Amount += a.Amount
		out[i].Quantity += a.Quantity
	}
	return out
}

// clone returns a deep copy of c, through its JSON form's structure: every slice and
// pointer the builder of the next claim changes is copied.
func clone(c *billing.Claim) billing.Claim {
	n := *c
	n.Coverages = slices.Clone(c.Coverages)
	for k := range n.Coverages {
		if a := n.Coverages[k].Adjudication; a != nil {
			cp := *a
			cp.Adjustments = slices.Clone(a.Adjustments)
			cp.RemarkCodes = slices.Clone(a.RemarkCodes)
			cp.Lines = slices.Clone(a.Lines)
			for j := range cp.Lines {
				cp.Lines[j].Adjustments = slices.Clone(a.Lines[j].Adjustments)
			}
			n.Coverages[k].Adjudication = &cp
		}
	}
	n.Lines = slices.Clone(c.Lines)
	n.Diagnoses = slices.Clone(c.Diagnoses)
	n.RelatedCauses = slices.Clone(c.RelatedCauses)
	return n
}
