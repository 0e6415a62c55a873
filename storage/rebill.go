package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/lib/pq"
)

// rebillableStates are those in which RebillClaim may replace a claim's content: a
// payer has adjudicated it and it goes on to the next payer.
var rebillableStates = map[ClaimState]bool{StatePaid: true, StatePartiallyPaid: true, StateDenied: true}

// RebillClaim replaces the stored billing.Claim of a claim a payer adjudicated (paid,
// partially paid or denied) with the claim for the next payer: the same claim with
// that payer's adjudication added (billing/cob). Unlike UpdateClaim, it keeps every
// line as it is: the lines must be the same, with the same control numbers in the
// same order and the same charges, since remittances and the ledger refer to them.
// The claim's state does not change; the change is recorded in its history.
func (c *Conn) RebillClaim(ctx context.Context, id int64, cl billing.Claim, ev Event) error {
	err := c.inTx(ctx, func(w *Conn) error {
		if !ev.Cause.Valid() {
			return fmt.Errorf("%w: cause %q", ErrInvalid, ev.Cause)
		}
		var state ClaimState
		var pcn string
		err := w.tx.QueryRowContext(ctx, w.st.d.rebind("SELECT state, pcn FROM claims WHERE id = ?"+w.st.d.forUpdate), id).Scan(&state, &pcn)
		if err != nil {
			return notFound(err, "claim", id)
		}
		if !rebillableStates[state] {
			return fmt.Errorf("%w: a claim in state %s cannot be billed to the next payer", ErrInvalidTransition, state)
		}
		if pcn != cl.PatientControlNumber {
			return fmt.Errorf("%w: the patient control number cannot change", ErrInvalid)
		}
		lines, err := w.ClaimLines(ctx, id)
		if err != nil {
			return err
		}
		if len(lines) != len(cl.Lines) {
			return fmt.Errorf("%w: %d lines, the stored claim has %d", ErrInvalid, len(cl.Lines), len(lines))
		}
		for i := range lines {
			if l := &cl.Lines[i]; l.ControlNumber != lines[i].ControlNumber || l.Charge != lines[i].Charge {
				return fmt.Errorf("%w: line %d differs from the stored line", ErrInvalid, i+1)
			}
		}
		doc, err := jsonArg(cl)
		if err != nil {
			return err
		}
		now := w.st.now()
		if _, err := w.exec(ctx, "UPDATE claims SET frequency = ?, updated_at = ? WHERE id = ?",
			cl.Frequency.Code(), now, id); err != nil {
			return err
		}
		if err := w.setClaimDocument(ctx, id, doc); err != nil {
			return err
		}
		return w.insertEvent(ctx, id, now, state, state, ev)
	})
	if err != nil {
		return fmt.Errorf("rebilling claim %d: %w", id, err)
	}
	return nil
}

// Rebill is one claim of RebillClaims: its content for the next payer and that
// payer.
type Rebill struct {
	ClaimID int64
	// Claim replaces the stored billing.Claim, under RebillClaim's conditions.
	Claim billing.Claim
	// PayerID is our id of the payer billed next; 0 when none is known.
	PayerID int64
	// Event is recorded in the claim's history.
	Event Event

	// doc is Claim as JSON, when EncodeDocument encoded it.
	doc string
}

// EncodeDocument encodes the claim for the next payer as the JSON RebillClaims
// stores, so that a caller can do it before its transaction rather than in it.
// Call it after the last change to Claim: what it encoded is what is stored.
func (r *Rebill) EncodeDocument() error {
	doc, err := jsonArg(r.Claim)
	if err != nil {
		return fmt.Errorf("encoding claim %s: %w", r.Claim.PatientControlNumber, err)
	}
	r.doc = doc
	return nil
}

