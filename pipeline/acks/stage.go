package acks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
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
	// planned, when set (by tests), runs between a file's plan and its write
	// transaction.
	planned func(ctx context.Context, inboundID int64)
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
	f, err := s.env.Store.InboundFileInfo(ctx, inboundID)
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
	content, _, err := s.env.Store.InboundContent(ctx, inboundID)
	if err != nil {
		return res, fmt.Errorf("applying acknowledgement file %d: %w", inboundID, err)
	}
	parsed, perr := parse(res.Kind, content)
	if err := storage.ReadError(content); err != nil { // the store failed, not the file
		return res, fmt.Errorf("applying acknowledgement file %d: %w", inboundID, err)
	}
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
	// The file is applied in two steps: plan reads what it needs and decides, outside
	// the write transaction (on SQLite's read pool, beside the writer), and records
	// what to write; commit writes it, inside the transaction, after checking that
	// what plan read still holds (check). When it does not, plan runs again inside
	// the transaction, as if nothing had been read before.
	//
	// The answers are stored all at once at the end, as new: the answers of one
	// file are stored together or not at all, so that holds unless the same content
	// came before in another file. Then (errStoredBefore) the file is applied again
	// answer by answer, inside the transaction, each stored first and applied only
	// when new.
	planned := s.newApplier(&f, res, s.env.Store, nil)
	if err := planned.plan(ctx, parsed); err != nil {
		return res, fmt.Errorf("applying %s file %d: %w", res.Kind, inboundID, err)
	}
	if s.planned != nil {
		s.planned(ctx, inboundID)
	}
	err = s.env.InTx(ctx, func(tx *storage.Tx) error {
		a := planned
		same, err := a.check(ctx, tx)
		if err != nil {
			return err
		}
		if !same {
			a = s.newApplier(&f, res, tx, nil)
			if err := a.plan(ctx, parsed); err != nil {
				return err
			}
		}
		r, err := a.commit(ctx, tx) // InTx may run fn again: commit changes nothing of a
		if err != nil {
			return err
		}
		res = r
		return nil
	})
	if errors.Is(err, errStoredBefore) {
		err = s.env.InTx(ctx, func(tx *storage.Tx) error {
			a := s.newApplier(&f, res, tx, tx)
			if err := a.plan(ctx, parsed); err != nil {
				return err
			}
			r, err := a.commit(ctx, tx)
			if err != nil {
				return err
			}
			res = r
			return nil
		})
	}
	if err != nil {
		return res, fmt.Errorf("applying %s file %d: %w", res.Kind, inboundID, err)
	}
	return res, nil
}

