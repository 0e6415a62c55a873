package remit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// Poster posts 835 files stored as inbound files.
type Poster struct {
	Store *storage.Store
	// Logger gets ids and counts, never PHI; slog.Default when nil.
	Logger *slog.Logger
	// Emit writes work for another stage in tx (pipeline.Env.Emit); when nil,
	// secondary work is not emitted.
	Emit func(ctx context.Context, tx *storage.Tx, s bus.Stage, payload any) error
	// InTx runs a transaction (pipeline.Env.InTx wakes the outbox relay after it);
	// Store.InTx when nil.
	InTx func(ctx context.Context, fn func(tx *storage.Tx) error) error
	// Actor is who posts, for the claims' histories: "remit", "cli".
	Actor string
	// GroupClaims is how many claim payments one database transaction posts at
	// most (default 1000): consecutive transaction sets are posted together until
	// it is reached, never split. 1 posts each transaction set alone.
	GroupClaims int
	// HoldOrphanReversals makes a reversal (CLP02 22) of a payment not stored yet
	// fail the file with ErrOriginalPending instead of queueing an exception: the
	// payment it reverses may be in an 835 that is posted next. What was posted of
	// the file stays; posting it again later posts the rest.
	HoldOrphanReversals bool
	// Writers is how many groups are written at once, each in its own database
	// transaction; 0 picks for the database (3 on PostgreSQL, 1 on SQLite).
	Writers int

	preReadHook func() // tests: runs between reading a group's claims and its transaction
}

func (p *Poster) groupClaims() int {
	if p.GroupClaims > 0 {
		return p.GroupClaims
	}
	return 1000
}

func hasReversal(rem *x835.Remittance) bool {
	for i := range rem.Claims {
		if rem.Claims[i].Reversal() {
			return true
		}
	}
	return false
}

// Summary counts what posting a file did.
type Summary struct {
	// AlreadyProcessed: the file was processed before; nothing was done.
	AlreadyProcessed bool
	// Quarantined is why the file was set aside ("" when it was posted).
	Quarantined string

	Remittances int // transaction sets posted
	// Duplicates are transaction sets posted before from another file.
	Duplicates int
	Payments   int           // claim payments stored
	Matched    int           // of which matched to a claim
	Unmatched  int           // to the unmatched-remittance queue
	Denials    int           // to the denial queue
	Reversals  int           // earlier postings reversed
	Forwarded  int           // crossovers
	Exceptions int           // payments or PLB amounts that could not be posted
	Secondary  int           // claims sent to the secondary stage (paid or partially paid, not forwarded)
	Entries    int           // ledger entries written
	Paid       billing.Money // the claim payments (CLP04)
	Provider   billing.Money // the PLB amounts
}

func (s *Summary) add(o Summary) {
	s.Remittances += o.Remittances
	s.Duplicates += o.Duplicates
	s.Payments += o.Payments
	s.Matched += o.Matched
	s.Unmatched += o.Unmatched
	s.Denials += o.Denials
	s.Reversals += o.Reversals
	s.Forwarded += o.Forwarded
	s.Exceptions += o.Exceptions
	s.Secondary += o.Secondary
	s.Entries += o.Entries
	s.Paid += o.Paid
	s.Provider += o.Provider
}

// ErrOriginalPending is returned, wrapped, with HoldOrphanReversals set, when a
// reversal's original payment is not stored yet.
var ErrOriginalPending = errors.New("reversal of a payment not posted yet")

// ErrNoFile is returned, wrapped, when the inbound file to post does not exist.
var ErrNoFile = errors.New("no such inbound file")

func (p *Poster) log() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

func (p *Poster) inTx(ctx context.Context, fn func(tx *storage.Tx) error) error {
	if p.InTx != nil {
		return p.InTx(ctx, fn)
	}
	return p.Store.InTx(ctx, fn)
}

