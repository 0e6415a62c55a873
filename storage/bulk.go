package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/claimflow/claimflow/billing"
)

// bulkPayments writes a batch of postings in w's transaction, the same way on both
// drivers: lock the claims named (PostgreSQL), look up the payment keys already
// present, give the new payments and service payments ids, then write only the new
// rows in bulk, one table after the other: COPY on PostgreSQL, multi-row INSERTs on
// SQLite. Nothing can conflict meanwhile: the claims are locked and SQLite has a
// single writer. A payment that names no claim and collides with a concurrent
// PostgreSQL poster's fails the COPY with ErrDuplicate, which PostClaimPayments
// retries. Entries written this way do not get their ids back.
//
// Entry keys already present are left out. SQLite leaves them out as it inserts (ON
// CONFLICT DO NOTHING costs no more than the unique check every insert makes);
// PostgreSQL's COPY cannot, so they are looked up first, unless optimistic: then,
// when every payment of the batch is new, entries are copied without the look-up
// (a 40,000-key probe of the ledger's unique index per batch) and a key present
// fails the COPY with ErrDuplicate; the caller runs the batch again, not
// optimistic. An optimistic call must be free to fail its transaction and start a
// new one, so it is only made by PostClaimPayments on a Store. In the caller's
// transaction, a batch whose payments are all new copies its entries without the
// look-up too, under a savepoint: a key present rolls back to it, and the entries
// are copied again after the look-up.
func (w *Conn) bulkPayments(ctx context.Context, postings []PaymentPosting, optimistic bool) (PostSummary, error) {
	var sum PostSummary
	pg := w.st.driver == Postgres
	keys := make([]string, len(postings))
	nEntries := 0
	for i := range postings {
		keys[i] = postings[i].Payment.Key
		nEntries += len(postings[i].Entries)
	}
	if pg {
		if err := w.lockPostingClaims(ctx, postings); err != nil {
			return sum, fmt.Errorf("locking the claims of %d payments: %w", len(postings), err)
		}
	}

	// Payments: the keys present keep their ids; the new ones get theirs.
	existing, err := w.existingKeys(ctx, "claim_payments", "payment_key", keys)
	if err != nil {
		return sum, fmt.Errorf("looking up %d payment keys: %w", len(keys), err)
	}
	allNew := len(existing) == 0
	optimistic = optimistic && allNew
	var fresh []*ClaimPayment
	nServices := 0
	for i := range postings {
		cp := &postings[i].Payment
		if id, ok := existing[cp.Key]; ok {
			cp.ID = id
			continue
		}
		existing[cp.Key] = 0 // a second posting of the key in this batch gets the first's id
		fresh = append(fresh, cp)
		nServices += len(cp.Services)
	}
	numbers, err := w.allocIDs(ctx, []string{"claim_payments", "service_payments"}, []int{len(fresh), nServices})
	if err != nil {
		return sum, fmt.Errorf("numbering %d claim payments and %d service payments: %w", len(fresh), nServices, err)
	}
	for i, cp := range fresh {
		cp.ID = numbers[0][i]
		existing[cp.Key] = cp.ID
	}
	for i := range postings {
		if postings[i].Payment.ID == 0 {
			postings[i].Payment.ID = existing[postings[i].Payment.Key]
		}
	}
	ids := numbers[1]

	payments := newRowSet("claim_payments", claimPaymentColumns, len(fresh))
	services := newRowSet("service_payments", servicePaymentColumns, nServices)
	for _, cp := range fresh {
		payments.vals = cp.appendValues(payments.vals)
		for k := range cp.Services {
			sp := &cp.Services[k]
			sp.ID, ids = ids[0], ids[1:]
			sp.claimPaymentID = cp.ID
			services.vals = sp.appendValues(services.vals)
		}
	}

	// Entries: leave out the keys present (see above), and repeats within the batch.
	now := any(w.st.now())
	// On PostgreSQL the entries go straight into COPY's text format (copyRows):
	// some 7 entries a claim payment, each of 15 values that would otherwise be
	// boxed one by one.
	direct := pg && w.raw != nil
	var text *bytes.Buffer // the entries' COPY text, recycled
	if direct {
		text = copyBufs.Get().(*bytes.Buffer)
		defer copyBufs.Put(text)
	}
	entryRows := func(seen map[string]int64) *rowSet {
		if direct {
			rs := entryCopyText(text.Bytes()[:0], postings, seen, now.(time.Time), w.st.systemClock, nEntries)
			*text = *bytes.NewBuffer(rs.text[:0]) // keep the grown buffer
			return rs
		}
		entries := newRowSet("ledger_entries", entryInsertColumns, nEntries)
		if !pg {
			entries.conflict = " ON CONFLICT (idempotency_key) DO NOTHING"
		}
		for p, e := range newEntries(postings, seen) {
			// The entry is not changed: a batch run again must see it as it came.
			source := e.SourceID
			if source == "" {
				source = strconv.FormatInt(p.Payment.ID, 10)
			}
			entries.vals = appendEntry(entries.vals, e, source, now)
		}
		return entries
	}
	lookUp := func() (map[string]int64, error) {
		entryKeys := make([]string, 0, nEntries)
		for i := range postings {
			for j := range postings[i].Entries {
				entryKeys = append(entryKeys, postings[i].Entries[j].IdempotencyKey)
			}
		}
		seen, err := w.existingKeys(ctx, "ledger_entries", "idempotency_key", entryKeys)
		if err != nil {
			return nil, fmt.Errorf("looking up %d entry keys: %w", len(entryKeys), err)
		}
		return seen, nil
	}
	// Not optimistic, every payment new (the first delivery of an 835): the entries
	// are copied without the look-up under a savepoint, and again with it after
	// rolling back to the savepoint if a key was present. The transaction is not
	// the poster's to fail.
	guarded := pg && !optimistic && allNew && nEntries > 0
	seen := map[string]int64{}
	if pg && !optimistic && !guarded {
		if seen, err = lookUp(); err != nil {
			return sum, err
		}
	}
	if direct && (optimistic || guarded) {
		// Written without the look-up, where a key present fails the COPY and the
		// entries are written again after it: so is a key repeated within the batch
		// (a caller's mistake the look-up's path leaves out), and the batch's keys
		// need no map.
		seen = nil
	}
	entries := entryRows(seen)

	for _, rs := range []*rowSet{payments, services} {
		if _, err := w.writeRowSet(ctx, rs); err != nil {
			return sum, fmt.Errorf("writing %d rows of %s: %w", rs.rows(), rs.table, classify(err))
		}
	}
	var n int64
	if guarded {
		n, err = w.writeGuarded(ctx, entries, func() (*rowSet, error) {
			seen, err := lookUp()
			if err != nil {
				return nil, err
			}
			return entryRows(seen), nil
		})
	} else {
		n, err = w.writeRowSet(ctx, entries)
	}
	if err != nil {
		return sum, fmt.Errorf("writing %d ledger entries: %w", entries.rows(), classify(err))
	}
	sum.Payments, sum.Entries = len(fresh), int(n)
	return sum, nil
}

