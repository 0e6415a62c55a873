package scrub

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/claimflow/claimflow/billing"
)

// checkTaxonomyRequired: when the billed payer requires taxonomy codes
// (PayerRule.RequireTaxonomy), the billing provider (2000A PRV*BI) and every rendering
// provider (2310B, 2420A PRV*PE) has one.
func checkTaxonomyRequired(ck *checker, c *billing.Claim) {
	if ck.payer == nil || !ck.payer.RequireTaxonomy {
		return
	}
	if c.BillingProvider.Taxonomy == "" {
		ck.add(-1, roleBilling.path(ck, -1, "taxonomy"), roleBilling.prv(), Error, "A6:145:85",
			"This payer requires the billing provider's taxonomy code: enter it, as 207Q00000X.")
	}
	if p := c.RenderingProvider; p != nil && p.Taxonomy == "" {
		ck.add(-1, roleRendering.path(ck, -1, "taxonomy"), roleRendering.prv(), Error, "A6:145:82",
			"This payer requires the rendering provider's taxonomy code: enter it, as 207Q00000X.")
	}
	for j := range c.Lines {
		if p := c.Lines[j].RenderingProvider; p != nil && p.Taxonomy == "" {
			ck.add(j, roleLineRendering.path(ck, j, "taxonomy"), roleLineRendering.prv(), Error, "A6:145:82",
				"This payer requires the rendering provider's taxonomy code: enter it, as 207Q00000X.")
		}
	}
}

// authNumber returns the prior authorization number that applies to line j: the
// line's own, otherwise the claim's.
func authNumber(c *billing.Claim, j int) string {
	if n := c.Lines[j].Authorization.PriorAuthorization; n != "" {
		return n
	}
	return c.Authorization.PriorAuthorization
}

// checkPriorAuthMissing: every line whose procedure code the billed payer authorizes
// in advance (PayerRule.PriorAuthorization) has a prior authorization number, its own
// (2400 REF*G1) or the claim's (2300 REF*G1).
func checkPriorAuthMissing(ck *checker, c *billing.Claim) {
	if ck.payer == nil || len(ck.payer.PriorAuthorization) == 0 {
		return
	}
	for j := range c.Lines {
		code := c.Lines[j].Procedure.Code
		if ck.payer.needsAuthorization(code) && authNumber(c, j) == "" {
			ck.add(j, ck.linePath(j).Field("authorization").Field("prior_authorization"), "2300 REF*G1 REF02", Error, "A6:252",
				"This payer requires a prior authorization for "+code+": enter the authorization number on the claim (or on this line if it differs).")
		}
	}
}

// checkPriorAuthUsage: with an authorization store (WithAuthorizations), each prior
// authorization the claim uses is on file, covers the procedures billed under it and
// their dates of service, and has visits (distinct dates of service) and units left
// once the claim and the batch's earlier claims are counted. An authorization not on
// file is a warning. A line counts against the authorization that applies to it when
// the authorization covers its procedure.
func checkPriorAuthUsage(ck *checker, c *billing.Claim) {
	if ck.s.auths == nil || ck.billed < 0 {
		return
	}
	payerID := c.Coverages[ck.billed].Payer.ID
	for j := range c.Lines {
		num := authNumber(c, j)
		if num == "" || firstLineWith(c, num) != j {
			continue
		}
		a, ok, err := ck.s.auths.Authorization(ck.ctx, payerID, num)
		if err != nil {
			ck.err = fmt.Errorf("scrub: claims[%d]: reading prior authorization usage: %w", ck.i, err)
			return
		}
		if !ok {
			ck.add(j, ck.authPath(j), ck.authX12(j), Warning, "",
				"The prior authorization number is not on file, so the visits and units left were not checked: check the number, or record the authorization.")
			continue
		}
		ck.authorization(payerID, num, &a)
	}
}

// firstLineWith returns the first line to which authorization num applies.
func firstLineWith(c *billing.Claim, num string) int {
	for j := range c.Lines {
		if authNumber(c, j) == num {
			return j
		}
	}
	return -1
}

// authPath is the field holding the authorization number that applies to line j.
func (ck *checker) authPath(j int) billing.Path {
	if ck.c.Lines[j].Authorization.PriorAuthorization != "" {
		return ck.linePath(j).Field("authorization").Field("prior_authorization")
	}
	return ck.path().Field("authorization").Field("prior_authorization")
}

