package secondary

import (
	"context"
	"errors"
	"fmt"
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
// rest of the claim was checked when it was first billed and has not changed.
var COBRules = []string{"billed-coverage", "cob-payer-id", "cob-balance"}

// Stage is the secondary stage's handler.
type Stage struct {
	env   *pipeline.Env
	scrub *scrub.Scrubber
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
// The claims are locked and read first, all at once, in id order (so that a
// concurrent worker handling the same claims waits, then plans from what this one
// wrote); claims that only close or go to the patient are moved together at the
// end.
func (s *Stage) ProcessAll(ctx context.Context, claimIDs []int64) ([]*Plan, error) {
	plans := make([]*Plan, len(claimIDs))
	err := s.env.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := tx.LockClaims(ctx, claimIDs); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return pipeline.Poison(err)
			}
			return err
		}
		r, err := readAhead(ctx, &tx.Conn, claimIDs)
		if err != nil {
			return err
		}
		var moves []storage.ClaimMove
		flush := func() error {
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
			if planned[id] {
				// The same claim again: plan it from what was written for it.
				if err := flush(); err != nil {
					return err
				}
			}
			planned[id] = true
			p, err := s.plan(ctx, r, id)
			if err != nil {
				return fmt.Errorf("moving claim %d on to its next payer: %w", id, err)
			}
			plans[i] = p
			switch p.Action {
			case ActionPatient:
				moves = append(moves, storage.ClaimMove{ClaimID: p.ClaimID, To: storage.StatePatientBilled, Detail: detail(p)})
			case ActionClose:
				moves = append(moves, storage.ClaimMove{ClaimID: p.ClaimID, To: storage.StateClosed, Detail: detail(p)})
			default:
				if err := s.apply(ctx, tx, p); err != nil {
					return fmt.Errorf("moving claim %d on to its next payer: %w", id, err)
				}
			}
		}
		return flush()
	})
	if err != nil {
		return nil, err
	}
	return plans, nil
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