// writeGuarded writes rs under a savepoint (PostgreSQL); when a row of it is a
// duplicate, it rolls back to the savepoint and writes instead the rows that again
// returns.
func (w *Conn) writeGuarded(ctx context.Context, rs *rowSet, again func() (*rowSet, error)) (int64, error) {
	const sp = "claimflow_guarded"
	if _, err := w.tx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
		return 0, err
	}
	n, err := w.writeRowSet(ctx, rs)
	if err != nil && errors.Is(classify(err), ErrDuplicate) {
		if _, err := w.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+sp); err != nil {
			return 0, err
		}
		if rs, err = again(); err != nil {
			return 0, err
		}
		n, err = w.writeRowSet(ctx, rs)
	}
	if err != nil {
		return 0, err
	}
	if _, err := w.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+sp); err != nil {
		return 0, err
	}
	return n, nil
}

// lockPostingClaims locks the claims the postings name (PostgreSQL), in the order
// of their ids, so that two posters of overlapping batches wait for each other
// instead of deadlocking, and so that a claim's balance is never read half-posted.
func (w *Conn) lockPostingClaims(ctx context.Context, postings []PaymentPosting) error {
	n := 0
	for i := range postings {
		n += 1 + len(postings[i].Entries)
	}
	claimIDs := make([]int64, 0, n)
	for i := range postings {
		p := &postings[i]
		if p.Payment.ClaimID != 0 {
			claimIDs = append(claimIDs, p.Payment.ClaimID)
		}
		for j := range p.Entries {
			if id := p.Entries[j].ClaimID; id != 0 {
				claimIDs = append(claimIDs, id)
			}
		}
	}
	if len(claimIDs) == 0 {
		return nil
	}
	slices.Sort(claimIDs)
	rows, err := w.tx.QueryContext(ctx, "SELECT id FROM claims WHERE id = ANY($1) ORDER BY id FOR UPDATE",
		pq.Array(slices.Compact(claimIDs)))
	if err != nil {
		return err
	}
	_, err = scanIDs(rows)
	return err
}

