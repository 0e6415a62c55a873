package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claimflow/claimflow/billing"
)

// Remittance is an 835 transaction set: its header, claim payments and
// provider-level adjustments.
type Remittance struct {
	ID int64
	// Key identifies the remittance: RemitKey of the payer id, TRN02, BPR16 and BPR02.
	// A second arrival of the same remittance is recognized by it.
	Key             string
	InboundFileID   int64
	PayerID         int64         // our payer, 0 when not recognized
	PayerIdentifier string        // TRN03 (1 + payer EIN) or N1*PR id
	TraceNumber     string        // TRN02 check or EFT trace number
	Handling        string        // BPR01
	PaymentMethod   string        // BPR04: ACH, CHK, NON...
	TotalPaid       billing.Money // BPR02
	PaymentDate     billing.Date  // BPR16
	ProductionDate  billing.Date  // DTM*405
	PayeeNPI        string        // 1000B N1*PE XX
	// Header holds the rest of the header as JSON (payer and payee names and
	// addresses, REF, PER); it must not be used for what is queried.
	Header              json.RawMessage
	Claims              []ClaimPayment
	ProviderAdjustments []ProviderAdjustment
	ReceivedAt          time.Time
}

// ClaimPayment is one CLP loop: what the payer decided about one claim.
type ClaimPayment struct {
	ID           int64
	RemittanceID int64
	ClaimID      int64 // 0 while unmatched
	// Key is ClaimPaymentKey; filled in when empty.
	Key                   string
	PatientControlNumber  string        // CLP01
	Status                string        // CLP02
	Charge                billing.Money // CLP03
	Paid                  billing.Money // CLP04
	PatientResponsibility billing.Money // CLP05
	FilingIndicator       string        // CLP06
	PayerClaimNumber      string        // CLP07
	RemarkCodes           []string      // MOA/MIA remark codes
	// Adjustments are the claim-level adjustments (2100 CAS).
	Adjustments []billing.Adjustment
	Services    []ServicePayment
}

// ServicePayment is one SVC loop.
type ServicePayment struct {
	ID             int64
	LineID         int64  // 0 while unmatched
	ControlNumber  string // REF*6R
	ProcedureCode  string // SVC01-2
	Modifiers      []string
	Charge         billing.Money    // SVC02
	Paid           billing.Money    // SVC03
	Units          billing.Quantity // SVC05
	ServiceDate    billing.Date     // DTM*472
	RemarkCodes    []string         // LQ*HE
	Adjustments    []billing.Adjustment
	claimPaymentID int64
}

// ProviderAdjustment is one PLB amount.
type ProviderAdjustment struct {
	ID         int64
	ProviderID string        // PLB01
	FiscalDate billing.Date  // PLB02
	Reason     string        // PLB03-1: WO, L6, FB, 72...
	Reference  string        // PLB03-2
	Amount     billing.Money // PLB04: positive decreases the payment
}

// RemitKey is the identity of a remittance (X12-GUIDE 6.10): payer id, TRN02,
// BPR16 and BPR02.
func RemitKey(payerIdentifier, traceNumber string, paymentDate billing.Date, totalPaid billing.Money) string {
	return strings.Join([]string{payerIdentifier, traceNumber, paymentDate.String(), totalPaid.String()}, "|")
}

// ClaimPaymentKey is the identity of a claim payment: the remittance key with CLP01,
// CLP07, CLP02 and CLP04. Legitimately different payments of one claim (reversal and
// correction, split claims) differ in one of these.
func ClaimPaymentKey(remitKey string, cp *ClaimPayment) string {
	return strings.Join([]string{remitKey, cp.PatientControlNumber, cp.PayerClaimNumber, cp.Status, cp.Paid.String()}, "|")
}

// EntryKey returns the idempotency key of a ledger entry caused by a remittance:
// "r<remittance id>/<claim>/<part>", with claim the CLP's position in the
// remittance and part naming the amount ("pay", "CO-45", "2/PR-2" for a line's
// adjustment). It is stable across deliveries of the same 835, since the remittance
// is stored once under its RemitKey; it is short, and it grows with the remittance
// id, so that the ledger's unique index takes new keys at its right edge instead of
// all over it.
func EntryKey(remittanceID int64, claim int, part string) string {
	return "r" + strconv.FormatInt(remittanceID, 10) + "/" + strconv.Itoa(claim) + "/" + part
}

