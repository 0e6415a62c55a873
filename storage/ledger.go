package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/claimflow/claimflow/billing"
)

// EntryKind is what a ledger entry records.
type EntryKind string

// The ledger entry kinds. Transfers come in pairs (TransferEntries): one entry
// takes the amount off a bucket and the other puts it on another, so that the sum of
// the pair is zero.
const (
	KindCharge                EntryKind = "charge"
	KindInsurancePayment      EntryKind = "insurance-payment"
	KindContractualAdjustment EntryKind = "contractual-adjustment" // CO/PI pricing reductions (CARC 45, 253...)
	KindOtherAdjustment       EntryKind = "other-adjustment"
	// Transfers to patient responsibility, kept apart: PR-1, PR-2, PR-3 and other PR.
	KindDeductible            EntryKind = "deductible"
	KindCoinsurance           EntryKind = "coinsurance"
	KindCopay                 EntryKind = "copay"
	KindPatientResponsibility EntryKind = "patient-responsibility"
	// KindPayerTransfer moves an insurance balance from one payer to the next
	// (secondary billing).
	KindPayerTransfer  EntryKind = "payer-transfer"
	KindPatientPayment EntryKind = "patient-payment"
	KindWriteOff       EntryKind = "write-off"
	KindRefund         EntryKind = "refund"
	// KindReversal negates exactly the entry it names (Entry.ReversesEntryID).
	KindReversal EntryKind = "reversal"
	// KindProviderAdjustment is an 835 PLB amount: provider level, never on a
	// patient's account.
	KindProviderAdjustment EntryKind = "provider-adjustment"
)

// EntryKinds lists every kind.
var EntryKinds = []EntryKind{
	KindCharge, KindInsurancePayment, KindContractualAdjustment, KindOtherAdjustment,
	KindDeductible, KindCoinsurance, KindCopay, KindPatientResponsibility, KindPayerTransfer,
	KindPatientPayment, KindWriteOff, KindRefund, KindReversal, KindProviderAdjustment,
}

// Bucket is whose part of a balance an entry changes.
type Bucket string

// The buckets.
const (
	BucketInsurance Bucket = "insurance" // owed by payers
	BucketPatient   Bucket = "patient"   // owed by the patient
	BucketProvider  Bucket = "provider"  // PLB: between a payer and the billing provider
)

// Entry is one ledger entry. Amounts are signed cents: positive increases what is
// owed to the practice (a charge, a refund), negative decreases it (payments,
// adjustments, write-offs). A PLB entry carries PLB04 as the payer sent it
// (positive: the payer withheld money).
type Entry struct {
	ID                int64
	PatientID         int64 // the account; 0 for provider-level entries
	ClaimID           int64
	LineID            int64 // 0 for claim-level entries
	PayerID           int64
	BillingProviderID int64
	Kind              EntryKind
	Bucket            Bucket
	Amount            billing.Money
	EffectiveOn       billing.Date
	// Reason is the adjustment code that caused the entry: "CO-45", "PR-2", "PLB-L6".
	Reason string
	// SourceKind and SourceID name what the entry comes from: ("claim-payment",
	// "1234"), ("claim", "77"), ("person", "alice/2025-01-03T10:00:00Z").
	SourceKind string
	SourceID   string
	// IdempotencyKey is unique over the ledger: posting an entry whose key exists
	// already does nothing. Build it from natural ids (the claim payment key and the
	// adjustment's position), never from a clock or a random number.
	IdempotencyKey string
	// ReversesEntryID is the entry a reversal negates.
	ReversesEntryID int64
	CreatedAt       time.Time
}

// Posted says what Post did with one entry.
type Posted struct {
	ID  int64 // the entry's id, new or existing
	New bool  // false when the idempotency key was posted already
}

