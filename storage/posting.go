package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// PostingClaim is what 835 posting reads of a claim: its ids, state and lines, and
// how many of its coverages have not adjudicated it yet.
type PostingClaim struct {
	ID                int64
	PCN               string
	PatientID         int64
	PayerID           int64
	BillingProviderID int64
	State             ClaimState
	PayerClaimNumber  string
	// OpenCoverages counts the claim's coverages without an adjudication: the one
	// billed now and those after it.
	OpenCoverages int
	Lines         []ClaimLine
	// UpdatedAt is when the claim or its document was last written: with State,
	// what RecheckPostingClaims compares.
	UpdatedAt time.Time
}

// PostingClaims returns the claims with the patient control numbers, by number,
// with their lines: two queries whatever the number of claims. Numbers that name no
// claim are left out.
func (c *Conn) PostingClaims(ctx context.Context, pcns []string) (map[string]*PostingClaim, error) {
	out := make(map[string]*PostingClaim, len(pcns))
	if len(pcns) == 0 {
		return out, nil
	}
	open := `(SELECT count(*) FROM json_each(claim, '$.coverages') cv WHERE json_type(claim, '$.coverages') = 'array'
		AND (json_type(cv.value, '$.adjudication') IS NULL OR json_type(cv.value, '$.adjudication') = 'null'))`
	if c.st.driver == Postgres {
		open = `(SELECT count(*) FROM jsonb_array_elements(CASE WHEN jsonb_typeof(claim->'coverages') = 'array'
			THEN claim->'coverages' ELSE '[]'::jsonb END) cv WHERE cv->'adjudication' IS NULL OR cv->'adjudication' = 'null'::jsonb)`
	}
	byID := map[int64]*PostingClaim{}
	err := inChunks(c, pcns, func(where string, args []any) error {
		rows, err := c.query(ctx, `SELECT id, pcn, patient_id, payer_id, billing_provider_id, state, payer_claim_number, updated_at, `+
			open+` FROM `+claimsWithDocuments+` WHERE pcn`+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			pc := &PostingClaim{}
			var state string
			if err := rows.Scan(&pc.ID, &pc.PCN, idDest{&pc.PatientID}, idDest{&pc.PayerID}, idDest{&pc.BillingProviderID},
				&state, &pc.PayerClaimNumber, timeDest{&pc.UpdatedAt}, &pc.OpenCoverages); err != nil {
				return err
			}
			pc.State = ClaimState(state)
			out[pc.PCN], byID[pc.ID] = pc, pc
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading claims to post: %w", err)
	}
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	lines, err := c.linesOf(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("reading lines of claims to post: %w", err)
	}
	for id, ls := range lines {
		byID[id].Lines = ls
	}
	return out, nil
}

// RecheckPostingClaims returns what PostingClaims(ctx, pcns) returns now, given
// read, what it returned before (outside this transaction, on SQLite's read pool
// while another transaction held the writer): the claims read whose state and
// updated_at are unchanged are kept (every write to a claim, its lines or its
// document stamps updated_at), and the others, with the numbers read found no claim
// for, are read again. On SQLite the transaction holds the database, on PostgreSQL
// ClaimVersions locks the claims kept, so that they stay as checked.
func (c *Conn) RecheckPostingClaims(ctx context.Context, read map[string]*PostingClaim, pcns []string) (map[string]*PostingClaim, error) {
	ids := make([]int64, 0, len(read))
	for _, pc := range read {
		ids = append(ids, pc.ID)
	}
	versions, err := c.ClaimVersions(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("checking the claims read to post: %w", err)
	}
	out := make(map[string]*PostingClaim, len(pcns))
	var again []string
	for _, pcn := range pcns {
		if _, ok := out[pcn]; ok {
			continue
		}
		pc := read[pcn]
		if pc != nil {
			if v, ok := versions[pc.ID]; ok && v.State == pc.State && v.UpdatedAt.Equal(pc.UpdatedAt) {
				out[pcn] = pc
				continue
			}
		}
		again = append(again, pcn)
	}
	if len(again) == 0 {
		return out, nil
	}
	fresh, err := c.PostingClaims(ctx, again)
	if err != nil {
		return nil, err
	}
	for pcn, pc := range fresh {
		out[pcn] = pc
	}
	return out, nil
}

// inChunks calls fn with " = ANY(?)" and the keys as one array on PostgreSQL, and
// with " IN (?, ...)" and chunks of the keys on SQLite.
func inChunks[K string | int64](c *Conn, keys []K, fn func(where string, args []any) error) error {
	if c.st.driver == Postgres {
		return fn(" = ANY(?)", []any{pq.Array(keys)})
	}
	for start := 0; start < len(keys); start += manyChunk {
		chunk := keys[start:min(start+manyChunk, len(keys))]
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		if err := fn(" IN ("+strings.Repeat("?, ", len(chunk)-1)+"?)", args); err != nil {
			return err
		}
	}
	return nil
}

// RemittanceFile returns the inbound file a stored remittance came in (0 when it
// was stored without one).
func (c *Conn) RemittanceFile(ctx context.Context, remittanceID int64) (int64, error) {
	var id int64
	if err := c.queryRow(ctx, "SELECT inbound_file_id FROM remittances WHERE id = ?", remittanceID).Scan(idDest{&id}); err != nil {
		return 0, fmt.Errorf("reading remittance: %w", notFound(err, "remittance", remittanceID))
	}
	return id, nil
}

// ClaimIDByReference returns the claim a reference of an 835 names (a PLB03-2): our
// patient control number, else the payer's claim number (the latest claim with
// it); 0 when none does.
func (c *Conn) ClaimIDByReference(ctx context.Context, ref string) (int64, error) {
	var id int64
	err := c.queryRow(ctx, `SELECT id FROM claims WHERE pcn = ?
		UNION ALL SELECT id FROM (SELECT id FROM claims WHERE payer_claim_number = ? ORDER BY id DESC LIMIT 1) AS byicn
		LIMIT 1`, ref, ref).Scan(&id)
	if err != nil {
		if err = notFound(err, "claim", ref); errors.Is(err, ErrNotFound) {
			return 0, nil
		}
		return 0, fmt.Errorf("reading claim by reference: %w", err)
	}
	return id, nil
}

// manyChunk is how many values one statement of posting.go binds at most: well
// under the limits of both engines.
const manyChunk = 8000

// insertMany writes rows into table with INSERTs of many rows each.
func (w *Conn) insertMany(ctx context.Context, table string, cols []string, rows [][]any) error {
	per := max(1, manyChunk/len(cols))
	row := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*len(cols))
		for _, r := range chunk {
			args = append(args, r...)
		}
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Repeat(row+", ", len(chunk)-1) + row
		if _, err := w.exec(ctx, q, args...); err != nil {
			return classify(err)
		}
	}
	return nil
}