// InsertRemittance stores a remittance with its claim payments, service payments,
// adjustments and provider-level adjustments, and returns its id. When a remittance
// with the same key is stored already, it writes nothing and returns that one's id
// with isNew false: the file arrived twice. Ledger entries are posted apart (Post,
// PostClaimPayments).
func (c *Conn) InsertRemittance(ctx context.Context, r Remittance) (id int64, isNew bool, err error) {
	if r.Key == "" {
		r.Key = RemitKey(r.PayerIdentifier, r.TraceNumber, r.PaymentDate, r.TotalPaid)
	}
	header := string(r.Header)
	if header == "" {
		header = "{}"
	}
	err = c.inTx(ctx, func(w *Conn) error {
		now := w.st.now()
		var err error
		id, isNew, err = w.insertID(ctx, `INSERT INTO remittances (remit_key, inbound_file_id, payer_id, payer_identifier,
				trace_number, handling, payment_method, total_paid, payment_date, production_date, payee_npi, header, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (remit_key) DO NOTHING RETURNING id`, r.Key, idArg(r.InboundFileID), idArg(r.PayerID),
			r.PayerIdentifier, r.TraceNumber, r.Handling, r.PaymentMethod, int64(r.TotalPaid), dateArg(r.PaymentDate),
			dateArg(r.ProductionDate), r.PayeeNPI, header, now)
		if err != nil {
			return err
		}
		if !isNew {
			return w.queryRow(ctx, "SELECT id FROM remittances WHERE remit_key = ?", r.Key).Scan(&id)
		}
		plb := newRowSet("provider_adjustments", providerAdjustmentColumns, len(r.ProviderAdjustments))
		for _, p := range r.ProviderAdjustments {
			plb.vals = append(plb.vals, id, p.ProviderID, dateArg(p.FiscalDate), p.Reason, p.Reference, int64(p.Amount))
		}
		if _, err := w.writeRowSet(ctx, plb); err != nil {
			return fmt.Errorf("writing %d provider-level adjustments: %w", plb.rows(), classify(err))
		}
		postings := make([]PaymentPosting, len(r.Claims))
		seen := make(map[string]int, len(r.Claims))
		for i := range r.Claims {
			cp := r.Claims[i]
			cp.RemittanceID = id
			if cp.Key == "" {
				cp.Key = ClaimPaymentKey(r.Key, &cp)
			}
			// The same CLP01/CLP07/CLP02/CLP04 twice in one remittance: both are kept.
			if n := seen[cp.Key]; n > 0 {
				seen[cp.Key] = n + 1
				cp.Key += "#" + strconv.Itoa(n+1)
			} else {
				seen[cp.Key] = 1
			}
			postings[i].Payment = cp
		}
		_, err = w.postPayments(ctx, postings)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("storing remittance %s: %w", r.Key, err)
	}
	return id, isNew, nil
}

var providerAdjustmentColumns = []string{"remittance_id", "provider_id", "fiscal_date", "reason", "reference", "amount"}

// Remittance returns the remittance with the id, with everything it holds.
func (c *Conn) Remittance(ctx context.Context, id int64) (Remittance, error) {
	var r Remittance
	var header []byte
	err := c.queryRow(ctx, `SELECT id, remit_key, inbound_file_id, payer_id, payer_identifier, trace_number, handling,
			payment_method, total_paid, payment_date, production_date, payee_npi, header, received_at
		FROM remittances WHERE id = ?`, id).Scan(&r.ID, &r.Key, idDest{&r.InboundFileID}, idDest{&r.PayerID},
		&r.PayerIdentifier, &r.TraceNumber, &r.Handling, &r.PaymentMethod, &r.TotalPaid, dateDest{&r.PaymentDate},
		dateDest{&r.ProductionDate}, &r.PayeeNPI, &header, timeDest{&r.ReceivedAt})
	if err != nil {
		return r, fmt.Errorf("reading remittance: %w", notFound(err, "remittance", id))
	}
	r.Header = json.RawMessage(header)
	if r.Claims, err = c.claimPayments(ctx, "remittance_id", id); err != nil {
		return r, err
	}
	rows, err := c.query(ctx, `SELECT id, provider_id, fiscal_date, reason, reference, amount
		FROM provider_adjustments WHERE remittance_id = ? ORDER BY id`, id)
	if err != nil {
		return r, fmt.Errorf("reading remittance %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p ProviderAdjustment
		if err := rows.Scan(&p.ID, &p.ProviderID, dateDest{&p.FiscalDate}, &p.Reason, &p.Reference, &p.Amount); err != nil {
			return r, fmt.Errorf("reading remittance %d: %w", id, err)
		}
		r.ProviderAdjustments = append(r.ProviderAdjustments, p)
	}
	return r, rows.Err()
}

// RemittanceByKey returns the id of the remittance with the key.
func (c *Conn) RemittanceByKey(ctx context.Context, key string) (int64, error) {
	var id int64
	if err := c.queryRow(ctx, "SELECT id FROM remittances WHERE remit_key = ?", key).Scan(&id); err != nil {
		return 0, fmt.Errorf("reading remittance: %w", notFound(err, "remittance", key))
	}
	return id, nil
}

// ClaimPayments returns every payment of a claim, oldest first, with services and
// adjustments.
func (c *Conn) ClaimPayments(ctx context.Context, claimID int64) ([]ClaimPayment, error) {
	return c.claimPayments(ctx, "claim_id", claimID)
}

// ClaimPaymentByKey returns the claim payment with the key.
func (c *Conn) ClaimPaymentByKey(ctx context.Context, key string) (ClaimPayment, error) {
	list, err := c.claimPayments(ctx, "payment_key", key)
	if err != nil {
		return ClaimPayment{}, err
	}
	if len(list) == 0 {
		return ClaimPayment{}, fmt.Errorf("reading claim payment %s: %w", key, ErrNotFound)
	}
	return list[0], nil
}

// UnmatchedClaimPayments returns up to limit ids of claim payments not matched to a
// claim, after afterID.
func (c *Conn) UnmatchedClaimPayments(ctx context.Context, afterID int64, limit int) ([]int64, error) {
	rows, err := c.query(ctx, "SELECT id FROM claim_payments WHERE claim_id IS NULL AND id > ? ORDER BY id LIMIT ?", afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing unmatched claim payments: %w", err)
	}
	return scanIDs(rows)
}

// MatchClaimPayment links a claim payment to its claim and its service payments to
// the claim's lines (lineIDs maps a service payment id to a line id).
func (c *Conn) MatchClaimPayment(ctx context.Context, paymentID, claimID int64, lineIDs map[int64]int64) error {
	err := c.inTx(ctx, func(w *Conn) error {
		res, err := w.exec(ctx, "UPDATE claim_payments SET claim_id = ? WHERE id = ?", claimID, paymentID)
		if err != nil {
			return classify(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		for sp, line := range lineIDs {
			if _, err := w.exec(ctx, "UPDATE service_payments SET line_id = ? WHERE id = ? AND claim_payment_id = ?",
				line, sp, paymentID); err != nil {
				return classify(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("matching claim payment %d to claim %d: %w", paymentID, claimID, err)
	}
	return nil
}

// claimPaymentSelect lists the columns scanClaimPayment reads, in its order.
const claimPaymentSelect = `id, remittance_id, claim_id, payment_key, pcn, status, charge, paid,
	patient_responsibility, filing_indicator, payer_claim_number, remark_codes, adjustments`

// scanClaimPayment reads a row of claimPaymentSelect into cp (without its services).
func scanClaimPayment(rows interface{ Scan(...any) error }, cp *ClaimPayment) error {
	return rows.Scan(claimPaymentDest(cp)...)
}

// claimPaymentDest is where a row of claimPaymentSelect goes, for a query that
// reads more columns after them.
func claimPaymentDest(cp *ClaimPayment) []any {
	return []any{&cp.ID, &cp.RemittanceID, idDest{&cp.ClaimID}, &cp.Key, &cp.PatientControlNumber, &cp.Status,
		&cp.Charge, &cp.Paid, &cp.PatientResponsibility, &cp.FilingIndicator, &cp.PayerClaimNumber,
		jsonDest{&cp.RemarkCodes}, adjustmentsDest{&cp.Adjustments}}
}

// servicePaymentSelect lists the columns scanServicePayment reads, in its order.
const servicePaymentSelect = `id, claim_payment_id, line_id, control_number, procedure_code, modifiers, charge, paid,
	units, service_date, remark_codes, adjustments`

// scanServicePayment reads a row of servicePaymentSelect into sp.
func scanServicePayment(rows interface{ Scan(...any) error }, sp *ServicePayment) error {
	var mods string
	if err := rows.Scan(&sp.ID, &sp.claimPaymentID, idDest{&sp.LineID}, &sp.ControlNumber, &sp.ProcedureCode, &mods,
		&sp.Charge, &sp.Paid, &sp.Units, dateDest{&sp.ServiceDate}, jsonDest{&sp.RemarkCodes},
		adjustmentsDest{&sp.Adjustments}); err != nil {
		return err
	}
	if mods != "" {
		sp.Modifiers = strings.Split(mods, ":")
	}
	return nil
}

func (c *Conn) claimPayments(ctx context.Context, col string, key any) ([]ClaimPayment, error) {
	rows, err := c.query(ctx, `SELECT `+claimPaymentSelect+` FROM claim_payments WHERE `+col+` = ? ORDER BY id`, key)
	if err != nil {
		return nil, fmt.Errorf("reading claim payments: %w", err)
	}
	var list []ClaimPayment
	index := map[int64]int{}
	for rows.Next() {
		var cp ClaimPayment
		if err := scanClaimPayment(rows, &cp); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading claim payments: %w", err)
		}
		index[cp.ID] = len(list)
		list = append(list, cp)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(list) == 0 {
		return list, err
	}
	sub := "SELECT id FROM claim_payments WHERE " + col + " = ?"
	srows, err := c.query(ctx, `SELECT `+servicePaymentSelect+`
		FROM service_payments WHERE claim_payment_id IN (`+sub+`) ORDER BY id`, key)
	if err != nil {
		return nil, fmt.Errorf("reading service payments: %w", err)
	}
	for srows.Next() {
		var sp ServicePayment
		if err := scanServicePayment(srows, &sp); err != nil {
			srows.Close()
			return nil, fmt.Errorf("reading service payments: %w", err)
		}
		k := index[sp.claimPaymentID]
		list[k].Services = append(list[k].Services, sp)
	}
	srows.Close()
	return list, srows.Err()
}

// PaymentPosting is a claim payment with the ledger entries it causes.
type PaymentPosting struct {
	// Payment is stored unless one with its Key exists (RemittanceID and Key are
	// required).
	Payment ClaimPayment
	// Entries are posted unless their idempotency keys exist. An entry without a
	// source gets ("claim-payment", the payment's id).
	Entries []Entry
}

// PostSummary counts what PostClaimPayments wrote.
type PostSummary struct {
	Payments int // claim payments stored
	Entries  int // ledger entries posted
}

// postBatch is how many claim payments PostClaimPayments writes per transaction.
const postBatch = 10000

// PostClaimPayments stores claim payments with their services and adjustments and
// posts their ledger entries. Payments and entries that exist already (by payment
// key, by idempotency key) are skipped, so the same postings applied twice write
// nothing the second time.
//
// On a Tx everything is written in it. On a Store the postings are written in
// transactions of up to 10,000 payments each; on PostgreSQL, by several connections
// at once (WithBulkWorkers, default 2), each taking the payments of its own share of
// the claims, so that their claim locks never meet. The claims named are locked
// (SELECT ... FOR UPDATE) and the payment keys present looked up before the new rows
// go in with COPY; SQLite writes them with multi-row INSERTs. On a Store, a batch
// whose payments are all new copies its entries without looking their keys up
// first, and is written again with the look-up if one of them was present.
func (c *Conn) PostClaimPayments(ctx context.Context, postings []PaymentPosting) (PostSummary, error) {
	if c.tx != nil {
		sum, err := c.postPayments(ctx, postings)
		if err != nil {
			return sum, fmt.Errorf("posting claim payments: %w", err)
		}
		return sum, nil
	}
	workers := 1
	if c.st.driver == Postgres {
		workers = max(1, c.st.bulkWorkers)
	}
	groups := make([][]int, workers)
	for i := range postings {
		k := int(uint64(postings[i].Payment.ClaimID) % uint64(workers))
		groups[k] = append(groups[k], i)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu    sync.Mutex
		total PostSummary
		wg    sync.WaitGroup
		// careful is set once a batch met keys present: the postings are being applied
		// again, and the later batches look their entry keys up from the start.
		careful atomic.Bool
	)
	for _, group := range groups {
		wg.Go(func() {
			for start := 0; start < len(group); start += postBatch {
				idx := group[start:min(start+postBatch, len(group))]
				sum, err := c.postChunk(ctx, postings, idx, &careful)
				if err != nil {
					cancel(err)
					return
				}
				mu.Lock()
				total.Payments += sum.Payments
				total.Entries += sum.Entries
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return total, fmt.Errorf("posting claim payments: %w", err)
	}
	return total, nil
}

// postChunk writes postings[idx] in a transaction of its own, optimistic unless
// careful is set; again, not optimistic, when a key was present (see bulkPayments)
// or a concurrent poster stored one of the keys between the look-up and COPY.
func (c *Conn) postChunk(ctx context.Context, postings []PaymentPosting, idx []int, careful *atomic.Bool) (PostSummary, error) {
	chunk := make([]PaymentPosting, len(idx))
	for attempt := 1; ; attempt++ {
		for k, i := range idx {
			chunk[k] = postings[i]
		}
		optimistic := attempt == 1 && !careful.Load()
		var sum PostSummary
		err := c.inTx(ctx, func(w *Conn) error {
			if err := checkPostings(chunk); err != nil {
				return err
			}
			var err error
			sum, err = w.bulkPayments(ctx, chunk, optimistic)
			return err
		})
		if err != nil && errors.Is(err, ErrDuplicate) && attempt < maxAttempts {
			careful.Store(true)
			continue
		}
		if err != nil {
			return sum, err
		}
		for k, i := range idx {
			postings[i].Payment = chunk[k].Payment
		}
		return sum, nil
	}
}

// postPayments writes one batch in w's transaction.
func (w *Conn) postPayments(ctx context.Context, postings []PaymentPosting) (PostSummary, error) {
	if err := checkPostings(postings); err != nil {
		return PostSummary{}, err
	}
	return w.bulkPayments(ctx, postings, false)
}

// checkPostings refuses postings that cannot be written, and names the entries'
// source kind when missing.
func checkPostings(postings []PaymentPosting) error {
	for i := range postings {
		cp := &postings[i].Payment
		if cp.Key == "" || cp.RemittanceID == 0 {
			return fmt.Errorf("%w: a claim payment needs its key and remittance", ErrInvalid)
		}
		for j := range postings[i].Entries {
			e := &postings[i].Entries[j]
			if e.Kind == KindReversal {
				return fmt.Errorf("%w: post reversals with Post", ErrInvalid)
			}
			if e.SourceKind == "" {
				e.SourceKind = "claim-payment"
			}
			if err := e.check(); err != nil {
				return fmt.Errorf("entry %s: %w", e.IdempotencyKey, err)
			}
		}
	}
	return nil
}

// appendValues appends the values of the payment's claim_payments row
// (claimPaymentColumns).
func (cp *ClaimPayment) appendValues(vals []any) []any {
	return append(vals, cp.ID, cp.RemittanceID, idArg(cp.ClaimID), cp.Key, cp.PatientControlNumber, cp.Status,
		int64(cp.Charge), int64(cp.Paid), int64(cp.PatientResponsibility), cp.FilingIndicator, cp.PayerClaimNumber,
		stringsArg(cp.RemarkCodes), adjustmentsArg(cp.Adjustments))
}

// appendValues appends the values of the service payment's service_payments row
// (servicePaymentColumns).
func (sp *ServicePayment) appendValues(vals []any) []any {
	return append(vals, sp.ID, sp.claimPaymentID, idArg(sp.LineID), sp.ControlNumber, sp.ProcedureCode,
		strings.Join(sp.Modifiers, ":"), int64(sp.Charge), int64(sp.Paid), int64(sp.Units), dateArg(sp.ServiceDate),
		stringsArg(sp.RemarkCodes), adjustmentsArg(sp.Adjustments))
}

// adjustmentsArg encodes CAS adjustments for a claim_payments or service_payments
// adjustments column (migration 0013): a JSON array of [group, reason, amount in
// cents, quantity in thousandths], in order.
func adjustmentsArg(list []billing.Adjustment) string {
	if len(list) == 0 {
		return "[]"
	}
	b := make([]byte, 0, 24*len(list))
	b = append(b, '[')
	for i, a := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendJSONString(b, a.Group)
		b = append(b, ',')
		b = appendJSONString(b, a.Reason)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(a.Amount), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(a.Quantity), 10)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

// adjustmentsDest scans an adjustments column (adjustmentsArg) into a list; "[]"
// is nil.
type adjustmentsDest struct{ list *[]billing.Adjustment }

func (d adjustmentsDest) Scan(src any) error {
	var b []byte
	switch src := src.(type) {
	case nil:
		*d.list = nil
		return nil
	case []byte:
		b = src
	case string:
		b = []byte(src)
	default:
		return fmt.Errorf("reading adjustments: unexpected %T", src)
	}
	var raw [][4]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("reading adjustments: %w", err)
	}
	if len(raw) == 0 {
		*d.list = nil
		return nil
	}
	out := make([]billing.Adjustment, len(raw))
	for i, r := range raw {
		var amount, quantity int64
		if err := errors.Join(json.Unmarshal(r[0], &out[i].Group), json.Unmarshal(r[1], &out[i].Reason),
			json.Unmarshal(r[2], &amount), json.Unmarshal(r[3], &quantity)); err != nil {
			return fmt.Errorf("reading adjustments: %w", err)
		}
		out[i].Amount, out[i].Quantity = billing.Money(amount), billing.Quantity(quantity)
	}
	*d.list = out
	return nil
}
