package secondary

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/billing/cob"
	"github.com/claimflow/claimflow/billing/scrub"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/storage"
)

// Action is what the stage does with a claim.
type Action string

// The actions.
const (
	// ActionNone: nothing to do now (the claim moved on already, is not
	// adjudicated, or its balance stays with the payer, as a denial does).
	ActionNone Action = "none"
	// ActionCrossedOver: the payer forwarded the claim to the next payer itself;
	// that payer's 835 will come without a claim from us.
	ActionCrossedOver Action = "crossed-over"
	// ActionBillNext: the claim goes to the next coverage (secondary-billed).
	ActionBillNext Action = "bill-next"
	// ActionHold: the claim for the next payer fails the coordination-of-benefits
	// rules; it is held with rejection work items.
	ActionHold Action = "hold"
	// ActionPatient: no coverage is left and the patient owes the rest.
	ActionPatient Action = "patient-billed"
	// ActionClose: nothing is left to collect.
	ActionClose Action = "close"
)

// Plan is what the stage would do with one claim, and why.
type Plan struct {
	ClaimID int64  // our id of the claim
	PCN     string // CLM01
	// State is the claim's state when planned.
	State storage.ClaimState
	// Action is what the stage does (or did) with the claim.
	Action Action
	// Reason says why, in plain words, without PHI.
	Reason string
	// PayerID is the payer billed now (our id), whose decision moves the claim on.
	PayerID int64
	// Payment is that payer's claim payment; nil when none was needed. Its
	// Services are read only when the claim has a further coverage.
	Payment *storage.ClaimPayment
	// Balance is the claim's balance before the plan (insurance, patient).
	Balance storage.Balance
	// Claim is the claim for the next payer (ActionBillNext, ActionHold).
	Claim billing.Claim
	// Next is the index of the coverage billed next, -1 when none.
	Next int
	// NextPayerID is our id of the next coverage's payer; 0 when that payer is
	// not in the payer list (the claim is then held).
	NextPayerID int64
	// Findings are the scrubber's findings on Claim, with paths relative to it
	// ("coverages[0].adjudication.paid_amount").
	Findings []scrub.Finding
	// Transfers are the ledger entries that move the balance to the next payer.
	Transfers []storage.Entry

	// encoded, when set (a plan made before the write transaction), is the
	// plan's history detail as JSON, and rebill what RebillClaims writes for it,
	// its document encoded: work done before the transaction rather than in it.
	encoded json.RawMessage
	rebill  *storage.Rebill
}

// historyDetail is what the claim's history records of the plan (detail), as
// encoded ahead when it was.
func (p *Plan) historyDetail() any {
	if p.encoded != nil {
		return p.encoded
	}
	return detail(p)
}

// encode encodes, before the write transaction, what writing the plan stores as
// JSON: its history detail and, for the next payer, the claim's document.
func (p *Plan) encode() error {
	b, err := json.Marshal(detail(p))
	if err != nil {
		return fmt.Errorf("encoding the plan of claim %d: %w", p.ClaimID, err)
	}
	p.encoded = b
	if p.Action == ActionBillNext || p.Action == ActionHold {
		r := p.rebillOf()
		if err := r.EncodeDocument(); err != nil {
			return err
		}
		p.rebill = &r
	}
	return nil
}

// rebillOf is what RebillClaims writes for the plan.
func (p *Plan) rebillOf() storage.Rebill {
	if p.rebill != nil {
		return *p.rebill
	}
	return storage.Rebill{ClaimID: p.ClaimID, Claim: p.Claim, PayerID: p.NextPayerID,
		Event: storage.Event{Cause: storage.CauseSystem, Actor: Actor, Detail: p.historyDetail()}}
}

// Moved returns the amount the plan moves to the next payer.
func (p *Plan) Moved() billing.Money {
	var t billing.Money
	for _, e := range p.Transfers {
		if e.Amount > 0 {
			t += e.Amount
		}
	}
	return t
}

// Plan decides, from what conn holds, what the stage does with the claim; it
// writes nothing. Errors wrapping bus.ErrPoison (through pipeline.Poison) say
// the claim can never be moved on as stored; others are transient.
func (s *Stage) Plan(ctx context.Context, conn *storage.Conn, claimID int64) (*Plan, error) {
	return s.plan(ctx, &reads{conn: conn}, claimID)
}

