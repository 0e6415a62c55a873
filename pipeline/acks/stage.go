package acks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/ta1"
	"github.com/claimflow/claimflow/edi/x277ca"
	"github.com/claimflow/claimflow/edi/x999"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

func init() {
	pipeline.Register(bus.Acks, func(env *pipeline.Env) (bus.Handler, error) {
		if env.Store == nil {
			return nil, errors.New("acks: the env has no store")
		}
		return New(env), nil
	})
}

// The kinds of inbound file the stage applies (storage.InboundFile.Kind).
const (
	KindTA1   = "ta1"
	Kind999   = "999"
	Kind277CA = "277ca"
)

// Stage applies acknowledgement files. It is safe for concurrent use.
type Stage struct {
	env *pipeline.Env
}

// New returns the acks stage of env.
func New(env *pipeline.Env) *Stage { return &Stage{env: env} }

// Result says what applying one file did.
type Result struct {
	InboundID int64
	Kind      string
	// Done is true when the file had been processed or quarantined before: nothing
	// was done this time.
	Done bool
	// Answers counts the acknowledgements of the file (TA1s, 999 transaction sets,
	// 277CA claims); Stored those stored now (0 when the file was applied before).
	Answers, Stored int
	// Moved counts claim transitions made; Skipped those skipped because the claim had
	// moved on (or the answer was for an earlier submission of it).
	Moved, Skipped int
	// WorkItems counts the new work items (rejections and exceptions).
	WorkItems int
	// Quarantined is set, with the reason, when the file could not be parsed.
	Quarantined bool
	Reason      string
}

// Handle implements bus.Handler for InboundWork messages.
func (s *Stage) Handle(ctx context.Context, m bus.Message) error {
	var w pipeline.InboundWork
	if err := pipeline.Decode(m, &w); err != nil {
		return err
	}
	res, err := s.ApplyKind(ctx, w.InboundID, w.Kind)
	if err != nil {
		return err
	}
	log := s.env.Log()
	switch {
	case res.Quarantined:
		log.Warn("acknowledgement file quarantined", "inbound_id", res.InboundID, "kind", res.Kind)
	case !res.Done:
		log.Info("acknowledgement file applied", "inbound_id", res.InboundID, "kind", res.Kind, "answers", res.Answers,
			"stored", res.Stored, "moved", res.Moved, "skipped", res.Skipped, "work_items", res.WorkItems)
	}
	return nil
}

// Apply applies the inbound file with the id, of the kind it was classified as.
func (s *Stage) Apply(ctx context.Context, inboundID int64) (Result, error) {
	return s.ApplyKind(ctx, inboundID, "")
}

// ApplyKind applies the inbound file with the id as kind (ta1, 999 or 277ca; the
// file's own kind when empty). It returns an error wrapping bus.ErrPoison for a
// file that does not exist or is of another kind; a file that cannot be parsed is
// quarantined and is not an error.
func (s *Stage) ApplyKind(ctx context.Context, inboundID int64, kind string) (Result, error) {
	res := Result{InboundID: inboundID}
	f, err := s.env.Store.InboundFile(ctx, inboundID)
	if errors.Is(err, storage.ErrNotFound) {
		return res, pipeline.Poison(fmt.Errorf("applying acknowledgement file %d: %w", inboundID, err))
	}
	if err != nil {
		return res, fmt.Errorf("applying acknowledgement file %d: %w", inboundID, err)
	}
	if kind == "" {
		kind = f.Kind
	}
	res.Kind = strings.ToLower(kind)
	if f.Status != storage.InboundNew {
		res.Done = true
		return res, nil
	}
	parsed, perr := parse(res.Kind, f.Content)
	if errors.Is(perr, errKind) {
		return res, pipeline.Poison(fmt.Errorf("applying inbound file %d: %w", inboundID, perr))
	}
	if perr != nil {
		res.Quarantined, res.Reason = true, perr.Error()
		err = s.env.InTx(ctx, func(tx *storage.Tx) error {
			res.WorkItems = 0
			return quarantine(ctx, tx, &f, res.Kind, perr.Error(), &res)
		})
		if err != nil {
			return res, fmt.Errorf("quarantining %s file %d: %w", res.Kind, inboundID, err)
		}
		return res, nil
	}
	// The answers are stored all at once at the end, as new: the answers of one
	// file are stored together or not at all, so that holds unless the same content
	// came before in another file. Then (errStoredBefore) the file is applied again
	// answer by answer, each stored first and applied only when new.
	apply := func(bulk bool) error {
		return s.env.InTx(ctx, func(tx *storage.Tx) error {
			r := Result{InboundID: res.InboundID, Kind: res.Kind} // InTx may run fn again
			a := &applier{env: s.env, tx: tx, file: &f, res: &r, bulk: bulk}
			if err := a.apply(ctx, parsed); err != nil {
				return err
			}
			if err := tx.MarkInboundProcessed(ctx, f.ID); err != nil {
				return err
			}
			res = r
			return nil
		})
	}
	err = apply(true)
	if errors.Is(err, errStoredBefore) {
		err = apply(false)
	}
	if err != nil {
		return res, fmt.Errorf("applying %s file %d: %w", res.Kind, inboundID, err)
	}
	return res, nil
}

