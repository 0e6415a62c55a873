package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/billing/scrub"
	"github.com/claimflow/claimflow/edi/codes"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

func init() {
	Register(bus.Scrub, func(env *Env) (bus.Handler, error) {
		if _, err := env.Scrubber(); err != nil {
			return nil, err
		}
		return bus.HandlerFunc(func(ctx context.Context, m bus.Message) error {
			var w ClaimWork
			if err := Decode(m, &w); err != nil {
				return err
			}
			_, err := Scrub(ctx, env, w.ClaimIDs)
			return err
		}), nil
	})
}

// ScrubResult says what Scrub did with the claims it was given.
type ScrubResult struct {
	Validated []int64 // moved to validated: ready to batch
	Held      []int64 // moved to (or kept in) held, with rejection work items
	// Skipped are claims in a state the scrubber does not judge (sent already, or
	// scrubbed by an earlier delivery of the same message), and ids not found.
	Skipped   []int64
	WorkItems int // rejection work items added (not counting those queued before)
}

// scrubbable are the states the scrubber judges: new claims, held ones a person may
// have fixed, and replacements (frequency 7) of corrected claims.
var scrubbable = map[storage.ClaimState]bool{
	storage.StateDraft: true, storage.StateHeld: true, storage.StateCorrected: true,
}

// Scrub checks the claims with the env's scrubber and, in one transaction, moves
// each to validated or held; every error finding of a held claim becomes a
// rejection work item naming the field to fix (the path relative to the claim, as
// "claims[0].lines[1].procedure.code"), the rule and the clerk's message, queued
// once per claim, rule and field. Claims in other states are left alone, so a
// message delivered twice changes nothing the second time.
func Scrub(ctx context.Context, env *Env, claimIDs []int64) (ScrubResult, error) {
	var res ScrubResult
	s, err := env.Scrubber()
	if err != nil {
		return res, err
	}
	// The claims are read and checked before the transaction, on a reader (SQLite's
	// WAL lets readers run beside the one writer), so that the writer is held for
	// the moves only; inside it, their versions are checked against what was read,
	// and they are read and checked again there only when one changed meanwhile.
	pre, err := checkClaims(ctx, s, &env.Store.Conn, claimIDs)
	if err != nil {
		return res, err
	}
	if env.afterRead != nil {
		env.afterRead(bus.Scrub)
	}
	err = env.InTx(ctx, func(tx *storage.Tx) error {
		res = ScrubResult{}
		chk := pre
		same, err := unchangedSince(ctx, tx, pre.found)
		if err != nil {
			return fmt.Errorf("scrubbing: %w", err)
		}
		if !same {
			if chk, err = checkClaims(ctx, s, &tx.Conn, claimIDs); err != nil {
				return err
			}
		}
		res.Skipped = chk.skipped
		stored, rep := chk.stored, chk.report
		if len(stored) == 0 {
			return nil
		}
		// The moves and the work items are written a few statements for all the
		// claims, not a few per claim.
		var moves []storage.ClaimMove
		var items []storage.WorkItem
		for i := range stored {
			c := &stored[i]
			findings := rep.ClaimFindings(i)
			if !rep.IsHeld(i) {
				moves = append(moves, storage.ClaimMove{ClaimID: c.ID, To: storage.StateValidated, Detail: scrubDetail(findings)})
				res.Validated = append(res.Validated, c.ID)
				continue
			}
			if c.State != storage.StateHeld {
				moves = append(moves, storage.ClaimMove{ClaimID: c.ID, To: storage.StateHeld, Detail: scrubDetail(findings)})
			}
			for _, f := range findings {
				if f.Severity != scrub.Error {
					continue
				}
				field := claimRelative(f.Field, i)
				items = append(items, storage.WorkItem{
					Kind:     storage.WorkRejection,
					DedupKey: "scrub:" + strconv.FormatInt(c.ID, 10) + ":" + f.Rule + ":" + field,
					ClaimID:  c.ID,
					Codes:    []string{f.Rule},
					Field:    field,
					Message:  f.Message,
				})
			}
			res.Held = append(res.Held, c.ID)
		}
		skipped, err := tx.TransitionClaims(ctx, moves, storage.Event{Cause: storage.CauseScrubber, Actor: "scrub"})
		if err != nil {
			return fmt.Errorf("scrubbing: %w", err)
		}
		if len(skipped) > 0 {
			// Read in this transaction in a state the scrubber judges: another writer
			// moved it meanwhile. The message comes again and skips it then.
			return fmt.Errorf("scrubbing claim %d: %w: moved by another writer", skipped[0].ClaimID, storage.ErrInvalidTransition)
		}
		if res.WorkItems, err = tx.AddWorkItems(ctx, items); err != nil {
			return fmt.Errorf("queueing the rejections of %d held claims: %w", len(res.Held), err)
		}
		return nil
	})
	if err != nil {
		return ScrubResult{}, err
	}
	env.Log().Info("claims scrubbed", "validated", len(res.Validated), "held", len(res.Held),
		"skipped", len(res.Skipped), "work_items", res.WorkItems)
	return res, nil
}

