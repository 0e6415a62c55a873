package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

func init() {
	Register(bus.Batch, func(env *Env) (bus.Handler, error) {
		return bus.HandlerFunc(func(ctx context.Context, m bus.Message) error {
			var w ClearinghouseWork
			if err := Decode(m, &w); err != nil {
				return err
			}
			_, err := Batch(ctx, env, w.Clearinghouse)
			return err
		}), nil
	})
}

// BatchedFile is one 837P file Batch built and stored.
type BatchedFile struct {
	SubmissionID  int64
	Clearinghouse string
	Name          string // the upload name, from the profile
	ISA13         string
	Claims        int
	Bytes         int64
}

// errNothingToBatch ends Batch's loop (and rolls back the control number taken).
var errNothingToBatch = errors.New("no claim to batch")

// Batch builds the 837P files of a clearinghouse's ready claims (validated, or
// re-billed to a later payer: see storage.Conn.ClaimsToBatch) until none is left,
// each file in one transaction that
//
//   - takes the next ISA13 of our sender at the clearinghouse from the database
//     sequence (locked until the end of the transaction, so concurrent batchers
//     take turns, and a file that is not stored gives its number back);
//   - builds one interchange of at most Env.MaxClaimsPerFile claims for one receiver
//     (the clearinghouse, or a payer's own receiver id on its route), the payer ids
//     replaced by the payer's id at the clearinghouse when its route has one;
//   - stores the submission with the file's bytes and every claim's trace (ISA13,
//     GS06, ST02 and segment ordinals, what a 999 answers);
//   - moves the claims to batched, and emits the file's submit work.
//
// Claims the 837P cannot carry are held with a rejection work item naming the field
// (re-billed claims, which cannot be held, get an exception work item), and the
// others go on. It returns the files built.
func Batch(ctx context.Context, env *Env, clearinghouse string) ([]BatchedFile, error) {
	ch, err := env.Clearinghouse(clearinghouse)
	if err != nil {
		return nil, err
	}
	b, err := newBatcher(env, ch)
	if err != nil {
		return nil, err
	}
	mu := env.batchLock(ch.Name)
	mu.Lock()
	defer mu.Unlock()
	var files []BatchedFile
	var ahead chan readAhead // the next file's claims, read while the last file was stored
	for {
		var f *BatchedFile
		f, ahead, err = b.one(ctx, ahead)
		switch {
		case errors.Is(err, errNothingToBatch):
			return files, nil
		case err != nil:
			return files, err
		case f != nil:
			files = append(files, *f)
			env.Log().Info("837P file built", "clearinghouse", ch.Name, "submission", f.SubmissionID, "file", f.Name,
				"isa13", f.ISA13, "claims", f.Claims, "bytes", f.Bytes)
		}
	}
}

// batcher builds one clearinghouse's files.
type batcher struct {
	env       *Env
	ch        *Clearinghouse
	submitter x837p.Party
	receiver  x837p.Party
	sender    string // ISA05:ISA06, the control number sequence's key
	max       int
	defaultCH string         // where claims of payers without a clearinghouse go
	skip      map[int64]bool // claims that cannot be built nor held, left out of this run
	seq       int
}

func newBatcher(env *Env, ch *Clearinghouse) (*batcher, error) {
	p := ch.Profile
	sub := env.Submitter
	if sub.ID == "" && p.Envelope.ISA06 == "" {
		return nil, Poison(fmt.Errorf("batching for %s: no submitter id: set Env.Submitter or the profile's envelope.isa06", ch.Name))
	}
	if sub.Contact.Phone == "" && sub.Contact.Email == "" {
		return nil, Poison(fmt.Errorf("batching for %s: the submitter has no EDI contact (1000A PER): set Env.Submitter's phone or e-mail", ch.Name))
	}
	if sub.Name == "" {
		sub.Name = "CLAIMFLOW"
	}
	if sub.ID == "" {
		sub.ID = p.Envelope.ISA06
	}
	if p.Envelope.ISA05 != "" {
		sub.InterchangeQualifier = p.Envelope.ISA05
	}
	if p.Envelope.ISA06 != "" {
		sub.InterchangeID = p.Envelope.ISA06
	}
	if p.Envelope.GS02 != "" {
		sub.ApplicationCode = p.Envelope.GS02
	}
	recvID := p.Envelope.ISA08
	if recvID == "" {
		recvID = p.Envelope.GS03
	}
	if recvID == "" {
		recvID = idFromName(ch.Name)
	}
	name := strings.ToUpper(p.Title)
	if name == "" {
		name = strings.ToUpper(ch.Name)
	}
	recv := x837p.Party{Name: name, ID: recvID, InterchangeQualifier: p.Envelope.ISA07, ApplicationCode: p.Envelope.GS03}
	senderQual := sub.InterchangeQualifier
	if senderQual == "" {
		senderQual = "ZZ"
	}
	senderID := sub.InterchangeID
	if senderID == "" {
		senderID = sub.ID
	}
	defaultCH := env.DefaultClearinghouse
	if defaultCH == "" && len(env.Clearinghouses) == 1 {
		defaultCH = ch.Name // the only clearinghouse takes every claim
	}
	max := env.MaxClaimsPerFile
	if max <= 0 {
		max = DefaultMaxClaimsPerFile
	}
	return &batcher{env: env, ch: ch, submitter: sub, receiver: recv, sender: senderQual + ":" + senderID, max: max,
		defaultCH: defaultCH, skip: map[int64]bool{}}, nil
}