var entryBuckets = map[EntryKind][]Bucket{
	KindCharge:                {BucketInsurance, BucketPatient},
	KindInsurancePayment:      {BucketInsurance},
	KindContractualAdjustment: {BucketInsurance},
	KindOtherAdjustment:       {BucketInsurance, BucketPatient},
	KindDeductible:            {BucketInsurance, BucketPatient},
	KindCoinsurance:           {BucketInsurance, BucketPatient},
	KindCopay:                 {BucketInsurance, BucketPatient},
	KindPatientResponsibility: {BucketInsurance, BucketPatient},
	KindPayerTransfer:         {BucketInsurance},
	KindPatientPayment:        {BucketPatient},
	KindWriteOff:              {BucketInsurance, BucketPatient},
	KindRefund:                {BucketInsurance, BucketPatient},
	KindReversal:              {BucketInsurance, BucketPatient, BucketProvider},
	KindProviderAdjustment:    {BucketProvider},
}

// check refuses an entry the ledger must not hold.
func (e *Entry) check() error {
	buckets, ok := entryBuckets[e.Kind]
	switch {
	case !ok:
		return fmt.Errorf("%w: ledger entry kind %q", ErrInvalid, e.Kind)
	case !slices.Contains(buckets, e.Bucket):
		return fmt.Errorf("%w: a %s entry cannot go to bucket %q", ErrInvalid, e.Kind, e.Bucket)
	case e.Amount == 0:
		return fmt.Errorf("%w: a ledger entry cannot be zero", ErrInvalid)
	case e.IdempotencyKey == "":
		return fmt.Errorf("%w: no idempotency key", ErrInvalid)
	case e.SourceKind == "":
		return fmt.Errorf("%w: no source", ErrInvalid)
	case !e.EffectiveOn.Valid():
		return fmt.Errorf("%w: effective date", ErrInvalid)
	case (e.Kind == KindReversal) != (e.ReversesEntryID != 0):
		return fmt.Errorf("%w: a reversal, and only a reversal, names the entry it reverses", ErrInvalid)
	case e.Bucket == BucketProvider && (e.PatientID != 0 || e.BillingProviderID == 0):
		return fmt.Errorf("%w: a provider-level entry names a billing provider and no patient", ErrInvalid)
	case e.Bucket != BucketProvider && e.PatientID == 0:
		return fmt.Errorf("%w: an entry on an account names the patient", ErrInvalid)
	case e.Bucket == BucketInsurance && e.PayerID == 0:
		return fmt.Errorf("%w: an insurance entry names the payer", ErrInvalid)
	case e.LineID != 0 && e.ClaimID == 0:
		return fmt.Errorf("%w: a line entry names its claim", ErrInvalid)
	}
	return nil
}

// TransferEntries returns the pair of entries that moves amount from one bucket (or
// payer) to another: from gets -amount with key+"/from", to gets +amount with
// key+"/to". Both copy base's account, claim, line, source, date and reason.
// Transfers to patient responsibility use the kinds KindDeductible, KindCoinsurance,
// KindCopay or KindPatientResponsibility from BucketInsurance to BucketPatient;
// KindPayerTransfer moves between payers within BucketInsurance (toPayerID).
func TransferEntries(base Entry, kind EntryKind, amount billing.Money, from, to Bucket, toPayerID int64) [2]Entry {
	a, b := base, base
	a.Kind, b.Kind = kind, kind
	a.Bucket, b.Bucket = from, to
	a.Amount, b.Amount = -amount, amount
	a.IdempotencyKey, b.IdempotencyKey = base.IdempotencyKey+"/from", base.IdempotencyKey+"/to"
	if toPayerID != 0 {
		b.PayerID = toPayerID
	}
	return [2]Entry{a, b}
}

// ReversalOf returns the entry that negates e, with its own idempotency key and
// source.
func ReversalOf(e Entry, key, sourceKind, sourceID string, on billing.Date) Entry {
	r := e
	r.ID, r.CreatedAt = 0, time.Time{}
	r.Kind = KindReversal
	r.Amount = -e.Amount
	r.ReversesEntryID = e.ID
	r.IdempotencyKey, r.SourceKind, r.SourceID, r.EffectiveOn = key, sourceKind, sourceID, on
	return r
}

