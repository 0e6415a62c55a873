package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/claimflow/claimflow/billing"
)

// Patient is a person treated, with the account their balances are kept on. Names,
// birth dates and member ids are stored (this is the system of record) but never
// logged; readers and writers of them through the API record it with WriteAudit.
type Patient struct {
	ID int64
	// AccountNumber is the practice's account number for the patient, unique.
	AccountNumber string
	billing.Person
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UpsertPatient stores a patient, or updates the one with the account number, and
// returns its id.
func (c *Conn) UpsertPatient(ctx context.Context, p Patient) (int64, error) {
	if p.AccountNumber == "" || p.LastName == "" {
		return 0, fmt.Errorf("storing patient: %w: account number and last name are required", ErrInvalid)
	}
	addr, err := jsonArg(p.Address)
	if err != nil {
		return 0, err
	}
	var id int64
	err = c.inTx(ctx, func(w *Conn) error {
		now := w.st.now()
		var err error
		id, _, err = w.insertID(ctx, `INSERT INTO patients (account_number, last_name, first_name, middle_name, suffix,
				birth_date, gender, address, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account_number) DO UPDATE SET last_name = excluded.last_name, first_name = excluded.first_name,
				middle_name = excluded.middle_name, suffix = excluded.suffix, birth_date = excluded.birth_date,
				gender = excluded.gender, address = excluded.address, updated_at = excluded.updated_at
			RETURNING id`, p.AccountNumber, p.LastName, p.FirstName, p.MiddleName, p.Suffix,
			dateArg(p.BirthDate), p.Gender, addr, now, now)
		return err
	})
	if err != nil {
		// The account number identifies the patient in logs; the name never does.
		return 0, fmt.Errorf("storing patient account %s: %w", p.AccountNumber, err)
	}
	return id, nil
}

const patientColumns = "id, account_number, last_name, first_name, middle_name, suffix, birth_date, gender, address, created_at, updated_at"

// Patient returns the patient with the id.
func (c *Conn) Patient(ctx context.Context, id int64) (Patient, error) {
	return c.patient(ctx, "id", id)
}

// PatientByAccount returns the patient with the account number.
func (c *Conn) PatientByAccount(ctx context.Context, account string) (Patient, error) {
	return c.patient(ctx, "account_number", account)
}

func (c *Conn) patient(ctx context.Context, col string, key any) (Patient, error) {
	var p Patient
	err := c.queryRow(ctx, "SELECT "+patientColumns+" FROM patients WHERE "+col+" = ?", key).Scan(
		&p.ID, &p.AccountNumber, &p.LastName, &p.FirstName, &p.MiddleName, &p.Suffix,
		dateDest{&p.BirthDate}, &p.Gender, jsonDest{&p.Address}, timeDest{&p.CreatedAt}, timeDest{&p.UpdatedAt})
	if err != nil {
		return p, fmt.Errorf("reading patient: %w", notFound(err, "patient", key))
	}
	return p, nil
}

// Coverage is one of a patient's insurances.
type Coverage struct {
	ID        int64
	PatientID int64
	// Position is the order of the coverage: 1 primary, 2 secondary, 3 tertiary...
	Position        int
	PayerID         int64
	MemberID        string
	GroupNumber     string
	FilingIndicator string // SBR09
	// Relationship is the patient's relationship to the subscriber (18 self).
	Relationship string
	// Subscriber is the insured person when not the patient.
	Subscriber    billing.Person
	EffectiveFrom billing.Date
	EffectiveTo   billing.Date
}

// SetCoverages replaces the patient's coverages with covs, in order: the first is
// primary (position 1), whatever their Position fields say.
func (c *Conn) SetCoverages(ctx context.Context, patientID int64, covs []Coverage) error {
	err := c.inTx(ctx, func(w *Conn) error {
		if err := w.lock(ctx, "patients", patientID); err != nil {
			return err
		}
		if _, err := w.exec(ctx, "DELETE FROM coverages WHERE patient_id = ?", patientID); err != nil {
			return err
		}
		for i, cv := range covs {
			row, err := coverageRow(patientID, i+1, cv)
			if err != nil {
				return err
			}
			if _, err := w.exec(ctx, `INSERT INTO coverages (patient_id, position, payer_id, member_id, group_number,
					filing_indicator, relationship, subscriber, effective_from, effective_to)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, row...); err != nil {
				return classify(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("setting coverages of patient %d: %w", patientID, err)
	}
	return nil
}

// Coverages returns the patient's coverages in order.
func (c *Conn) Coverages(ctx context.Context, patientID int64) ([]Coverage, error) {
	rows, err := c.query(ctx, `SELECT id, patient_id, position, payer_id, member_id, group_number, filing_indicator,
			relationship, subscriber, effective_from, effective_to
		FROM coverages WHERE patient_id = ? ORDER BY position`, patientID)
	if err != nil {
		return nil, fmt.Errorf("reading coverages of patient %d: %w", patientID, err)
	}
	defer rows.Close()
	var covs []Coverage
	for rows.Next() {
		var cv Coverage
		if err := rows.Scan(&cv.ID, &cv.PatientID, &cv.Position, &cv.PayerID, &cv.MemberID, &cv.GroupNumber,
			&cv.FilingIndicator, &cv.Relationship, jsonDest{&cv.Subscriber}, dateDest{&cv.EffectiveFrom},
			dateDest{&cv.EffectiveTo}); err != nil {
			return nil, fmt.Errorf("reading coverages of patient %d: %w", patientID, err)
		}
		covs = append(covs, cv)
	}
	return covs, rows.Err()
}

// AuthorizationUnit says what an authorization counts.
type AuthorizationUnit string

// The authorization units.
const (
	AuthorizationVisits AuthorizationUnit = "visits"
	AuthorizationUnits  AuthorizationUnit = "units"
)

// Authorization is a payer's prior authorization: a number (2300 REF*G1), the dates
// it is good for and how many visits or units it allows.
type Authorization struct {
	ID         int64
	PatientID  int64
	PayerID    int64
	Number     string
	Unit       AuthorizationUnit
	Authorized int64
	Used       int64
	ValidFrom  billing.Date
	ValidTo    billing.Date
	// Procedures are the procedure codes it covers; empty for any.
	Procedures []string
	CreatedAt  time.Time
}

// Remaining returns how many visits or units are left.
func (a Authorization) Remaining() int64 { return a.Authorized - a.Used }

// InsertAuthorization stores an authorization and returns its id; a payer's
// authorization numbers are unique (ErrDuplicate).
func (c *Conn) InsertAuthorization(ctx context.Context, a Authorization) (int64, error) {
	if a.Number == "" || a.Authorized < 0 || a.Used < 0 || a.Used > a.Authorized || a.ValidFrom.IsZero() || a.ValidTo.Before(a.ValidFrom) {
		return 0, fmt.Errorf("storing authorization: %w: number, dates and counts", ErrInvalid)
	}
	if a.Unit != AuthorizationVisits && a.Unit != AuthorizationUnits {
		return 0, fmt.Errorf("storing authorization: %w: unit %q", ErrInvalid, a.Unit)
	}
	var id int64
	err := c.inTx(ctx, func(w *Conn) error {
		var err error
		id, _, err = w.insertID(ctx, `INSERT INTO authorizations (patient_id, payer_id, number, unit, authorized, used,
				valid_from, valid_to, procedures, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, a.PatientID, a.PayerID, a.Number, string(a.Unit),
			a.Authorized, a.Used, dateArg(a.ValidFrom), dateArg(a.ValidTo), stringsArg(a.Procedures), w.st.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("storing authorization %s: %w", a.Number, err)
	}
	return id, nil
}

const authorizationColumns = "id, patient_id, payer_id, number, unit, authorized, used, valid_from, valid_to, procedures, created_at"

func scanAuthorization(sc interface{ Scan(...any) error }) (Authorization, error) {
	var a Authorization
	var unit string
	err := sc.Scan(&a.ID, &a.PatientID, &a.PayerID, &a.Number, &unit, &a.Authorized, &a.Used,
		dateDest{&a.ValidFrom}, dateDest{&a.ValidTo}, jsonDest{&a.Procedures}, timeDest{&a.CreatedAt})
	a.Unit = AuthorizationUnit(unit)
	return a, err
}

// Authorization returns the authorization with the id.
func (c *Conn) Authorization(ctx context.Context, id int64) (Authorization, error) {
	a, err := scanAuthorization(c.queryRow(ctx, "SELECT "+authorizationColumns+" FROM authorizations WHERE id = ?", id))
	if err != nil {
		return a, fmt.Errorf("reading authorization: %w", notFound(err, "authorization", id))
	}
	return a, nil
}

// Authorizations returns the patient's authorizations, oldest first.
func (c *Conn) Authorizations(ctx context.Context, patientID int64) ([]Authorization, error) {
	rows, err := c.query(ctx, "SELECT "+authorizationColumns+" FROM authorizations WHERE patient_id = ? ORDER BY valid_from, id", patientID)
	if err != nil {
		return nil, fmt.Errorf("reading authorizations of patient %d: %w", patientID, err)
	}
	defer rows.Close()
	var list []Authorization
	for rows.Next() {
		a, err := scanAuthorization(rows)
		if err != nil {
			return nil, fmt.Errorf("reading authorizations of patient %d: %w", patientID, err)
		}
		list = append(list, a)
	}
	return list, rows.Err()
}

// UseAuthorization counts n more visits or units against the authorization (a
// negative n gives them back). It fails with ErrExhausted, changing nothing, when
// fewer than n are left; concurrent callers can never use more than authorized.
func (c *Conn) UseAuthorization(ctx context.Context, id, n int64) error {
	err := c.inTx(ctx, func(w *Conn) error {
		res, err := w.exec(ctx, "UPDATE authorizations SET used = used + ? WHERE id = ? AND used + ? BETWEEN 0 AND authorized", n, id, n)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k == 1 {
			return err
		}
		var one int
		err = w.tx.QueryRowContext(ctx, w.st.d.rebind("SELECT 1 FROM authorizations WHERE id = ?"), id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return ErrExhausted
	})
	if err != nil {
		return fmt.Errorf("using %d of authorization %d: %w", n, id, err)
	}
	return nil
}

// coverageRow is a coverage's row of the coverages table, in the column order
// patient_id, position, payer_id, member_id, group_number, filing_indicator,
// relationship (self when not given), subscriber, effective_from, effective_to.
func coverageRow(patientID int64, position int, cv Coverage) ([]any, error) {
	sub, err := jsonArg(cv.Subscriber)
	if err != nil {
		return nil, err
	}
	rel := cv.Relationship
	if rel == "" {
		rel = billing.RelationshipSelf
	}
	return []any{patientID, position, cv.PayerID, cv.MemberID, cv.GroupNumber, cv.FilingIndicator,
		rel, sub, dateArg(cv.EffectiveFrom), dateArg(cv.EffectiveTo)}, nil
}
