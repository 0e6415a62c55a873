package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/lib/pq"
)

// SubmissionStatus is where a submitted file is.
type SubmissionStatus string

// The submission statuses.
const (
	SubmissionCreated     SubmissionStatus = "created"
	SubmissionTransmitted SubmissionStatus = "transmitted"
	SubmissionFailed      SubmissionStatus = "failed"
)

// Submission is one 837P file sent (or to send) to a clearinghouse.
type Submission struct {
	ID            int64
	Clearinghouse string
	FileName      string
	SHA256        string // hex, unique
	ISA13         string // interchange control number, unique per clearinghouse
	Size          int64
	Status        SubmissionStatus
	CreatedAt     time.Time
	TransmittedAt time.Time
	// Claims say where each claim is in the file.
	Claims []SubmittedClaim
}

// SubmittedClaim places one claim in a submission: the x837p.Trace that Build
// returned for it, with the claim's id.
type SubmittedClaim struct {
	ClaimID int64
	Trace   x837p.Trace
}

// InsertSubmission stores a submission with the claims it holds and returns its id.
// A file's hash and a clearinghouse's ISA13 are unique (ErrDuplicate).
func (c *Conn) InsertSubmission(ctx context.Context, s Submission) (int64, error) {
	if s.Status == "" {
		s.Status = SubmissionCreated
	}
	var id int64
	err := c.inTx(ctx, func(w *Conn) error {
		var err error
		id, _, err = w.insertID(ctx, `INSERT INTO submissions (clearinghouse, file_name, sha256, isa13, size, status,
				created_at, transmitted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, s.Clearinghouse, s.FileName, s.SHA256, s.ISA13, s.Size,
			string(s.Status), w.st.now(), timeArg(s.TransmittedAt))
		if err != nil {
			return err
		}
		return w.insertSubmittedClaims(ctx, id, s.Claims)
	})
	if err != nil {
		return 0, fmt.Errorf("storing submission %s: %w", s.FileName, err)
	}
	return id, nil
}

// insertSubmittedClaims writes the claims of a submission with one statement: on
// PostgreSQL their columns as arrays, on SQLite their rows as one JSON array
// (json_each), so that the statement's text does not change with the number of
// claims and is parsed once.
func (w *Conn) insertSubmittedClaims(ctx context.Context, submissionID int64, claims []SubmittedClaim) error {
	if len(claims) == 0 {
		return nil
	}
	if w.st.driver == Postgres {
		ids, clms := make([]int64, len(claims)), make([]int64, len(claims))
		gs06s, st02s, lines := make([]string, len(claims)), make([]string, len(claims)), make([]string, len(claims))
		for i, sc := range claims {
			ids[i], clms[i] = sc.ClaimID, int64(sc.Trace.CLM)
			gs06s[i], st02s[i], lines[i] = sc.Trace.GS06, sc.Trace.ST02, intsArg(sc.Trace.Lines)
		}
		_, err := w.exec(ctx, `INSERT INTO submission_claims (submission_id, claim_id, gs06, st02, clm_ordinal, line_ordinals)
			SELECT ?, v.claim_id, v.gs06, v.st02, v.clm, v.lines::jsonb
			FROM unnest(?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::text[]) AS v (claim_id, gs06, st02, clm, lines)`,
			submissionID, pq.Array(ids), pq.Array(gs06s), pq.Array(st02s), pq.Array(clms), pq.Array(lines))
		return classify(err)
	}
	b := make([]byte, 0, 64*len(claims))
	b = append(b, '[')
	for i, sc := range claims {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, sc.ClaimID, 10)
		b = append(b, ',')
		b = appendJSONString(b, sc.Trace.GS06)
		b = append(b, ',')
		b = appendJSONString(b, sc.Trace.ST02)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(sc.Trace.CLM), 10)
		b = append(b, ',')
		b = appendJSONString(b, intsArg(sc.Trace.Lines))
		b = append(b, ']')
	}
	b = append(b, ']')
	_, err := w.exec(ctx, `INSERT INTO submission_claims (submission_id, claim_id, gs06, st02, clm_ordinal, line_ordinals)
		SELECT ?, v.value->>0, v.value->>1, v.value->>2, v.value->>3, v.value->>4 FROM json_each(?) AS v ORDER BY v.key`,
		submissionID, string(b))
	return classify(err)
}

func intsArg(v []int) string {
	if v == nil {
		v = []int{}
	}
	s, _ := jsonArg(v)
	return s
}

// MarkSubmission records a submission's new status; transmitted stamps the time.
func (c *Conn) MarkSubmission(ctx context.Context, id int64, status SubmissionStatus) error {
	err := c.inTx(ctx, func(w *Conn) error {
		var at any
		if status == SubmissionTransmitted {
			at = w.st.now()
		}
		res, err := w.exec(ctx, "UPDATE submissions SET status = ?, transmitted_at = COALESCE(?, transmitted_at) WHERE id = ?",
			string(status), at, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("marking submission %d %s: %w", id, status, err)
	}
	return nil
}

// Submission returns the submission with the id, with its claims.
func (c *Conn) Submission(ctx context.Context, id int64) (Submission, error) {
	return c.submission(ctx, "id = ?", id)
}

// SubmissionByISA13 returns the submission a TA1 answers: the clearinghouse's file
// with the interchange control number.
func (c *Conn) SubmissionByISA13(ctx context.Context, clearinghouse, isa13 string) (Submission, error) {
	return c.submission(ctx, "clearinghouse = ? AND isa13 = ?", clearinghouse, isa13)
}

// SubmissionIDByISA13 returns the id of the clearinghouse's file with the
// interchange control number, without reading its claims (what a 277CA's batch
// trace needs); ErrNotFound when there is none.
func (c *Conn) SubmissionIDByISA13(ctx context.Context, clearinghouse, isa13 string) (int64, error) {
	var id int64
	err := c.queryRow(ctx, `SELECT id FROM submissions WHERE clearinghouse = ? AND isa13 = ?`, clearinghouse, isa13).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("reading submission: %w", notFound(err, "submission", isa13))
	}
	return id, nil
}

func (c *Conn) submission(ctx context.Context, where string, args ...any) (Submission, error) {
	var s Submission
	var status string
	err := c.queryRow(ctx, `SELECT id, clearinghouse, file_name, sha256, isa13, size, status, created_at, transmitted_at
		FROM submissions WHERE `+where, args...).Scan(&s.ID, &s.Clearinghouse, &s.FileName, &s.SHA256, &s.ISA13, &s.Size,
		&status, timeDest{&s.CreatedAt}, timeDest{&s.TransmittedAt})
	if err != nil {
		return s, fmt.Errorf("reading submission: %w", notFound(err, "submission", args[len(args)-1]))
	}
	s.Status = SubmissionStatus(status)
	s.Claims, err = c.SubmittedClaims(ctx, s.ID, "", "")
	return s, err
}

// SubmittedClaims returns the claims of a submission, in file order; with gs06 and
// st02, only those of that transaction set (what a 999 answers).
func (c *Conn) SubmittedClaims(ctx context.Context, submissionID int64, gs06, st02 string) ([]SubmittedClaim, error) {
	q := `SELECT sc.claim_id, c.pcn, s.isa13, sc.gs06, sc.st02, sc.clm_ordinal, sc.line_ordinals
		FROM submission_claims sc JOIN submissions s ON s.id = sc.submission_id JOIN claims c ON c.id = sc.claim_id
		WHERE sc.submission_id = ?`
	args := []any{submissionID}
	if gs06 != "" || st02 != "" {
		q += " AND sc.gs06 = ? AND sc.st02 = ?"
		args = append(args, gs06, st02)
	}
	rows, err := c.query(ctx, q+" ORDER BY sc.gs06, sc.st02, sc.clm_ordinal", args...)
	if err != nil {
		return nil, fmt.Errorf("reading claims of submission %d: %w", submissionID, err)
	}
	defer rows.Close()
	var list []SubmittedClaim
	for rows.Next() {
		var sc SubmittedClaim
		t := &sc.Trace
		if err := rows.Scan(&sc.ClaimID, &t.PatientControlNumber, &t.ISA13, &t.GS06, &t.ST02, &t.CLM, jsonDest{&t.Lines}); err != nil {
			return nil, fmt.Errorf("reading claims of submission %d: %w", submissionID, err)
		}
		list = append(list, sc)
	}
	return list, rows.Err()
}

// LastSubmissionID returns the highest submission id, 0 when there is none. On
// SQLite, whose one writer commits submissions in the order of their ids (never
// deleted), an unchanged last id means that no submission was stored since: a
// reader that decided with submissions outside the write transaction checks that
// inside it. On PostgreSQL ids may commit out of order, and it tells nothing of
// the kind.
func (c *Conn) LastSubmissionID(ctx context.Context) (int64, error) {
	var id int64
	if err := c.queryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM submissions").Scan(&id); err != nil {
		return 0, fmt.Errorf("reading the last submission id: %w", err)
	}
	return id, nil
}

// ClaimSubmissions returns the ids of the submissions that carried a claim, oldest first.
func (c *Conn) ClaimSubmissions(ctx context.Context, claimID int64) ([]int64, error) {
	rows, err := c.query(ctx, "SELECT submission_id FROM submission_claims WHERE claim_id = ? ORDER BY submission_id", claimID)
	if err != nil {
		return nil, fmt.Errorf("reading submissions of claim %d: %w", claimID, err)
	}
	return scanIDs(rows)
}

// LatestSubmissions returns each claim's latest submission (the highest id), by
// claim id; claims never submitted are left out. One query: what an
// acknowledgement file needs to tell answers to earlier submissions apart.
func (c *Conn) LatestSubmissions(ctx context.Context, claimIDs []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(claimIDs))
	err := inKeysQuery(c, claimIDs, func(where string, args []any) error {
		rows, err := c.query(ctx, "SELECT claim_id, MAX(submission_id) FROM submission_claims WHERE claim_id"+where+" GROUP BY claim_id", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var claim, sub int64
			if err := rows.Scan(&claim, &sub); err != nil {
				return err
			}
			out[claim] = sub
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the latest submissions of %d claims: %w", len(claimIDs), err)
	}
	return out, nil
}

// SubmissionsAwaitingAck returns the transmitted submissions sent before a time
// that no acknowledgement answers yet: for the missing-acknowledgement alarm.
func (c *Conn) SubmissionsAwaitingAck(ctx context.Context, sentBefore time.Time) ([]int64, error) {
	rows, err := c.query(ctx, `SELECT s.id FROM submissions s
		WHERE s.status = 'transmitted' AND s.transmitted_at < ?
			AND NOT EXISTS (SELECT 1 FROM acknowledgements a WHERE a.submission_id = s.id)
		ORDER BY s.id`, sentBefore.UTC())
	if err != nil {
		return nil, fmt.Errorf("listing submissions awaiting acknowledgement: %w", err)
	}
	return scanIDs(rows)
}