// RebillClaims does, for each claim, what RebillClaim and then SetClaimPayer
// (with the payer billed next and no payer claim number) do, with a few statements
// whatever the number of claims: the claims are locked and checked, their rows,
// documents and history written in bulk. A claim may appear once. It is all or
// nothing: a claim that may not be rebilled fails the call.
func (c *Conn) RebillClaims(ctx context.Context, list []Rebill) error {
	if len(list) == 0 {
		return nil
	}
	err := c.inTx(ctx, func(w *Conn) error {
		ids := make([]int64, len(list))
		for i := range list {
			if !list[i].Event.Cause.Valid() {
				return fmt.Errorf("%w: cause %q", ErrInvalid, list[i].Event.Cause)
			}
			ids[i] = list[i].ClaimID
		}
		type head struct {
			state ClaimState
			pcn   string
		}
		heads := make(map[int64]head, len(ids))
		where, arg := inKeys(w, ids)
		rows, err := w.query(ctx, "SELECT id, state, pcn FROM claims WHERE id"+where+" ORDER BY id"+w.st.d.forUpdate, arg)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var h head
			var state string
			if err := rows.Scan(&id, &state, &h.pcn); err != nil {
				rows.Close()
				return err
			}
			h.state = ClaimState(state)
			heads[id] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		lines, err := w.linesOf(ctx, ids)
		if err != nil {
			return err
		}
		docs := make([]string, len(list))
		details := make([]string, len(list))
		states := make([]string, len(list))
		seen := make(map[int64]bool, len(list))
		for i := range list {
			r := &list[i]
			if seen[r.ClaimID] {
				return fmt.Errorf("%w: claim %d given twice", ErrInvalid, r.ClaimID)
			}
			seen[r.ClaimID] = true
			h, ok := heads[r.ClaimID]
			if !ok {
				return fmt.Errorf("claim %d: %w", r.ClaimID, ErrNotFound)
			}
			if !rebillableStates[h.state] {
				return fmt.Errorf("claim %d: %w: a claim in state %s cannot be billed to the next payer", r.ClaimID, ErrInvalidTransition, h.state)
			}
			if h.pcn != r.Claim.PatientControlNumber {
				return fmt.Errorf("claim %d: %w: the patient control number cannot change", r.ClaimID, ErrInvalid)
			}
			stored := lines[r.ClaimID]
			if len(stored) != len(r.Claim.Lines) {
				return fmt.Errorf("claim %d: %w: %d lines, the stored claim has %d", r.ClaimID, ErrInvalid, len(r.Claim.Lines), len(stored))
			}
			for j := range stored {
				if l := &r.Claim.Lines[j]; l.ControlNumber != stored[j].ControlNumber || l.Charge != stored[j].Charge {
					return fmt.Errorf("claim %d: %w: line %d differs from the stored line", r.ClaimID, ErrInvalid, j+1)
				}
			}
			states[i] = string(h.state)
			if docs[i] = r.doc; docs[i] == "" {
				if docs[i], err = jsonArg(r.Claim); err != nil {
					return err
				}
			}
			if details[i], err = eventDetail(r.Event.Detail); err != nil {
				return err
			}
		}
		now := w.st.now()
		if w.st.driver == Postgres {
			return w.rebillPostgres(ctx, list, states, docs, details, now)
		}
		return w.rebillSQLite(ctx, list, states, docs, details, now)
	})
	if err != nil {
		return fmt.Errorf("rebilling %d claims: %w", len(list), err)
	}
	return nil
}

// rebillSQLite writes RebillClaims' rows with statements that take them as JSON
// arrays (json_each), whose text does not change with the number of claims.
func (w *Conn) rebillSQLite(ctx context.Context, list []Rebill, states, docs, details []string, now time.Time) error {
	var claims, documents, events []byte
	claims = append(claims, '[')
	documents = append(documents, '[')
	events = append(events, '[')
	for i := range list {
		r := &list[i]
		if i > 0 {
			claims = append(claims, ',')
			documents = append(documents, ',')
			events = append(events, ',')
		}
		claims = append(claims, '[')
		claims = strconv.AppendInt(claims, r.ClaimID, 10)
		claims = append(claims, ',')
		claims = appendJSONString(claims, r.Claim.Frequency.Code())
		claims = append(claims, ',')
		if r.PayerID == 0 {
			claims = append(claims, "null"...)
		} else {
			claims = strconv.AppendInt(claims, r.PayerID, 10)
		}
		claims = append(claims, ']')

		documents = append(documents, '[')
		documents = strconv.AppendInt(documents, r.ClaimID, 10)
		documents = append(documents, ',')
		documents = appendJSONString(documents, docs[i])
		documents = append(documents, ']')

		st := states[i]
		events = append(events, '[')
		events = strconv.AppendInt(events, r.ClaimID, 10)
		events = append(events, ',')
		events = appendJSONString(events, st)
		events = append(events, ',')
		events = appendJSONString(events, string(r.Event.Cause))
		events = append(events, ',')
		events = appendJSONString(events, r.Event.Actor)
		events = append(events, ',')
		events = appendJSONString(events, details[i])
		events = append(events, ']')
	}
	claims = append(claims, ']')
	documents = append(documents, ']')
	events = append(events, ']')
	if _, err := w.exec(ctx, `UPDATE claims SET frequency = v.value->>1, payer_id = v.value->>2, payer_claim_number = '', updated_at = ?
		FROM json_each(?) AS v WHERE claims.id = v.value->>0`, now, string(claims)); err != nil {
		return classify(err)
	}
	if _, err := w.exec(ctx, `UPDATE claim_documents SET claim = v.value->>1
		FROM json_each(?) AS v WHERE claim_documents.claim_id = v.value->>0`, string(documents)); err != nil {
		return classify(err)
	}
	if _, err := w.exec(ctx, `INSERT INTO claim_events (claim_id, at, from_state, to_state, cause, actor, detail)
		SELECT e.value->>0, ?, e.value->>1, e.value->>1, e.value->>2, e.value->>3, e.value->>4 FROM json_each(?) AS e ORDER BY e.key`,
		now, string(events)); err != nil {
		return classify(err)
	}
	return nil
}