// errStoredBefore says that answers of the file were stored before (its content
// came in another file): it is applied again answer by answer.
var errStoredBefore = errors.New("answers of the file stored before")

// errKind is returned for a file of a kind this stage does not apply.
var errKind = errors.New("not an acknowledgement kind (ta1, 999, 277ca)")

// parsed is one file's content, parsed: exactly one field is set.
type parsed struct {
	ta1   []ta1.Ack
	x999  []x999.Ack
	x277a []x277ca.Ack
}

// parse reads the file whole. A syntax error anywhere is an error: the file is
// then quarantined, since applying the part before it would apply half a file.
func parse(kind string, content []byte) (parsed, error) {
	var p parsed
	var err error
	switch kind {
	case KindTA1:
		p.ta1, err = ta1.Parse(bytes.NewReader(content))
	case Kind999:
		p.x999, err = x999.Parse(bytes.NewReader(content))
	case Kind277CA:
		p.x277a, err = x277ca.Parse(bytes.NewReader(content))
	default:
		return p, fmt.Errorf("kind %q: %w", kind, errKind)
	}
	if err != nil {
		return p, fmt.Errorf("cannot be read as %s: %w", strings.ToUpper(kind), err)
	}
	return p, nil
}

// quarantine sets the file aside with the reason and queues an exception for a
// person, once per file.
func quarantine(ctx context.Context, tx *storage.Tx, f *storage.InboundFile, kind, reason string, res *Result) error {
	if err := tx.QuarantineInbound(ctx, f.ID, reason); err != nil {
		return err
	}
	_, isNew, err := tx.AddWorkItem(ctx, storage.WorkItem{
		Kind:     storage.WorkException,
		DedupKey: "quarantine:inbound:" + strconv.FormatInt(f.ID, 10),
		Codes:    []string{"quarantined", kind},
		Message: fmt.Sprintf("inbound %s file %d from %s was quarantined, nothing of it applied: %s. Ask the clearinghouse for the file again.",
			strings.ToUpper(kind), f.ID, f.Source, reason),
	})
	if isNew {
		res.WorkItems++
	}
	return err
}

// applier applies one parsed file in one transaction.
type applier struct {
	env  *pipeline.Env
	tx   *storage.Tx
	file *storage.InboundFile
	res  *Result
	// latest caches each claim's latest submission.
	latest map[int64]int64
	// submissions caches the submission id of each ISA13 a 277CA's batch trace names
	// (0 for none we know): a file answers a few submissions in many transaction sets.
	submissions map[string]int64
	// claims are a 277CA file's claims by PCN, read at once (ack277.go); nil for
	// other kinds.
	claims map[string]storage.ClaimHead
	// documents are the billing.Claims of the claims a 277CA rejects, by id.
	documents map[int64]*billing.Claim
	// moves are the claims' moves not made yet, all of cause (see move and flush).
	moves []storage.ClaimMove
	cause storage.Cause
	// bulk stores the answers at the end (pending), taking each as new.
	bulk    bool
	pending []storage.Ack
}

func (a *applier) apply(ctx context.Context, p parsed) error {
	var err error
	switch {
	case p.ta1 != nil:
		err = a.applyTA1(ctx, p.ta1)
	case p.x999 != nil:
		err = a.apply999(ctx, p.x999)
	case p.x277a != nil:
		err = a.apply277(ctx, p.x277a)
	}
	if err != nil {
		return err
	}
	if a.bulk {
		n, err := a.tx.InsertAcks(ctx, a.pending)
		if err != nil {
			return err
		}
		if n != len(a.pending) {
			return fmt.Errorf("inbound file %d: %d of %d: %w", a.file.ID, len(a.pending)-n, len(a.pending), errStoredBefore)
		}
	}
	return a.flush(ctx)
}