// notYetSent returns pipeline.ErrUploadNotRecorded for a submission built and not
// yet recorded as uploaded.
func notYetSent(sub *storage.Submission) error {
	if sub.Status == storage.SubmissionCreated {
		return fmt.Errorf("%w: submission %d (%s)", pipeline.ErrUploadNotRecorded, sub.ID, sub.FileName)
	}
	return nil
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
func parse(kind string, content io.Reader) (parsed, error) {
	var p parsed
	var err error
	switch kind {
	case KindTA1:
		p.ta1, err = ta1.Parse(content)
	case Kind999:
		p.x999, err = x999.Parse(content)
	case Kind277CA:
		p.x277a, err = x277ca.Parse(content)
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

// reads are the queries the applier decides with: the store's (the read pool, before
// the write transaction) or the transaction's.
type reads interface {
	Claim(ctx context.Context, id int64) (storage.Claim, error)
	ClaimStamps(ctx context.Context, ids []int64) (map[int64]storage.ClaimStamp, error)
	ClaimHeadsStampsByPCN(ctx context.Context, pcns []string) (map[string]storage.ClaimHead, map[string]storage.ClaimStamp, error)
	LinesOf(ctx context.Context, ids []int64) (map[int64][]storage.ClaimLine, error)
	ClaimSubmissions(ctx context.Context, claimID int64) ([]int64, error)
	LatestSubmissions(ctx context.Context, claimIDs []int64) (map[int64]int64, error)
	SubmissionHeader(ctx context.Context, id int64) (storage.Submission, error)
	SubmissionByGroup(ctx context.Context, clearinghouse, gs06 string) (int64, error)
	SubmissionByISA13(ctx context.Context, clearinghouse, isa13 string) (storage.Submission, error)
	SubmissionIDByISA13(ctx context.Context, clearinghouse, isa13 string) (int64, error)
	SubmittedClaims(ctx context.Context, submissionID int64, gs06, st02 string) ([]storage.SubmittedClaim, error)
	LastSubmissionID(ctx context.Context) (int64, error)
}

// applier applies one parsed file: plan reads and decides, recording the writes;
// commit makes them in the write transaction.
type applier struct {
	env  *pipeline.Env
	r    reads
	file *storage.InboundFile
	res  *Result
	// latest caches each claim's latest submission (0 for none).
	latest map[int64]int64
	// claims are a 277CA file's claims by PCN, read at once (ack277.go); nil for
	// other kinds.
	claims map[string]storage.ClaimHead
	// heads are the same claims by id.
	heads map[int64]*storage.ClaimHead
	// linesRead are the claims whose lines an answer named (by control number).
	linesRead map[int64]bool
	// documents are the billing.Claims of the claims a 277CA rejects, by id.
	documents map[int64]*billing.Claim

	// What the decisions rest on, which check reads again in the transaction: the
	// stamps of the claims whose heads or documents were read, the PCNs no claim
	// had, and the submissions looked up by group or by interchange control number
	// (0: none). byISA13 is also a cache: a 277CA file names a few submissions in
	// many transaction sets.
	stamps  map[int64]storage.ClaimStamp
	noClaim []string
	// paths are, by claim, where the claim goes as the answers were planned: from
	// the state of its stamp, each move the state table allows. check finds with
	// them whether a claim that changed since would take the same way.
	paths map[int64]*claimPath
	// lastSubmission is the last submission id before anything was read (SQLite:
	// see storage.Conn.LastSubmissionID; -1 on PostgreSQL).
	lastSubmission int64
	byGroup        map[string]int64
	byISA13        map[string]int64

	// The writes, made by commit in this order: the answers (pending), the
	// claims' moves (groups, one TransitionClaims each) and the work items.
	groups []moveGroup
	items  []storage.WorkItem
	// tx is set when the answers are stored one by one as the plan goes (not in
	// bulk): then plan runs in the transaction, and stores each answer at once.
	tx      *storage.Tx
	pending []storage.Ack
}

// moveGroup are moves of one cause, made together.
type moveGroup struct {
	cause storage.Cause
	moves []storage.ClaimMove
	// refused are the moves the plan found refused (the claim had moved on, or is
	// there already): TransitionClaims must skip those and only those.
	refused []bool
}

// claimPath is where a claim goes as a file's answers are planned: where the
// planned moves leave it (at; first the state its stamp read), and every decision
// taken on the way (steps), in order.
type claimPath struct {
	at    storage.ClaimState
	steps []pathStep
}

// pathStep is one decision on a claim's path: whether it may move to a state,
// and whether it was moved there (a move) or only asked (whether a rejection
// still concerns it).
type pathStep struct {
	to      storage.ClaimState
	allowed bool
	move    bool
}

// holds reports whether the claim, in state now, would take the same decisions.
func (p *claimPath) holds(now storage.ClaimState) bool {
	at := now
	for _, s := range p.steps {
		allowed := storage.CanTransition(at, s.to)
		if allowed != s.allowed {
			return false
		}
		if allowed && s.move {
			at = s.to
		}
	}
	return true
}

// errMovedMeanwhile is returned when TransitionClaims skipped other moves than the
// plan decided (a claim moved by another writer after the plan read it): the
// decisions taken on them (rejections queued or not) would be wrong. The file is
// applied again later.
var errMovedMeanwhile = errors.New("a claim moved while the file was applied")

// newApplier returns an applier of f that reads with r; with tx, it stores each
// answer at once (see applier.tx).
func (s *Stage) newApplier(f *storage.InboundFile, base Result, r reads, tx *storage.Tx) *applier {
	return &applier{env: s.env, r: r, file: f, res: &Result{InboundID: base.InboundID, Kind: base.Kind}, tx: tx}
}

// plan applies the file as far as it can without writing: it records the writes.
func (a *applier) plan(ctx context.Context, p parsed) error {
	a.lastSubmission = -1
	if a.env.Store.Driver() == storage.SQLite {
		last, err := a.r.LastSubmissionID(ctx)
		if err != nil {
			return err
		}
		a.lastSubmission = last
	}
	switch {
	case p.ta1 != nil:
		return a.applyTA1(ctx, p.ta1)
	case p.x999 != nil:
		return a.apply999(ctx, p.x999)
	case p.x277a != nil:
		return a.apply277(ctx, p.x277a)
	}
	return nil
}

// check reports whether what plan read is still what tx reads: the claims it read
// unchanged (their stamps; for those that changed, their PCN, the decisions taken
// on their state (paths), lines' control numbers and, when plan read it,
// document), the PCNs without a claim still without, each claim's latest
// submission and the submissions it looked up the same (on SQLite: no submission
// stored since). Each is one query for the whole
// file, or a few, most of them reading no document and no line.
func (a *applier) check(ctx context.Context, tx *storage.Tx) (bool, error) {
	if len(a.stamps) > 0 {
		ids := make([]int64, 0, len(a.stamps))
		for id := range a.stamps {
			ids = append(ids, id)
		}
		now, err := tx.ClaimStamps(ctx, ids)
		if err != nil {
			return false, err
		}
		// A claim that changed since (mostly: another file of the same claims moved
		// it) still holds when what the decisions read of it did not change: its
		// PCN, whether each of its moves is allowed (a move refused now, or allowed
		// now where it was refused, changes what is queued), its lines' control
		// numbers when an answer named its lines, and its document when one was
		// read.
		var changed []int64
		for id, s := range a.stamps {
			if s.Same(now[id]) {
				continue
			}
			if s.PCN != now[id].PCN {
				return false, nil
			}
			if p := a.paths[id]; p != nil && !p.holds(now[id].State) {
				return false, nil
			}
			if doc, ok := a.documents[id]; ok {
				cl, err := tx.Claim(ctx, id)
				if err != nil || !reflect.DeepEqual(*doc, cl.Claim) {
					return false, err
				}
			}
			if _, ok := a.heads[id]; ok && a.linesRead[id] {
				changed = append(changed, id)
			}
		}
		if len(changed) > 0 {
			now, err := tx.ClaimControlsOf(ctx, changed)
			if err != nil {
				return false, err
			}
			for _, id := range changed {
				cc, ok := now[id]
				if !ok || !sameControls(a.heads[id], &cc) {
					return false, nil
				}
			}
		}
	}
	if len(a.noClaim) > 0 {
		found, err := tx.ClaimIDsByPCN(ctx, a.noClaim)
		if err != nil || len(found) > 0 {
			return false, err
		}
	}
	if a.lastSubmission >= 0 {
		last, err := tx.LastSubmissionID(ctx)
		if err != nil {
			return false, err
		}
		if last == a.lastSubmission {
			// No submission stored since: the latest submissions and the
			// submissions looked up are what plan read.
			return true, nil
		}
	}
	if len(a.latest) > 0 {
		ids := make([]int64, 0, len(a.latest))
		for id := range a.latest {
			ids = append(ids, id)
		}
		now, err := tx.LatestSubmissions(ctx, ids)
		if err != nil {
			return false, err
		}
		for id, sub := range a.latest {
			if now[id] != sub {
				return false, nil
			}
		}
	}
	for gs06, id := range a.byGroup {
		now, err := tx.SubmissionByGroup(ctx, a.file.Source, gs06)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return false, err
		}
		if now != id {
			return false, nil
		}
	}
	for isa13, id := range a.byISA13 {
		now, err := tx.SubmissionIDByISA13(ctx, a.file.Source, isa13)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return false, err
		}
		if now != id {
			return false, nil
		}
	}
	return true, nil
}

// commit makes the writes plan recorded, in tx, and returns the file's result. It
// changes nothing of a, so that it may run again when InTx runs its function again.
func (a *applier) commit(ctx context.Context, tx *storage.Tx) (Result, error) {
	res := *a.res
	if a.tx == nil {
		n, err := tx.InsertAcks(ctx, a.pending)
		if err != nil {
			return res, err
		}
		if n != len(a.pending) {
			return res, fmt.Errorf("inbound file %d: %d of %d: %w", a.file.ID, len(a.pending)-n, len(a.pending), errStoredBefore)
		}
	}
	ev := storage.Event{Actor: a.actor()}
	for _, g := range a.groups {
		ev.Cause = g.cause
		skipped, err := tx.TransitionClaims(ctx, g.moves, ev)
		if err != nil {
			return res, err
		}
		if !g.skippedAsPlanned(skipped) {
			return res, fmt.Errorf("inbound file %d: %w", a.file.ID, errMovedMeanwhile)
		}
		for _, m := range skipped {
			a.env.Log().Info("claim transition skipped: the claim moved on", "claim_id", m.ClaimID, "to", m.To,
				"inbound_id", a.file.ID)
		}
		res.Moved += len(g.moves) - len(skipped)
		res.Skipped += len(skipped)
	}
	n, err := tx.AddWorkItems(ctx, a.items)
	if err != nil {
		return res, err
	}
	res.WorkItems += n
	if err := tx.MarkInboundProcessed(ctx, a.file.ID); err != nil {
		return res, err
	}
	return res, nil
}

// key is the idempotency key of the answer at a position of the file.
func (a *applier) key(pos string) string { return a.file.SHA256 + "/" + pos }

// actor names the file in claim histories.
func (a *applier) actor() string { return "inbound-file/" + strconv.FormatInt(a.file.ID, 10) }

// store records an acknowledgement and reports whether it is new: an answer stored
// before was applied before, in the transaction that stored it. In bulk (no a.tx)
// it only keeps the answer for commit, and reports it new.
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
	if a.tx == nil {
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

// encodeNote encodes a move's detail once, outside the write transaction, for
// every move it goes with.
func encodeNote(note moveNote) (json.RawMessage, error) {
	b, err := json.Marshal(note)
	if err != nil {
		return nil, fmt.Errorf("encoding the detail of a claim's move: %w", err)
	}
	return b, nil
}

// move records a claim's move to a state, with the payer's claim number to record
// when icn is set; commit makes the moves of a cause together, a few statements for
// all of them, in the order recorded. A move the table forbids from where the
// planned moves leave the claim (it moved on already, or is there already) is
// recorded too, as refused: TransitionClaims skips it (recording the payer's claim
// number only when the claim is in that state already), and it is counted in
// Result.Skipped. Call allows first, to know which it is.
func (a *applier) move(claimID int64, to storage.ClaimState, cause storage.Cause, detail json.RawMessage, icn string) {
	if n := len(a.groups); n == 0 || a.groups[n-1].cause != cause {
		a.groups = append(a.groups, moveGroup{cause: cause})
	}
	g := &a.groups[len(a.groups)-1]
	g.moves = append(g.moves, storage.ClaimMove{ClaimID: claimID, To: to, Detail: detail, PayerClaimNumber: icn})
	p := a.path(claimID)
	allowed := storage.CanTransition(p.at, to)
	g.refused = append(g.refused, !allowed)
	p.steps = append(p.steps, pathStep{to: to, allowed: allowed, move: true})
	if allowed {
		p.at = to
	}
}

// allows reports whether the claim may move to a state from where the moves
// planned so far leave it (at), by the state table: an answer that would move it
// where it may not go came late (the claim moved on: paid, denied, accepted
// further) or again (the claim is there already), and must not be applied, nor
// put a rejection in front of a person. The claim's stamp must have been read
// (readStamps).
func (a *applier) allows(claimID int64, to storage.ClaimState) (at storage.ClaimState, ok bool) {
	p := a.path(claimID)
	ok = storage.CanTransition(p.at, to)
	p.steps = append(p.steps, pathStep{to: to, allowed: ok})
	return p.at, ok
}

// path returns the claim's path, starting at the state its stamp read.
func (a *applier) path(claimID int64) *claimPath {
	p := a.paths[claimID]
	if p == nil {
		if a.paths == nil {
			a.paths = map[int64]*claimPath{}
		}
		p = &claimPath{at: a.stamps[claimID].State}
		a.paths[claimID] = p
	}
	return p
}

// readStamps reads the stamps (and so the states) of the claims not read yet, in
// one query: inside the transaction on PostgreSQL, it locks them.
func (a *applier) readStamps(ctx context.Context, ids []int64) error {
	var missing []int64
	for _, id := range ids {
		if _, ok := a.stamps[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	stamps, err := a.r.ClaimStamps(ctx, missing)
	if err != nil {
		return err
	}
	for _, id := range missing {
		s, ok := stamps[id]
		if !ok {
			return fmt.Errorf("claim %d: %w", id, storage.ErrNotFound)
		}
		a.stamp(s)
	}
	return nil
}

// skippedAsPlanned reports whether TransitionClaims skipped exactly the moves the
// plan found refused.
func (g *moveGroup) skippedAsPlanned(skipped []storage.ClaimMove) bool {
	n := 0
	for i, m := range g.moves {
		if !g.refused[i] {
			continue
		}
		if n >= len(skipped) || skipped[n].ClaimID != m.ClaimID || skipped[n].To != m.To {
			return false
		}
		n++
	}
	return n == len(skipped)
}

// lateClaim is a claim an answer did not move, nor queue, because the claim had
// moved on (or was in that state already): stored in the answer's detail.
type lateClaim struct {
	ClaimID int64              `json:"claim_id"`
	State   storage.ClaimState `json:"state"`
	Note    string             `json:"note"`
}

// lateNote says why an answer to a claim in state at was not applied.
func lateNote(at, to storage.ClaimState) string {
	if at == to {
		return fmt.Sprintf("came again: the claim was %s already; not applied", at)
	}
	return fmt.Sprintf("came late: the claim had moved on to %s; not applied", at)
}

// sortClaims sorts the claims an answer to submission subID would move to a
// state: moving are the indexes (in ids) of those it moves; the others are
// earlier (the answer is to an earlier submission of them: see current) or late
// (they moved on: see allows). Nothing is recorded of the claims it does not move.
func (a *applier) sortClaims(ctx context.Context, subID int64, ids []int64, to storage.ClaimState) (moving []int, earlier []int64, late []lateClaim, err error) {
	if err := a.prefetchLatest(ctx, ids); err != nil {
		return nil, nil, nil, err
	}
	if err := a.readStamps(ctx, ids); err != nil {
		return nil, nil, nil, err
	}
	for i, id := range ids {
		ok, err := a.current(ctx, id, subID)
		if err != nil {
			return nil, nil, nil, err
		}
		if !ok {
			earlier = append(earlier, id)
			continue
		}
		if at, ok := a.allows(id, to); !ok {
			late = append(late, lateClaim{ClaimID: id, State: at, Note: lateNote(at, to)})
			continue
		}
		moving = append(moving, i)
	}
	return moving, earlier, late, nil
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
	latest, err := a.r.LatestSubmissions(ctx, ids)
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
		subs, err := a.r.ClaimSubmissions(ctx, claimID)
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

// queue records a work item, which commit adds unless its dedup key is queued
// already.
func (a *applier) queue(it storage.WorkItem) {
	a.items = append(a.items, it)
}

// exception queues an exception for a person.
func (a *applier) exception(key string, codes []string, msg string) {
	a.queue(storage.WorkItem{Kind: storage.WorkException, DedupKey: key, Codes: codes, Message: msg})
}

// sameControls reports whether a claim's head as plan read it agrees with its
// controls now on what the decisions read of it: its PCN and its lines' control
// numbers (not its state, which check compares through the claim's path, nor its
// payer claim number, which no decision reads).
func sameControls(h *storage.ClaimHead, now *storage.ClaimControls) bool {
	if h.PCN != now.PCN || len(h.Lines) != len(now.Lines) {
		return false
	}
	for i := range h.Lines {
		if h.Lines[i].ControlNumber != now.Lines[i] {
			return false
		}
	}
	return true
}

// stamp keeps a claim's stamp for check, the first one read.
func (a *applier) stamp(s storage.ClaimStamp) {
	if a.stamps == nil {
		a.stamps = map[int64]storage.ClaimStamp{}
	}
	if _, ok := a.stamps[s.ID]; !ok {
		a.stamps[s.ID] = s
	}
}

// moveNote is the detail of a transition: which file and answer caused it.
type moveNote struct {
	InboundFileID int64    `json:"inbound_file_id"`
	Answer        string   `json:"answer"`
	Status        string   `json:"status"`
	Codes         []string `json:"codes,omitempty"`
	Text          string   `json:"text,omitempty"`
}
