package secondary

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/claimflow/claimflow/billing/scrub"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

func init() {
	pipeline.Register(bus.Secondary, func(env *pipeline.Env) (bus.Handler, error) { return New(env) })
}

// Actor is the name the stage records in claim histories and work items.
const Actor = "secondary"

// COBRules are the scrubber rules a claim for the next payer is checked with. The
// rest of the claim was checked when it was first billed and has not changed; what
// the earlier payer's decision adds must still be something the 837P can carry
// (837p-build), so that the claim is held here rather than refused at batch.
var COBRules = []string{"billed-coverage", "cob-payer-id", "cob-balance", "837p-build"}

// Stage is the secondary stage's handler.
type Stage struct {
	env   *pipeline.Env
	scrub *scrub.Scrubber
	// beforeWrite, when set (tests), runs between planning ahead and the write
	// transaction.
	beforeWrite func()
}

// New returns the stage's handler for env.
func New(env *pipeline.Env) (*Stage, error) {
	var off []string
	for _, r := range scrub.Rules() {
		if !slices.Contains(COBRules, r.ID) {
			off = append(off, r.ID)
		}
	}
	s, err := scrub.New(scrub.WithoutRules(off...), scrub.WithClock(env.Now))
	if err != nil {
		return nil, fmt.Errorf("building the coordination-of-benefits scrubber: %w", err)
	}
	return &Stage{env: env, scrub: s}, nil
}

// chunk is how many claims of a message the stage moves on in one transaction.
const chunk = 100

// Handle moves on each claim of a pipeline.ClaimWork, up to 100 claims per
// transaction, in id order (so that concurrent workers lock claims in the same
// order). A claim that can never be moved on (it does not exist, its payment cannot
// be found) becomes an exception work item and the others of its chunk are then
// moved on one by one; any other failure makes the message come again, and the
// claims handled already are then left as they are.
func (s *Stage) Handle(ctx context.Context, m bus.Message) error {
	var w pipeline.ClaimWork
	if err := pipeline.Decode(m, &w); err != nil {
		return err
	}
	ids := slices.Compact(slices.Sorted(slices.Values(w.ClaimIDs)))
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		plans, err := s.ProcessAll(ctx, part)
		switch {
		case errors.Is(err, bus.ErrPoison):
			if err := s.oneByOne(ctx, part); err != nil {
				return fmt.Errorf("secondary stage, message %s: %w", m.ID, err)
			}
		case err != nil:
			return fmt.Errorf("secondary stage, message %s: %w", m.ID, err)
		default:
			for _, p := range plans {
				s.logPlan(p)
			}
		}
	}
	return nil
}

// oneByOne moves claims on in a transaction each, setting aside those that can
// never be.
func (s *Stage) oneByOne(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		p, err := s.Process(ctx, id)
		switch {
		case errors.Is(err, bus.ErrPoison):
			if err := s.exception(ctx, id, err); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			s.logPlan(p)
		}
	}
	return nil
}

func (s *Stage) logPlan(p *Plan) {
	if p.Action == ActionNone {
		s.env.Log().Debug("secondary: nothing to do", "claim", p.ClaimID, "state", string(p.State))
		return
	}
	s.env.Log().Info("secondary: claim moved on", "claim", p.ClaimID, "action", string(p.Action),
		"next_coverage", p.Next+1, "moved_cents", int64(p.Moved()))
}

// Process plans what to do with the claim and does it, in one transaction.
func (s *Stage) Process(ctx context.Context, claimID int64) (*Plan, error) {
	plans, err := s.ProcessAll(ctx, []int64{claimID})
	if err != nil {
		return nil, err
	}
	return plans[0], nil
}

