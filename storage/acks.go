package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Ack is one acknowledgement: a TA1 for an interchange, a 999 for a transaction
// set, or a 277CA status for a claim.
type Ack struct {
	ID int64
	// Key makes storing idempotent: the inbound file's hash and the answer's position
	// in it, for instance. Required.
	Key           string
	InboundFileID int64
	Kind          string // ta1, 999 or 277ca
	SubmissionID  int64
	ClaimID       int64
	ISA13         string
	GS06          string
	ST02          string
	PCN           string
	// Status is TA104 (A, E, R), IK501/AK901 (A, E, R...) or the 277CA STC
	// category:status (A1:20, A7:562).
	Status string
	// Codes are the error or status codes (TA105, IK3/IK4 codes, STC codes).
	Codes []string
	// Detail is JSON: what a person needs to see, without PHI values.
	Detail     json.RawMessage
	ReceivedAt time.Time
}

// InsertAck stores an acknowledgement and returns its id; when one with the same key
// is stored already it writes nothing and returns that one's id with isNew false.
func (c *Conn) InsertAck(ctx context.Context, a Ack) (id int64, isNew bool, err error) {
	if a.Key == "" {
		return 0, false, fmt.Errorf("storing acknowledgement: %w: no key", ErrInvalid)
	}
	detail := string(a.Detail)
	if detail == "" {
		detail = "{}"
	}
	err = c.inTx(ctx, func(w *Conn) error {
		var err error
		id, isNew, err = w.insertID(ctx, `INSERT INTO acknowledgements (ack_key, inbound_file_id, kind, submission_id,
				claim_id, isa13, gs06, st02, pcn, status, codes, detail, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ack_key) DO NOTHING RETURNING id`,
			a.Key, idArg(a.InboundFileID), a.Kind, idArg(a.SubmissionID), idArg(a.ClaimID), a.ISA13, a.GS06, a.ST02,
			a.PCN, a.Status, stringsArg(a.Codes), detail, w.st.now())
		if err != nil || isNew {
			return err
		}
		return w.queryRow(ctx, "SELECT id FROM acknowledgements WHERE ack_key = ?", a.Key).Scan(&id)
	})
	if err != nil {
		return 0, false, fmt.Errorf("storing %s acknowledgement %s: %w", a.Kind, a.Key, err)
	}
	return id, isNew, nil
}

// insertAcksRows is how many acknowledgements one INSERT of InsertAcks writes:
// 13 values each.
const insertAcksRows = 300

