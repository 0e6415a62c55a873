package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claimflow/claimflow/billing/scrub"
	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/edi/codes"
	"github.com/claimflow/claimflow/edi/x837p"
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

	// DefaultClearinghouse takes the claims of payers that name no clearinghouse
	// (see storage.Conn.ClaimsToBatch); when empty and there is one clearinghouse,
	// that one does.
	DefaultClearinghouse string
	// Submitter is us in the 837P files: 1000A name, ETIN (NM109) and EDI contact.
	// The interchange ids (ISA05/06, GS02) come from each clearinghouse profile's
	// envelope when it sets them, else from Submitter.ID.
	Submitter x837p.Party
	// MaxClaimsPerFile caps the claims of one 837P file; DefaultMaxClaimsPerFile when 0.
	MaxClaimsPerFile int
	// ClaimsPerST caps the claims of one transaction set; x837p.DefaultClaimsPerST when 0.
	ClaimsPerST int
	// Codes are the code sets the scrubber checks against. When nil, the scrubber
	// opens DataDir's store (codes.StorePath) at first use, and checks code formats
	// only when there is none.
	Codes *codes.Set
	// PayerRules are the payers' own edits (SNIP 7) the scrubber applies.
	PayerRules scrub.PayerRules

	kick func() // wakes the relay after a commit that wrote outbox rows

	scrubMu  sync.Mutex
	scrubber *scrub.Scrubber

	// batching holds a lock per clearinghouse that Batch takes (batchLock).
	batching sync.Map
	// fetching holds a *fetchTurn per clearinghouse that Fetch takes.
	fetching sync.Map

	// beforeUploadRecord, when set (tests only, through export_test.go), runs after a
	// file reached the clearinghouse and before the upload is recorded: the crash
	// point of the restart test.
	beforeUploadRecord func(submissionID int64)
	// afterRead, when set (tests only), runs when a stage that reads its claims
	// outside its transaction (batch, scrub, recording an upload) has read them,
	// before the transaction.
	afterRead func(s bus.Stage)
}

// DefaultMaxClaimsPerFile is how many claims an 837P file holds at most unless
// Env.MaxClaimsPerFile says otherwise.
const DefaultMaxClaimsPerFile = 5000

// Clearinghouse is one clearinghouse claimflow exchanges files with.
type Clearinghouse struct {
	Name    string
	Profile profile.Profile
	// Open connects to it; the stages call it once per run (per file for the submit
	// stage, once for all pending files in SubmitPending) and Close what it returns.
	Open func(ctx context.Context) (connectors.Connector, error)
	// Ledger remembers what was sent and fetched, so that a crash between an upload
	// and its record never sends a file twice. The submit and fetch stages keep
	// their records in the store's TransferLedger whatever this holds, so that the
	// record and its consequences (a submission transmitted, an inbound file stored)
	// commit together; ClearinghousesFromConfig sets it to that ledger.
	Ledger connectors.Ledger
	// Prefix is what the profile's upload name template calls {{.Prefix}} (the
	// connection's prefix); "CLAIMFLOW" when empty.
	Prefix string
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

// batchLock returns the lock Batch holds while it builds a clearinghouse's files
// in this process. Batchers in other processes are kept apart by the database
// (the control number's lock, the claims' versions); within a process the lock
// saves a second batcher from reading and decoding claims the first one is
// about to take.
func (e *Env) batchLock(clearinghouse string) *sync.Mutex {
	mu, _ := e.batching.LoadOrStore(clearinghouse, &sync.Mutex{})
	return mu.(*sync.Mutex)
}

// fetchTurn keeps a process's fetches from one clearinghouse one at a time, and
// folds requests that pile up: while a fetch runs, one more waits for its turn;
// further requests need not, since the waiting one lists the folders after they
// came. Fetches in other processes may run beside it: the transfer ledger and the
// inbound files' sha256 keep a file from being stored or classified twice.
type fetchTurn struct {
	mu      sync.Mutex
	waiting atomic.Bool
}

// take waits for the fetch's turn and returns its release, or ok false when a
// fetch already waiting will do this one's work.
func (t *fetchTurn) take() (release func(), ok bool) {
	if !t.waiting.CompareAndSwap(false, true) {
		return nil, false
	}
	t.mu.Lock()
	t.waiting.Store(false)
	return t.mu.Unlock, true
}

func (e *Env) fetchTurn(clearinghouse string) *fetchTurn {
	t, _ := e.fetching.LoadOrStore(clearinghouse, &fetchTurn{})
	return t.(*fetchTurn)
}