// AddWorkItems queues work items in a few statements, each once: items whose
// DedupKey exists already are skipped (items without one are always added). It
// returns how many it added.
func (c *Conn) AddWorkItems(ctx context.Context, items []WorkItem) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	added := 0
	err := c.inTx(ctx, func(w *Conn) error {
		added = 0
		now := w.st.now()
		cols := []string{"kind", "dedup_key", "claim_id", "codes", "field", "message", "assignee", "status", "created_at", "updated_at"}
		per := manyChunk / len(cols)
		row := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
		for start := 0; start < len(items); start += per {
			chunk := items[start:min(start+per, len(items))]
			args := make([]any, 0, len(chunk)*len(cols))
			for _, it := range chunk {
				if it.Status == "" {
					it.Status = WorkOpen
				}
				var key any
				if it.DedupKey != "" {
					key = it.DedupKey
				}
				args = append(args, string(it.Kind), key, idArg(it.ClaimID), stringsArg(it.Codes), it.Field, it.Message,
					it.Assignee, string(it.Status), now, now)
			}
			res, err := w.exec(ctx, "INSERT INTO work_items ("+strings.Join(cols, ", ")+") VALUES "+
				strings.Repeat(row+", ", len(chunk)-1)+row+" ON CONFLICT (dedup_key) DO NOTHING", args...)
			if err != nil {
				return classify(err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queueing %d work items: %w", len(items), err)
	}
	return added, nil
}

// PreferIndexes makes the rest of the transaction read rows by index wherever an
// index serves (PostgreSQL: SET LOCAL enable_seqscan = off); it does nothing on
// SQLite, whose planner probes by key for IN lists and json_each.
//
// It is for transactions whose statements all name their rows by key, a group at
// a time, as posting an 835 does: about a thousand claims, their two thousand lines
// and a thousand payment keys per group. PostgreSQL prices that many probes above a
// sequential scan of a table of a few hundred thousand rows, and with its default
// costs read all of claim_lines, claims and claim_payments for each group (15-20 ms
// a scan in the remit benchmark, against 1-2 ms by index): a fifth of posting's
// time on the server. A table with no index for a statement is still scanned.
func (t *Tx) PreferIndexes(ctx context.Context) error {
	if t.st.driver != Postgres {
		return nil
	}
	if _, err := t.tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		return fmt.Errorf("preferring index scans: %w", err)
	}
	return nil
}
