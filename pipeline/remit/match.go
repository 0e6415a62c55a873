package remit

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/claimflow/claimflow/billing/posting"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// ErrMatched is returned, wrapped, when a claim payment asked to be matched is
// matched to a claim already.
var ErrMatched = errors.New("claim payment is matched already")

// Match posts claim payment paymentID, stored unmatched because its patient
// control number named no claim, onto claim claimID, as the 835 would have posted
// it had it matched: entries, the claim's state, denials and secondary work. The
// payment is linked to the claim and its lines, and its unmatched-remittance work
// item is resolved with a note naming who matched it. The 835 is read again from
// the inbound file the payment came in. Nothing is written when the payment cannot
// be posted onto the claim (the error says why).
func (p *Poster) Match(ctx context.Context, paymentID, claimID int64, who string) (Summary, error) {
	var sum Summary
	stored, err := p.Store.ClaimPaymentByID(ctx, paymentID)
	if err != nil {
		return sum, err
	}
	if stored.ClaimID != 0 {
		return sum, fmt.Errorf("claim payment %d: %w (claim %d)", paymentID, ErrMatched, stored.ClaimID)
	}
	remRow, err := p.Store.Remittance(ctx, stored.RemittanceID)
	if err != nil {
		return sum, err
	}
	rem, index, err := p.findPayment(ctx, remRow, stored)
	if err != nil {
		return sum, err
	}
	return p.postMatch(ctx, remRow, rem, index, stored, claimID, who)
}

