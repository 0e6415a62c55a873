package storage

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"

	"github.com/lib/pq"
)

// bulkPayments writes a batch of postings in w's transaction, the same way on both
// drivers: lock the claims named (PostgreSQL), look up the payment and entry keys
// already present, give the new payments and service payments ids, then write only
// the new rows in bulk: COPY on PostgreSQL, multi-row INSERTs on SQLite. Nothing can
// conflict meanwhile: the claims are locked and SQLite has a single writer. A
// payment that names no claim and collides with a concurrent PostgreSQL poster's
// fails the COPY with ErrDuplicate, which PostClaimPayments retries. Entries written
// this way do not get their ids back.
func (w *Conn) bulkPayments(ctx context.Context, postings []PaymentPosting) (PostSummary, error) {
	var sum PostSummary
	var claimIDs []int64
	keys := make([]string, 0, len(postings))
	var entryKeys []string
	for i := range postings {
		p := &postings[i]
		if p.Payment.ClaimID != 0 {
			claimIDs = append(claimIDs, p.Payment.ClaimID)
		}
		keys = append(keys, p.Payment.Key)
		for j := range p.Entries {
			if id := p.Entries[j].ClaimID; id != 0 {
				claimIDs = append(claimIDs, id)
			}
			entryKeys = append(entryKeys, p.Entries[j].IdempotencyKey)
		}
	}
	if w.st.driver == Postgres && len(claimIDs) > 0 {
		slices.Sort(claimIDs)
		rows, err := w.tx.QueryContext(ctx, "SELECT id FROM claims WHERE id = ANY($1) ORDER BY id FOR UPDATE",
			pq.Array(slices.Compact(claimIDs)))
		if err != nil {
			return sum, err
		}
		if _, err := scanIDs(rows); err != nil {
			return sum, err
		}
	}

	// Payments: the keys present keep their ids; the new ones get theirs.
	existing, err := w.existingKeys(ctx, "claim_payments", "payment_key", keys)
	if err != nil {
		return sum, err
	}
	var fresh []*ClaimPayment
	var services []*ServicePayment
	for i := range postings {
		cp := &postings[i].Payment
		if id, ok := existing[cp.Key]; ok {
			cp.ID = id
			continue
		}
		existing[cp.Key] = 0 // a second posting of the key in this batch gets the first's id
		fresh = append(fresh, cp)
		for k := range cp.Services {
			services = append(services, &cp.Services[k])
		}
	}
	ids, err := w.allocIDs(ctx, "claim_payments", len(fresh))
	if err != nil {
		return sum, err
	}
	for i, cp := range fresh {
		cp.ID = ids[i]
		existing[cp.Key] = cp.ID
		for k := range cp.Services {
			cp.Services[k].claimPaymentID = cp.ID
		}
	}
	for i := range postings {
		if postings[i].Payment.ID == 0 {
			postings[i].Payment.ID = existing[postings[i].Payment.Key]
		}
	}
	if ids, err = w.allocIDs(ctx, "service_payments", len(services)); err != nil {
		return sum, err
	}
	for i, sp := range services {
		sp.ID = ids[i]
	}
	var adjustments [][]any
	for _, cp := range fresh {
		for _, a := range cp.Adjustments {
			adjustments = append(adjustments, []any{cp.ID, nil, a.Group, a.Reason, int64(a.Amount), int64(a.Quantity)})
		}
		for _, sp := range cp.Services {
			for _, a := range sp.Adjustments {
				adjustments = append(adjustments, []any{cp.ID, sp.ID, a.Group, a.Reason, int64(a.Amount), int64(a.Quantity)})
			}
		}
	}

	// Entries: leave out the keys present, and repeats within the batch. SQLite
	// skips the look-up: its INSERT ... ON CONFLICT DO NOTHING costs no more than
	// the unique check every insert makes anyway.
	seen := map[string]int64{}
	if w.st.driver == Postgres {
		if seen, err = w.existingKeys(ctx, "ledger_entries", "idempotency_key", entryKeys); err != nil {
			return sum, err
		}
	}
	now := w.st.now()
	var entries [][]any
	for i := range postings {
		p := &postings[i]
		for j := range p.Entries {
			e := &p.Entries[j]
			if _, ok := seen[e.IdempotencyKey]; ok {
				continue
			}
			seen[e.IdempotencyKey] = 0
			if e.SourceID == "" {
				e.SourceID = strconv.FormatInt(p.Payment.ID, 10)
			}
			entries = append(entries, e.args(now))
		}
	}

	payments := make([][]any, len(fresh))
	for i, cp := range fresh {
		payments[i] = append([]any{cp.ID}, cp.args()...)
	}
	svcRows := make([][]any, len(services))
	for i, sp := range services {
		svcRows[i] = append([]any{sp.ID}, sp.args(sp.claimPaymentID)...)
	}
	for _, b := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"claim_payments", claimPaymentColumns, payments},
		{"service_payments", servicePaymentColumns, svcRows},
		{"payment_adjustments", adjustmentColumns, adjustments},
	} {
		if _, err := w.bulkInsert(ctx, b.table, b.cols, b.rows, ""); err != nil {
			return sum, classify(err)
		}
	}
	n, err := w.bulkInsert(ctx, "ledger_entries", entryInsertColumns, entries, " ON CONFLICT (idempotency_key) DO NOTHING")
	if err != nil {
		return sum, classify(err)
	}
	sum.Payments, sum.Entries = len(fresh), int(n)
	return sum, nil
}