// reads is what planning reads, through conn: claims, their payments and their
// ledger sums read ahead for many at once, and the payers read so far (a few
// payers serve many claims; read ahead, only their ids are set, which is all
// planning reads of them).
type reads struct {
	conn *storage.Conn
	// claims read ahead, each served once (a claim planned again is read again);
	// with them, when ahead is set, their payments, payment origins and ledger
	// sums (a claim missing from those maps has none).
	claims   map[int64]storage.Claim
	ahead    map[int64]bool
	payments map[int64][]storage.ClaimPayment
	origins  map[int64][]storage.PaymentOrigin
	sums     map[int64][]storage.LedgerSum
	payers   map[int64]storage.Payer
	byPayer  map[string]payerFound // by payer id
}

// readAhead reads the claims with the ids, their payments, payment origins,
// ledger sums and payers, for many claims at once: seven queries in all (two of
// them only for claims with a further coverage), where reading claim by claim
// took six per claim. With stamped, it returns the claims' stamps too, read by
// the same query as the claims, before everything else.
func readAhead(ctx context.Context, conn *storage.Conn, ids []int64, stamped bool) (*reads, map[int64]storage.ClaimLedgerStamp, error) {
	var heads []storage.Claim
	var stamps map[int64]storage.ClaimLedgerStamp
	var err error
	if stamped {
		heads, stamps, err = conn.ClaimsBilledCoverageStamped(ctx, ids)
	} else {
		heads, err = conn.ClaimsBilledCoverage(ctx, ids)
	}
	if err != nil {
		return nil, nil, err
	}
	r := &reads{conn: conn, claims: make(map[int64]storage.Claim, len(heads)), ahead: make(map[int64]bool, len(heads))}
	// Only a claim that may go on to a further coverage needs its whole document,
	// its stored lines and its payments' services (for the next payer's claim and
	// the ledger transfers); the others (most) are closed or billed to the patient
	// from its coverages and ledger sums.
	var further []int64
	for _, cl := range heads {
		r.ahead[cl.ID] = true
		if k, ok := cl.BilledCoverage(); ok && k+1 < len(cl.Coverages) {
			further = append(further, cl.ID)
		} else {
			r.claims[cl.ID] = cl
		}
	}
	whole, err := conn.ClaimsByID(ctx, further)
	if err != nil {
		return nil, nil, err
	}
	for _, cl := range whole {
		r.claims[cl.ID] = cl
	}
	if r.payments, r.origins, err = conn.ClaimPaymentsAndOriginsOf(ctx, ids, further); err != nil {
		return nil, nil, err
	}
	if r.sums, err = conn.LedgerSums(ctx, ids); err != nil {
		return nil, nil, err
	}
	// The payers billed now, and those of the coverages a claim may go on to,
	// with one query: planning needs only their ids.
	var ours []int64
	var theirs []string
	for _, cl := range heads {
		if cl.PayerID != 0 && !slices.Contains(ours, cl.PayerID) {
			ours = append(ours, cl.PayerID)
		}
	}
	for _, cl := range whole {
		for i := range cl.Coverages {
			if pid := cl.Coverages[i].Payer.ID; !slices.Contains(theirs, pid) {
				theirs = append(theirs, pid)
			}
		}
	}
	byID, byPayerID, err := conn.PayerKeys(ctx, ours, theirs)
	if err != nil {
		return nil, nil, err
	}
	r.payers = make(map[int64]storage.Payer, len(byID))
	for _, id := range ours {
		if pid, ok := byID[id]; ok {
			r.payers[id] = storage.Payer{ID: id, PayerID: pid}
		}
	}
	r.byPayer = make(map[string]payerFound, len(theirs))
	for _, pid := range theirs {
		id, ok := byPayerID[pid]
		r.byPayer[pid] = payerFound{p: storage.Payer{ID: id, PayerID: pid}, ok: ok}
	}
	return r, stamps, nil
}

// fresh reports whether the claim's payments and entries were read ahead and not
// served yet; it is true once per claim read ahead.
func (r *reads) fresh(id int64) bool {
	return r.ahead[id]
}

// done forgets what was read ahead for the claim: planned again, it is read again.
func (r *reads) done(id int64) {
	delete(r.ahead, id)
	delete(r.payments, id)
	delete(r.origins, id)
	delete(r.sums, id)
}

