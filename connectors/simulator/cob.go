package simulator

import (
	"slices"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
)

// CARCs of coordination of benefits.
const (
	reasonPriorPayer = "23" // OA-23: impact of prior payer(s) adjudication
	reasonFeeMaximum = "45" // CO-45: charge exceeds the fee schedule / maximum allowable
	reasonCoinsure   = "2"  // PR-2: coinsurance
)

// priorPayers are the coverages ahead of the billed one that adjudicated the claim
// (2320 loops with CAS, AMT*D or AMT*EAF, or 2430 lines), in order. None for a
// claim billed to its primary payer.
func priorPayers(c *billing.Claim) []*billing.Coverage {
	var out []*billing.Coverage
	for i := range c.Coverages {
		cov := &c.Coverages[i]
		if cov.Adjudication == nil {
			break // the billed coverage
		}
		out = append(out, cov)
	}
	return out
}

// cobStatus is the CLP02 of a claim adjudicated after priors earlier payers: 2 for
// a claim billed to its secondary payer (SBR01 S), 3 for its tertiary (T) or a later
// one; without SBR01 S or T, by the number of earlier payers.
func cobStatus(billed *billing.Coverage, priors int) string {
	switch billed.Responsibility {
	case "S":
		return x835.StatusSecondary
	case "T":
		return x835.StatusTertiary
	}
	if priors == 1 {
		return x835.StatusSecondary
	}
	return x835.StatusTertiary
}

// priorShare is what the earlier payers left on one service line.
type priorShare struct {
	paid      int64 // Σ what the earlier payers paid on the line
	remaining int64 // the patient's liability after the last of them, 0..charge
}

// priorShares reads the earlier payers' adjudications line by line. Paid: each
// payer's 2430 SVD02 for the line, plus its share of the claim-level payment (2320
// AMT*D) not accounted for by lines. Remaining patient liability, from the last
// earlier payer: the line's 2430 AMT*EAF, else its PR adjustments; plus the line's
// share of the claim-level liability not accounted for by lines (2320 AMT*EAF, else
// the PR adjustments of the claim and its lines). Claim-level amounts are shared out
// in proportion to the lines' charges.
func priorShares(c *billing.Claim, priors []*billing.Coverage) []priorShare {
	n := len(c.Lines)
	shares := make([]priorShare, n)
	weights := make([]int64, n)
	for j, l := range c.Lines {
		weights[j] = max(int64(l.Charge), 0)
	}
	for k, cov := range priors {
		a := cov.Adjudication
		paid := make([]int64, n)
		remaining := make([]int64, n)
		var linePaid, lineRemaining, linePR int64
		for _, la := range a.Lines {
			j := la.Line - 1
			if j < 0 || j >= n {
				continue
			}
			paid[j] += int64(la.PaidAmount)
			linePaid += int64(la.PaidAmount)
			pr := patientShare(la.Adjustments)
			linePR += pr
			if la.RemainingPatientLiability != nil {
				pr = int64(*la.RemainingPatientLiability)
			}
			remaining[j] += pr
			lineRemaining += pr
		}
		for j, v := range allocate(int64(a.PaidAmount)-linePaid, weights) {
			shares[j].paid += paid[j] + v
		}
		if k < len(priors)-1 {
			continue
		}
		total := patientShare(a.Adjustments) + linePR
		if a.RemainingPatientLiability != nil {
			total = int64(*a.RemainingPatientLiability)
		}
		for j, v := range allocate(total-lineRemaining, weights) {
			shares[j].remaining = min(max(remaining[j]+v, 0), weights[j])
		}
	}
	return shares
}

// missingAdjudication reports whether an earlier payer's adjudication says nothing:
// no payment, adjustment, remaining liability or line (x837p.Parse gives a payer
// ahead of the billed one an empty adjudication when the 837 carries none).
func missingAdjudication(priors []*billing.Coverage) bool {
	for _, cov := range priors {
		a := cov.Adjudication
		if a.PaidAmount == 0 && len(a.Adjustments) == 0 && a.RemainingPatientLiability == nil && len(a.Lines) == 0 {
			return true
		}
	}
	return false
}

// patientShare is the sum of the PR adjustments.
func patientShare(adj []billing.Adjustment) int64 {
	var sum int64
	for _, a := range adj {
		if a.Group == x835.GroupPatient {
			sum += int64(a.Amount)
		}
	}
	return sum
}

// allocate shares total out in proportion to weights (evenly when they are all
// zero), to the cent: the cents left by rounding down go to the largest remainders,
// the first line first on a tie. The parts add up to total.
func allocate(total int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	if total == 0 || len(weights) == 0 {
		return out
	}
	neg := total < 0
	if neg {
		total = -total
	}
	w := weights
	var sum int64
	for _, v := range w {
		sum += v
	}
	if sum == 0 {
		w = make([]int64, len(weights))
		for i := range w {
			w[i] = 1
		}
		sum = int64(len(w))
	}
	rems := make([]int64, len(w))
	given := int64(0)
	for i, v := range w {
		// total and the weights are cents of one claim: the product fits in int64.
		out[i] = total * v / sum
		rems[i] = total * v % sum
		given += out[i]
	}
	for left := total - given; left > 0; left-- {
		best := 0
		for i := range rems {
			if rems[i] > rems[best] {
				best = i
			}
		}
		out[best]++
		rems[best] = -1
	}
	if neg {
		for i := range out {
			out[i] = -out[i]
		}
	}
	return out
}

