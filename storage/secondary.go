package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/claimflow/claimflow/billing"
)

// ClaimStamp is what changes when anything a plan made from a stored claim depends
// on changes: the claim's state, payer and last update, and how many rows its
// history, its claim payments and its ledger entries have. Those three tables only
// grow (a reversal is a new entry, a payment matched to the claim later counts for
// it from then on), and every change of a claim's state, document or lines writes a
// row of its history, so a claim whose stamp is the same at two moments had the
// same state, document, lines, payments and ledger at both, and at every moment
// between.
type ClaimStamp struct {
	State     ClaimState
	PayerID   int64 // 0 when none
	UpdatedAt time.Time
	Events    int64 // rows of its history (claim_events)
	Payments  int64 // claim payments matched to it
	Entries   int64 // its ledger entries
}

// ClaimStamps returns the stamps of the claims with the ids, by id, in one query;
// ids with no claim are left out. On a Tx, lock the claims first (LockClaims) so
// that the stamps stay true until the transaction ends.
//
// A caller that reads stamps outside a transaction BEFORE reading what it plans
// from, then reads them again in the transaction that writes the plan, knows that
// a claim whose stamp did not change is as it read it: the reads between were not
// overtaken by a change of that claim.
func (c *Conn) ClaimStamps(ctx context.Context, ids []int64) (map[int64]ClaimStamp, error) {
	out := make(map[int64]ClaimStamp, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		rows, err := c.query(ctx, `SELECT c.id, c.state, c.payer_id, c.updated_at,
				(SELECT COUNT(*) FROM claim_events e WHERE e.claim_id = c.id),
				(SELECT COUNT(*) FROM claim_payments p WHERE p.claim_id = c.id),
				(SELECT COUNT(*) FROM ledger_entries l WHERE l.claim_id = c.id)
			FROM claims c WHERE c.id`+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var s ClaimStamp
			var state string
			if err := rows.Scan(&id, &state, idDest{&s.PayerID}, timeDest{&s.UpdatedAt}, &s.Events, &s.Payments, &s.Entries); err != nil {
				return err
			}
			s.State = ClaimState(state)
			out[id] = s
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the stamps of %d claims: %w", len(ids), err)
	}
	return out, nil
}

// coverageMark is the part of a coverage ClaimsBilledCoverage decodes: the payer's
// id and whether the payer adjudicated the claim.
type coverageMark struct {
	Payer struct {
		ID string `json:"id"`
	} `json:"payer"`
	Adjudication adjudicationMark `json:"adjudication"`
}

// adjudicationMark records that an adjudication is present (not absent nor null)
// without decoding it.
type adjudicationMark bool

// UnmarshalJSON implements json.Unmarshaler.
func (a *adjudicationMark) UnmarshalJSON(b []byte) error {
	*a = adjudicationMark(string(b) != "null")
	return nil
}

// ClaimsBilledCoverage is ClaimsCoverages decoding less: each claim's coverages
// hold only their payer's id (Payer.ID) and, for those that adjudicated the
// claim, an empty Adjudication; nothing else of the document is decoded but the
// patient control number. It answers which coverage a claim is billed to
// (billing.Claim.BilledCoverage), to which payer, and whether one is left after
// it, for a fraction of decoding every coverage.
func (c *Conn) ClaimsBilledCoverage(ctx context.Context, ids []int64) ([]Claim, error) {
	out := make([]Claim, 0, len(ids))
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		rows, err := c.query(ctx, "SELECT "+claimColumns+" FROM "+claimsWithDocuments+" WHERE id"+where+" ORDER BY id", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var cl Claim
			var doc struct {
				PCN       string         `json:"patient_control_number"`
				Coverages []coverageMark `json:"coverages"`
			}
			var state string
			if err := rows.Scan(&cl.ID, jsonDest{&doc}, idDest{&cl.PatientID}, idDest{&cl.PayerID}, idDest{&cl.BillingProviderID},
				&state, &cl.PayerClaimNumber, dateDest{&cl.FirstBilledOn}, timeDest{&cl.CreatedAt}, timeDest{&cl.UpdatedAt}); err != nil {
				return err
			}
			cl.State = ClaimState(state)
			cl.PatientControlNumber = doc.PCN
			if len(doc.Coverages) > 0 {
				cl.Coverages = make([]billing.Coverage, len(doc.Coverages))
				for i, m := range doc.Coverages {
					cl.Coverages[i].Payer.ID = m.Payer.ID
					if m.Adjudication {
						cl.Coverages[i].Adjudication = &billing.OtherPayerAdjudication{}
					}
				}
			}
			out = append(out, cl)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the billed coverages of %d claims: %w", len(ids), err)
	}
	return out, nil
}