func (ck *checker) authX12(j int) string {
	if ck.c.Lines[j].Authorization.PriorAuthorization != "" {
		return "2400 REF*G1 REF02"
	}
	return "2300 REF*G1 REF02"
}

// authorization checks the lines under authorization num against a, and counts them
// in the batch.
func (ck *checker) authorization(payerID, num string, a *Authorization) {
	c := ck.c
	visits, units := 0, billing.Quantity(0)
	first := -1
	for j := range c.Lines {
		l := &c.Lines[j]
		if authNumber(c, j) != num {
			continue
		}
		if len(a.Procedures) > 0 && !slices.Contains(a.Procedures, l.Procedure.Code) {
			if ck.payer != nil && ck.payer.needsAuthorization(l.Procedure.Code) {
				ck.add(j, ck.authPath(j), ck.authX12(j), Error, "A7:252",
					"The prior authorization does not cover "+l.Procedure.Code+": get an authorization for it, or check the code.")
			}
			continue
		}
		if first < 0 {
			first = j
		}
		sd := &l.ServiceDates
		if sd.From.Valid() && ((!a.From.IsZero() && sd.From.Before(a.From)) || (!a.Through.IsZero() && sd.Last().After(a.Through))) {
			ck.add(j, ck.authPath(j), ck.authX12(j), Error, "A7:252",
				"The date of service is outside the dates the prior authorization covers: get a new authorization or an extension.")
		}
		u := l.Units
		if u == 0 {
			u = billing.Units(1)
		}
		units += u
		if !sameVisitBefore(c, num, a, j) {
			visits++
		}
	}
	if first < 0 {
		return
	}
	key := authKey{payerID, num}
	before := ck.authUsed[key]
	if a.Visits > 0 && a.UsedVisits+before.visits+visits > a.Visits {
		left := max(a.Visits-a.UsedVisits-before.visits, 0)
		ck.add(first, ck.authPath(first), ck.authX12(first), Error, "A7:674",
			fmt.Sprintf("The prior authorization has %d of its %s left, and this claim bills %s: ask the payer for more visits before sending it.",
				left, plural(a.Visits, "visit"), plural(visits, "visit")))
	}
	if a.Units > 0 && a.UsedUnits+before.units+units > a.Units {
		left := max(a.Units-a.UsedUnits-before.units, 0)
		ck.add(first, ck.authPath(first), ck.authX12(first), Error, "A7:674",
			"The prior authorization has "+left.String()+" of its "+a.Units.String()+" units left, and this claim bills "+units.String()+": ask the payer for more units before sending it.")
	}
	if ck.authUsed == nil {
		ck.authUsed = make(map[authKey]authUse)
	}
	ck.authUsed[key] = authUse{before.visits + visits, before.units + units}
}

// sameVisitBefore reports whether an earlier line under authorization num, and
// covered by it, has the same first date of service as line j: the same visit.
func sameVisitBefore(c *billing.Claim, num string, a *Authorization, j int) bool {
	d := c.Lines[j].ServiceDates.From
	for k := range j {
		l := &c.Lines[k]
		if l.ServiceDates.From == d && authNumber(c, k) == num &&
			(len(a.Procedures) == 0 || slices.Contains(a.Procedures, l.Procedure.Code)) {
			return true
		}
	}
	return false
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// checkTimelyFiling: when the billed payer has a timely filing limit
// (PayerRule.TimelyFilingDays), the claim goes out within that many days of its first
// date of service (of the earlier payer's adjudication, for a claim to a later
// payer), unless it gives a delay reason (CLM20).
func checkTimelyFiling(ck *checker, c *billing.Claim) {
	if ck.payer == nil || ck.payer.TimelyFilingDays == 0 || c.DelayReason != "" {
		return
	}
	start, from := ck.firstDOS, "the date of service"
	if ck.billed > 0 {
		if a := c.Coverages[ck.billed-1].Adjudication; a != nil && a.Date.Valid() {
			start, from = a.Date, "the earlier payer's adjudication"
		}
	}
	if !start.Valid() {
		return
	}
	if days := ck.payer.TimelyFilingDays; ck.today.After(start.AddDays(days)) {
		ck.add(-1, ck.path().Field("delay_reason"), "2300 CLM20", Error, "A3:718",
			fmt.Sprintf("The claim is past this payer's %d-day limit after %s: the payer will deny it unless it has a delay reason (CLM20) and proof of timely filing.", days, from))
	}
}
