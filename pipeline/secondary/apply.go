package secondary

import (
	"context"
	"fmt"
	"strconv"

	"github.com/claimflow/claimflow/storage"
)

// applyBills writes, in tx, the plans that bill the next payer (ActionBillNext)
// or hold the claim for it (ActionHold), for all of them at once, as writing each
// plan in turn would: each claim is rebilled with its content for the next payer
// and that payer (RebillClaims), moved to secondary-billed, its balance moved to
// that payer in the ledger (one Post for all), and a held claim then moved to held
// with a rejection work item per finding.
func (s *Stage) applyBills(ctx context.Context, tx *storage.Tx, plans []*Plan) error {
	if len(plans) == 0 {
		return nil
	}
	rebills := make([]storage.Rebill, len(plans))
	moves := make([]storage.ClaimMove, 0, len(plans))
	var holds []storage.ClaimMove
	var transfers []storage.Entry
	for i, p := range plans {
		d := p.historyDetail()
		rebills[i] = p.rebillOf()
		moves = append(moves, storage.ClaimMove{ClaimID: p.ClaimID, To: storage.StateSecondaryBilled, Detail: d})
		if p.Action == ActionHold {
			holds = append(holds, storage.ClaimMove{ClaimID: p.ClaimID, To: storage.StateHeld, Detail: d})
		}
		transfers = append(transfers, p.Transfers...)
	}
	if err := tx.RebillClaims(ctx, rebills); err != nil {
		return err
	}
	ev := storage.Event{Cause: storage.CauseSystem, Actor: Actor}
	skipped, err := tx.TransitionClaims(ctx, moves, ev)
	if err != nil {
		return err
	}
	if len(skipped) > 0 {
		return fmt.Errorf("moving claim %d to %s: %w", skipped[0].ClaimID, skipped[0].To, storage.ErrInvalidTransition)
	}
	if len(transfers) > 0 {
		if _, err := tx.Post(ctx, transfers...); err != nil {
			return fmt.Errorf("moving the balances of %d claims to their next payers: %w", len(plans), err)
		}
	}
	if len(holds) == 0 {
		return nil
	}
	if skipped, err = tx.TransitionClaims(ctx, holds, ev); err != nil {
		return err
	}
	if len(skipped) > 0 {
		return fmt.Errorf("moving claim %d to %s: %w", skipped[0].ClaimID, skipped[0].To, storage.ErrInvalidTransition)
	}
	for _, p := range plans {
		if p.Action != ActionHold {
			continue
		}
		for _, f := range p.Findings {
			_, _, err := tx.AddWorkItem(ctx, storage.WorkItem{
				Kind:     storage.WorkRejection,
				DedupKey: "secondary/" + strconv.FormatInt(p.ClaimID, 10) + "/" + strconv.Itoa(p.Next+1) + "/" + f.Rule + "/" + string(f.Field),
				ClaimID:  p.ClaimID,
				Codes:    codes(f.Rule, f.STC),
				Field:    string(f.Field),
				Message:  f.Message,
			})
			if err != nil {
				return fmt.Errorf("queueing the rejection of claim %d: %w", p.ClaimID, err)
			}
		}
	}
	return nil
}

// detail is what the claim's history records of the plan: ids, codes and amounts,
// never PHI.
func detail(p *Plan) map[string]any {
	d := map[string]any{"action": p.Action, "reason": p.Reason}
	if p.Payment != nil {
		d["claim_payment"] = p.Payment.ID
		d["clp02"] = p.Payment.Status
	}
	if p.Next >= 0 {
		d["coverage"] = p.Next + 1
		d["payer"] = p.Claim.Coverages[p.Next].Payer.ID
		d["moved"] = p.Moved().String()
	}
	var rules []string
	for _, f := range p.Findings {
		rules = append(rules, f.Rule+" "+string(f.Field))
	}
	if len(rules) > 0 {
		d["findings"] = rules
	}
	return d
}

func codes(list ...string) []string {
	out := list[:0:0]
	for _, c := range list {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}
