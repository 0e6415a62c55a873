package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// ClaimsWithoutLines returns the claims with the ids, in id order, without
// StoredLines (their billing.Claim holds the lines): what scrubbing and batching
// read, with one query instead of two per claim. Ids with no claim are left out.
func (c *Conn) ClaimsWithoutLines(ctx context.Context, ids []int64) ([]Claim, error) {
	out := make([]Claim, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	where, arg := inKeys(c, ids)
	rows, err := c.query(ctx, "SELECT "+claimColumns+" FROM "+claimsWithDocuments+" WHERE id"+where+" ORDER BY id", arg)
	if err != nil {
		return nil, fmt.Errorf("reading %d claims: %w", len(ids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var cl Claim
		var state string
		if err := rows.Scan(&cl.ID, jsonDest{&cl.Claim}, idDest{&cl.PatientID}, idDest{&cl.PayerID}, idDest{&cl.BillingProviderID},
			&state, &cl.PayerClaimNumber, dateDest{&cl.FirstBilledOn}, timeDest{&cl.CreatedAt}, timeDest{&cl.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("reading claims: %w", err)
		}
		cl.State = ClaimState(state)
		out = append(out, cl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading claims: %w", err)
	}
	return out, nil
}

// ClaimsByPCN returns the claims with the patient control numbers, by PCN, without
// StoredLines (their billing.Claim holds the lines), with one query instead of two
// per claim. PCNs with no claim are left out.
func (c *Conn) ClaimsByPCN(ctx context.Context, pcns []string) (map[string]Claim, error) {
	out := make(map[string]Claim, len(pcns))
	err := inKeysQuery(c, pcns, func(where string, args []any) error {
		rows, err := c.query(ctx, "SELECT pcn, "+claimColumns+" FROM "+claimsWithDocuments+" WHERE pcn"+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var cl Claim
			var pcn, state string
			if err := rows.Scan(&pcn, &cl.ID, jsonDest{&cl.Claim}, idDest{&cl.PatientID}, idDest{&cl.PayerID}, idDest{&cl.BillingProviderID},
				&state, &cl.PayerClaimNumber, dateDest{&cl.FirstBilledOn}, timeDest{&cl.CreatedAt}, timeDest{&cl.UpdatedAt}); err != nil {
				return err
			}
			cl.State = ClaimState(state)
			out[pcn] = cl
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading %d claims by patient control number: %w", len(pcns), err)
	}
	return out, nil
}

// ClaimIDsByPCN returns the ids of the claims with the patient control numbers,
// by PCN, in one query; PCNs with no claim are left out.
func (c *Conn) ClaimIDsByPCN(ctx context.Context, pcns []string) (map[string]int64, error) {
	out := make(map[string]int64, len(pcns))
	err := inKeysQuery(c, pcns, func(where string, args []any) error {
		rows, err := c.query(ctx, "SELECT pcn, id FROM claims WHERE pcn"+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var pcn string
			var id int64
			if err := rows.Scan(&pcn, &id); err != nil {
				return err
			}
			out[pcn] = id
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the ids of %d claims by patient control number: %w", len(pcns), err)
	}
	return out, nil
}

// ClaimsByID returns the claims with the ids, with their StoredLines, in id order: two
// queries instead of two per claim. Ids with no claim are left out.
func (c *Conn) ClaimsByID(ctx context.Context, ids []int64) ([]Claim, error) {
	out, err := c.ClaimsWithoutLines(ctx, ids)
	if err != nil {
		return nil, err
	}
	found := make([]int64, len(out))
	for i := range out {
		found[i] = out[i].ID
	}
	lines, err := c.linesOf(ctx, found)
	if err != nil {
		return nil, fmt.Errorf("reading the lines of %d claims: %w", len(found), err)
	}
	for i := range out {
		out[i].StoredLines = lines[out[i].ID]
	}
	return out, nil
}

// linesOf returns the lines of the claims with the ids, by claim, in line order, in
// one query.
func (c *Conn) linesOf(ctx context.Context, ids []int64) (map[int64][]ClaimLine, error) {
	lines := make(map[int64][]ClaimLine, len(ids))
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		rows, err := c.query(ctx, `SELECT id, claim_id, line_number, control_number, procedure_code, modifiers, charge, units,
				service_from, service_to
			FROM claim_lines WHERE claim_id`+where+` ORDER BY claim_id, line_number`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l ClaimLine
			var mods string
			if err := rows.Scan(&l.ID, &l.ClaimID, &l.Number, &l.ControlNumber, &l.ProcedureCode, &mods, &l.Charge, &l.Units,
				dateDest{&l.ServiceFrom}, dateDest{&l.ServiceTo}); err != nil {
				return err
			}
			if mods != "" {
				l.Modifiers = strings.Split(mods, ":")
			}
			lines[l.ClaimID] = append(lines[l.ClaimID], l)
		}
		return rows.Err()
	})
	return lines, err
}

// ClaimHead is a stored claim without its document (the billing.Claim): its ids,
// state and stored lines, what the readers that move claims, answer for them or
// charge their lines need. Reading it decodes no JSON.
type ClaimHead struct {
	ID                int64
	PCN               string // CLM01
	PatientID         int64  // 0 when not linked to a patient account
	PayerID           int64  // the payer billed now; 0 when unknown
	BillingProviderID int64
	State             ClaimState
	PayerClaimNumber  string
	// Lines are the claim's stored lines, in order.
	Lines []ClaimLine
}

const claimHeadColumns = "id, pcn, patient_id, payer_id, billing_provider_id, state, payer_claim_number"

// ClaimHeads returns the claims with the ids, in id order, without their
// documents: two queries. Ids with no claim are left out.
func (c *Conn) ClaimHeads(ctx context.Context, ids []int64) ([]ClaimHead, error) {
	var out []ClaimHead
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		return c.scanHeads(ctx, "SELECT "+claimHeadColumns+" FROM claims WHERE id"+where, args, func(h ClaimHead) {
			out = append(out, h)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading %d claims: %w", len(ids), err)
	}
	slices.SortFunc(out, func(a, b ClaimHead) int { return cmp.Compare(a.ID, b.ID) })
	if err := c.headLines(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ClaimHeadsByPCN returns the claims with the patient control numbers, by PCN,
// without their documents: two queries. PCNs with no claim are left out.
func (c *Conn) ClaimHeadsByPCN(ctx context.Context, pcns []string) (map[string]ClaimHead, error) {
	var list []ClaimHead
	err := inKeysQuery(c, pcns, func(where string, args []any) error {
		return c.scanHeads(ctx, "SELECT "+claimHeadColumns+" FROM claims WHERE pcn"+where, args, func(h ClaimHead) {
			list = append(list, h)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading %d claims by patient control number: %w", len(pcns), err)
	}
	if err := c.headLines(ctx, list); err != nil {
		return nil, err
	}
	out := make(map[string]ClaimHead, len(list))
	for _, h := range list {
		out[h.PCN] = h
	}
	return out, nil
}

func (c *Conn) scanHeads(ctx context.Context, q string, args []any, add func(ClaimHead)) error {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h ClaimHead
		var state string
		if err := rows.Scan(&h.ID, &h.PCN, idDest{&h.PatientID}, idDest{&h.PayerID}, idDest{&h.BillingProviderID},
			&state, &h.PayerClaimNumber); err != nil {
			return err
		}
		h.State = ClaimState(state)
		add(h)
	}
	return rows.Err()
}

// headLines fills in the lines of the claims.
func (c *Conn) headLines(ctx context.Context, heads []ClaimHead) error {
	ids := make([]int64, len(heads))
	for i := range heads {
		ids[i] = heads[i].ID
	}
	lines, err := c.linesOf(ctx, ids)
	if err != nil {
		return fmt.Errorf("reading the lines of %d claims: %w", len(ids), err)
	}
	for i := range heads {
		heads[i].Lines = lines[heads[i].ID]
	}
	return nil
}

// inKeysQuery calls fn once with the condition that names the keys and its
// argument (see inKeys); it does nothing when there are none.
func inKeysQuery[K string | int64](c *Conn, keys []K, fn func(where string, args []any) error) error {
	if len(keys) == 0 {
		return nil
	}
	where, arg := inKeys(c, keys)
	return fn(where, []any{arg})
}