// findPayment reads the 835 of the remittance from its inbound file and returns
// the transaction set and the index of the stored claim payment in it.
func (p *Poster) findPayment(ctx context.Context, remRow storage.Remittance, stored storage.ClaimPayment) (*x835.Remittance, int, error) {
	if remRow.InboundFileID == 0 {
		return nil, 0, fmt.Errorf("claim payment %d: its remittance %d was not stored from an inbound file", stored.ID, remRow.ID)
	}
	r, _, err := p.Store.InboundContent(ctx, remRow.InboundFileID)
	if err != nil {
		return nil, 0, err
	}
	var found *x835.Remittance
	index := -1
	err = eachRemittance(x835.NewReader(r), func(rem *x835.Remittance) error {
		key := posting.RemitKey(rem)
		if key != remRow.Key {
			return nil
		}
		for i, k := range posting.PaymentKeys(rem, key) {
			if k == stored.Key {
				found, index = rem, i
				return errStop
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, 0, fmt.Errorf("reading inbound file %d: %w", remRow.InboundFileID, err)
	}
	if found == nil {
		return nil, 0, fmt.Errorf("claim payment %d is not in inbound file %d", stored.ID, remRow.InboundFileID)
	}
	return found, index, nil
}

// postMatch posts claim payment index of rem (stored as stored) onto claim claimID
// in one transaction.
func (p *Poster) postMatch(ctx context.Context, remRow storage.Remittance, rem *x835.Remittance, index int, stored storage.ClaimPayment, claimID int64, who string) (Summary, error) {
	var sum Summary
	err := p.inTx(ctx, func(tx *storage.Tx) error {
		sum = Summary{}
		again, err := tx.ClaimPaymentByID(ctx, stored.ID) // under the transaction: not matched meanwhile
		if err != nil {
			return err
		}
		if again.ClaimID != 0 {
			return fmt.Errorf("claim payment %d: %w (claim %d)", stored.ID, ErrMatched, again.ClaimID)
		}
		cl, err := tx.Claim(ctx, claimID)
		if err != nil {
			return err
		}
		claims, err := tx.PostingClaims(ctx, []string{cl.PatientControlNumber})
		if err != nil {
			return err
		}
		pl := &Plan{Remittance: rem, Key: remRow.Key, ID: remRow.ID, PayerID: remRow.PayerID, Claims: make([]ClaimPlan, 1)}
		cp := &pl.Claims[0]
		if err := planClaim(ctx, &tx.Conn, cp, &rem.Claims[index], claims[cl.PatientControlNumber],
			posting.Input{RemitID: remRow.ID, Index: index, PaymentKey: stored.Key, On: posting.EffectiveDate(rem)}, false); err != nil {
			return err
		}
		if cp.Claim == nil {
			return fmt.Errorf("claim %d: %w", claimID, storage.ErrNotFound)
		}
		if cp.Problem != "" {
			return fmt.Errorf("claim payment %d cannot be posted onto claim %d: %s", stored.ID, claimID, cp.Problem)
		}
		// The stored services are the payment's SVC loops in order.
		lineIDs := map[int64]int64{}
		for k, sp := range cp.Result.Payment.Services {
			if k < len(again.Services) && sp.LineID != 0 {
				lineIDs[again.Services[k].ID] = sp.LineID
			}
		}
		if err := tx.MatchClaimPayment(ctx, stored.ID, claimID, lineIDs); err != nil {
			return err
		}
		var b batch
		b.addClaim(pl, cp)
		sum = b.sum
		var entries []storage.Entry
		entries = append(entries, b.reversals...)
		for _, pp := range b.postings {
			entries = append(entries, pp.Entries...)
		}
		if len(entries) > 0 {
			posted, err := tx.Post(ctx, entries...)
			if err != nil {
				return err
			}
			sum.Entries = countNew(posted)
		}
		if _, err := tx.TransitionClaims(ctx, b.moves, storage.Event{Cause: storage.Cause835, Actor: who}); err != nil {
			return err
		}
		if _, err := tx.AddWorkItems(ctx, b.items); err != nil {
			return err
		}
		if len(b.secondary) > 0 && p.Emit != nil {
			if err := p.Emit(ctx, tx, bus.Secondary, pipeline.ClaimWork{ClaimIDs: b.secondary}); err != nil {
				return err
			}
			sum.Secondary = len(b.secondary)
		}
		_, err = tx.ResolveWorkByKey(ctx, "835-unmatched/"+stored.Key, who,
			"claim payment "+strconv.FormatInt(stored.ID, 10)+" matched to claim "+strconv.FormatInt(claimID, 10)+" and posted")
		return err
	})
	if err != nil {
		return Summary{}, fmt.Errorf("matching claim payment %d to claim %d: %w", stored.ID, claimID, err)
	}
	p.log().Info("835 claim payment matched by hand and posted", "claim_payment", stored.ID, "claim", claimID, "entries", sum.Entries)
	return sum, nil
}

// Rematch tries again every claim payment stored unmatched: those whose patient
// control number now names a claim (the claim was entered after the 835 came)
// are posted onto it as Match does. Each inbound file is read once. It returns
// how many were posted and how many are still unmatched.
func (p *Poster) Rematch(ctx context.Context, who string) (matched, left int, err error) {
	type want struct {
		stored  storage.ClaimPayment
		remRow  storage.Remittance
		claimID int64
	}
	byFile := map[int64][]want{}
	var files []int64
	remRows := map[int64]storage.Remittance{}
	for after := int64(0); ; {
		ids, err := p.Store.UnmatchedClaimPayments(ctx, after, 500)
		if err != nil {
			return matched, left, err
		}
		if len(ids) == 0 {
			break
		}
		after = ids[len(ids)-1]
		for _, id := range ids {
			stored, err := p.Store.ClaimPaymentByID(ctx, id)
			if err != nil {
				return matched, left, err
			}
			cl, err := p.Store.ClaimByPCN(ctx, stored.PatientControlNumber)
			if errors.Is(err, storage.ErrNotFound) {
				left++
				continue
			}
			if err != nil {
				return matched, left, err
			}
			remRow, ok := remRows[stored.RemittanceID]
			if !ok {
				if remRow, err = p.Store.Remittance(ctx, stored.RemittanceID); err != nil {
					return matched, left, err
				}
				remRow.Claims, remRow.ProviderAdjustments = nil, nil
				remRows[stored.RemittanceID] = remRow
			}
			if byFile[remRow.InboundFileID] == nil {
				files = append(files, remRow.InboundFileID)
			}
			byFile[remRow.InboundFileID] = append(byFile[remRow.InboundFileID], want{stored: stored, remRow: remRow, claimID: cl.ID})
		}
	}
	for _, file := range files {
		wants := byFile[file]
		byKey := map[string][]int{} // payment key -> indexes of wants
		for i, w := range wants {
			byKey[w.stored.Key] = append(byKey[w.stored.Key], i)
		}
		r, _, err := p.Store.InboundContent(ctx, file)
		if err != nil {
			return matched, left, err
		}
		err = eachRemittance(x835.NewReader(r), func(rem *x835.Remittance) error {
			key := posting.RemitKey(rem)
			for i, k := range posting.PaymentKeys(rem, key) {
				for _, wi := range byKey[k] {
					w := wants[wi]
					if w.remRow.Key != key {
						continue
					}
					if _, err := p.postMatch(ctx, w.remRow, rem, i, w.stored, w.claimID, who); err != nil {
						p.log().Warn("835 claim payment not matched", "claim_payment", w.stored.ID, "claim", w.claimID, "err", err)
						left++
						continue
					}
					matched++
				}
			}
			return nil
		})
		if err != nil {
			return matched, left, fmt.Errorf("reading inbound file %d: %w", file, err)
		}
	}
	return matched, left, nil
}
