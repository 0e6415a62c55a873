package posting

import (
	"strconv"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/storage"
)

// Claim is what posting needs of the stored claim an 835 claim payment pays.
type Claim struct {
	ID                int64
	PatientID         int64 // the account the entries go to
	PayerID           int64 // the payer billed now: whose insurance bucket
	BillingProviderID int64
	Lines             []Line
	// FurtherCoverage reports that the patient has a coverage after the one billed
	// now: what the payer leaves may be billed to the next payer.
	FurtherCoverage bool
}

// Line is a stored service line, for matching SVC loops to it.
type Line struct {
	ID            int64
	ControlNumber string // REF*6R
	Procedure     string
	Modifiers     []string
	Charge        billing.Money
	ServiceDate   billing.Date
}

// Input is one claim payment to post.
type Input struct {
	RemitID    int64        // the stored remittance
	Index      int          // the claim payment's position in the remittance, from 0
	PaymentKey string       // PaymentKeys(rem, key)[Index]
	On         billing.Date // EffectiveDate of the remittance
	Claim      *Claim       // nil when no claim matched CLP01
	Payment    *x835.ClaimPayment
}

// Result is what one claim payment does to the books.
type Result struct {
	// Payment is the claim payment to store, linked to the claim and its lines when
	// they matched.
	Payment storage.ClaimPayment
	// Entries are the ledger entries to post with it (storage.PostClaimPayments).
	Entries []storage.Entry
	// State is where the claim moves (Cause 835); "" for no move (unmatched,
	// predetermination).
	State storage.ClaimState
	// Reverses reports a reversal (CLP02 22): the caller reverses the entries of the
	// original payment (Original, Reversals); Entries is empty.
	Reverses bool
	// Denial, when set, goes to the denial queue.
	Denial *Denial
	// Crossover reports that the payer forwarded the claim to the next payer
	// (CLP02 19-21, 23 or NM1*TT): the next payer must not be billed by us.
	Crossover bool
	// PatientShare is the patient responsibility moved to the patient (the PR
	// adjustments), Denied what was denied and left on the insurance bucket.
	PatientShare, Denied billing.Money
	// Secondary reports that the next payer should be billed: a balance is left,
	// the patient has a further coverage, and the payer did not forward the claim.
	Secondary bool
	// Problem says why nothing could be posted (no claim matched, the claim has no
	// patient account or payer); "" when posted.
	Problem string
}

// BalanceLeft is what the payer left on the account: the patient's share and the
// denied amounts.
func (r *Result) BalanceLeft() billing.Money { return r.PatientShare + r.Denied }