// adjudicateCOB prices a claim billed to a secondary or later payer under standard
// coordination of benefits, line by line: what the earlier payers did not leave to
// the patient (their payments and reductions, charge − remaining liability) is
// OA-23; of the remaining liability the payer covers at most its own allowed amount
// minus what the earlier payers paid (the excess is CO-45), keeps
// Rules.SecondaryCoinsurancePercent of what it covers for the patient (PR-2) and pays
// the rest. A denial (drawn as for a primary claim) pays nothing: OA-23 and the
// denial's group and reason on the remaining liability; an earlier payer whose
// adjudication says nothing denies every line CO-16 with remark MA04. cp has its
// header; the lines and amounts are added.
func (s *Server) adjudicateCOB(cp *x835.ClaimPayment, c *billing.Claim, priors []*billing.Coverage, denial *Denial) {
	rules := &s.rules
	shares := priorShares(c, priors)
	if missingAdjudication(priors) {
		// Nothing to coordinate with: denied for the missing primary payment
		// information, the whole charge still open.
		denial = &Denial{Group: x835.GroupContractual, Reason: "16", Remark: "MA04"}
		for j, l := range c.Lines {
			shares[j].remaining = max(int64(l.Charge), 0)
		}
	}
	for j, l := range c.Lines {
		charge := int64(l.Charge)
		sh := shares[j]
		sp := x835.ServicePayment{
			Procedure: x835.Procedure{Qualifier: orDefault(l.Procedure.Qualifier, "HC"), Code: l.Procedure.Code, Modifiers: l.Procedure.Modifiers},
			Charge:    charge,
			Units:     units(l.Units),
			Dates:     serviceDates(l.ServiceDates),
		}
		sp.LineControlNumber = l.ControlNumber
		cp.Charge += charge
		var adj []x835.Adjustment
		if denial != nil {
			adj = append(adj, x835.Adjustment{Group: orDefault(denial.Group, "CO"), Reason: denial.Reason, Amount: sh.remaining})
			if denial.Remark != "" {
				sp.Remarks = []x835.Remark{{Qualifier: "HE", Code: denial.Remark}}
			}
		} else {
			allowed := allowedAmount(rules, l)
			covered := min(sh.remaining, max(allowed-sh.paid, 0))
			coins := (covered*int64(rules.SecondaryCoinsurancePercent) + 50) / 100
			sp.Paid = covered - coins
			adj = append(adj,
				x835.Adjustment{Group: x835.GroupContractual, Reason: reasonFeeMaximum, Amount: sh.remaining - covered},
				x835.Adjustment{Group: x835.GroupPatient, Reason: reasonCoinsure, Amount: coins})
			sp.Amounts = []x835.Amount{{Qualifier: "B6", Amount: allowed}}
			cp.PatientResponsibility += coins
		}
		adj = append(adj, x835.Adjustment{Group: x835.GroupOther, Reason: reasonPriorPayer, Amount: charge - sh.remaining})
		for _, a := range adj {
			if a.Amount != 0 {
				sp.Adjustments = append(sp.Adjustments, a)
			}
		}
		cp.Paid += sp.Paid
		cp.Lines = append(cp.Lines, sp)
	}
}

// crossover forwards a claim the payer adjudicated as primary to the next payer the
// claim names (a 2320 loop without adjudication), when Rules.CrossoverRate draws it:
// CLP02 19, NM1*TT the next payer, MOA MA18. It returns the claim as the next payer
// receives it (this payer's adjudication added line by line), which the simulator
// adjudicates in its next 835 run; nil when the claim is not forwarded.
func (s *Server) crossover(cp *x835.ClaimPayment, pc *pendingClaim, now time.Time) *pendingClaim {
	if s.rules.CrossoverRate <= 0 || cp.Status != x835.StatusPrimary {
		return nil
	}
	c := &pc.Record.Claim
	billedAt := -1
	for i := range c.Coverages {
		if c.Coverages[i].Adjudication == nil {
			billedAt = i
			break
		}
	}
	if billedAt < 0 || billedAt+1 >= len(c.Coverages) {
		return nil
	}
	if s.rng("crossover", pc.Record.ICN, c.PatientControlNumber).Float64() >= s.rules.CrossoverRate {
		return nil
	}
	nextPayer := c.Coverages[billedAt+1].Payer
	cp.Status = x835.StatusPrimaryForwarded
	cp.CrossoverCarrier = &x835.Name{Type: "2", Last: orDefault(nextPayer.Name, nextPayer.ID), IDQualifier: "PI", ID: nextPayer.ID}
	cp.Outpatient = &x835.Outpatient{Remarks: []string{"MA18"}}

	fwd := *c
	fwd.Coverages = slices.Clone(c.Coverages)
	a := &billing.OtherPayerAdjudication{PaidAmount: billing.Money(cp.Paid), ClaimNumber: cp.PayerClaimNumber,
		Date: billing.NewDate(now.Year(), now.Month(), now.Day()), Adjustments: adjustments(cp.Adjustments)}
	for i, l := range cp.Lines {
		a.Lines = append(a.Lines, billing.LineAdjudication{Line: i + 1, PaidAmount: billing.Money(l.Paid), Adjustments: adjustments(l.Adjustments)})
	}
	fwd.Coverages[billedAt].Adjudication = a
	return &pendingClaim{Parties: pc.Parties, Upload: pc.Upload, Received: now,
		Record: claimRecord{Claim: fwd, ClearinghouseID: pc.Record.ClearinghouseID, ICN: s.newICN(now)}}
}

// adjustments turns 835 CAS into the claim model's.
func adjustments(as []x835.Adjustment) []billing.Adjustment {
	var out []billing.Adjustment
	for _, a := range as {
		out = append(out, billing.Adjustment{Group: a.Group, Reason: a.Reason, Amount: billing.Money(a.Amount)})
	}
	return out
}
