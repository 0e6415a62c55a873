package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// Env is what the stages share. Build it once per process; it is safe for
// concurrent use once built.
type Env struct {
	Store *storage.Store
	// Topology names the work subjects outbox rows are published to; the bus's.
	Topology bus.Topology
	// Clearinghouses by name.
	Clearinghouses map[string]*Clearinghouse
	// DataDir holds received files and the code sets.
	DataDir string
	// Clock is where stages read the time; time.Now when nil.
	Clock func() time.Time
	// Logger gets ids and counts, never PHI; slog.Default when nil.
	Logger *slog.Logger
	// Observer, when set, wraps every handler the runner starts (metrics).
	Observer Observer

	kick func() // wakes the relay after a commit that wrote outbox rows
}

// Clearinghouse is one clearinghouse claimflow exchanges files with.
type Clearinghouse struct {
	Name    string
	Profile profile.Profile
	// Open connects to it; the stages call it once per run and close what it returns
	// when it is an io.Closer.
	Open func(ctx context.Context) (connectors.Connector, error)
	// Ledger remembers what was sent and fetched, so that a crash between an upload
	// and its record never sends a file twice.
	Ledger connectors.Ledger
	// Schedule and Alarms come from the configuration.
	Schedule config.Schedule
	Alarms   config.Alarms
}

// Observer wraps a stage's handler, to count and time it.
type Observer interface {
	Wrap(s bus.Stage, h bus.Handler) bus.Handler
}

// Now returns the current time from the env's clock.
func (e *Env) Now() time.Time {
	if e.Clock != nil {
		return e.Clock()
	}
	return time.Now()
}

// Log returns the env's logger.
func (e *Env) Log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

// Clearinghouse returns the clearinghouse with the name; an unknown name is
// poison (no retry will make it known).
func (e *Env) Clearinghouse(name string) (*Clearinghouse, error) {
	ch, ok := e.Clearinghouses[name]
	if !ok {
		return nil, Poison(fmt.Errorf("unknown clearinghouse %q", name))
	}
	return ch, nil
}

// InTx runs fn in a database transaction and, when it commits, wakes the relay so
// that the messages fn emitted are published at once.
func (e *Env) InTx(ctx context.Context, fn func(tx *storage.Tx) error) error {
	if err := e.Store.InTx(ctx, fn); err != nil {
		return err
	}
	if e.kick != nil {
		e.kick()
	}
	return nil
}

// Emit writes a work message for stage s to the outbox, in tx: it is published
// only if tx commits.
func (e *Env) Emit(ctx context.Context, tx *storage.Tx, s bus.Stage, payload any) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encoding %s work: %w", s, err)
	}
	if _, err := tx.EnqueueOutbox(ctx, storage.OutboxMessage{Subject: e.Topology.WorkSubject(s), Payload: data}); err != nil {
		return fmt.Errorf("emitting %s work: %w", s, err)
	}
	return nil
}
