package scrub

import (
	"fmt"

	"github.com/claimflow/claimflow/billing"
)

// checkCOBPayerID: every earlier payer whose adjudication the claim carries has its
// payer id (2330B NM109), which its line adjudications (SVD01) repeat.
func checkCOBPayerID(ck *checker, c *billing.Claim) {
	for k := range c.Coverages {
		cov := &c.Coverages[k]
		if cov.Adjudication != nil && cov.Payer.ID == "" {
			ck.add(-1, ck.path().At("coverages", k).Field("payer").Field("id"), "2330B NM109", Error, "A7:479",
				"The payer id of the earlier payer "+payerName(cov)+" is missing: copy it from that payer's remittance or the payer list.")
		}
	}
}

// checkCOBBalance: each earlier payer's adjudication balances (X12-GUIDE section 7):
// CLM02 - Σ claim adjustments (2320 CAS) - Σ line adjustments (2430 CAS) = paid
// (2320 AMT*D), and per line SV102 - Σ line adjustments = line paid (SVD02). An
// adjustment reported both at claim and at line level is named. A payer bypassed
// under cost-avoidance rules adjudicated nothing: its total non-covered amount
// (2320 AMT*A8) is the claim total, and there is nothing to balance.
func checkCOBBalance(ck *checker, c *billing.Claim) {
	for k := range c.Coverages {
		a := c.Coverages[k].Adjudication
		if a == nil {
			continue
		}
		if a.NonCoveredAmount != 0 {
			if a.NonCoveredAmount != c.Charge {
				ck.add(-1, ck.path().At("coverages", k).Field("adjudication").Field("non_covered_amount"), "2320 AMT*A8 AMT02", Error, "A7:400",
					"The earlier payer's total non-covered amount "+a.NonCoveredAmount.String()+" (cost avoidance) is not the claim total "+
						c.Charge.String()+": a payer bypassed under cost-avoidance rules leaves the whole claim uncovered.")
			}
			continue
		}
		claimAdj := sumAdjustments(a.Adjustments)
		var lineAdj billing.Money
		for n := range a.Lines {
			la := &a.Lines[n]
			adj := sumAdjustments(la.Adjustments)
			lineAdj += adj
			if la.Line < 1 || la.Line > len(c.Lines) {
				ck.add(-1, ck.path().At("coverages", k).Field("adjudication").At("lines", n).Field("line"), "2430 SVD", Error, "A7:400",
					fmt.Sprintf("The earlier payer's adjudication names line %d, but the claim has %d lines.", la.Line, len(c.Lines)))
				continue
			}
			charge := c.Lines[la.Line-1].Charge
			if want := charge - adj; want != la.PaidAmount {
				ck.add(la.Line-1, ck.path().At("coverages", k).Field("adjudication").At("lines", n).Field("paid_amount"), "2430 SVD02", Error, "A7:400",
					"The earlier payer's line payment "+la.PaidAmount.String()+" does not balance: the line charge "+charge.String()+
						" minus its adjustments "+adj.String()+" is "+want.String()+". Copy the amounts from the remittance again.")
			}
		}
		want := c.Charge - claimAdj - lineAdj
		if want == a.PaidAmount {
			continue
		}
		msg := "The earlier payer's payment " + a.PaidAmount.String() + " does not balance: the claim total " + c.Charge.String() +
			" minus the claim adjustments " + claimAdj.String() + " and the line adjustments " + lineAdj.String() + " is " + want.String() + "."
		if g, r, ok := reportedTwice(a, a.PaidAmount-want); ok {
			msg += " The " + g + "-" + r + " adjustment seems reported both on the claim and on its lines: report each adjustment once."
		} else {
			msg += " Copy the amounts from the remittance again."
		}
		ck.add(-1, ck.path().At("coverages", k).Field("adjudication").Field("paid_amount"), "2320 AMT*D AMT02", Error, "A7:400", msg)
	}
}

func sumAdjustments(adj []billing.Adjustment) billing.Money {
	var t billing.Money
	for i := range adj {
		t += adj[i].Amount
	}
	return t
}

// reportedTwice looks for a claim-level adjustment (group and reason) that the lines
// also report and whose claim-level total is the excess: an adjustment reported at
// both levels.
func reportedTwice(a *billing.OtherPayerAdjudication, excess billing.Money) (group, reason string, ok bool) {
	if excess == 0 {
		return "", "", false
	}
	for i := range a.Adjustments {
		g, r := a.Adjustments[i].Group, a.Adjustments[i].Reason
		var claimTotal, lineTotal billing.Money
		for _, x := range a.Adjustments {
			if x.Group == g && x.Reason == r {
				claimTotal += x.Amount
			}
		}
		for n := range a.Lines {
			for _, x := range a.Lines[n].Adjustments {
				if x.Group == g && x.Reason == r {
					lineTotal += x.Amount
				}
			}
		}
		if lineTotal != 0 && claimTotal == excess {
			return g, r, true
		}
	}
	return "", "", false
}
