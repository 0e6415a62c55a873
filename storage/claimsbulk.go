package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/claimflow/claimflow/billing"
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

// ClaimsCoverages is ClaimsWithoutLines with only the patient control number and
// the coverages of each claim's document decoded (the rest of its billing.Claim is
// empty): what deciding where an adjudicated claim goes next needs, at a fraction
// of the decoding.
func (c *Conn) ClaimsCoverages(ctx context.Context, ids []int64) ([]Claim, error) {
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
				PCN       string             `json:"patient_control_number"`
				Coverages []billing.Coverage `json:"coverages"`
			}
			var state string
			if err := rows.Scan(&cl.ID, jsonDest{&doc}, idDest{&cl.PatientID}, idDest{&cl.PayerID}, idDest{&cl.BillingProviderID},
				&state, &cl.PayerClaimNumber, dateDest{&cl.FirstBilledOn}, timeDest{&cl.CreatedAt}, timeDest{&cl.UpdatedAt}); err != nil {
				return err
			}
			cl.State = ClaimState(state)
			cl.PatientControlNumber, cl.Coverages = doc.PCN, doc.Coverages
			out = append(out, cl)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the coverages of %d claims: %w", len(ids), err)
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

// LinesOf returns the stored lines of the claims with the ids, by claim, in line
// order, in one query; claims without lines are left out.
func (c *Conn) LinesOf(ctx context.Context, ids []int64) (map[int64][]ClaimLine, error) {
	lines, err := c.linesOf(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("reading the lines of %d claims: %w", len(ids), err)
	}
	return lines, nil
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

// claimHeadDest is where a row of claimHeadColumns goes (the state as text), for a
// query that may read more columns after them.
func claimHeadDest(h *ClaimHead, state *string) []any {
	return []any{&h.ID, &h.PCN, idDest{&h.PatientID}, idDest{&h.PayerID}, idDest{&h.BillingProviderID},
		state, &h.PayerClaimNumber}
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
		if err := rows.Scan(claimHeadDest(&h, &state)...); err != nil {
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

// ClaimPaymentsOf returns every payment of the claims with the ids, by claim, oldest
// first, with adjustments and, when services is set, their services
// (ClaimPayments for many claims): one query, two with the services. Claims
// without payments are left out.
func (c *Conn) ClaimPaymentsOf(ctx context.Context, ids []int64, services bool) (map[int64][]ClaimPayment, error) {
	out := make(map[int64][]ClaimPayment, len(ids))
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		rows, err := c.query(ctx, `SELECT `+claimPaymentSelect+` FROM claim_payments WHERE claim_id`+where+` ORDER BY id`, args...)
		if err != nil {
			return err
		}
		// Where each payment is: its claim and its index there.
		type at struct {
			claim int64
			i     int
		}
		index := map[int64]at{}
		for rows.Next() {
			var cp ClaimPayment
			if err := scanClaimPayment(rows, &cp); err != nil {
				rows.Close()
				return err
			}
			index[cp.ID] = at{cp.ClaimID, len(out[cp.ClaimID])}
			out[cp.ClaimID] = append(out[cp.ClaimID], cp)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(index) == 0 || !services {
			return err
		}
		srows, err := c.query(ctx, `SELECT `+servicePaymentSelect+`
			FROM service_payments WHERE claim_payment_id IN (SELECT id FROM claim_payments WHERE claim_id`+where+`) ORDER BY id`, args...)
		if err != nil {
			return err
		}
		defer srows.Close()
		for srows.Next() {
			var sp ServicePayment
			if err := scanServicePayment(srows, &sp); err != nil {
				return err
			}
			a, ok := index[sp.claimPaymentID]
			if !ok {
				continue // a payment stored since the first query
			}
			cp := &out[a.claim][a.i]
			cp.Services = append(cp.Services, sp)
		}
		return srows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the payments of %d claims: %w", len(ids), err)
	}
	return out, nil
}

// PaymentOriginsOf returns the origin of every payment of the claims with the ids,
// by claim, oldest first (PaymentOrigins for many claims): one query.
func (c *Conn) PaymentOriginsOf(ctx context.Context, ids []int64) (map[int64][]PaymentOrigin, error) {
	out := make(map[int64][]PaymentOrigin, len(ids))
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		rows, err := c.query(ctx, `SELECT cp.claim_id, cp.id, r.id, `+paymentOriginColumns+paymentOriginFrom+`
			WHERE cp.claim_id`+where+` ORDER BY cp.id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var claim int64
			var o PaymentOrigin
			if err := rows.Scan(append([]any{&claim, &o.PaymentID, &o.RemittanceID}, originDest(&o)...)...); err != nil {
				return err
			}
			out[claim] = append(out[claim], o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the payment origins of %d claims: %w", len(ids), err)
	}
	return out, nil
}

// LedgerSum is the sum of a claim's ledger entries of one line (0: the claim
// outside its lines), payer (0: none) and bucket.
type LedgerSum struct {
	LineID  int64
	PayerID int64
	Bucket  Bucket
	Amount  billing.Money
}

// LedgerSums returns the sums of the ledger entries of the claims with the ids, by
// claim, per line, payer and bucket (in no order): what a balance per line and
// payer needs, in one query that returns a few rows per claim. Claims without
// entries are left out.
func (c *Conn) LedgerSums(ctx context.Context, ids []int64) (map[int64][]LedgerSum, error) {
	out := make(map[int64][]LedgerSum, len(ids))
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		rows, err := c.query(ctx, `SELECT claim_id, line_id, payer_id, bucket, CAST(SUM(amount) AS BIGINT)
			FROM ledger_entries WHERE claim_id`+where+`
			GROUP BY claim_id, line_id, payer_id, bucket`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var claim int64
			var s LedgerSum
			var bucket string
			if err := rows.Scan(&claim, idDest{&s.LineID}, idDest{&s.PayerID}, &bucket, &s.Amount); err != nil {
				return err
			}
			s.Bucket = Bucket(bucket)
			out[claim] = append(out[claim], s)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("summing the ledger entries of %d claims: %w", len(ids), err)
	}
	return out, nil
}
