package remit

import (
	"context"
	"fmt"
	"strconv"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/billing/posting"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// postGroup posts transaction sets of inbound file fileID in one database
// transaction: each is stored and planned in turn, then all are written together.
// A remittance stored already (its RemitKey) posts nothing; when it came in another
// file, that is counted as a duplicate and logged.
//
// On SQLite the claims the group pays are read first, on the read pool while
// another transaction may hold the single writer, and only checked inside the
// transaction (RecheckPostingClaims): reading them (their lines, and the coverages
// in their documents) was a fifth of the posting transaction.
func (p *Poster) postGroup(ctx context.Context, fileID int64, rems []*x835.Remittance, known *lookups) (Summary, error) {
	var sum Summary
	var read map[string]*storage.PostingClaim
	if p.Store != nil && p.Store.Driver() != storage.Postgres {
		var err error
		if read, err = p.Store.PostingClaims(ctx, pcnsOf(rems...)); err != nil {
			return Summary{}, err
		}
		if p.preReadHook != nil {
			p.preReadHook()
		}
	}
	err := p.inTx(ctx, func(tx *storage.Tx) error {
		sum = Summary{}
		// Every statement of the group names its rows by key (PreferIndexes).
		if err := tx.PreferIndexes(ctx); err != nil {
			return err
		}
		type stored struct {
			rem            *x835.Remittance
			remID, payerID int64
		}
		fresh := make([]stored, 0, len(rems))
		for _, rem := range rems {
			payerID, err := known.payer(ctx, &tx.Conn, rem)
			if err != nil {
				return err
			}
			remID, isNew, err := tx.InsertRemittance(ctx, posting.Remittance(rem, fileID, payerID))
			if err != nil {
				return fmt.Errorf("storing remittance %s: %w", rem.Trace.Number, err)
			}
			if !isNew {
				from, err := tx.RemittanceFile(ctx, remID)
				if err != nil {
					return err
				}
				if from != fileID {
					sum.Duplicates++
					p.log().Warn("835 remittance posted before from another file: nothing posted",
						"inbound_file", fileID, "remittance", remID, "first_file", from)
				}
				continue
			}
			fresh = append(fresh, stored{rem, remID, payerID})
		}
		// The claims of every new remittance, read at once.
		var pcns []string
		for _, f := range fresh {
			pcns = append(pcns, pcnsOf(f.rem)...)
		}
		var claims map[string]*storage.PostingClaim
		var err error
		if read != nil {
			claims, err = tx.RecheckPostingClaims(ctx, read, pcns)
		} else {
			claims, err = tx.PostingClaims(ctx, pcns)
		}
		if err != nil {
			return err
		}
		if err := notYetSent(claims); err != nil {
			return err
		}
		plans := make([]*Plan, 0, len(fresh))
		for _, f := range fresh {
			pl, err := makePlan(ctx, &tx.Conn, f.rem, f.remID, f.payerID, known, claims, p.HoldOrphanReversals)
			if err != nil {
				return fmt.Errorf("planning remittance %s: %w", f.rem.Trace.Number, err)
			}
			plans = append(plans, pl)
		}
		s, err := p.apply(ctx, tx, plans)
		dups := sum.Duplicates
		sum = s
		sum.Duplicates = dups
		return err
	})
	if err != nil {
		return Summary{}, err
	}
	return sum, nil
}

// notYetSent returns pipeline.ErrUploadNotRecorded when one of the claims is
// batched: the group is not posted (transaction sets posted before stay posted,
// once: a remittance is stored once).
func notYetSent(claims map[string]*storage.PostingClaim) error {
	for _, c := range claims {
		if c != nil && c.State == storage.StateBatched {
			return fmt.Errorf("%w: claim %d is batched", pipeline.ErrUploadNotRecorded, c.ID)
		}
	}
	return nil
}

// batch is what a group of plans writes, gathered to be written in a few
// statements.
type batch struct {
	sum       Summary
	reversals []storage.Entry // Post: they name the entries they undo
	postings  []storage.PaymentPosting
	provider  []storage.Entry
	moves     []storage.ClaimMove
	secondary []int64
	items     []storage.WorkItem
}

// apply writes plans in tx: the claim payments of all in one PostClaimPayments.
func (p *Poster) apply(ctx context.Context, tx *storage.Tx, plans []*Plan) (Summary, error) {
	var b batch
	n := 0
	for _, pl := range plans {
		n += len(pl.Claims)
	}
	b.postings = make([]storage.PaymentPosting, 0, n) // a posting is large: no doublings
	b.moves = make([]storage.ClaimMove, 0, n)
	for _, pl := range plans {
		b.add(pl)
	}
	sum := &b.sum
	if len(b.reversals) > 0 {
		posted, err := tx.Post(ctx, b.reversals...)
		if err != nil {
			return *sum, err
		}
		sum.Entries += countNew(posted)
	}
	if len(b.postings) > 0 {
		ps, err := tx.PostClaimPayments(ctx, b.postings)
		if err != nil {
			return *sum, err
		}
		sum.Entries += ps.Entries
	}
	if len(b.provider) > 0 {
		posted, err := tx.Post(ctx, b.provider...)
		if err != nil {
			return *sum, err
		}
		sum.Entries += countNew(posted)
	}
	skipped, err := tx.TransitionClaims(ctx, b.moves, storage.Event{Cause: storage.Cause835, Actor: p.actor()})
	if err != nil {
		return *sum, err
	}
	if len(skipped) > 0 {
		p.log().Info("835: claim state changes the claims' states do not allow, skipped", "claims", len(skipped))
	}
	if _, err := tx.AddWorkItems(ctx, b.items); err != nil {
		return *sum, err
	}
	if len(b.secondary) > 0 && p.Emit != nil {
		if err := p.Emit(ctx, tx, bus.Secondary, pipeline.ClaimWork{ClaimIDs: b.secondary}); err != nil {
			return *sum, err
		}
		sum.Secondary = len(b.secondary)
	}
	return *sum, nil
}

// add gathers what one remittance's plan writes.
func (b *batch) add(pl *Plan) {
	rem := pl.Remittance
	b.sum.Remittances++
	b.sum.Payments += len(pl.Claims)
	for i := range pl.Claims {
		b.addClaim(pl, &pl.Claims[i])
	}
	b.provider = append(b.provider, pl.Provider...)
	for _, e := range pl.Provider {
		b.sum.Provider += e.Amount
	}
	if pl.ProviderProblem != "" {
		b.sum.Exceptions++
		b.items = append(b.items, storage.WorkItem{
			Kind: storage.WorkException, DedupKey: "835-plb/" + pl.Key, Codes: []string{"835", "PLB"},
			Message: fmt.Sprintf("provider-level adjustments of remittance %s not posted: %s.", rem.Trace.Number, pl.ProviderProblem),
		})
	}
}

// addClaim gathers what one claim payment writes: the payment always (matched or
// not), its entries, the claim's move and the work items it raises.
func (b *batch) addClaim(pl *Plan, cp *ClaimPlan) {
	rem, res, pay := pl.Remittance, &cp.Result, cp.Payment
	b.sum.Paid += billing.Money(pay.Paid)
	pp := storage.PaymentPosting{Payment: res.Payment}
	defer func() { b.postings = append(b.postings, pp) }() // stored matched or not
	if cp.Claim == nil {
		b.sum.Unmatched++
		b.items = append(b.items, storage.WorkItem{
			Kind: storage.WorkUnmatchedRemittance, DedupKey: "835-unmatched/" + res.Payment.Key,
			Codes: []string{"CLP01"},
			Message: fmt.Sprintf("835 claim payment for patient control number %s (status %s, charge %s, paid %s, payer claim number %s) "+
				"in remittance %s matches no claim; it is stored unmatched.", pay.PCN, pay.Status, billing.Money(pay.Charge),
				billing.Money(pay.Paid), pay.PayerClaimNumber, rem.Trace.Number),
		})
		return
	}
	b.sum.Matched++
	if cp.Problem != "" {
		b.sum.Exceptions++
		b.items = append(b.items, storage.WorkItem{
			Kind: storage.WorkException, DedupKey: "835-exception/" + res.Payment.Key, ClaimID: cp.Claim.ID,
			Codes:   []string{"835", "CLP02-" + pay.Status},
			Message: fmt.Sprintf("835 claim payment in remittance %s not posted: %s.", rem.Trace.Number, cp.Problem),
		})
		return
	}
	pp.Entries = res.Entries
	b.reversals = append(b.reversals, cp.Reversals...)
	if res.Reverses {
		b.sum.Reversals++
	}
	if res.State != "" {
		b.moves = append(b.moves, storage.ClaimMove{ClaimID: cp.Claim.ID, To: res.State, PayerClaimNumber: pay.PayerClaimNumber,
			Detail: moveDetail{Remittance: strconv.FormatInt(pl.ID, 10), Trace: rem.Trace.Number,
				CLP02: pay.Status, Paid: billing.Money(pay.Paid).String()}})
	}
	if res.Crossover {
		b.sum.Forwarded++
	}
	if other := pay.CorrectedPriorityPayer; other != nil {
		b.sum.Exceptions++
		b.items = append(b.items, storage.WorkItem{
			Kind: storage.WorkException, DedupKey: "835-priority/" + res.Payment.Key, ClaimID: cp.Claim.ID,
			Codes: []string{"835", "NM1*PR"},
			Message: fmt.Sprintf("the payer of remittance %s says another payer (%s, id %s) is primary for claim %s: "+
				"re-sequence the patient's coverages and bill that payer first.", rem.Trace.Number, other.Last, other.ID, pay.PCN),
		})
	}
	if d := res.Denial; d != nil {
		b.sum.Denials++
		b.items = append(b.items, storage.WorkItem{
			Kind: storage.WorkDenial, DedupKey: "835-denial/" + res.Payment.Key, ClaimID: cp.Claim.ID,
			Codes: d.Codes, Message: d.Message,
		})
	}
	if movesOn(res) {
		b.secondary = append(b.secondary, cp.Claim.ID)
	}
}

// moveDetail is what a claim's history records of the 835 that moved it. Its
// fields are in the order of their JSON names, so that it encodes as the map of
// those names did (encoding/json sorts a map's keys), without a map per claim.
type moveDetail struct {
	CLP02      string `json:"clp02"`
	Paid       string `json:"paid"`
	Remittance string `json:"remittance"`
	Trace      string `json:"trace"`
}

// movesOn reports whether the secondary stage decides what comes next for the
// claim: every claim the payer adjudicated as paid or partially paid (next payer,
// patient-billed or closed), not one the payer forwarded (crossover: the next
// payer's 835 comes without a claim from us) nor one it denied (the denial queue
// decides).
func movesOn(res *posting.Result) bool {
	if res.Secondary {
		return true
	}
	if res.Crossover {
		return false
	}
	return res.State == storage.StatePaid || res.State == storage.StatePartiallyPaid
}

func (p *Poster) actor() string {
	if p.Actor != "" {
		return p.Actor
	}
	return "remit"
}

func countNew(ps []storage.Posted) int {
	n := 0
	for _, p := range ps {
		if p.New {
			n++
		}
	}
	return n
}