// ProcessAll plans and does what each claim needs, all in one transaction: all or
// none. An error wrapping bus.ErrPoison names a claim that can never be moved on.
//
// The claims are read and planned first, outside the transaction, on the store's
// reader side (planAhead), so that the writer (SQLite has one) is not held while
// claims, payments and ledger sums are read and decoded. The transaction then
// reads the claims' stamps (storage.ClaimLedgerStamp: state, payer, and how many
// history rows, payments and ledger entries each has), which locks the claims in
// id order (so that a concurrent worker handling the same claims waits, then plans
// from what this one wrote), and the payers the plans used: a plan is written only
// when nothing it was made from changed since; a claim that changed, or was not
// planned ahead, is read and planned again inside the transaction, as before.
// What the plans write is written together at the end: the claims billed to their
// next payer (applyBills), then those that only close or go to the patient.
func (s *Stage) ProcessAll(ctx context.Context, claimIDs []int64) ([]*Plan, error) {
	a := s.planAhead(ctx, claimIDs)
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
	plans := make([]*Plan, len(claimIDs))
	err := s.env.InTx(ctx, func(tx *storage.Tx) error {
		// Reading the stamps locks the claims (PostgreSQL), as LockClaims would.
		stamps, err := tx.ClaimLedgerStamps(ctx, claimIDs)
		if err != nil {
			return err
		}
		for _, id := range claimIDs {
			if _, ok := stamps[id]; !ok {
				return pipeline.Poison(fmt.Errorf("locking claim %d: %w", id, storage.ErrNotFound))
			}
		}
		reuse, r, err := s.recheck(ctx, tx, a, stamps, claimIDs)
		if err != nil {
			return err
		}
		var moves []storage.ClaimMove
		var bills []*Plan
		flush := func() error {
			if err := s.applyBills(ctx, tx, bills); err != nil {
				return err
			}
			bills = bills[:0]
			skipped, err := tx.TransitionClaims(ctx, moves, storage.Event{Cause: storage.CauseSystem, Actor: Actor})
			if err != nil {
				return err
			}
			if len(skipped) > 0 {
				return fmt.Errorf("moving claim %d to %s: %w", skipped[0].ClaimID, skipped[0].To, storage.ErrInvalidTransition)
			}
			moves = moves[:0]
			return nil
		}
		planned := make(map[int64]bool, len(claimIDs))
		for i, id := range claimIDs {
			p := reuse[id]
			delete(reuse, id)
			if planned[id] {
				// The same claim again: plan it from what was written for it.
				if err := flush(); err != nil {
					return err
				}
			}
			planned[id] = true
			if p == nil {
				var err error
				if p, err = s.plan(ctx, r, id); err != nil {
					return fmt.Errorf("moving claim %d on to its next payer: %w", id, err)
				}
			}
			plans[i] = p
			switch p.Action {
			case ActionPatient:
				moves = append(moves, storage.ClaimMove{ClaimID: p.ClaimID, To: storage.StatePatientBilled, Detail: p.historyDetail()})
			case ActionClose:
				moves = append(moves, storage.ClaimMove{ClaimID: p.ClaimID, To: storage.StateClosed, Detail: p.historyDetail()})
			case ActionBillNext, ActionHold:
				bills = append(bills, p)
			}
		}
		return flush()
	})
	if err != nil {
		return nil, err
	}
	return plans, nil
}

// ahead is what planAhead planned before the write transaction, and what those
// plans were made from.
type ahead struct {
	stamps  map[int64]storage.ClaimLedgerStamp
	plans   map[int64]*Plan
	payers  map[int64]storage.Payer
	byPayer map[string]payerFound
}

// planAhead reads and plans the claims outside any transaction (on SQLite, on the
// read pool beside the writer). The claims' stamps are read with the claims, before
// their payments and ledger: a claim whose stamp is the same in the write
// transaction did not change while it was read. A
// claim that cannot be planned (it does not exist, its payment is missing, a read
// failed) is left out; the transaction plans it again and meets the error there.
// What writing a plan stores as JSON is encoded here too (Plan.encode).
func (s *Stage) planAhead(ctx context.Context, ids []int64) *ahead {
	r, stamps, err := readAhead(ctx, &s.env.Store.Conn, ids, true)
	if err != nil {
		return nil
	}
	a := &ahead{stamps: stamps, plans: make(map[int64]*Plan, len(ids))}
	for _, id := range ids {
		if _, ok := stamps[id]; !ok || !r.fresh(id) {
			continue
		}
		if p, err := s.plan(ctx, r, id); err == nil && p.encode() == nil {
			a.plans[id] = p
		}
	}
	a.payers, a.byPayer = r.payers, r.byPayer
	return a
}

