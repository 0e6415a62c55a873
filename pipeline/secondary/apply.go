package secondary

import (
	"context"
	"fmt"
	"strconv"

	"github.com/claimflow/claimflow/storage"
)

// apply writes the plan in tx.
func (s *Stage) apply(ctx context.Context, tx *storage.Tx, p *Plan) error {
	ev := storage.Event{Cause: storage.CauseSystem, Actor: Actor, Detail: detail(p)}
	switch p.Action {
	case ActionPatient:
		return tx.TransitionClaim(ctx, p.ClaimID, storage.StatePatientBilled, ev)
	case ActionClose:
		return tx.TransitionClaim(ctx, p.ClaimID, storage.StateClosed, ev)
	case ActionBillNext, ActionHold:
	default:
		return nil
	}
	if err := tx.RebillClaim(ctx, p.ClaimID, p.Claim, ev); err != nil {
		return err
	}
	if err := tx.SetClaimPayer(ctx, p.ClaimID, p.NextPayerID, ""); err != nil {
		return err
	}
	if err := tx.TransitionClaim(ctx, p.ClaimID, storage.StateSecondaryBilled, ev); err != nil {
		return err
	}
	if len(p.Transfers) > 0 {
		if _, err := tx.Post(ctx, p.Transfers...); err != nil {
			return fmt.Errorf("moving the balance of claim %d to payer %d: %w", p.ClaimID, p.NextPayerID, err)
		}
	}
	if p.Action != ActionHold {
		return nil
	}
	if err := tx.TransitionClaim(ctx, p.ClaimID, storage.StateHeld, ev); err != nil {
		return err
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