// Post adds entries to the ledger in one transaction (the caller's, on a Tx) and
// says for each whether it was new. An entry whose idempotency key was posted
// already is skipped: posting the same source twice changes nothing. A key reused
// for a different entry (another amount, kind, bucket, account, claim or line) is an
// error (ErrDuplicate), as is a reversal of an entry already reversed under another
// key (ErrAlreadyReversed); a reversal must negate its entry exactly.
//
// The claims the entries name are locked (PostgreSQL: SELECT ... FOR UPDATE) in id
// order for the rest of the transaction, so that concurrent posters to one claim
// apply one after the other. Without a reversal among them, the entries are written
// with a few multi-row statements (an 835's PLB entries); with one, one by one.
func (c *Conn) Post(ctx context.Context, entries ...Entry) ([]Posted, error) {
	out := make([]Posted, len(entries))
	err := c.inTx(ctx, func(w *Conn) error {
		if err := w.lockClaims(ctx, entries); err != nil {
			return err
		}
		now := w.st.now()
		if !slices.ContainsFunc(entries, func(e Entry) bool { return e.Kind == KindReversal }) {
			return w.postMany(ctx, entries, now, out)
		}
		for i := range entries {
			e := entries[i]
			if e.Kind == KindReversal {
				if err := w.completeReversal(ctx, &e); err != nil {
					return fmt.Errorf("posting %s: %w", e.IdempotencyKey, err)
				}
			}
			if err := e.check(); err != nil {
				return fmt.Errorf("posting %s: %w", e.IdempotencyKey, err)
			}
			p, err := w.postEntry(ctx, &e, now)
			if err != nil {
				return fmt.Errorf("posting %s: %w", e.IdempotencyKey, err)
			}
			out[i] = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lockClaims locks the claims the entries name, in id order so that two posters
// never wait for each other in a cycle, with one statement; a claim that does not
// exist is ErrNotFound.
func (w *Conn) lockClaims(ctx context.Context, entries []Entry) error {
	if w.st.driver != Postgres {
		return nil // SQLite's transaction holds the write lock already
	}
	var ids []int64
	for i := range entries {
		if id := entries[i].ClaimID; id != 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	rows, err := w.tx.QueryContext(ctx, "SELECT id FROM claims WHERE id = ANY($1) ORDER BY id FOR UPDATE", pq.Array(ids))
	if err != nil {
		return err
	}
	locked, err := scanIDs(rows)
	if err != nil {
		return err
	}
	for i, id := range ids {
		if i >= len(locked) || locked[i] != id {
			return fmt.Errorf("claim %d: %w", id, ErrNotFound)
		}
	}
	return nil
}

// postMany posts entries that reverse nothing, as Post does one by one, with a
// few statements whatever their number: multi-row INSERTs that skip the keys
// present and return the ids of the rows they wrote, then one look-up of the keys
// they skipped, to check each is the same entry.
func (w *Conn) postMany(ctx context.Context, entries []Entry, now time.Time, out []Posted) error {
	first := make(map[string]int, len(entries)) // a key's first entry
	var rows []int
	for i := range entries {
		e := &entries[i]
		if err := e.check(); err != nil {
			return fmt.Errorf("posting %s: %w", e.IdempotencyKey, err)
		}
		if _, ok := first[e.IdempotencyKey]; !ok {
			first[e.IdempotencyKey] = i
			rows = append(rows, i)
		}
	}
	cols := strings.Count(entryInsertColumnList, ",") + 1
	per := max(1, manyChunk/cols)
	row := "(" + marks(cols) + ")"
	written := make(map[string]int64, len(rows))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*cols)
		for _, i := range chunk {
			args = append(args, entries[i].args(now)...)
		}
		q := w.st.d.rebind("INSERT INTO ledger_entries (" + entryInsertColumnList + ") VALUES " +
			strings.Repeat(row+", ", len(chunk)-1) + row + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key")
		var res *sql.Rows
		var err error
		if st := w.fullChunkStmt(ctx, q, len(chunk) == per); st != nil {
			res, err = st.QueryContext(w.stmtContext(ctx), args...)
		} else {
			res, err = w.query(ctx, q, args...)
		}
		if err != nil {
			return fmt.Errorf("posting %d entries: %w", len(chunk), classify(err))
		}
		for res.Next() {
			var id int64
			var key string
			if err := res.Scan(&id, &key); err != nil {
				res.Close()
				return fmt.Errorf("posting %d entries: %w", len(chunk), err)
			}
			written[key] = id
		}
		res.Close()
		if err := res.Err(); err != nil {
			return fmt.Errorf("posting %d entries: %w", len(chunk), classify(err))
		}
	}
	var present []string
	for _, i := range rows {
		if _, ok := written[entries[i].IdempotencyKey]; !ok {
			present = append(present, entries[i].IdempotencyKey)
		}
	}
	var stored map[string]Entry
	if len(present) > 0 {
		var err error
		if stored, err = w.EntriesByKeys(ctx, present); err != nil {
			return err
		}
	}
	for i := range entries {
		e := &entries[i]
		id, isNew := written[e.IdempotencyKey]
		if isNew && first[e.IdempotencyKey] == i {
			out[i] = Posted{ID: id, New: true}
			continue
		}
		var old Entry
		if isNew { // a repeat of a key this call wrote
			old = entries[first[e.IdempotencyKey]]
			old.ID = id
		} else if old, isNew = stored[e.IdempotencyKey]; !isNew {
			return fmt.Errorf("posting %s: %w", e.IdempotencyKey, ErrNotFound)
		}
		if !sameEntry(&old, e) {
			return fmt.Errorf("posting %s: %w: idempotency key used by entry %d for a different entry", e.IdempotencyKey, ErrDuplicate, old.ID)
		}
		out[i] = Posted{ID: old.ID}
	}
	return nil
}

// sameEntry reports whether e is the entry old posted under the same key: the same
// kind, bucket, amount, account, claim, line, payer and reversed entry.
func sameEntry(old, e *Entry) bool {
	return old.Kind == e.Kind && old.Bucket == e.Bucket && old.Amount == e.Amount && old.PatientID == e.PatientID &&
		old.ClaimID == e.ClaimID && old.LineID == e.LineID && old.PayerID == e.PayerID && old.ReversesEntryID == e.ReversesEntryID
}

// completeReversal fills a reversal from the entry it names (account, claim, line,
// payer, bucket; and the negated amount when zero) and checks it negates it exactly.
func (w *Conn) completeReversal(ctx context.Context, r *Entry) error {
	orig, err := w.entry(ctx, "SELECT "+entryColumns+" FROM ledger_entries WHERE id = ?"+w.st.d.forUpdate, r.ReversesEntryID)
	if err != nil {
		return err
	}
	if orig.Kind == KindReversal {
		return fmt.Errorf("%w: entry %d is a reversal; post a new entry instead", ErrInvalid, orig.ID)
	}
	if r.Amount == 0 {
		r.Amount = -orig.Amount
	}
	fill := func(v *int64, o int64) bool {
		if *v == 0 {
			*v = o
		}
		return *v == o
	}
	if r.Bucket == "" {
		r.Bucket = orig.Bucket
	}
	if r.Amount != -orig.Amount || r.Bucket != orig.Bucket || !fill(&r.PatientID, orig.PatientID) ||
		!fill(&r.ClaimID, orig.ClaimID) || !fill(&r.LineID, orig.LineID) || !fill(&r.PayerID, orig.PayerID) ||
		!fill(&r.BillingProviderID, orig.BillingProviderID) {
		return fmt.Errorf("%w: a reversal of entry %d must negate it exactly (%s %s)", ErrInvalid, orig.ID, orig.Bucket, orig.Amount)
	}
	var by int64
	err = w.tx.QueryRowContext(ctx, w.st.d.rebind("SELECT id FROM ledger_entries WHERE reverses_entry_id = ?"), orig.ID).Scan(&by)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	var key string
	if err := w.tx.QueryRowContext(ctx, w.st.d.rebind("SELECT idempotency_key FROM ledger_entries WHERE id = ?"), by).Scan(&key); err != nil {
		return err
	}
	if key == r.IdempotencyKey {
		return nil // the same reversal again: postEntry finds its key
	}
	return fmt.Errorf("%w: entry %d by entry %d", ErrAlreadyReversed, orig.ID, by)
}

// entryInsertColumnList is what Entry.args fills, in order.
const entryInsertColumnList = `patient_id, claim_id, line_id, payer_id, billing_provider_id, kind, bucket, amount, effective_on,
	reason, source_kind, source_id, idempotency_key, reverses_entry_id, created_at`

const insertEntry = `INSERT INTO ledger_entries (` + entryInsertColumnList + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`

func (e *Entry) args(now any) []any {
	return []any{idArg(e.PatientID), idArg(e.ClaimID), idArg(e.LineID), idArg(e.PayerID), idArg(e.BillingProviderID),
		string(e.Kind), string(e.Bucket), int64(e.Amount), dateArg(e.EffectiveOn), e.Reason, e.SourceKind, e.SourceID,
		e.IdempotencyKey, idArg(e.ReversesEntryID), now}
}

func (w *Conn) postEntry(ctx context.Context, e *Entry, now time.Time) (Posted, error) {
	id, ok, err := w.insertID(ctx, insertEntry, e.args(now)...)
	if err != nil {
		if errors.Is(err, ErrDuplicate) && e.ReversesEntryID != 0 {
			return Posted{}, fmt.Errorf("%w: entry %d", ErrAlreadyReversed, e.ReversesEntryID)
		}
		return Posted{}, err
	}
	if ok {
		return Posted{ID: id, New: true}, nil
	}
	old, err := w.entry(ctx, "SELECT "+entryColumns+" FROM ledger_entries WHERE idempotency_key = ?", e.IdempotencyKey)
	if err != nil {
		return Posted{}, err
	}
	if !sameEntry(&old, e) {
		return Posted{}, fmt.Errorf("%w: idempotency key used by entry %d for a different entry", ErrDuplicate, old.ID)
	}
	return Posted{ID: old.ID}, nil
}

const entryColumns = `id, patient_id, claim_id, line_id, payer_id, billing_provider_id, kind, bucket, amount, effective_on,
	reason, source_kind, source_id, idempotency_key, reverses_entry_id, created_at`

func scanEntry(sc interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var kind, bucket string
	err := sc.Scan(&e.ID, idDest{&e.PatientID}, idDest{&e.ClaimID}, idDest{&e.LineID}, idDest{&e.PayerID},
		idDest{&e.BillingProviderID}, &kind, &bucket, &e.Amount, dateDest{&e.EffectiveOn}, &e.Reason, &e.SourceKind,
		&e.SourceID, &e.IdempotencyKey, idDest{&e.ReversesEntryID}, timeDest{&e.CreatedAt})
	e.Kind, e.Bucket = EntryKind(kind), Bucket(bucket)
	return e, err
}

func (c *Conn) entry(ctx context.Context, q string, key any) (Entry, error) {
	e, err := scanEntry(c.queryRow(ctx, q, key))
	if err != nil {
		return e, fmt.Errorf("reading ledger entry: %w", notFound(err, "ledger entry", key))
	}
	return e, nil
}

// Entry returns the ledger entry with the id.
func (c *Conn) Entry(ctx context.Context, id int64) (Entry, error) {
	return c.entry(ctx, "SELECT "+entryColumns+" FROM ledger_entries WHERE id = ?", id)
}

// EntryByKey returns the ledger entry with the idempotency key.
func (c *Conn) EntryByKey(ctx context.Context, key string) (Entry, error) {
	return c.entry(ctx, "SELECT "+entryColumns+" FROM ledger_entries WHERE idempotency_key = ?", key)
}

// EntriesByKeys returns the ledger entries with the idempotency keys, by key; keys
// not posted are left out. One query per 500 keys: what a poster checks before
// posting many entries.
func (c *Conn) EntriesByKeys(ctx context.Context, keys []string) (map[string]Entry, error) {
	out := make(map[string]Entry, len(keys))
	err := inChunks(c, keys, func(where string, args []any) error {
		rows, err := c.query(ctx, "SELECT "+entryColumns+" FROM ledger_entries WHERE idempotency_key"+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				return err
			}
			out[e.IdempotencyKey] = e
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading %d ledger entries by key: %w", len(keys), err)
	}
	return out, nil
}

// EntryFilter selects ledger entries; zero fields select everything.
type EntryFilter struct {
	PatientID         int64
	ClaimID           int64
	LineID            int64
	PayerID           int64
	BillingProviderID int64
	Bucket            Bucket
}

func (f EntryFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(col string, v any, set bool) {
		if set {
			conds = append(conds, col+" = ?")
			args = append(args, v)
		}
	}
	add("patient_id", f.PatientID, f.PatientID != 0)
	add("claim_id", f.ClaimID, f.ClaimID != 0)
	add("line_id", f.LineID, f.LineID != 0)
	add("payer_id", f.PayerID, f.PayerID != 0)
	add("billing_provider_id", f.BillingProviderID, f.BillingProviderID != 0)
	add("bucket", string(f.Bucket), f.Bucket != "")
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Entries returns the entries the filter selects, in the order they were posted:
// what explains a balance, line by line.
func (c *Conn) Entries(ctx context.Context, f EntryFilter) ([]Entry, error) {
	where, args := f.where()
	rows, err := c.query(ctx, "SELECT "+entryColumns+" FROM ledger_entries"+where+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("reading ledger entries: %w", err)
	}
	defer rows.Close()
	var list []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("reading ledger entries: %w", err)
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// Balance is what is owed, split by who owes it.
type Balance struct {
	Insurance billing.Money
	Patient   billing.Money
	Provider  billing.Money // PLB amounts
}

// Total returns the insurance and patient parts together (an account's balance;
// provider-level amounts are not the patient's).
func (b Balance) Total() billing.Money { return b.Insurance + b.Patient }

// bucketSums are the sums of amount in the insurance, patient and provider
// buckets, in that order: three columns of a SELECT on ledger_entries.
const bucketSums = `CAST(COALESCE(SUM(CASE WHEN bucket = 'insurance' THEN amount END), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN bucket = 'patient' THEN amount END), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN bucket = 'provider' THEN amount END), 0) AS BIGINT)`

// Balance sums the entries the filter selects, by bucket. It is never stored: each
// call adds up the entries.
func (c *Conn) Balance(ctx context.Context, f EntryFilter) (Balance, error) {
	where, args := f.where()
	var b Balance
	err := c.queryRow(ctx, `SELECT `+bucketSums+` FROM ledger_entries`+where, args...).Scan(&b.Insurance, &b.Patient, &b.Provider)
	if err != nil {
		return b, fmt.Errorf("summing ledger entries: %w", err)
	}
	return b, nil
}

// LineBalance returns the balance of a claim line.
func (c *Conn) LineBalance(ctx context.Context, claimID, lineID int64) (Balance, error) {
	return c.Balance(ctx, EntryFilter{ClaimID: claimID, LineID: lineID})
}

// ClaimBalance returns the balance of a claim, its lines' entries included.
func (c *Conn) ClaimBalance(ctx context.Context, claimID int64) (Balance, error) {
	return c.Balance(ctx, EntryFilter{ClaimID: claimID})
}

// AccountBalance returns a patient account's balance: the insurance part and the
// patient part.
func (c *Conn) AccountBalance(ctx context.Context, patientID int64) (Balance, error) {
	return c.Balance(ctx, EntryFilter{PatientID: patientID})
}

// PayerBalance returns what a payer owes (its insurance entries) and, in Provider,
// its provider-level (PLB) amounts.
func (c *Conn) PayerBalance(ctx context.Context, payerID int64) (Balance, error) {
	return c.Balance(ctx, EntryFilter{PayerID: payerID})
}

// AgingBuckets name the five aging buckets, by age in days.
var AgingBuckets = [5]string{"0-30", "31-60", "61-90", "91-120", "120+"}

// AgingBasis is the date an amount's age counts from.
type AgingBasis int

// The aging bases: the claim's first date of service, or the day it was first
// billed (the date of service until then). Entries without a claim age from their
// effective date.
const (
	AgeFromService AgingBasis = iota
	AgeFromFirstBilled
)

// Aging is one payer's or patient's balance by age.
type Aging struct {
	ID      int64 // the payer's or the patient's id
	Buckets [5]billing.Money
}

// Total returns the sum of the buckets.
func (a Aging) Total() billing.Money {
	var t billing.Money
	for _, m := range a.Buckets {
		t += m
	}
	return t
}

// AgingByPayer returns the insurance balances by payer and age as of a day, counting
// only entries effective by then; payers with nothing owed are left out.
func (c *Conn) AgingByPayer(ctx context.Context, asOf billing.Date, basis AgingBasis) ([]Aging, error) {
	return c.aging(ctx, "payer_id", BucketInsurance, asOf, basis)
}

// AgingByPatient returns the patient balances by patient and age as of a day.
func (c *Conn) AgingByPatient(ctx context.Context, asOf billing.Date, basis AgingBasis) ([]Aging, error) {
	return c.aging(ctx, "patient_id", BucketPatient, asOf, basis)
}

func (c *Conn) aging(ctx context.Context, col string, bucket Bucket, asOf billing.Date, basis AgingBasis) ([]Aging, error) {
	if !asOf.Valid() {
		return nil, fmt.Errorf("aging: %w: date", ErrInvalid)
	}
	from := "COALESCE(cl.service_from, e.effective_on)"
	if basis == AgeFromFirstBilled {
		from = "COALESCE(cl.first_billed_on, cl.service_from, e.effective_on)"
	}
	rows, err := c.query(ctx, `SELECT e.`+col+`,
			CASE WHEN `+from+` >= ? THEN 0 WHEN `+from+` >= ? THEN 1 WHEN `+from+` >= ? THEN 2
				WHEN `+from+` >= ? THEN 3 ELSE 4 END,
			CAST(SUM(e.amount) AS BIGINT)
		FROM ledger_entries e LEFT JOIN claims cl ON cl.id = e.claim_id
		WHERE e.bucket = ? AND e.`+col+` IS NOT NULL AND e.effective_on <= ?
		GROUP BY 1, 2 ORDER BY 1, 2`,
		dateArg(asOf.AddDays(-30)), dateArg(asOf.AddDays(-60)), dateArg(asOf.AddDays(-90)), dateArg(asOf.AddDays(-120)),
		string(bucket), dateArg(asOf))
	if err != nil {
		return nil, fmt.Errorf("aging by %s: %w", strings.TrimSuffix(col, "_id"), err)
	}
	defer rows.Close()
	var list []Aging
	for rows.Next() {
		var id int64
		var k int
		var sum billing.Money
		if err := rows.Scan(&id, &k, &sum); err != nil {
			return nil, fmt.Errorf("aging by %s: %w", strings.TrimSuffix(col, "_id"), err)
		}
		if len(list) == 0 || list[len(list)-1].ID != id {
			list = append(list, Aging{ID: id})
		}
		list[len(list)-1].Buckets[k] += sum
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	list = slices.DeleteFunc(list, func(a Aging) bool { return a.Buckets == [5]billing.Money{} })
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}