var (
	claimPaymentColumns = []string{"id", "remittance_id", "claim_id", "payment_key", "pcn", "status", "charge", "paid",
		"patient_responsibility", "filing_indicator", "payer_claim_number", "remark_codes", "adjustments"}
	servicePaymentColumns = []string{"id", "claim_payment_id", "line_id", "control_number", "procedure_code", "modifiers",
		"charge", "paid", "units", "service_date", "remark_codes", "adjustments"}
	entryInsertColumns = []string{"patient_id", "claim_id", "line_id", "payer_id", "billing_provider_id", "kind", "bucket",
		"amount", "effective_on", "reason", "source_kind", "source_id", "idempotency_key", "reverses_entry_id",
		"created_at"} // last: entryCopyText may leave it out
)

// newEntries yields the postings' entries whose keys are not in seen, each with
// its posting, once: seen gets the keys yielded.
func newEntries(postings []PaymentPosting, seen map[string]int64) iter.Seq2[*PaymentPosting, *Entry] {
	return func(yield func(*PaymentPosting, *Entry) bool) {
		for i := range postings {
			p := &postings[i]
			for j := range p.Entries {
				e := &p.Entries[j]
				if _, ok := seen[e.IdempotencyKey]; ok {
					continue
				}
				seen[e.IdempotencyKey] = 0
				if !yield(p, e) {
					return
				}
			}
		}
	}
}

// allEntries yields every entry of the postings, with its posting.
func allEntries(postings []PaymentPosting) iter.Seq2[*PaymentPosting, *Entry] {
	return func(yield func(*PaymentPosting, *Entry) bool) {
		for i := range postings {
			p := &postings[i]
			for j := range p.Entries {
				if !yield(p, &p.Entries[j]) {
					return
				}
			}
		}
	}
}

// appendEntry appends the values of a ledger_entries row (entryInsertColumns) with
// its source id; now is the creation time, boxed once for the batch.
func appendEntry(vals []any, e *Entry, sourceID string, now any) []any {
	return append(vals, idArg(e.PatientID), idArg(e.ClaimID), idArg(e.LineID), idArg(e.PayerID),
		idArg(e.BillingProviderID), string(e.Kind), string(e.Bucket), int64(e.Amount), dateArg(e.EffectiveOn), e.Reason,
		e.SourceKind, sourceID, e.IdempotencyKey, idArg(e.ReversesEntryID), now)
}