// paymentsOf returns the claim's payments and their origins.
func (r *reads) paymentsOf(ctx context.Context, id int64) ([]storage.ClaimPayment, []storage.PaymentOrigin, error) {
	if r.fresh(id) {
		return r.payments[id], r.origins[id], nil
	}
	pays, err := r.conn.ClaimPayments(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	origins, err := r.conn.PaymentOrigins(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return pays, origins, nil
}

// ledgerOf returns the sums of the claim's ledger entries per line, payer and
// bucket.
func (r *reads) ledgerOf(ctx context.Context, id int64) ([]storage.LedgerSum, error) {
	if r.fresh(id) {
		return r.sums[id], nil
	}
	sums, err := r.conn.LedgerSums(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	return sums[id], nil
}

type payerFound struct {
	p  storage.Payer
	ok bool
}

func (r *reads) claim(ctx context.Context, id int64) (storage.Claim, error) {
	if cl, ok := r.claims[id]; ok {
		delete(r.claims, id)
		return cl, nil
	}
	return r.conn.Claim(ctx, id)
}

func (r *reads) payer(ctx context.Context, id int64) (storage.Payer, error) {
	if p, ok := r.payers[id]; ok {
		return p, nil
	}
	p, err := r.conn.Payer(ctx, id)
	if err != nil {
		return p, err
	}
	if r.payers == nil {
		r.payers = map[int64]storage.Payer{}
	}
	r.payers[id] = p
	return p, nil
}

// payerByPayerID returns storage.ErrNotFound (wrapped) for an unknown payer id.
func (r *reads) payerByPayerID(ctx context.Context, payerID string) (storage.Payer, error) {
	if f, ok := r.byPayer[payerID]; ok {
		if !f.ok {
			return f.p, fmt.Errorf("payer %s: %w", payerID, storage.ErrNotFound)
		}
		return f.p, nil
	}
	p, err := r.conn.PayerByPayerID(ctx, payerID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return p, err
	}
	if r.byPayer == nil {
		r.byPayer = map[string]payerFound{}
	}
	r.byPayer[payerID] = payerFound{p: p, ok: err == nil}
	return p, err
}

func (s *Stage) plan(ctx context.Context, r *reads, claimID int64) (*Plan, error) {
	defer r.done(claimID)
	cl, err := r.claim(ctx, claimID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, pipeline.Poison(err)
	}
	if err != nil {
		return nil, err
	}
	p := &Plan{ClaimID: cl.ID, PCN: cl.PatientControlNumber, State: cl.State, Action: ActionNone, PayerID: cl.PayerID, Next: -1}
	switch cl.State {
	case storage.StateForwarded:
		p.Action, p.Reason = ActionCrossedOver, "the payer forwarded the claim to the next payer (crossover): do not bill it too"
		return p, nil
	case storage.StateDenied:
		p.Reason = "denied: the denial queue decides (correct, appeal or bill on)"
		return p, nil
	case storage.StatePaid, storage.StatePartiallyPaid:
	default:
		p.Reason = "state " + string(cl.State) + ": not waiting to move on (moved on already, or not adjudicated)"
		return p, nil
	}
	k, ok := cl.BilledCoverage()
	if !ok {
		return nil, pipeline.Poison(fmt.Errorf("claim %d: every coverage carries an adjudication, so no payer is billed now", claimID))
	}
	if cl.PayerID != 0 {
		// The payer billed now must be the coverage the claim is billed to, or its
		// decision would be sent as another payer's.
		payer, err := r.payer(ctx, cl.PayerID)
		if err != nil {
			return nil, err
		}
		if id := cl.Coverages[k].Payer.ID; payer.PayerID != id {
			return nil, pipeline.Poison(fmt.Errorf("claim %d is billed to payer %s but its coverage %d is payer %s: fix the claim's payer or coverages",
				claimID, payer.PayerID, k+1, id))
		}
	}
	pays, origins, err := r.paymentsOf(ctx, claimID)
	if err != nil {
		return nil, err
	}
	pay, date, err := payerPayment(pays, origins, &cl, k)
	if err != nil {
		return nil, err
	}
	p.Payment = pay
	if date.IsZero() {
		// DTP*573 is required: an 835 without payment and production dates
		// is dated the day the claim moves on.
		date = billing.DateOf(s.env.Now())
	}
	if cob.CrossedOver(pay.Status) {
		p.Action, p.Reason = ActionCrossedOver, "CLP02 "+pay.Status+": the payer forwarded the claim to the next payer (crossover)"
		return p, nil
	}
	// One read of the claim's ledger serves the balance and the transfers.
	sums, err := r.ledgerOf(ctx, claimID)
	if err != nil {
		return nil, err
	}
	for _, e := range sums {
		switch e.Bucket {
		case storage.BucketInsurance:
			p.Balance.Insurance += e.Amount
		case storage.BucketPatient:
			p.Balance.Patient += e.Amount
		case storage.BucketProvider:
			p.Balance.Provider += e.Amount
		}
	}
	if k+1 >= len(cl.Coverages) {
		s.lastPayer(p)
		return p, nil
	}
	payment := toCOB(&cl, pay, date)
	next, n, err := cob.Next(&cl.Claim, &payment)
	if err != nil {
		return nil, pipeline.Poison(fmt.Errorf("claim %d: %w", claimID, err))
	}
	p.Claim, p.Next = next, n
	cov := &next.Coverages[n]
	switch payer, err := r.payerByPayerID(ctx, cov.Payer.ID); {
	case err == nil:
		p.NextPayerID = payer.ID
	case errors.Is(err, storage.ErrNotFound):
	default:
		return nil, err
	}
	if p.NextPayerID != 0 {
		p.Transfers = transfers(sums, &cl, pay, n, p.NextPayerID, date)
		if p.Moved() == 0 {
			if p.Balance.Total() == 0 {
				p.Action, p.Reason = ActionClose, "the payer settled the claim: nothing is left for the next payer"
			} else {
				p.Reason = "nothing owed to move to the next payer (balance " + p.Balance.Total().String() + ")"
			}
			p.Claim, p.Next, p.Transfers = billing.Claim{}, -1, nil
			return p, nil
		}
	}
	if err := s.check(ctx, p, n); err != nil {
		return nil, err
	}
	if p.Action == ActionHold {
		p.Reason = "the claim for the next payer fails the coordination-of-benefits rules"
		return p, nil
	}
	p.Action = ActionBillNext
	p.Reason = fmt.Sprintf("%s left after payer %s: billed to coverage %d (SBR01 %s, payer %s)",
		p.Moved(), payerIDOf(&cl.Claim, k), n+1, responsibility(cov, n), cov.Payer.ID)
	return p, nil
}

// lastPayer decides for a claim whose last coverage adjudicated it: the patient
// owes the patient part; a claim with nothing left is closed.
func (s *Stage) lastPayer(p *Plan) {
	switch b := p.Balance; {
	case b.Patient > 0:
		p.Action, p.Reason = ActionPatient, "no further coverage: the patient owes "+b.Patient.String()
	case b.Total() == 0:
		p.Action, p.Reason = ActionClose, "no further coverage and nothing left"
	default:
		p.Reason = "no further coverage; the balance " + b.Total().String() + " is not the patient's (still with the payer, or a credit)"
	}
}

// check runs the coordination-of-benefits rules on the claim for the next payer
// and holds it on an error. A next payer missing from the payer list is an error
// too: the claim cannot be routed.
func (s *Stage) check(ctx context.Context, p *Plan, n int) error {
	rep, err := s.scrub.CheckOne(ctx, &p.Claim)
	if err != nil {
		return fmt.Errorf("checking claim %d for its next payer: %w", p.ClaimID, err)
	}
	prefix := string(billing.ClaimPath(0)) + "."
	for _, f := range rep.Findings {
		f.Field = billing.Path(strings.TrimPrefix(string(f.Field), prefix))
		p.Findings = append(p.Findings, f)
		if f.Severity == scrub.Error {
			p.Action = ActionHold
		}
	}
	if p.NextPayerID == 0 {
		id := p.Claim.Coverages[n].Payer.ID
		p.Findings = append(p.Findings, scrub.Finding{
			PCN: p.PCN, Line: -1, Field: billing.Path("").At("coverages", n).Field("payer").Field("id"),
			X12: "2010BB NM109", Rule: "next-payer-known", Severity: scrub.Error,
			Message: "The next payer " + id + " is not in the payer list: add it (with its clearinghouse) and send the claim again.",
		})
		p.Action = ActionHold
	}
	return nil
}

func payerIDOf(c *billing.Claim, k int) string { return c.Coverages[k].Payer.ID }

func responsibility(cov *billing.Coverage, n int) string {
	if cov.Responsibility != "" {
		return cov.Responsibility
	}
	return billing.ResponsibilityAt(n)
}
