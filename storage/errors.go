package storage

import (
	"errors"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The errors the store returns, wrapped with what it was doing; match them with
// errors.Is.
var (
	// ErrNotFound is returned when the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate is returned when a row with the same natural key (patient control
	// number, NPI, payer id, file hash...) already exists.
	ErrDuplicate = errors.New("already exists")
	// ErrReference is returned when a row names another that does not exist (a
	// foreign key).
	ErrReference = errors.New("refers to a missing row")
	// ErrInvalid is returned for a value the store refuses before writing it (an
	// unknown ledger entry kind, a zero amount, an empty idempotency key...).
	ErrInvalid = errors.New("invalid")
	// ErrInvalidTransition is returned when a claim may not move from its state to
	// the one asked for; see AllowedTransitions.
	ErrInvalidTransition = errors.New("claim state transition not allowed")
	// ErrAlreadyReversed is returned when a ledger entry that was already reversed is
	// reversed again by a different source.
	ErrAlreadyReversed = errors.New("ledger entry already reversed")
	// ErrExhausted is returned when an authorization has fewer visits or units left
	// than asked for.
	ErrExhausted = errors.New("authorization exhausted")
	// ErrSchemaOutdated is returned by Open when the database schema is behind this
	// binary; the message says to run `claimflow migrate up`.
	ErrSchemaOutdated = errors.New("database schema is outdated")
	// ErrSchemaTooNew is returned by Open when the database has migrations this
	// binary does not know: it is older than the schema and must be upgraded.
	ErrSchemaTooNew = errors.New("database schema is newer than this claimflow")
	// ErrClosed is returned by calls on a closed Store.
	ErrClosed = errors.New("store closed")
)

// classify maps a driver's constraint violation to ErrDuplicate or ErrReference,
// keeping the driver's error in the chain; other errors are returned unchanged.
func classify(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case isUniqueViolation(err):
		return &constraintError{ErrDuplicate, err}
	case pq.As(err, pqerror.ForeignKeyViolation) != nil:
		return &constraintError{ErrReference, err}
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return &constraintError{ErrReference, err}
	}
	return err
}

// constraintError is a driver's constraint violation with the sentinel it means.
type constraintError struct {
	kind error // ErrDuplicate or ErrReference
	err  error // the driver's error
}

func (e *constraintError) Error() string   { return e.kind.Error() + ": " + e.err.Error() }
func (e *constraintError) Unwrap() []error { return []error{e.kind, e.err} }

func isUniqueViolation(err error) bool {
	if pq.As(err, pqerror.UniqueViolation) != nil {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isRetryable reports whether a PostgreSQL transaction failed only because of a
// concurrent one (serialization failure, deadlock) and can be run again.
func isRetryable(err error) bool {
	return pq.As(err, pqerror.TRSerializationFailure, pqerror.TRDeadlockDetected) != nil
}

// isSQLiteBusy reports whether SQLite refused for a lock another connection holds
// (SQLITE_BUSY and its extended codes), in a case where its busy handler did not
// wait: switching a new database to WAL is one.
func isSQLiteBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}