// PostInbound posts the 835 stored as inbound file id: a first pass checks every
// transaction set (readable, guide-conformant, balanced) and quarantines the file
// whole at the first failure; a second pass posts the transaction sets, whole,
// up to GroupClaims claim payments per database transaction (each transaction set
// is all posted or not at all), Writers transactions at once. A file processed already is left alone. After a crash
// half-way, posting the file again posts what was missing and nothing twice.
func (p *Poster) PostInbound(ctx context.Context, id int64) (Summary, error) {
	var sum Summary
	status, why, err := p.Store.InboundState(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return sum, fmt.Errorf("posting inbound file %d: %w", id, ErrNoFile)
	case err != nil:
		return sum, fmt.Errorf("posting inbound file %d: %w", id, err)
	case status == storage.InboundProcessed:
		sum.AlreadyProcessed = true
		return sum, nil
	case status == storage.InboundQuarantined:
		sum.Quarantined = why
		return sum, nil
	}
	r, _, err := p.Store.InboundContent(ctx, id)
	if err != nil {
		return sum, fmt.Errorf("posting inbound file %d: %w", id, err)
	}
	reason, err := check(r)
	if err == nil {
		// The store failing mid-file is not the file's fault: no quarantine.
		err = storage.ReadError(r)
	}
	if err != nil {
		return sum, fmt.Errorf("checking inbound file %d: %w", id, err)
	}
	if reason != "" {
		return p.quarantine(ctx, id, reason)
	}

	r, _, err = p.Store.InboundContent(ctx, id)
	if err != nil {
		return sum, fmt.Errorf("posting inbound file %d: %w", id, err)
	}
	s, err := p.postAll(ctx, id, r)
	sum.add(s)
	if err != nil {
		return sum, fmt.Errorf("posting inbound file %d: %w", id, err)
	}
	if err := p.Store.MarkInboundProcessed(ctx, id); err != nil {
		return sum, err
	}
	p.log().Info("835 posted", "inbound_file", id, "remittances", sum.Remittances, "duplicates", sum.Duplicates,
		"payments", sum.Payments, "unmatched", sum.Unmatched, "denials", sum.Denials, "entries", sum.Entries)
	return sum, nil
}

// eachRemittance hands fn the 835 transaction sets rd reads one at a time, in file
// order: as x835.ParseEach would (the same remittances for every file check
// accepts, the same errors), without loop trees. An error from fn stops the reading
// and is returned.
func eachRemittance(rd *x835.Reader, fn func(*x835.Remittance) error) error {
	for {
		rem, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(rem); err != nil {
			return err
		}
	}
}

// errStop ends the first pass at the first problem.
var errStop = errors.New("stop")

// check reads the whole file and returns why it must not be posted, or "". The
// reason names transaction sets, segments and claims by our patient control number,
// never patient data.
func check(r io.Reader) (string, error) {
	var reason string
	n := 0
	rd := x835.NewReader(r)
	rd.ReuseRemittance = true // each is done with before the next
	err := eachRemittance(rd, func(rem *x835.Remittance) error {
		n++
		st := rem.Origin.ST02
		if len(rem.Origin.Errors) > 0 {
			reason = fmt.Sprintf("transaction set %s: %d implementation guide errors; first: %v", st, len(rem.Origin.Errors), rem.Origin.Errors[0])
			return errStop
		}
		if len(rem.Origin.Unread) > 0 {
			reason = fmt.Sprintf("transaction set %s: values that cannot be read at %s", st, strings.Join(rem.Origin.Unread, ", "))
			return errStop
		}
		if probs := x835.Balance(rem); len(probs) > 0 {
			msgs := make([]string, 0, min(len(probs), 3))
			for _, pr := range probs[:min(len(probs), 3)] {
				msgs = append(msgs, pr.Error())
			}
			reason = fmt.Sprintf("transaction set %s does not balance (%d problems): %s", st, len(probs), strings.Join(msgs, "; "))
			return errStop
		}
		return nil
	})
	switch {
	case errors.Is(err, errStop):
		return reason, nil
	case err != nil:
		return "unreadable: " + err.Error(), nil
	case n == 0:
		return "no 835 transaction set", nil
	}
	return "", nil
}

// quarantine sets the file aside with the reason and queues an exception.
func (p *Poster) quarantine(ctx context.Context, id int64, reason string) (Summary, error) {
	err := p.inTx(ctx, func(tx *storage.Tx) error {
		if err := tx.QuarantineInbound(ctx, id, reason); err != nil {
			return err
		}
		_, _, err := tx.AddWorkItem(ctx, storage.WorkItem{
			Kind: storage.WorkException, DedupKey: "835-quarantine/" + strconv.FormatInt(id, 10),
			Codes:   []string{"835", "quarantined"},
			Message: fmt.Sprintf("835 inbound file %d quarantined, nothing posted: %s", id, reason),
		})
		return err
	})
	if err != nil {
		return Summary{}, fmt.Errorf("quarantining inbound file %d: %w", id, err)
	}
	p.log().Warn("835 quarantined", "inbound_file", id)
	return Summary{Quarantined: reason}, nil
}
