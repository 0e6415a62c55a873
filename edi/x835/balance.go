package x835

import "fmt"

// ProblemKind names a balancing rule of the 835 (X12-GUIDE.md section 6.6).
type ProblemKind string

// The balancing rules.
const (
	// LineBalance: SVC03 = SVC02 - the line's CAS amounts.
	LineBalance ProblemKind = "line"
	// ClaimBalance: CLP04 = CLP03 - the claim's CAS amounts - its lines' CAS amounts.
	ClaimBalance ProblemKind = "claim"
	// PatientResponsibility: CLP05 = the PR adjustments of the claim and its lines
	// (not checked on reversals, which carry no CLP05).
	PatientResponsibility ProblemKind = "patient responsibility"
	// TransactionBalance: BPR02 = the claims' CLP04 - the PLB amounts (BPR02 counts
	// as negative when BPR03 is D, debit).
	TransactionBalance ProblemKind = "transaction"
	// NegativePayment: BPR02 is never negative; a payer that owes less than nothing
	// carries the balance forward with PLB FB (X12-GUIDE 6.1, 6.6).
	NegativePayment ProblemKind = "negative payment"
)

// Problem is a balancing rule a remittance breaks: which one, where, and the two
// amounts that differ. It names claims by index and patient control number only.
type Problem struct {
	Kind  ProblemKind
	Claim int    // index in Remittance.Claims; -1 for the transaction
	PCN   string // CLP01 of the claim
	Line  int    // index in the claim's Lines; -1 when not a line
	Got   int64  // the amount the remittance states (SVC03, CLP04, CLP05, BPR02), cents
	Want  int64  // the amount the rule computes from the others, cents
}

func (p Problem) Error() string {
	diff := p.Got - p.Want
	switch p.Kind {
	case LineBalance:
		return fmt.Sprintf("claim %d (%s) line %d: SVC03 %s but SVC02 less the line's adjustments is %s (off by %s)",
			p.Claim+1, p.PCN, p.Line+1, money(p.Got), money(p.Want), money(diff))
	case ClaimBalance:
		return fmt.Sprintf("claim %d (%s): CLP04 %s but CLP03 less the claim's and lines' adjustments is %s (off by %s)",
			p.Claim+1, p.PCN, money(p.Got), money(p.Want), money(diff))
	case PatientResponsibility:
		return fmt.Sprintf("claim %d (%s): CLP05 %s but the PR adjustments add up to %s (off by %s)",
			p.Claim+1, p.PCN, money(p.Got), money(p.Want), money(diff))
	case NegativePayment:
		return fmt.Sprintf("BPR02 %s is negative: a payer carries a negative balance forward with PLB FB instead",
			money(p.Got))
	}
	return fmt.Sprintf("BPR02 %s but the claims' payments less the provider adjustments are %s (off by %s)",
		money(p.Got), money(p.Want), money(diff))
}

func money(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// Balance checks the balancing rules of the 835 guide: every line, every claim
// (whether or not it has lines: without lines the claim's own adjustments carry
// everything), the patient responsibility of every claim but reversals, and the
// total payment. It returns nothing when the remittance balances. Posting must not
// go ahead on a remittance with problems.
func Balance(rem *Remittance) []Problem {
	var probs []Problem
	var paid int64
	for ci := range rem.Claims {
		c := &rem.Claims[ci]
		paid += c.Paid
		claimAdj, pr := sumAdjustments(c.Adjustments)
		var lineAdj int64
		for li := range c.Lines {
			l := &c.Lines[li]
			adj, lpr := sumAdjustments(l.Adjustments)
			lineAdj += adj
			pr += lpr
			if want := l.Charge - adj; l.Paid != want {
				probs = append(probs, Problem{Kind: LineBalance, Claim: ci, PCN: c.PCN, Line: li, Got: l.Paid, Want: want})
			}
		}
		if want := c.Charge - claimAdj - lineAdj; c.Paid != want {
			probs = append(probs, Problem{Kind: ClaimBalance, Claim: ci, PCN: c.PCN, Line: -1, Got: c.Paid, Want: want})
		}
		if !c.Reversal() && c.PatientResponsibility != pr {
			probs = append(probs, Problem{Kind: PatientResponsibility, Claim: ci, PCN: c.PCN, Line: -1, Got: c.PatientResponsibility, Want: pr})
		}
	}
	var plb int64
	for _, p := range rem.ProviderAdjustments {
		for _, a := range p.Adjustments {
			plb += a.Amount
		}
	}
	total := rem.Payment.Amount
	if total < 0 {
		probs = append(probs, Problem{Kind: NegativePayment, Claim: -1, Line: -1, Got: total})
	}
	if rem.Payment.CreditDebit == "D" {
		total = -total
	}
	if want := paid - plb; total != want {
		probs = append(probs, Problem{Kind: TransactionBalance, Claim: -1, Line: -1, Got: total, Want: want})
	}
	return probs
}

// sumAdjustments returns the total of the adjustments and the total of those of
// group PR.
func sumAdjustments(as []Adjustment) (all, pr int64) {
	for _, a := range as {
		all += a.Amount
		if a.Group == GroupPatient {
			pr += a.Amount
		}
	}
	return all, pr
}