var (
	claimPaymentColumns = []string{"id", "remittance_id", "claim_id", "payment_key", "pcn", "status", "charge", "paid",
		"patient_responsibility", "filing_indicator", "payer_claim_number", "remark_codes"}
	servicePaymentColumns = []string{"id", "claim_payment_id", "line_id", "control_number", "procedure_code", "modifiers",
		"charge", "paid", "units", "service_date", "remark_codes"}
	adjustmentColumns  = []string{"claim_payment_id", "service_payment_id", "group_code", "reason", "amount", "quantity"}
	entryInsertColumns = []string{"patient_id", "claim_id", "line_id", "payer_id", "billing_provider_id", "kind", "bucket",
		"amount", "effective_on", "reason", "source_kind", "source_id", "idempotency_key", "reverses_entry_id", "created_at"}
)

// sqliteChunk is how many values one multi-row SQLite statement binds at most.
const sqliteChunk = 8000

// existingKeys returns the ids of the rows of table whose col is one of keys.
func (w *Conn) existingKeys(ctx context.Context, table, col string, keys []string) (map[string]int64, error) {
	found := make(map[string]int64, len(keys))
	scan := func(rows *sql.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var id int64
			if err := rows.Scan(&k, &id); err != nil {
				return err
			}
			found[k] = id
		}
		return rows.Err()
	}
	if len(keys) == 0 {
		return found, nil
	}
	q := "SELECT " + col + ", id FROM " + table + " WHERE " + col
	if w.st.driver == Postgres {
		return found, scan(w.tx.QueryContext(ctx, q+" = ANY($1)", pq.Array(keys)))
	}
	for start := 0; start < len(keys); start += sqliteChunk {
		chunk := keys[start:min(start+sqliteChunk, len(keys))]
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		if err := scan(w.tx.QueryContext(ctx, q+" IN ("+marks(len(chunk))+")", args...)); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// allocIDs returns n new ids for rows of table: drawn from its identity sequence on
// PostgreSQL; after its largest id on SQLite, whose single writer holds the lock.
func (w *Conn) allocIDs(ctx context.Context, table string, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	if w.st.driver == Postgres {
		rows, err := w.tx.QueryContext(ctx, "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)", table, n)
		if err != nil {
			return nil, err
		}
		return scanIDs(rows)
	}
	var last int64
	if err := w.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+table).Scan(&last); err != nil {
		return nil, err
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = last + 1 + int64(i)
	}
	return ids, nil
}

// bulkInsert writes rows into table and returns how many it wrote: COPY ... FROM
// STDIN on PostgreSQL (all of them; conflict is not used), INSERTs of many rows each
// on SQLite, ending in conflict (" ON CONFLICT ... DO NOTHING" or "").
func (w *Conn) bulkInsert(ctx context.Context, table string, cols []string, rows [][]any, conflict string) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	if w.st.driver == Postgres {
		stmt, err := w.tx.PrepareContext(ctx, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN")
		if err != nil {
			return 0, err
		}
		defer stmt.Close()
		for _, r := range rows {
			if _, err := stmt.ExecContext(ctx, r...); err != nil {
				return 0, err
			}
		}
		_, err = stmt.ExecContext(ctx)
		return int64(len(rows)), err
	}
	per := max(1, sqliteChunk/len(cols))
	row := "(" + marks(len(cols)) + ")"
	insert := func(n int) string {
		return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Repeat(row+", ", n-1) + row + conflict
	}
	n0 := min(per, len(rows))
	full, err := w.tx.PrepareContext(ctx, insert(n0))
	if err != nil {
		return 0, err
	}
	var written int64
	defer full.Close()
	args := make([]any, 0, n0*len(cols))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r...)
		}
		var res sql.Result
		if len(chunk) == n0 {
			res, err = full.ExecContext(ctx, args...)
		} else {
			res, err = w.tx.ExecContext(ctx, insert(len(chunk)), args...)
		}
		if err != nil {
			return written, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

// marks returns n comma-separated ? placeholders.
func marks(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
