package remit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/claimflow/claimflow/billing/posting"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/storage"
)

// Plan is what one remittance (835 transaction set) posts.
type Plan struct {
	Remittance *x835.Remittance
	Key        string // storage.RemitKey
	ID         int64  // the stored remittance; 0 in a dry run
	PayerID    int64  // our payer, 0 when not recognized
	Claims     []ClaimPlan
	// Provider are the PLB entries; ProviderProblem says why they cannot be posted.
	Provider        []storage.Entry
	ProviderProblem string
}

// ClaimPlan is what one claim payment posts.
type ClaimPlan struct {
	Payment *x835.ClaimPayment
	Claim   *storage.PostingClaim // nil when no claim matched
	Result  posting.Result
	// Reversals undo the original payment's entries (CLP02 22).
	Reversals []storage.Entry
	// Problem says why the payment cannot be posted: an exception for a person.
	Problem string
}

// makePlan works out what rem posts as remittance remitID, reading through c and
// writing nothing. claims, when not nil, holds the claims the remittance's patient
// control numbers name (read for several remittances at once); else they are read.
func makePlan(ctx context.Context, c *storage.Conn, rem *x835.Remittance, remitID, payerID int64, known *lookups,
	claims map[string]*storage.PostingClaim, hold bool) (*Plan, error) {
	pl := &Plan{Remittance: rem, Key: posting.RemitKey(rem), ID: remitID, PayerID: payerID}
	keys := posting.PaymentKeys(rem, pl.Key)
	on := posting.EffectiveDate(rem)
	if claims == nil {
		var err error
		if claims, err = c.PostingClaims(ctx, pcnsOf(rem)); err != nil {
			return nil, err
		}
	}
	pl.Claims = make([]ClaimPlan, len(rem.Claims))
	for i := range rem.Claims {
		if err := planClaim(ctx, c, &pl.Claims[i], &rem.Claims[i], claims[rem.Claims[i].PCN],
			posting.Input{RemitID: remitID, Index: i, PaymentKey: keys[i], On: on}, hold); err != nil {
			return nil, err
		}
	}
	if len(rem.ProviderAdjustments) > 0 {
		if err := pl.provider(ctx, c, known); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

// pcnsOf returns the patient control numbers of the remittances' claim payments.
func pcnsOf(rems ...*x835.Remittance) []string {
	var out []string
	for _, rem := range rems {
		for i := range rem.Claims {
			out = append(out, rem.Claims[i].PCN)
		}
	}
	return out
}

// planClaim works out what claim payment pay posts onto claim (nil when none
// matched), in: for a reversal, the entries that undo the original payment.
//
// With hold set, a reversal of a payment not stored yet is ErrOriginalPending
// rather than an exception: the payment may be in another file not posted yet.
func planClaim(ctx context.Context, c *storage.Conn, cp *ClaimPlan, pay *x835.ClaimPayment, claim *storage.PostingClaim, in posting.Input, hold bool) error {
	cp.Payment, cp.Claim = pay, claim
	if claim != nil {
		in.Claim = postingClaim(claim)
	}
	in.Payment = pay
	cp.Result = posting.Post(in)
	if claim != nil && cp.Result.Problem != "" {
		cp.Problem = cp.Result.Problem
	}
	if !cp.Result.Reverses || cp.Problem != "" {
		return nil
	}
	earlier, err := c.ClaimPayments(ctx, claim.ID)
	if err != nil {
		return err
	}
	orig, ok := posting.Original(earlier, pay)
	if !ok && hold {
		return fmt.Errorf("claim %s: %w", pay.PCN, ErrOriginalPending)
	}
	if !ok {
		cp.Problem = "reversal (CLP02 22) of a payment of claim " + pay.PCN + " that claimflow has not posted"
		cp.Result.State = ""
		return nil
	}
	entries, err := c.Entries(ctx, storage.EntryFilter{ClaimID: claim.ID})
	if err != nil {
		return err
	}
	cp.Reversals = posting.Reversals(entries, orig.ID, in.RemitID, in.Index, in.On)
	return nil
}

// provider works out the PLB entries: for the billing provider PLB01 names (else
// the payee's NPI, else the provider of the claims paid), tied to the claims their
// references name.
func (pl *Plan) provider(ctx context.Context, c *storage.Conn, known *lookups) error {
	rem := pl.Remittance
	var bp int64
	for _, id := range []string{rem.ProviderAdjustments[0].ProviderID, payeeNPI(rem)} {
		if id == "" {
			continue
		}
		found, err := known.provider(ctx, c, id)
		if err != nil {
			return err
		}
		if found != 0 {
			bp = found
			break
		}
	}
	refs := map[string]int64{}
	for _, cp := range pl.Claims {
		if cp.Claim == nil {
			continue
		}
		if bp == 0 {
			bp = cp.Claim.BillingProviderID
		}
		refs[cp.Claim.PCN] = cp.Claim.ID
		if n := cp.Payment.PayerClaimNumber; n != "" {
			refs[n] = cp.Claim.ID
		}
	}
	if bp == 0 {
		pl.ProviderProblem = "the provider-level adjustments (PLB) name a provider claimflow does not know (PLB01 " +
			rem.ProviderAdjustments[0].ProviderID + ")"
		return nil
	}
	// A PLB that names a provider of its own, known to claimflow, is that
	// provider's; the others are the first PLB's (or the payee's).
	var others map[string]int64
	for _, pa := range rem.ProviderAdjustments[1:] {
		if pa.ProviderID == "" || pa.ProviderID == rem.ProviderAdjustments[0].ProviderID {
			continue
		}
		found, err := known.provider(ctx, c, pa.ProviderID)
		if err != nil {
			return err
		}
		if found != 0 && found != bp {
			if others == nil {
				others = map[string]int64{}
			}
			others[pa.ProviderID] = found
		}
	}
	var lookErr error
	resolve := func(ref string) int64 {
		if id, ok := refs[ref]; ok {
			return id
		}
		id, err := c.ClaimIDByReference(ctx, ref)
		if err != nil {
			lookErr = err
		}
		refs[ref] = id
		return id
	}
	pl.Provider = posting.ProviderEntries(rem, posting.ProviderInput{RemitID: pl.ID, On: posting.EffectiveDate(rem),
		PayerID: pl.PayerID, BillingProviderID: bp, Providers: others, Claim: resolve})
	return lookErr
}

func payeeNPI(rem *x835.Remittance) string {
	if rem.Payee.IDQualifier == "XX" {
		return rem.Payee.ID
	}
	return ""
}

// postingClaim is what billing/posting needs of a stored claim.
func postingClaim(pc *storage.PostingClaim) *posting.Claim {
	c := &posting.Claim{ID: pc.ID, PatientID: pc.PatientID, PayerID: pc.PayerID, BillingProviderID: pc.BillingProviderID,
		FurtherCoverage: pc.OpenCoverages > 1}
	if len(pc.Lines) > 0 {
		c.Lines = make([]posting.Line, 0, len(pc.Lines))
	}
	for _, l := range pc.Lines {
		c.Lines = append(c.Lines, posting.Line{ID: l.ID, ControlNumber: l.ControlNumber, Procedure: l.ProcedureCode,
			Modifiers: l.Modifiers, Charge: l.Charge, ServiceDate: l.ServiceFrom})
	}
	return c
}

// payerOf returns our payer of the remittance: the one whose payer id is the
// 1000A N104 or REF*2U, else TRN03 (without its leading 1); 0 when none.
func payerOf(ctx context.Context, c *storage.Conn, rem *x835.Remittance) (int64, error) {
	for _, id := range []string{rem.Payer.Identifier(), rem.Trace.PayerID, strings.TrimPrefix(rem.Trace.PayerID, "1")} {
		if id == "" {
			continue
		}
		p, err := c.PayerByPayerID(ctx, id)
		if err == nil {
			return p.ID, nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return 0, err
		}
	}
	return 0, nil
}

// lookups remembers, for the remittances of one file, which mostly name the same
// few payers and providers, the payers (payerOf) and billing providers (by NPI)
// found. It is safe for concurrent use. Its keys are copies: a remittance's values
// are parts of its transaction set's text (x835.Reader), which a key kept for the
// whole file would otherwise keep.
type lookups struct {
	mu        sync.Mutex
	payers    map[[3]string]int64
	providers map[string]int64
}

func newLookups() *lookups {
	return &lookups{payers: map[[3]string]int64{}, providers: map[string]int64{}}
}

func (l *lookups) payer(ctx context.Context, c *storage.Conn, rem *x835.Remittance) (int64, error) {
	k := [3]string{rem.Payer.ID, rem.Payer.Identifier(), rem.Trace.PayerID}
	l.mu.Lock()
	defer l.mu.Unlock()
	if id, ok := l.payers[k]; ok {
		return id, nil
	}
	id, err := payerOf(ctx, c, rem)
	if err == nil {
		l.payers[[3]string{strings.Clone(k[0]), strings.Clone(k[1]), strings.Clone(k[2])}] = id
	}
	return id, err
}

// provider returns our billing provider with the NPI, 0 when none.
func (l *lookups) provider(ctx context.Context, c *storage.Conn, npi string) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id, ok := l.providers[npi]; ok {
		return id, nil
	}
	var id int64
	p, err := c.BillingProviderByNPI(ctx, npi)
	switch {
	case err == nil:
		id = p.ID
	case !errors.Is(err, storage.ErrNotFound):
		return 0, err
	}
	l.providers[strings.Clone(npi)] = id
	return id, nil
}
