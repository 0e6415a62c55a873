package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/claimflow/claimflow/billing"
)

// ClaimLedgerStamp is a wider ClaimStamp, for plans that also depend on a claim's
// payments and ledger (the secondary stage's). It is what changes when anything a
// plan made from a stored claim depends on changes: the claim's state, payer and last update, and how many rows its
// history, its claim payments and its ledger entries have. Those three tables only
// grow (a reversal is a new entry, a payment matched to the claim later counts for
// it from then on), and every change of a claim's state, document or lines writes a
// row of its history, so a claim whose stamp is the same at two moments had the
// same state, document, lines, payments and ledger at both, and at every moment
// between.
type ClaimLedgerStamp struct {
	State     ClaimState
	PayerID   int64 // 0 when none
	UpdatedAt time.Time
	Events    int64 // rows of its history (claim_events)
	Payments  int64 // claim payments matched to it
	Entries   int64 // its ledger entries
}

// stampCounts are the columns of a ClaimLedgerStamp counted in other tables, for
// the rows of claims a query reads.
const stampCounts = `(SELECT COUNT(*) FROM claim_events e WHERE e.claim_id = claims.id),
	(SELECT COUNT(*) FROM claim_payments p WHERE p.claim_id = claims.id),
	(SELECT COUNT(*) FROM ledger_entries l WHERE l.claim_id = claims.id)`