// idFromName makes a receiver id from a clearinghouse's name, for profiles that do
// not give one: its letters and digits, upper-cased, at most 15.
func idFromName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) && b.Len() < 15 {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "CLEARINGHOUSE"
	}
	return b.String()
}

// unbuildable is returned from the file transaction when claims cannot be written
// as 837P: the transaction rolls back (giving the control number back) and they are
// held in a transaction of their own.
type unbuildable struct {
	claims []storage.Claim
	probs  billing.Problems
}

func (u *unbuildable) Error() string {
	return fmt.Sprintf("%d claims cannot be written as 837P", len(u.claims))
}

// readAhead is what batcher.ready read: the claims of the next file, its receiver
// and the payers that routed them.
type readAhead struct {
	claims []storage.Claim
	recv   x837p.Party
	payers map[int64]storage.Payer
	err    error
}

// one builds and stores one file; it returns nil and no error when it held claims
// instead, and errNothingToBatch when no claim is ready.
//
// The file's claims are read and their documents decoded before its transaction,
// on a reader (SQLite's WAL lets readers run beside the one writer), so that the
// writer is held for what only it can do. Inside the transaction the claims'
// versions and the payers are checked against what was read, and the claims read
// again there only when one changed meanwhile.
//
// While the file is stored, the next file's claims are read (leaving this file's
// out, as they will be once it is stored): one returns them in next when the file
// was stored, and the next call takes them from ahead instead of reading (nil:
// read now). When the file was not stored (claims held, an error), what was read
// ahead is dropped.
func (b *batcher) one(ctx context.Context, ahead chan readAhead) (file *BatchedFile, next chan readAhead, err error) {
	var r readAhead
	if ahead != nil {
		r = <-ahead
	} else {
		r.claims, r.recv, r.payers, r.err = b.ready(ctx, &b.env.Store.Conn, nil)
	}
	pre, preRecv, prePayers := r.claims, r.recv, r.payers
	if r.err != nil {
		return nil, nil, r.err
	}
	if len(pre) == 0 {
		return nil, nil, errNothingToBatch
	}
	taken := make(map[int64]bool, len(pre))
	for i := range pre {
		taken[pre[i].ID] = true
	}
	next = make(chan readAhead, 1)
	go func() {
		var r readAhead
		r.claims, r.recv, r.payers, r.err = b.ready(ctx, &b.env.Store.Conn, taken)
		next <- r
	}()
	// The file is built before the transaction too, with the control number it will
	// most likely take (the sequence's next, read on a reader): the transaction
	// takes its bytes when the number, the claims and their routes are the same.
	early := b.buildEarly(ctx, pre, preRecv)
	if b.env.afterRead != nil {
		b.env.afterRead(bus.Batch)
	}
	reread := false // the claims changed since read: what was read ahead may be wrong too
	err = b.env.InTx(ctx, func(tx *storage.Tx) error {
		file = nil
		n, err := tx.NextControlNumber(ctx, b.ch.Name, b.sender)
		if err != nil {
			return err
		}
		claims, recv := pre, preRecv
		same, err := b.unchanged(ctx, tx, pre, prePayers)
		if err != nil {
			return err
		}
		if reread = !same; reread {
			if claims, recv, _, err = b.ready(ctx, &tx.Conn, nil); err != nil {
				return err
			}
		}
		if len(claims) == 0 {
			return errNothingToBatch
		}
		routes, err := b.routes(ctx, &tx.Conn, claims)
		if err != nil {
			return err
		}
		f := early
		if reread || f == nil || f.n != n || !maps.Equal(f.routes, routes) {
			// Built again: the claims, the routes or the control number are not those
			// of the file built before the transaction.
			now := b.env.Now()
			content, traces, err := b.build(claims, recv, routes, n, now)
			var probs billing.Problems
			switch {
			case errors.As(err, &probs):
				return &unbuildable{claims: claims, probs: probs}
			case err != nil:
				return err
			}
			f = &builtFile{n: n, routes: routes, now: now, content: content, traces: traces}
		}
		now, content, traces := f.now, f.content, f.traces
		isa13 := fmt.Sprintf("%09d", n)
		b.seq++
		prefix := b.ch.Prefix
		if prefix == "" {
			prefix = "CLAIMFLOW"
		}
		name, err := b.ch.Profile.FileName(profile.NameData{Prefix: prefix, Time: now, ISA13: isa13, Seq: b.seq})
		if err != nil {
			return Poison(fmt.Errorf("naming the 837P file for %s: %w", b.ch.Name, err))
		}
		sum := sha256.Sum256(content)
		sub := storage.Submission{Clearinghouse: b.ch.Name, FileName: name, SHA256: hex.EncodeToString(sum[:]),
			ISA13: isa13, Size: int64(len(content))}
		for i, tr := range traces {
			sub.Claims = append(sub.Claims, storage.SubmittedClaim{ClaimID: claims[i].ID, Trace: tr})
		}
		id, err := tx.InsertSubmission(ctx, sub)
		if err != nil {
			return err
		}
		if err := tx.SetSubmissionFile(ctx, id, content); err != nil {
			return err
		}
		detail, err := json.Marshal(map[string]any{"submission": id, "isa13": isa13, "clearinghouse": b.ch.Name})
		if err != nil {
			return fmt.Errorf("batching into submission %d: %w", id, err)
		}
		moves := make([]storage.ClaimMove, 0, len(claims))
		for i := range claims {
			if !storage.CanTransition(claims[i].State, storage.StateBatched) {
				// A re-billed claim the transition table keeps in secondary-billed until
				// it is transmitted; the created submission keeps it from other batches.
				continue
			}
			moves = append(moves, storage.ClaimMove{ClaimID: claims[i].ID, To: storage.StateBatched, Detail: json.RawMessage(detail)})
		}
		skipped, err := tx.TransitionClaims(ctx, moves, storage.Event{Cause: storage.CauseSystem, Actor: "batch"})
		if err != nil {
			return fmt.Errorf("batching %d claims into submission %d: %w", len(moves), id, err)
		}
		if len(skipped) > 0 {
			return fmt.Errorf("batching claim %d into submission %d: %w: moved by another writer", skipped[0].ClaimID, id, storage.ErrInvalidTransition)
		}
		if err := b.env.Emit(ctx, tx, bus.Submit, SubmissionWork{SubmissionID: id}); err != nil {
			return err
		}
		file = &BatchedFile{SubmissionID: id, Clearinghouse: b.ch.Name, Name: name, ISA13: isa13, Claims: len(claims), Bytes: sub.Size}
		return nil
	})
	if err == nil {
		if reread {
			<-next
			next = nil
		}
		return file, next, nil
	}
	<-next // dropped; and hold changes b.skip, which the reader reads
	var u *unbuildable
	if errors.As(err, &u) {
		return nil, nil, b.hold(ctx, u)
	}
	return nil, nil, err
}

