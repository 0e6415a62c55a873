package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

func init() {
	Register(bus.Submit, func(env *Env) (bus.Handler, error) {
		return bus.HandlerFunc(func(ctx context.Context, m bus.Message) error {
			var w SubmissionWork
			if err := Decode(m, &w); err != nil {
				return err
			}
			_, err := Submit(ctx, env, w.SubmissionID)
			if errors.Is(err, errSubmissionFailed) {
				return nil // recorded as failed, its claims back to validated, a work item queued
			}
			return err
		}), nil
	})
}

// SubmitResult says what Submit did with one submission.
type SubmitResult struct {
	SubmissionID  int64
	Clearinghouse string
	Name          string
	ISA13         string
	Claims        int
	Bytes         int64
	// Sent is false when the submission had been transmitted before (nothing done).
	Sent bool
	// Earlier is true when the file was on the server or in the transfer ledger
	// already (an earlier attempt that stopped before recording it): not sent again.
	Earlier bool
}

// errSubmissionFailed says that a file can never be uploaded (the server refuses
// its name, or holds another file under it): the submission is marked failed.
var errSubmissionFailed = errors.New("submission failed")

// Submit uploads a submission's 837P file with connectors.Send through the
// store's transfer ledger, and in the transaction that records the upload marks the
// submission transmitted, moves its claims to transmitted and posts each line's
// charge to the ledger (kind charge, bucket insurance, idempotency key
// "charge:<claim id>:<line id>", so a claim re-billed to a later payer is never
// charged twice).
//
// A crash after the upload and before that transaction loses nothing and doubles
// nothing: the next attempt finds the file on the server under its final name
// (connectors.Connector.Upload) and only records it. A submission transmitted
// already is left alone. A file the server can never take (ErrExists, ErrNotAllowed)
// marks the submission failed, puts its claims back to validated for the next batch
// and queues an exception work item; the error then wraps bus.ErrPoison.
func Submit(ctx context.Context, env *Env, submissionID int64) (SubmitResult, error) {
	res := SubmitResult{SubmissionID: submissionID}
	sub, err := env.Store.Submission(ctx, submissionID)
	if errors.Is(err, storage.ErrNotFound) {
		return res, Poison(fmt.Errorf("submitting: %w", err))
	}
	if err != nil {
		return res, fmt.Errorf("submitting submission %d: %w", submissionID, err)
	}
	res = SubmitResult{SubmissionID: sub.ID, Clearinghouse: sub.Clearinghouse, Name: sub.FileName, ISA13: sub.ISA13,
		Claims: len(sub.Claims), Bytes: sub.Size}
	if sub.Status != storage.SubmissionCreated {
		return res, nil
	}
	ch, err := env.Clearinghouse(sub.Clearinghouse)
	if err != nil {
		return res, err
	}
	conn, err := ch.Open(ctx)
	if err != nil {
		return res, fmt.Errorf("submitting submission %d: connecting to %s: %w", sub.ID, ch.Name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return submitOn(ctx, env, ch, conn, sub, res)
}

// submitOn uploads sub on an open connection.
func submitOn(ctx context.Context, env *Env, ch *Clearinghouse, conn connectors.Connector, sub storage.Submission, res SubmitResult) (SubmitResult, error) {
	content, err := env.Store.SubmissionFile(ctx, sub.ID)
	if err != nil {
		return res, Poison(fmt.Errorf("submitting submission %d: %w", sub.ID, err))
	}
	var pre *uploadRead
	ledger := &transferLedger{
		store: env.Store,
		inTx:  env.InTx,
		beforeUpload: func() {
			if env.beforeUploadRecord != nil {
				env.beforeUploadRecord(sub.ID)
			}
		},
		// What recording the upload reads is read before its transaction, on a
		// reader, and checked in it.
		beforeRecord: func(ctx context.Context) (err error) {
			if pre, err = readUpload(ctx, &env.Store.Conn, sub.ID); err == nil && env.afterRead != nil {
				env.afterRead(bus.Submit)
			}
			return err
		},
		onUpload: func(ctx context.Context, tx *storage.Tx, r connectors.Receipt) error {
			return finishSubmission(ctx, env, tx, sub.ID, r, pre)
		},
	}
	rec, err := connectors.Send(ctx, conn, ledger, ch.Name, sub.FileName, bytes.NewReader(content))
	switch {
	case errors.Is(err, connectors.ErrExists) || errors.Is(err, connectors.ErrNotAllowed):
		if ferr := failSubmission(ctx, env, sub, err); ferr != nil {
			return res, errors.Join(err, ferr)
		}
		return res, Poison(fmt.Errorf("%w: submission %d (%s): %w", errSubmissionFailed, sub.ID, sub.FileName, err))
	case err != nil:
		return res, fmt.Errorf("submitting submission %d to %s: %w", sub.ID, ch.Name, err)
	}
	if rec.Earlier {
		// Recorded in the transfer ledger before: make sure its consequences are too.
		if err := env.InTx(ctx, func(tx *storage.Tx) error { return finishSubmission(ctx, env, tx, sub.ID, rec, nil) }); err != nil {
			return res, err
		}
	}
	res.Sent, res.Earlier = true, rec.Earlier
	env.Log().Info("837P file submitted", "clearinghouse", ch.Name, "submission", sub.ID, "file", sub.FileName,
		"isa13", sub.ISA13, "claims", len(sub.Claims), "bytes", rec.Bytes, "earlier", rec.Earlier)
	return res, nil
}

// uploadRead is what recording a submission's upload reads: the submission, its
// claims' versions and heads, and the charges posted before for their lines.
type uploadRead struct {
	sub      storage.Submission
	versions map[int64]storage.ClaimVersion
	claims   []storage.ClaimHead
	charged  map[string]storage.Entry
}

// readUpload reads what recording the submission's upload needs, on c: a reader
// before the transaction, or the transaction itself. The versions are read first,
// so that a write between the reads shows as a changed version.
func readUpload(ctx context.Context, c *storage.Conn, submissionID int64) (*uploadRead, error) {
	sub, err := c.Submission(ctx, submissionID)
	if err != nil {
		return nil, fmt.Errorf("recording the upload of submission %d: %w", submissionID, err)
	}
	u := &uploadRead{sub: sub}
	if sub.Status == storage.SubmissionTransmitted {
		return u, nil
	}
	ids := make([]int64, len(sub.Claims))
	for i, sc := range sub.Claims {
		ids[i] = sc.ClaimID
	}
	if u.versions, err = c.ClaimVersions(ctx, ids); err != nil {
		return nil, fmt.Errorf("recording the upload of submission %d: %w", sub.ID, err)
	}
	if u.claims, err = c.ClaimHeads(ctx, ids); err != nil {
		return nil, fmt.Errorf("recording the upload of submission %d: %w", sub.ID, err)
	}
	var keys []string
	for i := range u.claims {
		for _, l := range u.claims[i].Lines {
			keys = append(keys, chargeKey(u.claims[i].ID, l.ID))
		}
	}
	if u.charged, err = c.EntriesByKeys(ctx, keys); err != nil {
		return nil, fmt.Errorf("recording the upload of submission %d: %w", sub.ID, err)
	}
	return u, nil
}

// current reports, in tx, whether what was read before it still holds: the
// submission's status, and each claim's state and version. The charges of a
// claim's lines are posted only when it is transmitted, which changes its version.
func (u *uploadRead) current(ctx context.Context, tx *storage.Tx) (bool, error) {
	status, err := tx.SubmissionStatusOf(ctx, u.sub.ID)
	if err != nil || status != u.sub.Status {
		return false, err
	}
	if status == storage.SubmissionTransmitted {
		return true, nil
	}
	ids := make([]int64, len(u.sub.Claims))
	for i, sc := range u.sub.Claims {
		ids[i] = sc.ClaimID
	}
	vs, err := tx.ClaimVersions(ctx, ids)
	if err != nil || len(vs) != len(u.versions) {
		return false, err
	}
	for id, v := range vs {
		// Pending: this very submission holds the claim, as when it was read.
		if was, ok := u.versions[id]; !ok || was.State != v.State || !was.UpdatedAt.Equal(v.UpdatedAt) {
			return false, nil
		}
	}
	return true, nil
}

// finishSubmission records, in tx, what an upload means: the submission
// transmitted, its claims transmitted, their charges posted. It does nothing for a
// submission transmitted already. pre, when not nil, is what readUpload read before
// the transaction: used when still current, read again in tx otherwise.
func finishSubmission(ctx context.Context, env *Env, tx *storage.Tx, submissionID int64, r connectors.Receipt, pre *uploadRead) error {
	u := pre
	if u != nil {
		if ok, err := u.current(ctx, tx); err != nil || !ok {
			if err != nil {
				return fmt.Errorf("recording the upload of submission %d: %w", submissionID, err)
			}
			u = nil
		}
	}
	if u == nil {
		var err error
		if u, err = readUpload(ctx, &tx.Conn, submissionID); err != nil {
			return err
		}
	}
	sub := u.sub
	if sub.Status == storage.SubmissionTransmitted {
		return nil
	}
	if err := tx.MarkSubmission(ctx, sub.ID, storage.SubmissionTransmitted); err != nil {
		return err
	}
	detail, err := json.Marshal(map[string]any{"submission": sub.ID, "isa13": sub.ISA13, "file": sub.FileName, "sha256": r.SHA256})
	if err != nil {
		return fmt.Errorf("recording the upload of submission %d: %w", sub.ID, err)
	}
	today := billing.DateOf(env.Now())
	claims, charged := u.claims, u.charged
	byID := make(map[int64]*storage.ClaimHead, len(claims))
	for i := range claims {
		byID[claims[i].ID] = &claims[i]
	}
	var charges []storage.Entry
	var moves []storage.ClaimMove
	var sent []int64
	for _, sc := range sub.Claims {
		c := byID[sc.ClaimID]
		if c == nil {
			return fmt.Errorf("recording the upload of submission %d: claim %d: %w", sub.ID, sc.ClaimID, storage.ErrNotFound)
		}
		switch c.State {
		case storage.StateBatched, storage.StateSecondaryBilled:
			moves = append(moves, storage.ClaimMove{ClaimID: c.ID, To: storage.StateTransmitted, Detail: json.RawMessage(detail)})
			sent = append(sent, c.ID)
		default:
			env.Log().Warn("claim sent in a state that does not move to transmitted", "claim", c.ID,
				"state", c.State, "submission", sub.ID)
		}
		charges = append(charges, lineCharges(env, c, charged, sub.ID, today)...)
	}
	skipped, err := tx.TransitionClaims(ctx, moves, storage.Event{Cause: storage.CauseSystem, Actor: "submit"})
	if err != nil {
		return fmt.Errorf("recording the upload of submission %d: %w", sub.ID, err)
	}
	if len(skipped) > 0 {
		return fmt.Errorf("recording the upload of submission %d: claim %d: %w: moved by another writer", sub.ID, skipped[0].ClaimID, storage.ErrInvalidTransition)
	}
	if err := tx.SetFirstBilled(ctx, sent); err != nil {
		return fmt.Errorf("recording the upload of submission %d: %w", sub.ID, err)
	}
	if len(charges) > 0 {
		if _, err := tx.Post(ctx, charges...); err != nil {
			return fmt.Errorf("posting the charges of submission %d: %w", sub.ID, err)
		}
	}
	return nil
}

// lineCharges returns the charge entries of a claim's lines not posted yet (charged
// holds the entries posted before, by idempotency key). A line charged before (the
// claim's earlier submission, to an earlier payer) is not charged again, even when
// its charge was changed since: that difference is a person's adjustment to make.
func lineCharges(env *Env, c *storage.ClaimHead, charged map[string]storage.Entry, submissionID int64, today billing.Date) []storage.Entry {
	if c.PatientID == 0 || c.PayerID == 0 {
		env.Log().Warn("claim sent without a patient account or payer: charges not posted", "claim", c.ID, "submission", submissionID)
		return nil
	}
	var entries []storage.Entry
	for _, l := range c.Lines {
		key := chargeKey(c.ID, l.ID)
		if old, ok := charged[key]; ok {
			if old.Amount != l.Charge {
				env.Log().Warn("line charged before with another amount: not charged again", "claim", c.ID, "line", l.ID,
					"entry", old.ID)
			}
			continue
		}
		if l.Charge == 0 {
			continue
		}
		on := l.ServiceFrom
		if !on.Valid() {
			on = today
		}
		entries = append(entries, storage.Entry{PatientID: c.PatientID, ClaimID: c.ID, LineID: l.ID, PayerID: c.PayerID,
			BillingProviderID: c.BillingProviderID, Kind: storage.KindCharge, Bucket: storage.BucketInsurance,
			Amount: l.Charge, EffectiveOn: on, SourceKind: "submission", SourceID: strconv.FormatInt(submissionID, 10),
			IdempotencyKey: key})
	}
	return entries
}

// chargeKey is the idempotency key of a line's charge.
func chargeKey(claimID, lineID int64) string {
	return "charge:" + strconv.FormatInt(claimID, 10) + ":" + strconv.FormatInt(lineID, 10)
}

// failSubmission marks a submission that can never be uploaded failed, moves its
// batched claims back to validated (the next batch takes them in a new file) and
// queues an exception work item.
func failSubmission(ctx context.Context, env *Env, sub storage.Submission, cause error) error {
	return env.InTx(ctx, func(tx *storage.Tx) error {
		cur, err := tx.Submission(ctx, sub.ID)
		if err != nil {
			return err
		}
		if cur.Status != storage.SubmissionCreated {
			return nil
		}
		if err := tx.MarkSubmission(ctx, sub.ID, storage.SubmissionFailed); err != nil {
			return err
		}
		ev := storage.Event{Cause: storage.CauseSystem, Actor: "submit",
			Detail: map[string]any{"submission": sub.ID, "failed": "the clearinghouse refused the file"}}
		for _, sc := range cur.Claims {
			st, err := tx.ClaimState(ctx, sc.ClaimID)
			if err != nil {
				return err
			}
			if st == storage.StateBatched {
				if err := tx.TransitionClaim(ctx, sc.ClaimID, storage.StateValidated, ev); err != nil {
					return err
				}
			}
		}
		_, _, err = tx.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkException,
			DedupKey: "submit:" + strconv.FormatInt(sub.ID, 10) + ":failed", Codes: []string{"upload-refused"},
			Message: fmt.Sprintf("submission %d (%s, ISA13 %s) to %s could not be uploaded and was marked failed; its claims go out in the next batch: %v",
				sub.ID, sub.FileName, sub.ISA13, sub.Clearinghouse, cause)})
		return err
	})
}