// ClaimLedgerStamps returns the stamps of the claims with the ids, by id, in one query;
// ids with no claim are left out. On a Tx it locks the claims, in id order, as
// LockClaims does (PostgreSQL; SQLite's writer holds the whole database), so that
// the stamps stay true until the transaction ends.
//
// A caller that reads stamps outside a transaction BEFORE reading what it plans
// from, then reads them again in the transaction that writes the plan, knows that
// a claim whose stamp did not change is as it read it: the reads between were not
// overtaken by a change of that claim.
func (c *Conn) ClaimLedgerStamps(ctx context.Context, ids []int64) (map[int64]ClaimLedgerStamp, error) {
	out := make(map[int64]ClaimLedgerStamp, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		lock := ""
		if c.tx != nil {
			lock = c.st.d.forUpdate
		}
		rows, err := c.query(ctx, `SELECT id, state, payer_id, updated_at, `+stampCounts+`
			FROM claims WHERE id`+where+` ORDER BY id`+lock, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var s ClaimLedgerStamp
			var state string
			if err := rows.Scan(&id, &state, idDest{&s.PayerID}, timeDest{&s.UpdatedAt}, &s.Events, &s.Payments, &s.Entries); err != nil {
				return err
			}
			s.State = ClaimState(state)
			out[id] = s
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the stamps of %d claims: %w", len(ids), err)
	}
	return out, nil
}

// coverageMark is the part of a coverage ClaimsBilledCoverage decodes: the payer's
// id and whether the payer adjudicated the claim (an adjudication present and not
// null).
type coverageMark struct {
	payerID      string
	adjudication bool
}

// billedCoverageDoc is the part of a claim's document ClaimsBilledCoverage decodes.
type billedCoverageDoc struct {
	pcn       string
	coverages []coverageMark
}

// decodeBilledCoverage reads the patient control number and, of each coverage,
// the payer's id and whether an adjudication is present, in one pass over the
// document that skips everything else without decoding it (encoding/json decodes
// or at least validates all of a 2 KB document, for a few dozen bytes). A
// document it cannot read (not JSON as encoding/json writes it or PostgreSQL's
// jsonb returns it) fails with an error; ClaimsBilledCoverage then decodes it
// with encoding/json.
func decodeBilledCoverage(b []byte, d *billedCoverageDoc) error {
	j := jsonWalk{b: b}
	err := j.object(func(key []byte) error {
		switch string(key) {
		case "patient_control_number":
			return j.str(&d.pcn)
		case "coverages":
			if j.null() {
				return nil
			}
			return j.array(func() error {
				var m coverageMark
				err := j.object(func(key []byte) error {
					switch string(key) {
					case "payer":
						return j.object(func(key []byte) error {
							if string(key) == "id" {
								return j.str(&m.payerID)
							}
							return j.skip()
						})
					case "adjudication":
						m.adjudication = !j.null()
						if m.adjudication {
							return j.skip()
						}
						return nil
					}
					return j.skip()
				})
				d.coverages = append(d.coverages, m)
				return err
			})
		}
		return j.skip()
	})
	if err != nil {
		return err
	}
	if j.ws(); j.i != len(j.b) {
		return errJSONWalk
	}
	return nil
}

var errJSONWalk = errors.New("unexpected JSON")

// jsonWalk walks a JSON document, reading what its caller asks for and skipping
// the rest.
type jsonWalk struct {
	b []byte
	i int
}

func (j *jsonWalk) ws() {
	for j.i < len(j.b) {
		switch j.b[j.i] {
		case ' ', '\t', '\n', '\r':
			j.i++
		default:
			return
		}
	}
}

// null consumes a null and reports whether there was one.
func (j *jsonWalk) null() bool {
	j.ws()
	if j.i+4 <= len(j.b) && string(j.b[j.i:j.i+4]) == "null" {
		j.i += 4
		return true
	}
	return false
}

// object calls field for each key of an object, with the walk at its value,
// which field must consume.
func (j *jsonWalk) object(field func(key []byte) error) error {
	if j.ws(); j.i >= len(j.b) || j.b[j.i] != '{' {
		return errJSONWalk
	}
	j.i++
	if j.ws(); j.i < len(j.b) && j.b[j.i] == '}' {
		j.i++
		return nil
	}
	for {
		j.ws()
		start := j.i
		if err := j.skipString(); err != nil {
			return err
		}
		key := j.b[start+1 : j.i-1]
		if j.ws(); j.i >= len(j.b) || j.b[j.i] != ':' {
			return errJSONWalk
		}
		j.i++
		if err := field(key); err != nil {
			return err
		}
		if j.ws(); j.i >= len(j.b) {
			return errJSONWalk
		}
		switch j.b[j.i] {
		case ',':
			j.i++
		case '}':
			j.i++
			return nil
		default:
			return errJSONWalk
		}
	}
}

// array calls elem for each element of an array, with the walk at it.
func (j *jsonWalk) array(elem func() error) error {
	if j.ws(); j.i >= len(j.b) || j.b[j.i] != '[' {
		return errJSONWalk
	}
	j.i++
	if j.ws(); j.i < len(j.b) && j.b[j.i] == ']' {
		j.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if j.ws(); j.i >= len(j.b) {
			return errJSONWalk
		}
		switch j.b[j.i] {
		case ',':
			j.i++
		case ']':
			j.i++
			return nil
		default:
			return errJSONWalk
		}
	}
}

// str reads a string (or null, leaving *s as it is).
func (j *jsonWalk) str(s *string) error {
	if j.null() {
		return nil
	}
	start := j.i
	if err := j.skipString(); err != nil {
		return err
	}
	raw := j.b[start+1 : j.i-1]
	for _, c := range raw {
		if c == '\\' || c >= 0x80 {
			return json.Unmarshal(j.b[start:j.i], s)
		}
	}
	*s = string(raw)
	return nil
}

// skipString moves past a string, the walk at its opening quote.
func (j *jsonWalk) skipString() error {
	if j.i >= len(j.b) || j.b[j.i] != '"' {
		return errJSONWalk
	}
	for j.i++; j.i < len(j.b); j.i++ {
		switch j.b[j.i] {
		case '\\':
			j.i++
		case '"':
			j.i++
			return nil
		}
	}
	return errJSONWalk
}

// skip moves past a value.
func (j *jsonWalk) skip() error {
	if j.ws(); j.i >= len(j.b) {
		return errJSONWalk
	}
	switch c := j.b[j.i]; c {
	case '"':
		return j.skipString()
	case '{', '[':
		depth := 0
		for ; j.i < len(j.b); j.i++ {
			switch j.b[j.i] {
			case '"':
				if err := j.skipString(); err != nil {
					return err
				}
				j.i--
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					j.i++
					return nil
				}
			}
		}
		return errJSONWalk
	default:
		// A number, true, false or null.
		start := j.i
		for j.i < len(j.b) {
			switch j.b[j.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if j.i == start {
					return errJSONWalk
				}
				return nil
			}
			j.i++
		}
		return nil
	}
}

// billedCoverageDest scans a claim's document into a billedCoverageDoc.
type billedCoverageDest struct{ d *billedCoverageDoc }