// ready returns the next claims to build, all for one receiver, with that receiver
// and the payers it read to route them, leaving out the claims in taken (a file
// being stored).
func (b *batcher) ready(ctx context.Context, c *storage.Conn, taken map[int64]bool) ([]storage.Claim, x837p.Party, map[int64]storage.Payer, error) {
	recv := b.receiver
	var claims []storage.Claim
	first := ""
	payers := map[int64]storage.Payer{}
	for after := int64(0); len(claims) < b.max; {
		ids, err := c.ClaimsToBatch(ctx, b.ch.Name, b.defaultCH, after, b.max)
		if err != nil {
			return nil, recv, nil, err
		}
		if len(ids) == 0 {
			break
		}
		after = ids[len(ids)-1]
		ids = slices.DeleteFunc(ids, func(id int64) bool { return b.skip[id] || taken[id] })
		page, err := c.ClaimsWithoutLines(ctx, ids)
		if err != nil {
			return nil, recv, nil, fmt.Errorf("reading claims to batch: %w", err)
		}
		if claims == nil {
			// Room for the first page at once: a claim is a large value (about
			// 1.5 KB), and growing the slice by doubling copied each several times
			// (1.5 s of a 100,000-claim demo).
			claims = make([]storage.Claim, 0, min(len(page), b.max))
		}
		for _, cl := range page {
			if len(claims) == b.max {
				break
			}
			r, err := b.receiverOf(ctx, c, cl.PayerID, payers)
			if err != nil {
				return nil, recv, nil, err
			}
			if first == "" {
				first = r
			}
			if r != first {
				continue // another file
			}
			claims = append(claims, cl)
		}
	}
	if first != "" && first != b.receiver.ID {
		recv.ID, recv.InterchangeID, recv.ApplicationCode = first, "", ""
	}
	return claims, recv, payers, nil
}