// key is the idempotency key of the answer at a position of the file.
func (a *applier) key(pos string) string { return a.file.SHA256 + "/" + pos }

// actor names the file in claim histories.
func (a *applier) actor() string { return "inbound-file/" + strconv.FormatInt(a.file.ID, 10) }

// store stores an acknowledgement and reports whether it is new: an answer stored
// before was applied before, in the transaction that stored it. In bulk it only
// keeps the answer for the end of apply, and reports it new.
func (a *applier) store(ctx context.Context, ack storage.Ack, detail any) (bool, error) {
	a.res.Answers++
	ack.InboundFileID = a.file.ID
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return false, fmt.Errorf("encoding acknowledgement detail: %w", err)
		}
		ack.Detail = b
	}
	if a.bulk {
		a.pending = append(a.pending, ack)
		a.res.Stored++
		return true, nil
	}
	_, isNew, err := a.tx.InsertAck(ctx, ack)
	if isNew {
		a.res.Stored++
	}
	return isNew, err
}

// move queues a claim's move to a state, with the payer's claim number to record
// when icn is set; flush makes the queued moves, a few statements for all of them.
// A transition the table forbids (the claim moved on already, or is there already)
// is skipped then, and counted in Result.Skipped.
func (a *applier) move(ctx context.Context, claimID int64, to storage.ClaimState, cause storage.Cause, detail any, icn string) error {
	if len(a.moves) > 0 && a.cause != cause {
		if err := a.flush(ctx); err != nil {
			return err
		}
	}
	a.cause = cause
	a.moves = append(a.moves, storage.ClaimMove{ClaimID: claimID, To: to, Detail: detail, PayerClaimNumber: icn})
	return nil
}

// flush makes the moves queued, in the order queued.
func (a *applier) flush(ctx context.Context) error {
	if len(a.moves) == 0 {
		return nil
	}
	skipped, err := a.tx.TransitionClaims(ctx, a.moves, storage.Event{Cause: a.cause, Actor: a.actor()})
	if err != nil {
		return err
	}
	for _, m := range skipped {
		a.env.Log().Info("claim transition skipped: the claim moved on", "claim_id", m.ClaimID, "to", m.To,
			"inbound_id", a.file.ID)
	}
	a.res.Moved += len(a.moves) - len(skipped)
	a.res.Skipped += len(skipped)
	a.moves = a.moves[:0]
	return nil
}

// prefetchLatest reads the latest submission of each of the claims not read yet,
// in a few queries, for current.
func (a *applier) prefetchLatest(ctx context.Context, claimIDs []int64) error {
	if a.latest == nil {
		a.latest = make(map[int64]int64, len(claimIDs))
	}
	var ids []int64
	for _, id := range claimIDs {
		if _, ok := a.latest[id]; !ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	latest, err := a.tx.LatestSubmissions(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		a.latest[id] = latest[id] // 0 when never submitted
	}
	return nil
}

// current reports whether submission is the claim's latest: an answer to an
// earlier submission of a claim sent again must not move it.
func (a *applier) current(ctx context.Context, claimID, submission int64) (bool, error) {
	if submission == 0 {
		return true, nil
	}
	if a.latest == nil {
		a.latest = map[int64]int64{}
	}
	last, ok := a.latest[claimID]
	if !ok {
		subs, err := a.tx.ClaimSubmissions(ctx, claimID)
		if err != nil {
			return false, err
		}
		if len(subs) > 0 {
			last = subs[len(subs)-1]
		}
		a.latest[claimID] = last
	}
	return last == submission, nil
}

// queue adds a work item unless its dedup key is queued already.
func (a *applier) queue(ctx context.Context, it storage.WorkItem) error {
	_, isNew, err := a.tx.AddWorkItem(ctx, it)
	if isNew {
		a.res.WorkItems++
	}
	return err
}

// exception queues an exception for a person.
func (a *applier) exception(ctx context.Context, key string, codes []string, msg string) error {
	return a.queue(ctx, storage.WorkItem{Kind: storage.WorkException, DedupKey: key, Codes: codes, Message: msg})
}

// moveNote is the detail of a transition: which file and answer caused it.
type moveNote struct {
	InboundFileID int64    `json:"inbound_file_id"`
	Answer        string   `json:"answer"`
	Status        string   `json:"status"`
	Codes         []string `json:"codes,omitempty"`
	Text          string   `json:"text,omitempty"`
}