// InsertAcks stores acknowledgements with a few multi-row INSERTs and returns how
// many it stored: those whose key is stored already are skipped, as InsertAck skips
// them. Every ack needs its key. On SQLite the statement of a whole chunk is
// prepared once for the call: SQLite would otherwise parse its 3,900 parameters
// again for every chunk (a file of 5,000 answers has 17).
func (c *Conn) InsertAcks(ctx context.Context, acks []Ack) (int, error) {
	if len(acks) == 0 {
		return 0, nil
	}
	stored := 0
	err := c.inTx(ctx, func(w *Conn) error {
		stored = 0
		now := w.st.now()
		var full *sql.Stmt
		defer func() {
			if full != nil {
				full.Close()
			}
		}()
		for start := 0; start < len(acks); start += insertAcksRows {
			chunk := acks[start:min(start+insertAcksRows, len(acks))]
			args := make([]any, 0, len(chunk)*insertAcksCols)
			for i := range chunk {
				a := &chunk[i]
				if a.Key == "" {
					return fmt.Errorf("%w: acknowledgement without a key", ErrInvalid)
				}
				detail := string(a.Detail)
				if detail == "" {
					detail = "{}"
				}
				args = append(args, a.Key, idArg(a.InboundFileID), a.Kind, idArg(a.SubmissionID), idArg(a.ClaimID), a.ISA13,
					a.GS06, a.ST02, a.PCN, a.Status, stringsArg(a.Codes), detail, now)
			}
			var res sql.Result
			var err error
			if w.st.driver == SQLite && len(chunk) == insertAcksRows && len(acks) > insertAcksRows {
				if full == nil {
					if full, err = w.tx.PrepareContext(ctx, w.st.d.rebind(insertAcksQuery(insertAcksRows))); err != nil {
						return err
					}
				}
				res, err = full.ExecContext(ctx, args...)
			} else {
				res, err = w.exec(ctx, insertAcksQuery(len(chunk)), args...)
			}
			if err != nil {
				return classify(err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			stored += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storing %d acknowledgements: %w", len(acks), err)
	}
	return stored, nil
}

// insertAcksCols is how many values a row of InsertAcks has.
const insertAcksCols = 13

// insertAcksQuery is the INSERT of InsertAcks for rows acknowledgements.
func insertAcksQuery(rows int) string {
	row := "(" + strings.Repeat("?, ", insertAcksCols-1) + "?)"
	return `INSERT INTO acknowledgements (ack_key, inbound_file_id, kind, submission_id, claim_id, isa13,
			gs06, st02, pcn, status, codes, detail, received_at)
		VALUES ` + strings.Repeat(row+", ", rows-1) + row + ` ON CONFLICT (ack_key) DO NOTHING`
}

// AckFilter selects acknowledgements: by submission or by claim.
type AckFilter struct {
	SubmissionID int64
	ClaimID      int64
}

// Acks returns the acknowledgements the filter selects, in the order received.
func (c *Conn) Acks(ctx context.Context, f AckFilter) ([]Ack, error) {
	where, arg := "submission_id = ?", f.SubmissionID
	if f.ClaimID != 0 {
		where, arg = "claim_id = ?", f.ClaimID
	}
	rows, err := c.query(ctx, `SELECT id, ack_key, inbound_file_id, kind, submission_id, claim_id, isa13, gs06, st02, pcn,
			status, codes, detail, received_at
		FROM acknowledgements WHERE `+where+" ORDER BY id", arg)
	if err != nil {
		return nil, fmt.Errorf("reading acknowledgements: %w", err)
	}
	defer rows.Close()
	var list []Ack
	for rows.Next() {
		var a Ack
		var detail []byte
		if err := rows.Scan(&a.ID, &a.Key, idDest{&a.InboundFileID}, &a.Kind, idDest{&a.SubmissionID}, idDest{&a.ClaimID},
			&a.ISA13, &a.GS06, &a.ST02, &a.PCN, &a.Status, jsonDest{&a.Codes}, &detail, timeDest{&a.ReceivedAt}); err != nil {
			return nil, fmt.Errorf("reading acknowledgements: %w", err)
		}
		a.Detail = json.RawMessage(detail)
		list = append(list, a)
	}
	return list, rows.Err()
}

// ClaimHeadsStampsByPCN returns the claims with the patient control numbers, by
// PCN, without their lines and documents, and their stamps, read together by one
// query: what an acknowledgement file needs of the claims it answers. PCNs with no
// claim are left out. Read the lines of the claims an answer names by line
// (LinesOf) after it: the stamps then guard them too.
func (c *Conn) ClaimHeadsStampsByPCN(ctx context.Context, pcns []string) (map[string]ClaimHead, map[string]ClaimStamp, error) {
	heads := make(map[string]ClaimHead, len(pcns))
	stamps := make(map[string]ClaimStamp, len(pcns))
	err := inKeysQuery(c, pcns, func(where string, args []any) error {
		rows, err := c.query(ctx, `SELECT `+claimHeadColumns+`, updated_at FROM claims WHERE pcn`+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h ClaimHead
			var state string
			var updated time.Time
			if err := rows.Scan(append(claimHeadDest(&h, &state), timeDest{&updated})...); err != nil {
				return err
			}
			h.State = ClaimState(state)
			heads[h.PCN] = h
			stamps[h.PCN] = ClaimStamp{ID: h.ID, PCN: h.PCN, State: h.State, UpdatedAt: updated}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading %d claims and their stamps by patient control number: %w", len(pcns), err)
	}
	return heads, stamps, nil
}

// SubmissionHeader returns the submission with the id without its claims (Claims
// is nil): what a 999 needs of the file it answers, whose claims it reads by
// transaction set (SubmittedClaims). ErrNotFound when there is none.
func (c *Conn) SubmissionHeader(ctx context.Context, id int64) (Submission, error) {
	var s Submission
	var status string
	err := c.queryRow(ctx, `SELECT id, clearinghouse, file_name, sha256, isa13, size, status, created_at, transmitted_at
		FROM submissions WHERE id = ?`, id).Scan(&s.ID, &s.Clearinghouse, &s.FileName, &s.SHA256, &s.ISA13, &s.Size,
		&status, timeDest{&s.CreatedAt}, timeDest{&s.TransmittedAt})
	if err != nil {
		return s, fmt.Errorf("reading submission: %w", notFound(err, "submission", id))
	}
	s.Status = SubmissionStatus(status)
	return s, nil
}
