package storage

import (
	"context"
	"fmt"
	"strings"
)

// claimsBulkChunk is how many ids one query of ClaimsWithoutLines names.
const claimsBulkChunk = 500

// ClaimsWithoutLines returns the claims with the ids, in id order, without
// StoredLines (their billing.Claim holds the lines): what scrubbing and batching
// read, with one query per 500 ids instead of two per claim. Ids with no claim are
// left out.
func (c *Conn) ClaimsWithoutLines(ctx context.Context, ids []int64) ([]Claim, error) {
	out := make([]Claim, 0, len(ids))
	for start := 0; start < len(ids); start += claimsBulkChunk {
		chunk := ids[start:min(start+claimsBulkChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := c.query(ctx, "SELECT "+claimColumns+" FROM claims WHERE id IN ("+
			strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+") ORDER BY id", args...)
		if err != nil {
			return nil, fmt.Errorf("reading %d claims: %w", len(chunk), err)
		}
		for rows.Next() {
			var cl Claim
			var state string
			if err := rows.Scan(&cl.ID, jsonDest{&cl.Claim}, idDest{&cl.PatientID}, idDest{&cl.PayerID}, idDest{&cl.BillingProviderID},
				&state, &cl.PayerClaimNumber, dateDest{&cl.FirstBilledOn}, timeDest{&cl.CreatedAt}, timeDest{&cl.UpdatedAt}); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading claims: %w", err)
			}
			cl.State = ClaimState(state)
			out = append(out, cl)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("reading claims: %w", err)
		}
	}
	return out, nil
}