// Post works out what one claim payment posts. It never fails: what cannot be
// posted says so in Result.Problem, and the payment is still returned to be stored.
func Post(in Input) Result {
	p := in.Payment
	res := Result{Payment: storedPayment(p, in.RemitID, in.PaymentKey)}
	c := in.Claim
	if c == nil {
		res.Problem = "no claim has patient control number " + p.PCN
		return res
	}
	res.Payment.ClaimID = c.ID
	lineIDs := MatchLines(p, c.Lines)
	for k, id := range lineIDs {
		res.Payment.Services[k].LineID = id
	}
	switch {
	case c.PatientID == 0:
		res.Problem = "claim " + itoa64(c.ID) + " has no patient account"
		return res
	case c.PayerID == 0:
		res.Problem = "claim " + itoa64(c.ID) + " has no payer"
		return res
	}
	switch p.Status {
	case x835.StatusPredetermination:
		return res // pricing only: nothing moves
	case x835.StatusReversal:
		res.Reverses, res.State = true, storage.StateReversed
		return res
	}

	secondary := false
	switch p.Status {
	case x835.StatusSecondary, x835.StatusTertiary, x835.StatusSecondaryForwarded, x835.StatusTertiaryForwarded:
		secondary = true
	}
	res.Crossover = p.Forwarded() || p.CrossoverCarrier != nil
	whole := wholeDenial(p, secondary)

	base := storage.Entry{
		PatientID: c.PatientID, ClaimID: c.ID, PayerID: c.PayerID, BillingProviderID: c.BillingProviderID,
		EffectiveOn: in.On, SourceKind: "claim-payment",
	}
	// Keys: "r<remittance>/<claim>/" and the part, "#2", "#3"... on a part's
	// repeats. The parts of a payment are few: a list beats a map.
	prefix := storage.EntryKey(in.RemitID, in.Index, "")
	var parts []string
	var kb []byte
	key := func(line int, part string) string {
		kb = append(kb[:0], prefix...)
		if line > 0 {
			kb = strconv.AppendInt(kb, int64(line), 10)
			kb = append(kb, '/')
		}
		kb = append(kb, part...)
		n := 1
		for _, q := range parts {
			if q == string(kb[len(prefix):]) {
				n++
			}
		}
		k := string(kb)
		parts = append(parts, k[len(prefix):])
		if n > 1 {
			k += "#" + strconv.Itoa(n)
		}
		return k
	}
	// At most an entry per line and one for the rest of CLP04, and two per
	// adjustment: allocated once.
	most := len(p.Lines) + 1 + 2*len(p.Adjustments)
	for k := range p.Lines {
		most += 2 * len(p.Lines[k].Adjustments)
	}
	res.Entries = make([]storage.Entry, 0, most)
	add := func(e storage.Entry) { res.Entries = append(res.Entries, e) }

	// The money: each line's SVC03, and whatever CLP04 differs from their sum
	// (claim-level adjustments of paid lines, or a claim without lines).
	var linePaid int64
	for k := range p.Lines {
		l := &p.Lines[k]
		linePaid += l.Paid
		if l.Paid == 0 {
			continue
		}
		e := base
		e.LineID = lineIDs[k]
		e.Kind, e.Bucket, e.Amount = storage.KindInsurancePayment, storage.BucketInsurance, -billing.Money(l.Paid)
		e.IdempotencyKey = key(k+1, "pay")
		add(e)
	}
	if rest := p.Paid - linePaid; rest != 0 {
		e := base
		e.Kind, e.Bucket, e.Amount = storage.KindInsurancePayment, storage.BucketInsurance, -billing.Money(rest)
		e.IdempotencyKey = key(0, "pay")
		add(e)
	}

	var denials []deniedAmount
	adjust := func(a x835.Adjustment, line int, lineID int64) {
		if a.Amount == 0 {
			return
		}
		t := Classify(a.Group, a.Reason, secondary)
		if whole && (a.Group == x835.GroupContractual || a.Group == x835.GroupPayerInitiated) {
			t = Denied
		}
		code := a.Group + "-" + a.Reason
		e := base
		e.LineID, e.Reason = lineID, code
		amt := billing.Money(a.Amount)
		switch t {
		case Contractual:
			e.Kind, e.Bucket, e.Amount = storage.KindContractualAdjustment, storage.BucketInsurance, -amt
		case Other:
			e.Kind, e.Bucket, e.Amount = storage.KindOtherAdjustment, storage.BucketInsurance, -amt
		case Patient:
			res.PatientShare += amt
			e.IdempotencyKey = key(line, code)
			pair := storage.TransferEntries(e, patientKind(a.Reason), amt, storage.BucketInsurance, storage.BucketPatient, 0)
			add(pair[0])
			add(pair[1])
			return
		case Denied:
			res.Denied += amt
			denials = append(denials, deniedAmount{line: line, group: a.Group, reason: a.Reason, amount: amt})
			return
		case Informational:
			return
		}
		e.IdempotencyKey = key(line, code)
		add(e)
	}
	for _, a := range p.Adjustments {
		adjust(a, 0, 0)
	}
	for k := range p.Lines {
		for _, a := range p.Lines[k].Adjustments {
			adjust(a, k+1, lineIDs[k])
		}
	}

	switch {
	case res.Crossover:
		res.State = storage.StateForwarded
	case whole:
		res.State = storage.StateDenied
	case res.Denied != 0:
		res.State = storage.StatePartiallyPaid
	default:
		res.State = storage.StatePaid
	}
	if whole || len(denials) > 0 {
		res.Denial = newDenial(p, denials, whole)
	}
	res.Secondary = !res.Crossover && !whole && c.FurtherCoverage && res.BalanceLeft() > 0
	return res
}

// wholeDenial reports a claim the payer refused: CLP02 4, or nothing paid and
// nothing left to the patient, with a CO/PI denial reason or with CO/PI adjustments
// only (X12-GUIDE 6.9: a zero-paid claim with only CO/PI is a denial). A claim that
// pays nothing because the patient owes it all (a deductible) was adjudicated: its
// lines denied with a denial reason go to the denial queue on their own, and what
// the patient owes may go on to the next payer. A later payer that pays nothing
// because the earlier payers paid what it allows (OA-23 with pricing reductions)
// has not denied the claim either.
func wholeDenial(p *x835.ClaimPayment, secondary bool) bool {
	if p.Status == x835.StatusDenied {
		return true
	}
	if p.Paid != 0 {
		return false
	}
	var coPI, pr, denial, prior bool
	visit := func(as []x835.Adjustment) {
		for _, a := range as {
			if a.Amount == 0 {
				continue
			}
			switch a.Group {
			case x835.GroupContractual, x835.GroupPayerInitiated:
				coPI = true
				denial = denial || denialReasons[a.Reason]
			case x835.GroupPatient:
				pr = true
			case x835.GroupOther:
				prior = prior || (secondary && a.Reason == "23")
			}
		}
	}
	visit(p.Adjustments)
	for k := range p.Lines {
		visit(p.Lines[k].Adjustments)
	}
	if pr {
		return false
	}
	return denial || (coPI && !prior)
}

func itoa(n int) string     { return strconv.Itoa(n) }
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