func (s billedCoverageDest) Scan(src any) error {
	var b []byte
	switch src := src.(type) {
	case string:
		b = []byte(src)
	case []byte:
		b = src
	default:
		return fmt.Errorf("scanning a claim's document from %T", src)
	}
	if err := decodeBilledCoverage(b, s.d); err == nil {
		return nil
	}
	// Not as expected: encoding/json decides (and reports what is wrong).
	var doc struct {
		PCN       string `json:"patient_control_number"`
		Coverages []struct {
			Payer struct {
				ID string `json:"id"`
			} `json:"payer"`
			Adjudication json.RawMessage `json:"adjudication"`
		} `json:"coverages"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("decoding JSON: %w", err)
	}
	*s.d = billedCoverageDoc{pcn: doc.PCN}
	for _, c := range doc.Coverages {
		s.d.coverages = append(s.d.coverages, coverageMark{payerID: c.Payer.ID,
			adjudication: len(c.Adjudication) > 0 && string(c.Adjudication) != "null"})
	}
	return nil
}

// ClaimsBilledCoverage is ClaimsCoverages decoding less: each claim's coverages
// hold only their payer's id (Payer.ID) and, for those that adjudicated the
// claim, an empty Adjudication; nothing else of the document is decoded but the
// patient control number. It answers which coverage a claim is billed to
// (billing.Claim.BilledCoverage), to which payer, and whether one is left after
// it, for a fraction of decoding every coverage.
func (c *Conn) ClaimsBilledCoverage(ctx context.Context, ids []int64) ([]Claim, error) {
	out, err := c.billedCoverage(ctx, ids, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the billed coverages of %d claims: %w", len(ids), err)
	}
	return out, nil
}

// ClaimsBilledCoverageStamped is ClaimsBilledCoverage with the claims' stamps
// (ClaimLedgerStamps), by id, read by the same statement as the claims: one query
// where the two took two. Like stamps read first, they are as old as the claims
// and older than whatever the caller reads next, which they guard.
func (c *Conn) ClaimsBilledCoverageStamped(ctx context.Context, ids []int64) ([]Claim, map[int64]ClaimLedgerStamp, error) {
	stamps := make(map[int64]ClaimLedgerStamp, len(ids))
	out, err := c.billedCoverage(ctx, ids, stamps)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the billed coverages and stamps of %d claims: %w", len(ids), err)
	}
	return out, stamps, nil
}

// billedCoverage reads ClaimsBilledCoverage's claims and, when stamps is not nil,
// their stamps into it.
func (c *Conn) billedCoverage(ctx context.Context, ids []int64, stamps map[int64]ClaimLedgerStamp) ([]Claim, error) {
	out := make([]Claim, 0, len(ids))
	counts := ""
	if stamps != nil {
		counts = ", " + stampCounts
	}
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		rows, err := c.query(ctx, "SELECT "+claimColumns+counts+" FROM "+claimsWithDocuments+" WHERE id"+where+" ORDER BY id", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var cl Claim
			var doc billedCoverageDoc
			var state string
			var s ClaimLedgerStamp
			dest := []any{&cl.ID, billedCoverageDest{&doc}, idDest{&cl.PatientID}, idDest{&cl.PayerID}, idDest{&cl.BillingProviderID},
				&state, &cl.PayerClaimNumber, dateDest{&cl.FirstBilledOn}, timeDest{&cl.CreatedAt}, timeDest{&cl.UpdatedAt}}
			if stamps != nil {
				dest = append(dest, &s.Events, &s.Payments, &s.Entries)
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			cl.State = ClaimState(state)
			cl.PatientControlNumber = doc.pcn
			if len(doc.coverages) > 0 {
				cl.Coverages = make([]billing.Coverage, len(doc.coverages))
				for i, m := range doc.coverages {
					cl.Coverages[i].Payer.ID = m.payerID
					if m.adjudication {
						cl.Coverages[i].Adjudication = &billing.OtherPayerAdjudication{}
					}
				}
			}
			if stamps != nil {
				s.State, s.PayerID, s.UpdatedAt = cl.State, cl.PayerID, cl.UpdatedAt
				stamps[cl.ID] = s
			}
			out = append(out, cl)
		}
		return rows.Err()
	})
	return out, err
}

// PayerKeys returns, in one query, our id and the payer id (2010BB NM109) of the
// payers with the ids and of those with the payer ids: the payer id by our id, and
// our id by payer id. Payers not found are left out.
func (c *Conn) PayerKeys(ctx context.Context, ids []int64, payerIDs []string) (map[int64]string, map[string]int64, error) {
	byID := make(map[int64]string, len(ids))
	byPayerID := make(map[string]int64, len(payerIDs))
	if len(ids) == 0 && len(payerIDs) == 0 {
		return byID, byPayerID, nil
	}
	if ids == nil {
		ids = []int64{}
	}
	if payerIDs == nil {
		payerIDs = []string{}
	}
	idWhere, idArg := inKeys(c, ids)
	pidWhere, pidArg := inKeys(c, payerIDs)
	rows, err := c.query(ctx, "SELECT id, payer_id FROM payers WHERE id"+idWhere+" OR payer_id"+pidWhere, idArg, pidArg)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the keys of %d payers: %w", len(ids)+len(payerIDs), err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var pid string
		if err := rows.Scan(&id, &pid); err != nil {
			return nil, nil, fmt.Errorf("reading the keys of %d payers: %w", len(ids)+len(payerIDs), err)
		}
		byID[id] = pid
		byPayerID[pid] = id
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading the keys of %d payers: %w", len(ids)+len(payerIDs), err)
	}
	return byID, byPayerID, nil
}

// claimPaymentSelectCP is claimPaymentSelect with each column of claim_payments
// named cp.
var claimPaymentSelectCP = "cp." + strings.Join(strings.Fields(strings.ReplaceAll(claimPaymentSelect, ",", " ")), ", cp.")

// ClaimPaymentsAndOriginsOf returns what ClaimPaymentsOf and PaymentOriginsOf
// return for the claims with the ids, by claim, with one query: each payment with
// the remittance it came in. The payments of the claims also in services carry
// their services, read by a second query (none when services is empty). Claims
// without payments are left out.
func (c *Conn) ClaimPaymentsAndOriginsOf(ctx context.Context, ids, services []int64) (map[int64][]ClaimPayment, map[int64][]PaymentOrigin, error) {
	pays := make(map[int64][]ClaimPayment, len(ids))
	origins := make(map[int64][]PaymentOrigin, len(ids))
	err := inKeysQuery(c, ids, func(where string, args []any) error {
		rows, err := c.query(ctx, `SELECT `+claimPaymentSelectCP+`, `+paymentOriginColumns+paymentOriginFrom+`
			WHERE cp.claim_id`+where+` ORDER BY cp.id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var cp ClaimPayment
			var o PaymentOrigin
			if err := rows.Scan(append(claimPaymentDest(&cp), originDest(&o)...)...); err != nil {
				return err
			}
			o.PaymentID, o.RemittanceID = cp.ID, cp.RemittanceID
			pays[cp.ClaimID] = append(pays[cp.ClaimID], cp)
			origins[cp.ClaimID] = append(origins[cp.ClaimID], o)
		}
		return rows.Err()
	})
	if err == nil {
		err = c.servicesOf(ctx, pays, services)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading the payments of %d claims: %w", len(ids), err)
	}
	return pays, origins, nil
}

// servicesOf reads the services of the payments of the claims in ids, which pays
// holds, into them: one query.
func (c *Conn) servicesOf(ctx context.Context, pays map[int64][]ClaimPayment, ids []int64) error {
	type at struct {
		claim int64
		i     int
	}
	index := map[int64]at{}
	var paymentIDs []int64
	for _, id := range ids {
		for i, cp := range pays[id] {
			index[cp.ID] = at{id, i}
			paymentIDs = append(paymentIDs, cp.ID)
		}
	}
	return inKeysQuery(c, paymentIDs, func(where string, args []any) error {
		rows, err := c.query(ctx, `SELECT `+servicePaymentSelect+`
			FROM service_payments WHERE claim_payment_id`+where+` ORDER BY id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sp ServicePayment
			if err := scanServicePayment(rows, &sp); err != nil {
				return err
			}
			a := index[sp.claimPaymentID]
			cp := &pays[a.claim][a.i]
			cp.Services = append(cp.Services, sp)
		}
		return rows.Err()
	})
}