// SubmitPending uploads every submission of a clearinghouse that was built and not
// sent yet (this run's, and those a crashed run left), on one connection, in id
// order. It stops at the first failure other than a refused file.
func SubmitPending(ctx context.Context, env *Env, clearinghouse string) ([]SubmitResult, error) {
	ch, err := env.Clearinghouse(clearinghouse)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for after := int64(0); ; {
		page, err := env.Store.SubmissionIDs(ctx, ch.Name, storage.SubmissionCreated, after, 1000)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		ids = append(ids, page...)
		after = page[len(page)-1]
	}
	if len(ids) == 0 {
		return nil, nil
	}
	conn, err := ch.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("submitting to %s: connecting: %w", ch.Name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var results []SubmitResult
	var errs []error
	for _, id := range ids {
		sub, err := env.Store.Submission(ctx, id)
		if err != nil {
			return results, fmt.Errorf("submitting submission %d: %w", id, err)
		}
		res := SubmitResult{SubmissionID: sub.ID, Clearinghouse: sub.Clearinghouse, Name: sub.FileName, ISA13: sub.ISA13,
			Claims: len(sub.Claims), Bytes: sub.Size}
		if sub.Status != storage.SubmissionCreated {
			continue // another process sent it meanwhile
		}
		res, err = submitOn(ctx, env, ch, conn, sub, res)
		if errors.Is(err, errSubmissionFailed) {
			errs = append(errs, err)
			continue
		}
		if err != nil {
			return results, errors.Join(append(errs, err)...)
		}
		results = append(results, res)
	}
	return results, errors.Join(errs...)
}