// unchanged reports whether the claims read before the transaction are as they
// were (same state and version, in no file waiting to be sent), and the payers
// that routed them too.
func (b *batcher) unchanged(ctx context.Context, tx *storage.Tx, claims []storage.Claim, payers map[int64]storage.Payer) (bool, error) {
	if same, err := unchangedSince(ctx, tx, claims); err != nil || !same {
		return false, err
	}
	for id, p := range payers {
		now, err := tx.Payer(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("reading payer %d to batch: %w", id, err)
		}
		if !reflect.DeepEqual(now, p) {
			return false, nil
		}
	}
	return true, nil
}

// receiverOf returns the receiver id a claim's file goes to: its payer's route's
// receiver at this clearinghouse, else the clearinghouse's.
func (b *batcher) receiverOf(ctx context.Context, c *storage.Conn, payerID int64, payers map[int64]storage.Payer) (string, error) {
	if payerID == 0 {
		return b.receiver.ID, nil
	}
	p, err := b.payer(ctx, c, payerID, payers)
	if err != nil {
		return "", err
	}
	for _, r := range p.Routes {
		if r.Clearinghouse == b.ch.Name && r.ReceiverID != "" {
			return r.ReceiverID, nil
		}
	}
	return b.receiver.ID, nil
}

func (b *batcher) payer(ctx context.Context, c *storage.Conn, id int64, payers map[int64]storage.Payer) (storage.Payer, error) {
	if p, ok := payers[id]; ok {
		return p, nil
	}
	p, err := c.Payer(ctx, id)
	if err != nil {
		return p, fmt.Errorf("reading payer %d to batch: %w", id, err)
	}
	payers[id] = p
	return p, nil
}

// builtFile is an 837P file built: with which control number, payer routes and
// time, its bytes and its claims' traces.
type builtFile struct {
	n       uint64
	routes  map[string]string
	now     time.Time
	content []byte
	traces  []x837p.Trace
}

// buildEarly builds the file of claims before the transaction, with the control
// number the sequence will most likely give it; nil when it cannot (no number
// handed out yet, a claim Build refuses: the transaction then finds out).
func (b *batcher) buildEarly(ctx context.Context, claims []storage.Claim, recv x837p.Party) *builtFile {
	last, ok, err := b.env.Store.LastControlNumber(ctx, b.ch.Name, b.sender)
	if err != nil || !ok || last >= storage.MaxControlNumber {
		return nil
	}
	routes, err := b.routes(ctx, &b.env.Store.Conn, claims)
	if err != nil {
		return nil
	}
	now := b.env.Now()
	content, traces, err := b.build(claims, recv, routes, last+1, now)
	if err != nil {
		return nil
	}
	return &builtFile{n: last + 1, routes: routes, now: now, content: content, traces: traces}
}

// build writes the claims as one 837P interchange with control number n, the payer
// ids replaced by routes. A billing.Problems error names the claims it cannot
// write.
func (b *batcher) build(claims []storage.Claim, recv x837p.Party, routes map[string]string, n uint64, now time.Time) ([]byte, []x837p.Trace, error) {
	bcs := make([]billing.Claim, len(claims))
	for i := range claims {
		bcs[i] = claims[i].Claim
		covs := bcs[i].Coverages
		copied := false
		for k := range covs {
			pid := covs[k].Payer.ID
			if ext := routes[pid]; ext != "" && ext != pid {
				if !copied {
					covs = append([]billing.Coverage(nil), covs...)
					bcs[i].Coverages, copied = covs, true
				}
				covs[k].Payer.ID = ext
			}
		}
		// Claims are stored normalized, but by the release that took them in: this
		// one's rules (the text it cleans, what it leaves out) apply to what it writes.
		bcs[i].Normalize()
	}
	var buf bytes.Buffer
	res, err := x837p.Build(bcs, x837p.BuildOptions{
		Submitter: b.submitter, Receiver: recv, Test: b.ch.Profile.Usage != "P", AckRequested: true,
		ClaimsPerST: b.env.ClaimsPerST, Now: func() time.Time { return now },
	}, &buf, &x12.Counter{N: n - 1})
	var probs billing.Problems
	switch {
	case errors.As(err, &probs):
		return nil, nil, err
	case errors.Is(err, x837p.ErrOptions):
		return nil, nil, Poison(fmt.Errorf("building an 837P for %s: %w", b.ch.Name, err))
	case err != nil:
		return nil, nil, fmt.Errorf("building an 837P for %s: %w", b.ch.Name, err)
	}
	return buf.Bytes(), res.Claims, nil
}

