package posting

import (
	"slices"
	"strconv"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/storage"
)

// Original returns the earlier payment of the claim that a reversal (CLP02 22)
// undoes. earlier are the claim's stored payments, oldest first. Each earlier
// reversal has consumed its own original already; among the payments left, the
// original is the latest with the payer claim number of the reversal (when both
// carry one) whose payment the reversal negates, else the latest with that number.
// A payer that gives the reversal a claim number of its own names the original's
// in REF*F8 (X12-GUIDE 6.7): either number links the two.
func Original(earlier []storage.ClaimPayment, rev *x835.ClaimPayment) (storage.ClaimPayment, bool) {
	var open []storage.ClaimPayment
	for _, cp := range earlier {
		switch cp.Status {
		case x835.StatusPredetermination:
			continue
		case x835.StatusReversal:
			if i := pick(open, []string{cp.PayerClaimNumber}, -cp.Paid); i >= 0 {
				open = append(open[:i], open[i+1:]...)
			}
			continue
		}
		open = append(open, cp)
	}
	icns := []string{rev.PayerClaimNumber}
	for _, r := range rev.References {
		if r.Qualifier == "F8" && r.Value != "" {
			icns = append(icns, r.Value)
		}
	}
	i := pick(open, icns, -billing.Money(rev.Paid))
	if i < 0 {
		return storage.ClaimPayment{}, false
	}
	return open[i], true
}

// pick returns the index of the latest payment with one of the payer claim
// numbers icns (when both sides have one) that paid the amount, else the latest
// with such a number, else -1.
func pick(open []storage.ClaimPayment, icns []string, paid billing.Money) int {
	known := slices.ContainsFunc(icns, func(s string) bool { return s != "" })
	same := func(cp *storage.ClaimPayment) bool {
		return !known || cp.PayerClaimNumber == "" || slices.Contains(icns, cp.PayerClaimNumber)
	}
	fallback := -1
	for i := len(open) - 1; i >= 0; i-- {
		if !same(&open[i]) {
			continue
		}
		if open[i].Paid == paid {
			return i
		}
		if fallback < 0 {
			fallback = i
		}
	}
	return fallback
}

// Reversals returns the entries that undo the posting of the original payment:
// storage.ReversalOf each of its entries (ledger entries whose source is the
// claim payment originalID) not reversed already. claimEntries are the claim's
// ledger entries. The keys are EntryKey(remitID, index, "rev/<entry id>"), so that
// posting the reversal twice reverses once.
func Reversals(claimEntries []storage.Entry, originalID, remitID int64, index int, on billing.Date) []storage.Entry {
	src := strconv.FormatInt(originalID, 10)
	reversed := map[int64]bool{}
	for _, e := range claimEntries {
		if e.ReversesEntryID != 0 {
			reversed[e.ReversesEntryID] = true
		}
	}
	var out []storage.Entry
	for _, e := range claimEntries {
		if e.SourceKind != "claim-payment" || e.SourceID != src || e.Kind == storage.KindReversal || reversed[e.ID] {
			continue
		}
		key := storage.EntryKey(remitID, index, "rev/"+strconv.FormatInt(e.ID, 10))
		out = append(out, storage.ReversalOf(e, key, "claim-payment-reversal", src, on))
	}
	return out
}