// checked is what checkClaims found.
type checked struct {
	found   []storage.Claim // the claims read
	stored  []storage.Claim // those the scrubber judged
	report  scrub.Report    // its findings, in the order of stored
	skipped []int64         // claims not judged (see ScrubResult.Skipped)
}

// checkClaims reads the claims with the ids on c and checks those in a state the
// scrubber judges.
func checkClaims(ctx context.Context, s *scrub.Scrubber, c *storage.Conn, claimIDs []int64) (checked, error) {
	var chk checked
	found, err := c.ClaimsWithoutLines(ctx, claimIDs)
	if err != nil {
		return chk, fmt.Errorf("scrubbing: %w", err)
	}
	chk.found = found
	have := make(map[int64]bool, len(found))
	for _, cl := range found {
		have[cl.ID] = true
		if !scrubbable[cl.State] {
			chk.skipped = append(chk.skipped, cl.ID)
			continue
		}
		chk.stored = append(chk.stored, cl)
	}
	for _, id := range claimIDs {
		if !have[id] {
			chk.skipped = append(chk.skipped, id)
		}
	}
	if len(chk.stored) == 0 {
		return chk, nil
	}
	claims := make([]billing.Claim, len(chk.stored))
	for i := range chk.stored {
		claims[i] = chk.stored[i].Claim
		claims[i].Normalize()
	}
	if chk.report, err = s.Check(ctx, claims); err != nil {
		return chk, fmt.Errorf("scrubbing %d claims: %w", len(claims), err)
	}
	return chk, nil
}

// unchangedSince reports whether the claims, read before tx began, are still in the
// state and at the version they were read in, and in no file waiting to be sent.
func unchangedSince(ctx context.Context, tx *storage.Tx, claims []storage.Claim) (bool, error) {
	ids := make([]int64, len(claims))
	for i := range claims {
		ids[i] = claims[i].ID
	}
	vs, err := tx.ClaimVersions(ctx, ids)
	if err != nil {
		return false, err
	}
	for i := range claims {
		c := &claims[i]
		if v, ok := vs[c.ID]; !ok || v.Pending || v.State != c.State || !v.UpdatedAt.Equal(c.UpdatedAt) {
			return false, nil
		}
	}
	return true, nil
}

// scrubDetail is what a claim's history records of its findings: rule ids and
// fields, never the messages' values.
func scrubDetail(fs []scrub.Finding) map[string]any {
	var errs, warns []string
	for _, f := range fs {
		if f.Severity == scrub.Error {
			errs = append(errs, f.Rule)
		} else {
			warns = append(warns, f.Rule)
		}
	}
	return map[string]any{"errors": errs, "warnings": warns}
}

// claimRelative rewrites a finding's path from the batch checked (claims[i]...) to
// the claim alone (claims[0]...), as work items name fields.
func claimRelative(p billing.Path, i int) string {
	s, prefix := string(p), string(billing.ClaimPath(i))
	if rest, ok := strings.CutPrefix(s, prefix); ok {
		return string(billing.ClaimPath(0)) + rest
	}
	return s
}

// Scrubber returns the env's scrubber, built at first use: with Env.Codes, else
// the code sets stored in DataDir when there are (format checks only otherwise),
// and Env.PayerRules.
func (e *Env) Scrubber() (*scrub.Scrubber, error) {
	e.scrubMu.Lock()
	defer e.scrubMu.Unlock()
	if e.scrubber != nil {
		return e.scrubber, nil
	}
	set := e.Codes
	if set == nil && e.DataDir != "" {
		var err error
		set, err = codes.Open(codes.StorePath(e.DataDir))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("loading the code sets for the scrubber: %w", err)
		}
		if set == nil {
			e.Log().Warn("no code sets loaded: the scrubber checks code formats only", "data_dir", e.DataDir)
		}
	}
	opts := []scrub.Option{scrub.WithCodes(set), scrub.WithClock(e.Now)}
	if e.PayerRules != nil {
		opts = append(opts, scrub.WithPayerRules(e.PayerRules))
	}
	s, err := scrub.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("building the scrubber: %w", err)
	}
	e.scrubber = s
	return s, nil
}