// entryCopyText returns the ledger_entries rows of the postings' entries whose keys
// are not in seen (which gets them), in COPY's text format, as appendEntry and
// copyRows together would write them, appended to dst. A nil seen writes every
// entry, repeated keys too. With serverClock, created_at is left to the
// column's default, the transaction's start (migration 0013): PostgreSQL reads a
// timestamp in about 2 µs, as much as the rest of the row's values together, and
// the stamp is the same for every entry of the batch anyway.
func entryCopyText(dst []byte, postings []PaymentPosting, seen map[string]int64, now time.Time, serverClock bool, nEntries int) *rowSet {
	if cap(dst) < 160*nEntries {
		dst = make([]byte, 0, 160*nEntries)
	}
	rs := &rowSet{table: "ledger_entries", cols: entryInsertColumns, text: dst[:0]}
	created := pq.FormatTimestamp(now)
	if serverClock {
		rs.cols = entryInsertColumns[:len(entryInsertColumns)-1]
		created = nil
	}
	var lastDate billing.Date
	var lastDateText string
	b := rs.text
	entries := newEntries(postings, seen)
	if seen == nil {
		entries = allEntries(postings)
	}
	for p, e := range entries {
		for _, id := range [...]int64{e.PatientID, e.ClaimID, e.LineID, e.PayerID, e.BillingProviderID} {
			b = appendCopyID(b, id)
			b = append(b, '\t')
		}
		b = appendCopyText(b, string(e.Kind))
		b = append(b, '\t')
		b = appendCopyText(b, string(e.Bucket))
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(e.Amount), 10)
		b = append(b, '\t')
		if e.EffectiveOn.IsZero() {
			b = append(b, `\N`...)
		} else {
			if e.EffectiveOn != lastDate || lastDateText == "" {
				lastDate, lastDateText = e.EffectiveOn, e.EffectiveOn.String()
			}
			b = append(b, lastDateText...)
		}
		b = append(b, '\t')
		b = appendCopyText(b, e.Reason)
		b = append(b, '\t')
		b = appendCopyText(b, e.SourceKind)
		b = append(b, '\t')
		if e.SourceID == "" {
			b = strconv.AppendInt(b, p.Payment.ID, 10)
		} else {
			b = appendCopyText(b, e.SourceID)
		}
		b = append(b, '\t')
		b = appendCopyText(b, e.IdempotencyKey)
		b = append(b, '\t')
		b = appendCopyID(b, e.ReversesEntryID)
		if created != nil {
			b = append(b, '\t')
			b = append(b, created...)
		}
		b = append(b, '\n')
		rs.n++
	}
	rs.text = b
	return rs
}

// appendCopyID appends an id in COPY's text format: NULL for 0, as idArg.
func appendCopyID(b []byte, id int64) []byte {
	if id == 0 {
		return append(b, `\N`...)
	}
	return strconv.AppendInt(b, id, 10)
}

// rowSet is the rows to write into one table: their values one after the other,
// len(cols) to a row, so that a batch of rows costs one slice, not one per row;
// or (PostgreSQL) the rows already in COPY's text format, one a line.
type rowSet struct {
	table    string
	cols     []string
	vals     []any
	conflict string // SQLite: the ON CONFLICT clause ending each INSERT, if any
	text     []byte // COPY's text format, when not nil: vals is not used
	n        int    // rows in text
}

func newRowSet(table string, cols []string, rows int) *rowSet {
	return &rowSet{table: table, cols: cols, vals: make([]any, 0, rows*len(cols))}
}

// rows returns how many rows the set holds.
func (r *rowSet) rows() int {
	if r.text != nil {
		return r.n
	}
	return len(r.vals) / len(r.cols)
}

// sqliteVars is how many values one multi-row SQLite INSERT binds at most (266
// ledger entries). A statement of many rows that may fail half-way keeps a journal
// of the pages it changes, to undo itself; measured (BenchPostClaimPayments), 2,000
// to 4,000 values cost least CPU per row: 8,000 costs a third more, 32,000 half as
// much again, one row per statement twice as much.
const sqliteVars = 4000