// recheck returns, in the write transaction, the plans made ahead that still hold
// (by claim id: those whose stamp now, read in the transaction, is the one read
// ahead), and the reads to plan the other claims with: those claims read ahead in
// the transaction.
func (s *Stage) recheck(ctx context.Context, tx *storage.Tx, a *ahead, now map[int64]storage.ClaimLedgerStamp, ids []int64) (map[int64]*Plan, *reads, error) {
	reuse := map[int64]*Plan{}
	var payers map[int64]storage.Payer
	var byPayer map[string]payerFound
	if a != nil && len(a.plans) > 0 {
		hold, err := a.payersHold(ctx, &tx.Conn)
		if err != nil {
			return nil, nil, err
		}
		if hold {
			for id, p := range a.plans {
				if sameStamp(now[id], a.stamps[id]) {
					reuse[id] = p
				}
			}
			payers, byPayer = a.payers, a.byPayer
		}
	}
	var stale []int64
	for _, id := range ids {
		if reuse[id] == nil {
			stale = append(stale, id)
		}
	}
	r := &reads{conn: &tx.Conn}
	if len(stale) > 0 {
		var err error
		if r, _, err = readAhead(ctx, &tx.Conn, stale, false); err != nil {
			return nil, nil, err
		}
	}
	// The payers checked serve the claims planned again too.
	for id, p := range payers {
		if r.payers == nil {
			r.payers = map[int64]storage.Payer{}
		}
		r.payers[id] = p
	}
	for pid, f := range byPayer {
		if r.byPayer == nil {
			r.byPayer = map[string]payerFound{}
		}
		r.byPayer[pid] = f
	}
	return reuse, r, nil
}

func sameStamp(a, b storage.ClaimLedgerStamp) bool {
	return a.State == b.State && a.PayerID == b.PayerID && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.Events == b.Events && a.Payments == b.Payments && a.Entries == b.Entries
}

// payersHold reports whether the payers the plans made ahead read are as they
// were: the payer id of each payer read by our id, and our payer (or none) for
// each payer id looked up; one query.
func (a *ahead) payersHold(ctx context.Context, conn *storage.Conn) (bool, error) {
	ids := slices.Collect(maps.Keys(a.payers))
	pids := slices.Collect(maps.Keys(a.byPayer))
	byID, byPayerID, err := conn.PayerKeys(ctx, ids, pids)
	if err != nil {
		return false, err
	}
	for id, p := range a.payers {
		if pid, ok := byID[id]; !ok || pid != p.PayerID {
			return false, nil
		}
	}
	for pid, f := range a.byPayer {
		id, found := byPayerID[pid]
		if found != f.ok || (found && id != f.p.ID) {
			return false, nil
		}
	}
	return true, nil
}

// exception queues a claim that cannot be moved on for a person, once per claim.
func (s *Stage) exception(ctx context.Context, claimID int64, cause error) error {
	s.env.Log().Warn("secondary: claim set aside", "claim", claimID, "error", cause.Error())
	it := storage.WorkItem{
		Kind:     storage.WorkException,
		DedupKey: "secondary/" + strconv.FormatInt(claimID, 10) + "/exception",
		ClaimID:  claimID,
		Codes:    []string{"secondary"},
		Message:  "The claim could not be moved on to its next payer: " + cause.Error(),
	}
	if errors.Is(cause, storage.ErrNotFound) {
		it.ClaimID = 0
	}
	if _, _, err := s.env.Store.AddWorkItem(ctx, it); err != nil {
		return fmt.Errorf("queueing the exception of claim %d: %w", claimID, err)
	}
	return nil
}