// routes returns, for each payer id of the claims' coverages, the payer's id at
// this clearinghouse when its route names one ("" otherwise), read on c.
func (b *batcher) routes(ctx context.Context, c *storage.Conn, claims []storage.Claim) (map[string]string, error) {
	payers := map[string]string{} // payer id -> id at the clearinghouse ("" none)
	for i := range claims {
		for _, cv := range claims[i].Coverages {
			pid := cv.Payer.ID
			if _, ok := payers[pid]; ok {
				continue
			}
			ext := ""
			p, err := c.PayerByPayerID(ctx, pid)
			switch {
			case errors.Is(err, storage.ErrNotFound):
			case err != nil:
				return nil, fmt.Errorf("reading payer of claim %d to batch: %w", claims[i].ID, err)
			default:
				for _, r := range p.Routes {
					if r.Clearinghouse == b.ch.Name {
						ext = r.ExternalID
					}
				}
			}
			payers[pid] = ext
		}
	}
	return payers, nil
}

// hold holds the claims Build refused, in a transaction of their own, with a work
// item per problem; claims that cannot be held are left out of this run.
func (b *batcher) hold(ctx context.Context, u *unbuildable) error {
	byClaim := map[int]billing.Problems{}
	for _, p := range u.probs {
		i, ok := claimIndex(p.Path)
		if !ok || i >= len(u.claims) {
			return Poison(fmt.Errorf("building an 837P for %s: a problem not about one claim (%s): %s", b.ch.Name, p.Path, problemReason(p)))
		}
		byClaim[i] = append(byClaim[i], p)
	}
	err := b.env.InTx(ctx, func(tx *storage.Tx) error {
		for i, probs := range byClaim {
			c := &u.claims[i]
			kind, held := storage.WorkRejection, storage.CanTransition(c.State, storage.StateHeld)
			if held {
				if err := tx.TransitionClaim(ctx, c.ID, storage.StateHeld, storage.Event{Cause: storage.CauseSystem, Actor: "batch",
					Detail: map[string]any{"problems": len(probs), "reason": "cannot be written as 837P"}}); err != nil {
					return fmt.Errorf("holding claim %d: %w", c.ID, err)
				}
			} else {
				kind = storage.WorkException
			}
			for _, p := range probs {
				field := claimRelative(p.Path, i)
				code := "837p-build"
				if _, _, err := tx.AddWorkItem(ctx, storage.WorkItem{Kind: kind,
					DedupKey: "batch:" + strconv.FormatInt(c.ID, 10) + ":" + field, ClaimID: c.ID,
					Codes: []string{code}, Field: field, Message: "cannot be written as 837P: " + problemReason(p)}); err != nil {
					return fmt.Errorf("queueing the problem of claim %d: %w", c.ID, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range byClaim {
		b.skip[u.claims[i].ID] = true
	}
	b.env.Log().Warn("claims held: they cannot be written as 837P", "clearinghouse", b.ch.Name, "claims", len(byClaim))
	return nil
}

// problemReason is a problem's reason without the value it quotes (patient data).
func problemReason(p *billing.Problem) string {
	switch {
	case errors.Is(p.Err, x837p.ErrRequired):
		return "required and empty"
	case errors.Is(p.Err, x837p.ErrTooMany):
		return "more than the 837P allows"
	case errors.Is(p.Err, x12.ErrDelimiterInData):
		return "holds a delimiter character (* ^ : ~), which the 837P cannot carry"
	case errors.Is(p.Err, x12.ErrCharacterInData):
		return "holds a character outside printable ASCII (an accent, a control character), which the 837P cannot carry"
	}
	return "a value the 837P does not allow here (a code outside its list, or too long)"
}

// claimIndex reads i from a path "claims[i]...".
func claimIndex(p billing.Path) (int, bool) {
	rest, ok := strings.CutPrefix(string(p), "claims[")
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, "]")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(num)
	return i, err == nil && i >= 0
}
