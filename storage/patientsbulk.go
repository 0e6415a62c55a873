package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/claimflow/claimflow/billing"
)

// PatientCoverages is a patient to store with its coverages in order (see
// UpsertPatients).
type PatientCoverages struct {
	Patient   Patient
	Coverages []Coverage
}

// UpsertPatients stores patients with their coverages, as UpsertPatient and then
// SetCoverages would for each in turn, and returns their ids by index: a patient
// whose account number comes again later in ps ends as its last occurrence says,
// and every occurrence gets the same id. It reads the patients stored under the
// account numbers and their coverages first (locking the rows on PostgreSQL), and
// writes only the patients that are new or differ from what is stored, with a
// few multi-row statements: a patient stored exactly as given is not rewritten
// (its updated_at and its coverages' ids stay).
func (c *Conn) UpsertPatients(ctx context.Context, ps []PatientCoverages) ([]int64, error) {
	ids := make([]int64, len(ps))
	if len(ps) == 0 {
		return ids, nil
	}
	last := make(map[string]int, len(ps)) // account -> index of its last occurrence
	var accounts []string
	for i := range ps {
		p := &ps[i].Patient
		if p.AccountNumber == "" || p.LastName == "" {
			return nil, fmt.Errorf("storing patient: %w: account number and last name are required", ErrInvalid)
		}
		if _, ok := last[p.AccountNumber]; !ok {
			accounts = append(accounts, p.AccountNumber)
		}
		last[p.AccountNumber] = i
	}
	err := c.inTx(ctx, func(w *Conn) error {
		stored, err := w.storedPatients(ctx, accounts)
		if err != nil {
			return err
		}
		var write []int // indexes in ps of the patients to write
		byAccount := make(map[string]int64, len(accounts))
		for _, a := range accounts {
			i := last[a]
			if s, ok := stored[a]; ok && s.person == ps[i].Patient.Person && sameCoverages(s.id, s.covs, ps[i].Coverages) {
				byAccount[a] = s.id
				continue
			}
			write = append(write, i)
		}
		if len(write) > 0 {
			if err := w.writePatients(ctx, ps, write, byAccount); err != nil {
				return err
			}
		}
		for i := range ps {
			ids[i] = byAccount[ps[i].Patient.AccountNumber]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storing %d patients: %w", len(accounts), err)
	}
	return ids, nil
}

// storedPatient is a patient row and its coverages, as UpsertPatients compares them.
type storedPatient struct {
	id     int64
	person billing.Person
	covs   []Coverage
}

// storedPatients reads the patients with the account numbers and their coverages,
// locking the patients' rows (PostgreSQL).
func (w *Conn) storedPatients(ctx context.Context, accounts []string) (map[string]*storedPatient, error) {
	out := make(map[string]*storedPatient, len(accounts))
	byID := make(map[int64]*storedPatient, len(accounts))
	where, arg := inKeys(w, accounts)
	rows, err := w.query(ctx, `SELECT id, account_number, last_name, first_name, middle_name, suffix, birth_date, gender, address
		FROM patients WHERE account_number`+where+` ORDER BY id`+w.st.d.forUpdate, arg)
	if err != nil {
		return nil, fmt.Errorf("reading patients: %w", err)
	}
	for rows.Next() {
		s := &storedPatient{}
		var account string
		p := &s.person
		if err := rows.Scan(&s.id, &account, &p.LastName, &p.FirstName, &p.MiddleName, &p.Suffix, dateDest{&p.BirthDate},
			&p.Gender, jsonDest{&p.Address}); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading patients: %w", err)
		}
		out[account], byID[s.id] = s, s
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("reading patients: %w", err)
	}
	if len(byID) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	where, arg = inKeys(w, ids)
	rows, err = w.query(ctx, `SELECT id, patient_id, position, payer_id, member_id, group_number, filing_indicator,
			relationship, subscriber, effective_from, effective_to
		FROM coverages WHERE patient_id`+where+` ORDER BY patient_id, position`, arg)
	if err != nil {
		return nil, fmt.Errorf("reading coverages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cv Coverage
		if err := rows.Scan(&cv.ID, &cv.PatientID, &cv.Position, &cv.PayerID, &cv.MemberID, &cv.GroupNumber,
			&cv.FilingIndicator, &cv.Relationship, jsonDest{&cv.Subscriber}, dateDest{&cv.EffectiveFrom},
			dateDest{&cv.EffectiveTo}); err != nil {
			return nil, fmt.Errorf("reading coverages: %w", err)
		}
		if s := byID[cv.PatientID]; s != nil {
			s.covs = append(s.covs, cv)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading coverages: %w", err)
	}
	return out, nil
}

// sameCoverages reports whether the stored coverages of a patient are what
// SetCoverages would store for covs.
func sameCoverages(patientID int64, stored, covs []Coverage) bool {
	if len(stored) != len(covs) {
		return false
	}
	for i := range covs {
		s, cv := &stored[i], &covs[i]
		rel := cv.Relationship
		if rel == "" {
			rel = billing.RelationshipSelf
		}
		if s.PatientID != patientID || s.Position != i+1 || s.PayerID != cv.PayerID || s.MemberID != cv.MemberID ||
			s.GroupNumber != cv.GroupNumber || s.FilingIndicator != cv.FilingIndicator || s.Relationship != rel ||
			s.Subscriber != cv.Subscriber || s.EffectiveFrom != cv.EffectiveFrom || s.EffectiveTo != cv.EffectiveTo {
			return false
		}
	}
	return true
}

// writePatients upserts the patients ps[write] and replaces their coverages, and
// puts their ids in byAccount.
func (w *Conn) writePatients(ctx context.Context, ps []PatientCoverages, write []int, byAccount map[string]int64) error {
	now := w.st.now()
	const cols = 10
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	per := max(1, manyChunk/cols)
	for start := 0; start < len(write); start += per {
		chunk := write[start:min(start+per, len(write))]
		args := make([]any, 0, len(chunk)*cols)
		for _, i := range chunk {
			p := &ps[i].Patient
			addr, err := jsonArg(p.Address)
			if err != nil {
				return err
			}
			args = append(args, p.AccountNumber, p.LastName, p.FirstName, p.MiddleName, p.Suffix,
				dateArg(p.BirthDate), p.Gender, addr, now, now)
		}
		rows, err := w.query(ctx, `INSERT INTO patients (account_number, last_name, first_name, middle_name, suffix,
				birth_date, gender, address, created_at, updated_at)
			VALUES `+strings.Repeat(row+", ", len(chunk)-1)+row+`
			ON CONFLICT (account_number) DO UPDATE SET last_name = excluded.last_name, first_name = excluded.first_name,
				middle_name = excluded.middle_name, suffix = excluded.suffix, birth_date = excluded.birth_date,
				gender = excluded.gender, address = excluded.address, updated_at = excluded.updated_at
			RETURNING id, account_number`, args...)
		if err != nil {
			return fmt.Errorf("upserting patients: %w", classify(err))
		}
		got := 0
		for rows.Next() {
			var id int64
			var account string
			if err := rows.Scan(&id, &account); err != nil {
				rows.Close()
				return fmt.Errorf("upserting patients: %w", err)
			}
			byAccount[account] = id
			got++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("upserting patients: %w", classify(err))
		}
		if got != len(chunk) {
			return fmt.Errorf("upserting %d patients: %d ids returned", len(chunk), got)
		}
	}
	ids := make([]int64, len(write))
	var covRows [][]any
	for k, i := range write {
		pid := byAccount[ps[i].Patient.AccountNumber]
		ids[k] = pid
		for pos, cv := range ps[i].Coverages {
			row, err := coverageRow(pid, pos+1, cv)
			if err != nil {
				return err
			}
			covRows = append(covRows, row)
		}
	}
	where, arg := inKeys(w, ids)
	if _, err := w.exec(ctx, "DELETE FROM coverages WHERE patient_id"+where, arg); err != nil {
		return fmt.Errorf("replacing coverages: %w", classify(err))
	}
	if err := w.insertMany(ctx, "coverages", []string{"patient_id", "position", "payer_id", "member_id", "group_number",
		"filing_indicator", "relationship", "subscriber", "effective_from", "effective_to"}, covRows); err != nil {
		return fmt.Errorf("replacing coverages: %w", err)
	}
	return nil
}