// sqliteChunk is how many values a SQLite look-up binds at most.
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
	args := make([]any, 0, min(len(keys), sqliteChunk))
	for start := 0; start < len(keys); start += sqliteChunk {
		chunk := keys[start:min(start+sqliteChunk, len(keys))]
		args = args[:0]
		for _, k := range chunk {
			args = append(args, k)
		}
		if err := scan(w.tx.QueryContext(ctx, q+" IN ("+marks(len(chunk))+")", args...)); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// allocIDs returns n[i] new ids for rows of tables[i]: drawn from their identity
// sequences on PostgreSQL, in one round trip whatever the number of tables; after
// each table's largest id on SQLite, whose single writer holds the lock.
func (w *Conn) allocIDs(ctx context.Context, tables []string, n []int) ([][]int64, error) {
	out := make([][]int64, len(tables))
	if w.st.driver == Postgres {
		// Each sequence is looked up once, not once per id: OFFSET 0 keeps the
		// planner from copying the look-up into the ARRAY subqueries, where it ran
		// for every id and cost four times the nextval.
		var cols, from []string
		var args []any
		for i, table := range tables {
			if n[i] == 0 {
				continue
			}
			k := strconv.Itoa(len(args) + 1)
			cols = append(cols, "ARRAY(SELECT nextval(s"+k+".seq) FROM generate_series(1, $"+strconv.Itoa(len(args)+2)+"))")
			from = append(from, "(SELECT pg_get_serial_sequence($"+k+", 'id')::regclass AS seq OFFSET 0) s"+k)
			args = append(args, table, n[i])
		}
		if len(cols) == 0 {
			return out, nil
		}
		dest := make([]any, 0, len(cols))
		for i := range tables {
			if n[i] > 0 {
				dest = append(dest, pq.Array(&out[i]))
			}
		}
		err := w.tx.QueryRowContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+strings.Join(from, ", "), args...).Scan(dest...)
		return out, err
	}
	for i, table := range tables {
		if n[i] == 0 {
			continue
		}
		var last int64
		if err := w.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+table).Scan(&last); err != nil {
			return nil, err
		}
		ids := make([]int64, n[i])
		for j := range ids {
			ids[j] = last + 1 + int64(j)
		}
		out[i] = ids
	}
	return out, nil
}

// writeRowSet writes the rows of rs and returns how many it wrote: COPY ... FROM
// STDIN on PostgreSQL (all of them; rs.conflict is not used), INSERTs of many rows
// each on SQLite, ending in rs.conflict.
func (w *Conn) writeRowSet(ctx context.Context, rs *rowSet) (int64, error) {
	n, nc := rs.rows(), len(rs.cols)
	if n == 0 {
		return 0, nil
	}
	if w.st.driver == Postgres {
		if n, ok, err := w.copyRows(ctx, rs); ok {
			return n, err
		}
		stmt, err := w.tx.PrepareContext(ctx, "COPY "+rs.table+" ("+strings.Join(rs.cols, ", ")+") FROM STDIN")
		if err != nil {
			return 0, err
		}
		defer stmt.Close()
		for i := 0; i < len(rs.vals); i += nc {
			if _, err := stmt.ExecContext(ctx, rs.vals[i:i+nc]...); err != nil {
				return 0, err
			}
		}
		_, err = stmt.ExecContext(ctx)
		return int64(n), err
	}
	per := max(1, sqliteVars/nc)
	row := "(" + marks(nc) + ")"
	insert := func(n int) string {
		return "INSERT INTO " + rs.table + " (" + strings.Join(rs.cols, ", ") + ") VALUES " +
			strings.Repeat(row+", ", n-1) + row + rs.conflict
	}
	var written int64
	var full *sql.Stmt
	for start := 0; start < n; start += per {
		k := min(per, n-start)
		args := rs.vals[start*nc : (start+k)*nc]
		var res sql.Result
		var err error
		switch {
		case k < per:
			res, err = w.tx.ExecContext(ctx, insert(k), args...)
		case full == nil:
			if st := w.bulkStmt(ctx, insert(per)); st != nil {
				full = st.Stmt
			} else {
				if full, err = w.tx.PrepareContext(ctx, insert(per)); err != nil {
					return written, err
				}
				defer full.Close()
			}
			fallthrough
		default:
			res, err = full.ExecContext(w.stmtContext(ctx), args...)
		}
		if err != nil {
			return written, err
		}
		m, err := res.RowsAffected()
		if err != nil {
			return written, err
		}
		written += m
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
