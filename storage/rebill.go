package storage

import (
	"context"
	"fmt"

	"github.com/claimflow/claimflow/billing"
)

// rebillableStates are those in which RebillClaim may replace a claim's content: a
// payer has adjudicated it and it goes on to the next payer.
var rebillableStates = map[ClaimState]bool{StatePaid: true, StatePartiallyPaid: true, StateDenied: true}

// RebillClaim replaces the stored billing.Claim of a claim a payer adjudicated (paid,
// partially paid or denied) with the claim for the next payer: the same claim with
// that payer's adjudication added (billing/cob). Unlike UpdateClaim, it keeps every
// line as it is: the lines must be the same, with the same control numbers in the
// same order and the same charges, since remittances and the ledger refer to them.
// The claim's state does not change; the change is recorded in its history.
func (c *Conn) RebillClaim(ctx context.Context, id int64, cl billing.Claim, ev Event) error {
	err := c.inTx(ctx, func(w *Conn) error {
		if !ev.Cause.Valid() {
			return fmt.Errorf("%w: cause %q", ErrInvalid, ev.Cause)
		}
		var state ClaimState
		var pcn string
		err := w.tx.QueryRowContext(ctx, w.st.d.rebind("SELECT state, pcn FROM claims WHERE id = ?"+w.st.d.forUpdate), id).Scan(&state, &pcn)
		if err != nil {
			return notFound(err, "claim", id)
		}
		if !rebillableStates[state] {
			return fmt.Errorf("%w: a claim in state %s cannot be billed to the next payer", ErrInvalidTransition, state)
		}
		if pcn != cl.PatientControlNumber {
			return fmt.Errorf("%w: the patient control number cannot change", ErrInvalid)
		}
		lines, err := w.ClaimLines(ctx, id)
		if err != nil {
			return err
		}
		if len(lines) != len(cl.Lines) {
			return fmt.Errorf("%w: %d lines, the stored claim has %d", ErrInvalid, len(cl.Lines), len(lines))
		}
		for i := range lines {
			if l := &cl.Lines[i]; l.ControlNumber != lines[i].ControlNumber || l.Charge != lines[i].Charge {
				return fmt.Errorf("%w: line %d differs from the stored line", ErrInvalid, i+1)
			}
		}
		doc, err := jsonArg(cl)
		if err != nil {
			return err
		}
		now := w.st.now()
		if _, err := w.exec(ctx, "UPDATE claims SET frequency = ?, updated_at = ? WHERE id = ?",
			cl.Frequency.Code(), now, id); err != nil {
			return err
		}
		if err := w.setClaimDocument(ctx, id, doc); err != nil {
			return err
		}
		return w.insertEvent(ctx, id, now, state, state, ev)
	})
	if err != nil {
		return fmt.Errorf("rebilling claim %d: %w", id, err)
	}
	return nil
}

// PaymentOrigin says where a claim payment came from: the remittance that carried it
// and the payer that sent that remittance.
type PaymentOrigin struct {
	PaymentID      int64
	RemittanceID   int64
	PayerID        int64        // our payer, 0 when the remittance's was not recognized
	PaymentDate    billing.Date // BPR16
	ProductionDate billing.Date // DTM*405
}

// PaymentOrigins returns the origin of every payment of a claim, oldest first (in the
// order of ClaimPayments).
func (c *Conn) PaymentOrigins(ctx context.Context, claimID int64) ([]PaymentOrigin, error) {
	rows, err := c.query(ctx, `SELECT cp.id, r.id, r.payer_id, r.payment_date, r.production_date
		FROM claim_payments cp JOIN remittances r ON r.id = cp.remittance_id
		WHERE cp.claim_id = ? ORDER BY cp.id`, claimID)
	if err != nil {
		return nil, fmt.Errorf("reading payment origins of claim %d: %w", claimID, err)
	}
	defer rows.Close()
	var list []PaymentOrigin
	for rows.Next() {
		var o PaymentOrigin
		if err := rows.Scan(&o.PaymentID, &o.RemittanceID, idDest{&o.PayerID}, dateDest{&o.PaymentDate}, dateDest{&o.ProductionDate}); err != nil {
			return nil, fmt.Errorf("reading payment origins of claim %d: %w", claimID, err)
		}
		list = append(list, o)
	}
	return list, rows.Err()
}

// LockClaim returns the claim's state and, on a Tx, locks the claim's row until the
// transaction ends (PostgreSQL: SELECT ... FOR UPDATE; SQLite's transaction holds the
// write lock already), so that a plan made from what the transaction reads next
// cannot be overtaken by a concurrent change of the claim.
func (c *Conn) LockClaim(ctx context.Context, id int64) (ClaimState, error) {
	var state string
	err := c.inTx(ctx, func(w *Conn) error {
		err := w.tx.QueryRowContext(ctx, w.st.d.rebind("SELECT state FROM claims WHERE id = ?"+w.st.d.forUpdate), id).Scan(&state)
		return notFound(err, "claim", id)
	})
	if err != nil {
		return "", fmt.Errorf("locking claim %d: %w", id, err)
	}
	return ClaimState(state), nil
}