// rebillPostgres writes RebillClaims' rows with statements that take them as
// arrays (unnest), and the history with COPY.
func (w *Conn) rebillPostgres(ctx context.Context, list []Rebill, states, docs, details []string, now time.Time) error {
	ids := make([]int64, len(list))
	freqs := make([]string, len(list))
	payers := make([]int64, len(list))
	for i := range list {
		ids[i], freqs[i], payers[i] = list[i].ClaimID, list[i].Claim.Frequency.Code(), list[i].PayerID
	}
	if _, err := w.tx.ExecContext(ctx, `UPDATE claims SET frequency = v.freq, payer_id = NULLIF(v.payer, 0), payer_claim_number = '',
			updated_at = $4
		FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS v (id, freq, payer) WHERE claims.id = v.id AND claims.id = ANY ($1)`,
		pq.Array(ids), pq.Array(freqs), pq.Array(payers), now); err != nil {
		return classify(err)
	}
	if _, err := w.tx.ExecContext(ctx, `UPDATE claim_documents SET claim = v.doc::jsonb
		FROM unnest($1::bigint[], $2::text[]) AS v (id, doc) WHERE claim_documents.claim_id = v.id AND claim_documents.claim_id = ANY ($1)`,
		pq.Array(ids), pq.Array(docs)); err != nil {
		return classify(err)
	}
	rs := newRowSet("claim_events", claimEventColumns, len(list))
	for i := range list {
		r := &list[i]
		rs.vals = append(rs.vals, r.ClaimID, now, states[i], states[i], string(r.Event.Cause), r.Event.Actor, details[i])
	}
	if _, err := w.writeRowSet(ctx, rs); err != nil {
		return classify(err)
	}
	return nil
}

// PaymentOrigin says where a claim payment came from: the remittance that carried it
// and the payer that sent that remittance.
type PaymentOrigin struct {
	PaymentID      int64
	RemittanceID   int64
	PayerID        int64        // our payer, 0 when the remittance's was not recognized
	PaymentDate    billing.Date // BPR16
	ProductionDate billing.Date // DTM*405
}

// PaymentOrigins returns the origin of every payment of a claim, oldest first (in the
// order of ClaimPayments).
func (c *Conn) PaymentOrigins(ctx context.Context, claimID int64) ([]PaymentOrigin, error) {
	by, err := c.PaymentOriginsOf(ctx, []int64{claimID})
	return by[claimID], err
}

// paymentOriginFrom joins claims' payments (cp) to the remittances (r) they came
// in; paymentOriginColumns are the remittance's part of a PaymentOrigin, scanned
// into originDest.
const (
	paymentOriginFrom    = ` FROM claim_payments cp JOIN remittances r ON r.id = cp.remittance_id`
	paymentOriginColumns = `r.payer_id, r.payment_date, r.production_date`
)

func originDest(o *PaymentOrigin) []any {
	return []any{idDest{&o.PayerID}, dateDest{&o.PaymentDate}, dateDest{&o.ProductionDate}}
}

// LockClaim returns the claim's state and, on a Tx, locks the claim's row until the
// transaction ends (PostgreSQL: SELECT ... FOR UPDATE; SQLite's transaction holds the
// write lock already), so that a plan made from what the transaction reads next
// cannot be overtaken by a concurrent change of the claim.
func (c *Conn) LockClaim(ctx context.Context, id int64) (ClaimState, error) {
	var state string
	err := c.inTx(ctx, func(w *Conn) error {
		err := w.tx.QueryRowContext(ctx, w.st.d.rebind("SELECT state FROM claims WHERE id = ?"+w.st.d.forUpdate), id).Scan(&state)
		return notFound(err, "claim", id)
	})
	if err != nil {
		return "", fmt.Errorf("locking claim %d: %w", id, err)
	}
	return ClaimState(state), nil
}
