package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/claimflow/claimflow/billing"
)

// Claim is a stored claim: the normalized billing.Claim with the ids and state the
// store keeps beside it.
type Claim struct {
	ID int64
	billing.Claim
	PatientID         int64 // 0 when not linked to a patient account
	PayerID           int64 // the payer billed now; 0 when unknown
	BillingProviderID int64
	State             ClaimState
	// PayerClaimNumber is the payer's claim control number (ICN), from the 277CA or
	// the 835 CLP07.
	PayerClaimNumber string
	// FirstBilledOn is the day the claim was first transmitted, for aging.
	FirstBilledOn billing.Date
	// StoredLines are the rows of Claim.Lines, in order, with their ids.
	StoredLines []ClaimLine
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ClaimLine is a stored service line.
type ClaimLine struct {
	ID      int64
	ClaimID int64
	// Number is the line's 1-based position (LX01).
	Number        int
	ControlNumber string // REF*6R, unique within the claim
	ProcedureCode string
	Modifiers     []string
	Charge        billing.Money
	Units         billing.Quantity
	ServiceFrom   billing.Date
	ServiceTo     billing.Date
}

// NewClaim is a claim to store, with the rows it belongs to.
type NewClaim struct {
	// Claim must be normalized (billing.Claim.Normalize): every line needs its
	// control number.
	Claim             billing.Claim
	PatientID         int64
	PayerID           int64
	BillingProviderID int64
	// State is where the claim starts: draft (the default), validated or held.
	State ClaimState

	// doc is Claim as JSON, when EncodeDocument encoded it.
	doc string
}

// EncodeDocument encodes the claim's billing.Claim as the JSON InsertClaims stores,
// so that a caller can do it before its transaction rather than in it. Call it
// after the last change to Claim: what it encoded is what is stored.
func (nc *NewClaim) EncodeDocument() error {
	doc, err := jsonArg(&nc.Claim)
	if err != nil {
		return fmt.Errorf("encoding claim %s: %w", nc.Claim.PatientControlNumber, err)
	}
	nc.doc = doc
	return nil
}

// Event says what caused a claim's change of state.
type Event struct {
	Cause Cause
	// Actor is who: a user name, a worker or file id. Never a patient's name.
	Actor string
	// Detail is anything JSON can encode that explains the change: codes, the
	// scrubber's findings, the file and segment that answered. No PHI values.
	Detail any
}

// ClaimEvent is one row of a claim's history.
type ClaimEvent struct {
	ID      int64
	ClaimID int64
	At      time.Time
	From    ClaimState // "" for the claim's creation
	To      ClaimState
	Cause   Cause
	Actor   string
	Detail  json.RawMessage
}

// serviceSpan returns the first and last dates of service of the claim's lines.
func serviceSpan(c *billing.Claim) (from, to billing.Date) {
	for i := range c.Lines {
		p := c.Lines[i].ServiceDates
		if !p.From.IsZero() && (from.IsZero() || p.From.Before(from)) {
			from = p.From
		}
		if l := p.Last(); !l.IsZero() && l.After(to) {
			to = l
		}
	}
	return from, to
}

func checkNewClaim(nc *NewClaim, ev Event) error {
	c := &nc.Claim
	switch {
	case c.PatientControlNumber == "":
		return fmt.Errorf("%w: no patient control number", ErrInvalid)
	case !ev.Cause.Valid():
		return fmt.Errorf("%w: cause %q", ErrInvalid, ev.Cause)
	}
	seen := make(map[string]bool, len(c.Lines))
	for i := range c.Lines {
		cn := c.Lines[i].ControlNumber
		if cn == "" || seen[cn] {
			return fmt.Errorf("%w: line %d: missing or repeated line control number (normalize the claim first)", ErrInvalid, i+1)
		}
		seen[cn] = true
	}
	if nc.State == "" {
		nc.State = StateDraft
	}
	return checkTransition(stateNone, nc.State)
}

// InsertClaim stores a new claim with its lines and the first row of its history,
// and returns its id. A patient control number is unique (ErrDuplicate).
func (c *Conn) InsertClaim(ctx context.Context, nc NewClaim, ev Event) (int64, error) {
	var id int64
	err := c.inTx(ctx, func(w *Conn) error {
		var err error
		id, err = w.insertClaim(ctx, &nc, ev)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("inserting claim %s: %w", nc.Claim.PatientControlNumber, err)
	}
	return id, nil
}

// InsertClaims stores several claims in one transaction and returns their ids: all
// or none. The claims, their lines and their first history rows are written with
// a few multi-row statements per few hundred claims, not three or more per claim.
func (c *Conn) InsertClaims(ctx context.Context, ncs []NewClaim, ev Event) ([]int64, error) {
	ids := make([]int64, len(ncs))
	err := c.inTx(ctx, func(w *Conn) error {
		for start := 0; start < len(ncs); start += insertClaimsChunk {
			end := min(start+insertClaimsChunk, len(ncs))
			if err := w.insertClaimChunk(ctx, ncs[start:end], ids[start:end], ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// insertClaimsChunk is how many claims one INSERT of InsertClaims writes: 12
// values each, well under both engines' limits on bound values.
const insertClaimsChunk = 250

// insertClaimChunk inserts the claims, then their lines and history, and sets ids.
func (w *Conn) insertClaimChunk(ctx context.Context, ncs []NewClaim, ids []int64, ev Event) error {
	detail, err := eventDetail(ev.Detail)
	if err != nil {
		return err
	}
	now := w.st.now()
	const cols = 11
	args := make([]any, 0, len(ncs)*cols)
	docs := make([]string, len(ncs))
	index := make(map[string]int, len(ncs))
	for i := range ncs {
		nc := &ncs[i]
		if err := checkNewClaim(nc, ev); err != nil {
			return fmt.Errorf("inserting claim %s: %w", nc.Claim.PatientControlNumber, err)
		}
		cl := &nc.Claim
		if _, dup := index[cl.PatientControlNumber]; dup {
			return fmt.Errorf("inserting claim %s: %w: patient control number repeated", cl.PatientControlNumber, ErrDuplicate)
		}
		index[cl.PatientControlNumber] = i
		if docs[i] = nc.doc; docs[i] == "" {
			if docs[i], err = jsonArg(cl); err != nil {
				return err
			}
		}
		charge := cl.Charge
		if charge == 0 {
			charge = cl.LineTotal()
		}
		from, to := serviceSpan(cl)
		args = append(args, cl.PatientControlNumber, idArg(nc.PatientID), idArg(nc.PayerID), idArg(nc.BillingProviderID),
			string(nc.State), cl.Frequency.Code(), int64(charge), dateArg(from), dateArg(to), now, now)
	}
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	rows, err := w.query(ctx, `INSERT INTO claims (pcn, patient_id, payer_id, billing_provider_id, state, frequency,
			charge, service_from, service_to, created_at, updated_at)
		VALUES `+strings.Repeat(row+", ", len(ncs)-1)+row+` RETURNING id, pcn`, args...)
	if err != nil {
		return fmt.Errorf("inserting %d claims: %w", len(ncs), classify(err))
	}
	got := 0
	for rows.Next() {
		var id int64
		var pcn string
		if err := rows.Scan(&id, &pcn); err != nil {
			rows.Close()
			return fmt.Errorf("inserting %d claims: %w", len(ncs), err)
		}
		ids[index[pcn]] = id
		got++
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return fmt.Errorf("inserting %d claims: %w", len(ncs), classify(err))
	}
	if got != len(ncs) {
		return fmt.Errorf("inserting %d claims: %d ids returned", len(ncs), got)
	}
	var lines, events [][]any
	documents := make([][]any, len(ncs))
	for i := range ncs {
		documents[i] = []any{ids[i], docs[i]}
		for k := range ncs[i].Claim.Lines {
			l := &ncs[i].Claim.Lines[k]
			units := l.Units
			if units == 0 {
				units = billing.Units(1)
			}
			lines = append(lines, []any{ids[i], k + 1, l.ControlNumber, l.Procedure.Code, strings.Join(l.Procedure.Modifiers, ":"),
				int64(l.Charge), int64(units), dateArg(l.ServiceDates.From), dateArg(l.ServiceDates.Last())})
		}
		events = append(events, []any{ids[i], now, string(stateNone), string(ncs[i].State), string(ev.Cause), ev.Actor, detail})
	}
	if err := w.insertMany(ctx, "claim_documents", claimDocumentColumns, documents); err != nil {
		return fmt.Errorf("inserting the documents of %d claims: %w", len(ncs), err)
	}
	if err := w.insertMany(ctx, "claim_lines", []string{"claim_id", "line_number", "control_number", "procedure_code",
		"modifiers", "charge", "units", "service_from", "service_to"}, lines); err != nil {
		return fmt.Errorf("inserting the lines of %d claims: %w", len(ncs), err)
	}
	if err := w.insertMany(ctx, "claim_events", []string{"claim_id", "at", "from_state", "to_state", "cause", "actor", "detail"}, events); err != nil {
		return fmt.Errorf("inserting the history of %d claims: %w", len(ncs), err)
	}
	return nil
}

func (w *Conn) insertClaim(ctx context.Context, nc *NewClaim, ev Event) (int64, error) {
	if err := checkNewClaim(nc, ev); err != nil {
		return 0, err
	}
	cl := &nc.Claim
	doc, err := jsonArg(cl)
	if err != nil {
		return 0, err
	}
	charge := cl.Charge
	if charge == 0 {
		charge = cl.LineTotal()
	}
	from, to := serviceSpan(cl)
	now := w.st.now()
	id, _, err := w.insertID(ctx, `INSERT INTO claims (pcn, patient_id, payer_id, billing_provider_id, state, frequency,
			charge, service_from, service_to, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		cl.PatientControlNumber, idArg(nc.PatientID), idArg(nc.PayerID), idArg(nc.BillingProviderID), string(nc.State),
		cl.Frequency.Code(), int64(charge), dateArg(from), dateArg(to), now, now)
	if err != nil {
		return 0, err
	}
	if _, err := w.exec(ctx, "INSERT INTO claim_documents (claim_id, claim) VALUES (?, ?)", id, doc); err != nil {
		return 0, classify(err)
	}
	if err := w.insertLines(ctx, id, cl.Lines); err != nil {
		return 0, err
	}
	if err := w.insertEvent(ctx, id, now, stateNone, nc.State, ev); err != nil {
		return 0, err
	}
	return id, nil
}

func (w *Conn) insertLines(ctx context.Context, claimID int64, lines []billing.Line) error {
	for i := range lines {
		l := &lines[i]
		units := l.Units
		if units == 0 {
			units = billing.Units(1)
		}
		_, err := w.exec(ctx, `INSERT INTO claim_lines (claim_id, line_number, control_number, procedure_code, modifiers,
				charge, units, service_from, service_to)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (claim_id, control_number) DO UPDATE SET line_number = excluded.line_number,
				procedure_code = excluded.procedure_code, modifiers = excluded.modifiers, charge = excluded.charge,
				units = excluded.units, service_from = excluded.service_from, service_to = excluded.service_to`,
			claimID, i+1, l.ControlNumber, l.Procedure.Code, strings.Join(l.Procedure.Modifiers, ":"),
			int64(l.Charge), int64(units), dateArg(l.ServiceDates.From), dateArg(l.ServiceDates.Last()))
		if err != nil {
			return classify(err)
		}
	}
	return nil
}

func (w *Conn) insertEvent(ctx context.Context, claimID int64, at time.Time, from, to ClaimState, ev Event) error {
	detail, err := eventDetail(ev.Detail)
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, `INSERT INTO claim_events (claim_id, at, from_state, to_state, cause, actor, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, claimID, at, string(from), string(to), string(ev.Cause), ev.Actor, detail)
	return err
}

// eventDetail is a history row's detail as JSON: "{}" when there is none (nil, or
// a value that encodes as null), so that every writer of the history stores an
// absent detail alike.
func eventDetail(v any) (string, error) {
	if v == nil {
		return "{}", nil
	}
	s, err := jsonArg(v)
	if err != nil || s == "null" {
		return "{}", err
	}
	return s, nil
}

// editableStates are those in which UpdateClaim may change a claim.
var editableStates = map[ClaimState]bool{
	StateDraft: true, StateValidated: true, StateHeld: true, StateCorrected: true,
	StateEnvelopeRejected: true, StateSyntaxRejected: true, StateClearinghouseRejected: true, StatePayerRejected: true,
}

// UpdateClaim replaces the stored billing.Claim of a claim that has not been sent
// or was rejected (a person fixing it), keeping its id, state and the ids of lines
// whose control numbers remain. Lines dropped from the claim are deleted; one that
// remittances or the ledger refer to cannot be (ErrReference). The claim's patient
// control number cannot change. The change is recorded in the history.
func (c *Conn) UpdateClaim(ctx context.Context, id int64, cl billing.Claim, ev Event) error {
	err := c.inTx(ctx, func(w *Conn) error {
		nc := NewClaim{Claim: cl, State: StateDraft}
		if err := checkNewClaim(&nc, ev); err != nil {
			return err
		}
		var state ClaimState
		var pcn string
		err := w.tx.QueryRowContext(ctx, w.st.d.rebind("SELECT state, pcn FROM claims WHERE id = ?"+w.st.d.forUpdate), id).Scan(&state, &pcn)
		if err != nil {
			return notFound(err, "claim", id)
		}
		if !editableStates[state] {
			return fmt.Errorf("%w: a claim in state %s cannot be edited", ErrInvalidTransition, state)
		}
		if pcn != cl.PatientControlNumber {
			return fmt.Errorf("%w: the patient control number cannot change", ErrInvalid)
		}
		doc, err := jsonArg(cl)
		if err != nil {
			return err
		}
		charge := cl.Charge
		if charge == 0 {
			charge = cl.LineTotal()
		}
		from, to := serviceSpan(&cl)
		now := w.st.now()
		if _, err := w.exec(ctx, `UPDATE claims SET frequency = ?, charge = ?, service_from = ?, service_to = ?,
				updated_at = ? WHERE id = ?`, cl.Frequency.Code(), int64(charge), dateArg(from), dateArg(to), now, id); err != nil {
			return err
		}
		if err := w.setClaimDocument(ctx, id, doc); err != nil {
			return err
		}
		keep := make([]any, 0, len(cl.Lines)+1)
		marks := make([]string, 0, len(cl.Lines))
		keep = append(keep, id)
		for i := range cl.Lines {
			keep = append(keep, cl.Lines[i].ControlNumber)
			marks = append(marks, "?")
		}
		q := "DELETE FROM claim_lines WHERE claim_id = ?"
		if len(marks) > 0 {
			q += " AND control_number NOT IN (" + strings.Join(marks, ", ") + ")"
		}
		if _, err := w.exec(ctx, q, keep...); err != nil {
			return classify(err)
		}
		if err := w.insertLines(ctx, id, cl.Lines); err != nil {
			return err
		}
		return w.insertEvent(ctx, id, now, state, state, ev)
	})
	if err != nil {
		return fmt.Errorf("updating claim %d: %w", id, err)
	}
	return nil
}

// claimDocumentColumns are those of claim_documents, which holds each claim's
// billing.Claim as JSON apart from the claim's row (migration 0012).
var claimDocumentColumns = []string{"claim_id", "claim"}

// setClaimDocument replaces the stored billing.Claim of a claim.
func (w *Conn) setClaimDocument(ctx context.Context, id int64, doc string) error {
	res, err := w.exec(ctx, "UPDATE claim_documents SET claim = ? WHERE claim_id = ?", doc, id)
	if err != nil {
		return classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("replacing the document of claim %d: %w", id, ErrNotFound)
	}
	return nil
}

// claimColumns are what a Claim is read from, in claimsWithDocuments.
const claimColumns = `id, claim, patient_id, payer_id, billing_provider_id, state, payer_claim_number, first_billed_on,
	created_at, updated_at`

// claimsWithDocuments is the FROM clause that reads claimColumns.
const claimsWithDocuments = `claims JOIN claim_documents ON claim_documents.claim_id = claims.id`

// Claim returns the claim with the id, with its lines.
func (c *Conn) Claim(ctx context.Context, id int64) (Claim, error) {
	return c.claim(ctx, "id", id)
}

// ClaimByPCN returns the claim with the patient control number (CLM01), with its lines.
func (c *Conn) ClaimByPCN(ctx context.Context, pcn string) (Claim, error) {
	return c.claim(ctx, "pcn", pcn)
}

func (c *Conn) claim(ctx context.Context, col string, key any) (Claim, error) {
	var cl Claim
	var state string
	err := c.queryRow(ctx, "SELECT "+claimColumns+" FROM "+claimsWithDocuments+" WHERE "+col+" = ?", key).Scan(
		&cl.ID, jsonDest{&cl.Claim}, idDest{&cl.PatientID}, idDest{&cl.PayerID}, idDest{&cl.BillingProviderID},
		&state, &cl.PayerClaimNumber, dateDest{&cl.FirstBilledOn}, timeDest{&cl.CreatedAt}, timeDest{&cl.UpdatedAt})
	if err != nil {
		return cl, fmt.Errorf("reading claim: %w", notFound(err, "claim", key))
	}
	cl.State = ClaimState(state)
	if cl.StoredLines, err = c.ClaimLines(ctx, cl.ID); err != nil {
		return cl, err
	}
	return cl, nil
}

// ClaimLines returns the claim's lines in order.
func (c *Conn) ClaimLines(ctx context.Context, claimID int64) ([]ClaimLine, error) {
	rows, err := c.query(ctx, `SELECT id, claim_id, line_number, control_number, procedure_code, modifiers, charge, units,
			service_from, service_to
		FROM claim_lines WHERE claim_id = ? ORDER BY line_number`, claimID)
	if err != nil {
		return nil, fmt.Errorf("reading lines of claim %d: %w", claimID, err)
	}
	defer rows.Close()
	var lines []ClaimLine
	for rows.Next() {
		var l ClaimLine
		var mods string
		if err := rows.Scan(&l.ID, &l.ClaimID, &l.Number, &l.ControlNumber, &l.ProcedureCode, &mods, &l.Charge, &l.Units,
			dateDest{&l.ServiceFrom}, dateDest{&l.ServiceTo}); err != nil {
			return nil, fmt.Errorf("reading lines of claim %d: %w", claimID, err)
		}
		if mods != "" {
			l.Modifiers = strings.Split(mods, ":")
		}
		lines = append(lines, l)
	}
	return lines, rows.Err()
}

// ClaimState returns the claim's state.
func (c *Conn) ClaimState(ctx context.Context, id int64) (ClaimState, error) {
	var s string
	if err := c.queryRow(ctx, "SELECT state FROM claims WHERE id = ?", id).Scan(&s); err != nil {
		return "", fmt.Errorf("reading state of claim: %w", notFound(err, "claim", id))
	}
	return ClaimState(s), nil
}

// TransitionClaim moves the claim to state to, if the transition table allows it
// (ErrInvalidTransition otherwise), and records the change in its history. The claim
// row is locked meanwhile, so that concurrent changes apply one after the other.
// Moving to transmitted sets the first-billed date once.
func (c *Conn) TransitionClaim(ctx context.Context, id int64, to ClaimState, ev Event) error {
	err := c.inTx(ctx, func(w *Conn) error {
		if !ev.Cause.Valid() {
			return fmt.Errorf("%w: cause %q", ErrInvalid, ev.Cause)
		}
		var from string
		err := w.queryRow(ctx, "SELECT state FROM claims WHERE id = ?"+w.st.d.forUpdate, id).Scan(&from)
		if err != nil {
			return notFound(err, "claim", id)
		}
		if err := checkTransition(ClaimState(from), to); err != nil {
			return err
		}
		now := w.st.now()
		var billed any
		if to == StateTransmitted {
			billed = billing.DateOf(now).String()
		}
		if _, err := w.exec(ctx, "UPDATE claims SET state = ?, updated_at = ?, first_billed_on = COALESCE(first_billed_on, ?) WHERE id = ?",
			string(to), now, billed, id); err != nil {
			return err
		}
		return w.insertEvent(ctx, id, now, ClaimState(from), to, ev)
	})
	if err != nil {
		return fmt.Errorf("moving claim %d to %s: %w", id, to, err)
	}
	return nil
}

// SetFirstBilled records today (the store's clock) as the day the claims were
// first transmitted, for those that have none yet: what TransitionClaim does when
// it moves a claim to transmitted, for claims moved with TransitionClaims.
func (c *Conn) SetFirstBilled(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := c.inTx(ctx, func(w *Conn) error {
		on := billing.DateOf(w.st.now()).String()
		return inKeysQuery(w, ids, func(where string, args []any) error {
			_, err := w.exec(ctx, "UPDATE claims SET first_billed_on = ? WHERE first_billed_on IS NULL AND id"+where,
				append([]any{on}, args...)...)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("recording the first-billed date of %d claims: %w", len(ids), err)
	}
	return nil
}

// SetClaimPayer records the payer billed now (after a coverage change or when the
// claim moves on to the secondary) and the payer's claim number (ICN) when known.
func (c *Conn) SetClaimPayer(ctx context.Context, id, payerID int64, payerClaimNumber string) error {
	err := c.inTx(ctx, func(w *Conn) error {
		res, err := w.exec(ctx, "UPDATE claims SET payer_id = ?, payer_claim_number = ?, updated_at = ? WHERE id = ?",
			idArg(payerID), payerClaimNumber, w.st.now(), id)
		if err != nil {
			return classify(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("setting payer of claim %d: %w", id, err)
	}
	return nil
}

// ClaimHistory returns the claim's state changes, oldest first.
func (c *Conn) ClaimHistory(ctx context.Context, id int64) ([]ClaimEvent, error) {
	rows, err := c.query(ctx, `SELECT id, claim_id, at, from_state, to_state, cause, actor, detail
		FROM claim_events WHERE claim_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("reading history of claim %d: %w", id, err)
	}
	defer rows.Close()
	var evs []ClaimEvent
	for rows.Next() {
		var e ClaimEvent
		var from, to, cause string
		var detail []byte
		if err := rows.Scan(&e.ID, &e.ClaimID, timeDest{&e.At}, &from, &to, &cause, &e.Actor, &detail); err != nil {
			return nil, fmt.Errorf("reading history of claim %d: %w", id, err)
		}
		e.From, e.To, e.Cause, e.Detail = ClaimState(from), ClaimState(to), Cause(cause), json.RawMessage(detail)
		evs = append(evs, e)
	}
	return evs, rows.Err()
}

// ClaimIDsByState returns up to limit ids of claims in the state, in id order,
// after afterID: page through with the last id returned.
func (c *Conn) ClaimIDsByState(ctx context.Context, state ClaimState, afterID int64, limit int) ([]int64, error) {
	rows, err := c.query(ctx, "SELECT id FROM claims WHERE state = ? AND id > ? ORDER BY id LIMIT ?", string(state), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing %s claims: %w", state, err)
	}
	return scanIDs(rows)
}

// rowsScanner is what scanColumn reads: *sql.Rows, *sqlx.Rows.
type rowsScanner interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}

func scanIDs(rows rowsScanner) ([]int64, error) { return scanColumn[int64](rows) }

// scanColumn reads the one column of rows, and closes them.
func scanColumn[T any](rows rowsScanner) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
