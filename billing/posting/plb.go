package posting

import (
	"strconv"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/storage"
)

// ProviderInput is what the provider-level entries of a remittance need.
type ProviderInput struct {
	RemitID           int64
	On                billing.Date
	PayerID           int64 // the remittance's payer, 0 when not known
	BillingProviderID int64 // the payee's billing provider; required
	// Providers holds the billing provider of a PLB01 provider id when a PLB names
	// a provider of its own, other than BillingProviderID; nil when none does.
	Providers map[string]int64
	// Claim returns the claim a PLB03-2 reference names (our patient control number
	// or the payer's claim number), 0 when none: recoupments (WO, FB, 72) and
	// interest (L6) are tied to it.
	Claim func(reference string) int64
}

// ProviderEntries returns one KindProviderAdjustment entry per PLB amount, with
// PLB04 as the payer sent it (positive: money withheld, negative: money added, such
// as L6 interest), keyed "r<remittance>/plb/<n>". They go to the provider bucket,
// never to a patient's account.
func ProviderEntries(rem *x835.Remittance, in ProviderInput) []storage.Entry {
	var out []storage.Entry
	n := 0
	for _, p := range rem.ProviderAdjustments {
		bp := in.BillingProviderID
		if id := in.Providers[p.ProviderID]; id != 0 {
			bp = id
		}
		for _, a := range p.Adjustments {
			n++
			if a.Amount == 0 {
				continue
			}
			e := storage.Entry{
				PayerID: in.PayerID, BillingProviderID: bp,
				Kind: storage.KindProviderAdjustment, Bucket: storage.BucketProvider, Amount: billing.Money(a.Amount),
				EffectiveOn: in.On, Reason: "PLB-" + a.Reason, SourceKind: "remittance",
				SourceID:       strconv.FormatInt(in.RemitID, 10),
				IdempotencyKey: "r" + strconv.FormatInt(in.RemitID, 10) + "/plb/" + strconv.Itoa(n),
			}
			if a.Reference != "" && in.Claim != nil {
				e.ClaimID = in.Claim(a.Reference)
			}
			out = append(out, e)
		}
	}
	return out
}
