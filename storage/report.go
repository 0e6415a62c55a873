package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/claimflow/claimflow/billing"
)

// Summary is the state of the practice's billing at a glance: where the claims are,
// what came back, the money from the ledger, the work queues and two rates billing
// teams watch. It holds counts, codes and amounts only, never PHI.
type Summary struct {
	// Claims counts every claim; ByState counts them by current state (states with
	// no claim left out).
	Claims  int64
	ByState map[ClaimState]int64

	// Submitted counts the claims put in at least one submission.
	Submitted int64
	// Outcomes partition the claims by current state: Pending (not sent yet or not
	// answered yet: draft to payer-accepted, forwarded, secondary-billed), Rejected
	// (held by the scrubber or rejected by a TA1, 999 or 277CA), Paid (paid,
	// partially paid, billed to the patient, closed), Denied (denied, appealed) and
	// Other (written off, corrected, voided, reversed). They add up to Claims.
	Pending, Rejected, Paid, Denied, Other int64
	// RejectionReasons are the codes of the open rejection work items (scrubber rule
	// ids, 277CA statuses, 999 IK codes), most frequent first, at most TopReasons.
	RejectionReasons []ReasonCount
	// DenialReasons are the adjustment codes (group-CARC, "CO-50") of the unpaid
	// claim payments of denied claims (reversals aside), by number of claims, most
	// frequent first.
	DenialReasons []ReasonCount

	// Money holds the ledger's totals.
	Money MoneySummary

	// OpenWork counts the work items open or in progress, by queue.
	OpenWork map[WorkKind]int64

	// Clean counts the claims never held nor rejected, of Claims: the clean-claim
	// rate.
	Clean Rate
	// FirstPass counts the submitted claims a payer accepted (277CA or 835) without
	// any rejection after their first submission, of Submitted: the first-pass
	// acceptance rate.
	FirstPass Rate
}

// TopReasons is the number of reasons a Summary lists.
const TopReasons = 10

// ReasonCount is a code and how many times it was met.
type ReasonCount struct {
	Code  string
	Count int64
}

// Rate is a share: Count of Of.
type Rate struct {
	Count, Of int64
}

// Percent returns the share in percent, 0 when Of is 0. Rates are not money: a float
// is fine here.
func (r Rate) Percent() float64 {
	if r.Of == 0 {
		return 0
	}
	return 100 * float64(r.Count) / float64(r.Of)
}

// String renders "97.5% (39/40)".
func (r Rate) String() string { return fmt.Sprintf("%.1f%% (%d/%d)", r.Percent(), r.Count, r.Of) }

// MoneySummary is what the ledger says, by kind. A reversal counts against the kind
// of the entry it reverses. With no refunds and no provider-level amounts:
// Charged = InsurancePaid + Adjusted + PatientPaid + InsuranceOutstanding +
// PatientOutstanding; and PatientResponsibility, what the payers left to patients,
// is what the patients paid, what is written off on their side and what they owe.
type MoneySummary struct {
	Charged               billing.Money // charges
	InsurancePaid         billing.Money // payers' payments, positive
	Adjusted              billing.Money // contractual and other adjustments, write-offs, positive
	PatientResponsibility billing.Money // moved to patients: deductible, coinsurance, copay, other PR
	PatientPaid           billing.Money // patients' payments, positive
	Refunds               billing.Money
	InsuranceOutstanding  billing.Money // balance owed by payers
	PatientOutstanding    billing.Money // balance owed by patients
	ProviderLevel         billing.Money // 835 PLB amounts (positive: withheld by payers)
}

// Outcome groups of claim states.
var (
	pendingStates = []ClaimState{StateDraft, StateValidated, StateBatched, StateTransmitted, StateEnvelopeAccepted,
		StateSyntaxAccepted, StateClearinghouseAccepted, StatePayerAccepted, StateForwarded, StateSecondaryBilled}
	paidStates   = []ClaimState{StatePaid, StatePartiallyPaid, StatePatientBilled, StateClosed}
	deniedStates = []ClaimState{StateDenied, StateAppealed}
)

// rejectedStates are held and the four rejections.
func rejectedStates() []ClaimState {
	list := []ClaimState{StateHeld}
	for _, s := range ClaimStates {
		if s.Rejected() {
			list = append(list, s)
		}
	}
	return list
}

// summaryIndexedStates are the states reached that claim_events_to_state indexes
// (a partial index: rejectedStates and payer-accepted, the only states the
// summary looks for in the history). A query on claim_events by state reached
// names its condition, to_state IN summaryIndexedStates, exactly as the index
// does, in this order: SQLite uses a partial index only for a query whose WHERE
// has the index's condition as one of its terms.
var summaryIndexedStates = append(rejectedStates(), StatePayerAccepted)

// reachedIndexed is the index's condition on claim_events (alias ev).
func reachedIndexed() string { return "ev.to_state IN " + inList(summaryIndexedStates) }

// inList renders states as a SQL list of literals (they are constants, never input).
func inList(states []ClaimState) string {
	q := make([]string, len(states))
	for i, s := range states {
		q[i] = "'" + string(s) + "'"
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// Summary reads the summary with a statement per part: on a busy store, counts may
// come from slightly different moments; call it on a Tx for one snapshot (the
// statements then run one after the other on the transaction's connection). On a
// Store they run two at a time, each on a connection of the pool, the costliest
// first: at 100,000 claims the ledger's totals alone take about as long as all the
// others together. The first statement to fail stops the others, and its error is
// returned.
func (c *Conn) Summary(ctx context.Context) (Summary, error) {
	s := Summary{ByState: map[ClaimState]int64{}, OpenWork: map[WorkKind]int64{}}
	// Each step writes fields of its own; dirty is the clean-claim rate's complement.
	var dirty int64
	err := c.readSideBySide(ctx, "summary", []readStep{
		{"ledger totals", func(ctx context.Context) error { return c.summaryMoney(ctx, &s) }},
		{"denial reasons", func(ctx context.Context) error { return c.summaryDenials(ctx, &s) }},
		{"first-pass acceptance", func(ctx context.Context) error {
			return c.queryRow(ctx, summaryFirstPassQuery()).Scan(&s.FirstPass.Count)
		}},
		{"rejection reasons", func(ctx context.Context) error { return c.summaryRejections(ctx, &s) }},
		{"claims by state", func(ctx context.Context) error { return c.summaryStates(ctx, &s) }},
		{"submitted claims", func(ctx context.Context) error {
			return c.queryRow(ctx, `SELECT COUNT(DISTINCT claim_id) FROM submission_claims`).Scan(&s.Submitted)
		}},
		{"clean claims", func(ctx context.Context) error { return c.queryRow(ctx, summaryCleanQuery()).Scan(&dirty) }},
		{"open work", func(ctx context.Context) error { return c.summaryWork(ctx, &s) }},
	})
	if err != nil {
		return Summary{}, err
	}
	s.Clean = Rate{Count: s.Claims - dirty, Of: s.Claims}
	s.FirstPass.Of = s.Submitted
	return s, nil
}

// readStep is one statement of a report (readSideBySide), named for its errors.
type readStep struct {
	what string
	fn   func(context.Context) error
}

// readSideBySide reads the report named what with the steps, two at a time, each
// on a connection of the pool, in their order (put the costliest first); in a
// transaction, one after the other on its connection. The first step to fail stops
// the others, and its error is returned ("reading the summary's open work: ..."):
// the others' may only say they were stopped. The steps must write nothing another
// step reads.
func (c *Conn) readSideBySide(ctx context.Context, what string, steps []readStep) error {
	workers := 2
	if c.tx != nil {
		workers = 1
	}
	next := make(chan int)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := steps[i].fn(ctx); err != nil {
					once.Do(func() {
						first = fmt.Errorf("reading the %s's %s: %w", what, steps[i].what, err)
						cancel()
					})
				}
			}
		})
	}
feed:
	for i := range steps {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reading the %s: %w", what, err)
	}
	return nil
}

func (c *Conn) summaryStates(ctx context.Context, s *Summary) error {
	rows, err := c.query(ctx, `SELECT state, COUNT(*) FROM claims GROUP BY state`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var st ClaimState
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return err
		}
		s.ByState[st] = n
		s.Claims += n
		switch {
		case slices.Contains(pendingStates, st):
			s.Pending += n
		case st == StateHeld || st.Rejected():
			s.Rejected += n
		case slices.Contains(paidStates, st):
			s.Paid += n
		case slices.Contains(deniedStates, st):
			s.Denied += n
		default:
			s.Other += n
		}
	}
	return rows.Err()
}

// summaryRejections counts the codes of open rejection work items: items with the
// same codes are grouped in SQL, each code counted in Go.
func (c *Conn) summaryRejections(ctx context.Context, s *Summary) error {
	rows, err := c.query(ctx, `SELECT codes, COUNT(*) FROM work_items
		WHERE kind = ? AND status IN (?, ?) GROUP BY codes`, string(WorkRejection), string(WorkOpen), string(WorkInProgress))
	if err != nil {
		return err
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var codes []string
		var n int64
		if err := rows.Scan(jsonDest{&codes}, &n); err != nil {
			return err
		}
		counts[rejectionReason(codes)] += n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.RejectionReasons = topReasons(counts)
	return nil
}

// rejectionReason is the one code that names a rejection item's reason: the first
// that is not the answer's kind (the acks stage lists "277CA", "999" or "TA1"
// first, then the status or error codes, most telling first), so that a claim
// counts once among the top reasons.
func rejectionReason(codes []string) string {
	for _, c := range codes {
		switch c {
		case "277CA", "999", "TA1":
			continue
		}
		return c
	}
	if len(codes) > 0 {
		return codes[0]
	}
	return "(none)"
}

// summaryDenials counts, per adjustment code, the denied claims whose payments
// (reversals aside) carry it, at claim or line level; patient responsibility is
// not a reason for a denial, nor is OA-23 (a secondary payer reporting what the
// earlier payer decided).
func (c *Conn) summaryDenials(ctx context.Context, s *Summary) error {
	// The adjustments are JSON arrays of [group, reason, amount, quantity] kept with
	// their claim or service payment (migration 0013).
	each, group, reason := "json_each(d.doc) a", "json_extract(a.value, '$[0]')", "json_extract(a.value, '$[1]')"
	if c.st.driver == Postgres {
		each, group, reason = "json_array_elements(d.doc) a", "a->>0", "a->>1"
	}
	denied := `JOIN claims cl ON cl.id = cp.claim_id
		WHERE cl.state IN ` + inList(deniedStates) + ` AND cp.status <> '22' AND cp.paid = 0`
	rows, err := c.query(ctx, `WITH d (claim_id, doc) AS (
			SELECT cp.claim_id, cp.adjustments FROM claim_payments cp `+denied+`
			UNION ALL
			SELECT cp.claim_id, sp.adjustments FROM service_payments sp JOIN claim_payments cp ON cp.id = sp.claim_payment_id `+denied+`)
		SELECT g, r, COUNT(DISTINCT claim_id) FROM (SELECT d.claim_id, `+group+` AS g, `+reason+` AS r FROM d, `+each+`) x
		WHERE g <> 'PR' AND NOT (g = 'OA' AND r = '23')
		GROUP BY g, r`)
	if err != nil {
		return err
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var group, reason string
		var n int64
		if err := rows.Scan(&group, &reason, &n); err != nil {
			return err
		}
		counts[group+"-"+reason] += n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.DenialReasons = topReasons(counts)
	return nil
}

// topReasons sorts counts, most first then by code, and keeps TopReasons.
func topReasons(counts map[string]int64) []ReasonCount {
	list := make([]ReasonCount, 0, len(counts))
	for code, n := range counts {
		list = append(list, ReasonCount{Code: code, Count: n})
	}
	slices.SortFunc(list, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Code, b.Code))
	})
	if len(list) > TopReasons {
		list = list[:TopReasons]
	}
	if len(list) == 0 {
		return nil
	}
	return list
}

// summaryMoney sums the ledger by kind (a reversal by the kind it reverses) and
// bucket, in two statements: every entry by its own kind, with a sum per bucket
// (SQLite sorts the entries for a GROUP BY, and sorts fewer keys by kind alone
// than by kind and bucket), then the reversals again, by the kind of the entry
// each reverses and bucket: a few rows, found by ledger_entries_reverses. At
// 100,000 claims (1.27 million entries, SQLite) that took 1.8-2.3 s against
// 2.3-2.8 s (three runs each, alternated) for the one statement it replaces,
// which joined every entry to the entry it reverses and grouped by both columns.
func (c *Conn) summaryMoney(ctx context.Context, s *Summary) error {
	rows, err := c.query(ctx, `SELECT kind, `+bucketSums+` FROM ledger_entries GROUP BY kind`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind EntryKind
		var ins, pat, prov billing.Money
		if err := rows.Scan(&kind, &ins, &pat, &prov); err != nil {
			return err
		}
		if kind == KindReversal {
			continue // by the kind reversed, below
		}
		s.Money.add(kind, BucketInsurance, ins)
		s.Money.add(kind, BucketPatient, pat)
		s.Money.add(kind, BucketProvider, prov)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = c.query(ctx, `SELECT o.kind, e.bucket, CAST(SUM(e.amount) AS BIGINT)
		FROM ledger_entries e JOIN ledger_entries o ON o.id = e.reverses_entry_id
		WHERE e.reverses_entry_id IS NOT NULL GROUP BY o.kind, e.bucket`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind EntryKind
		var bucket Bucket
		var sum billing.Money
		if err := rows.Scan(&kind, &bucket, &sum); err != nil {
			return err
		}
		s.Money.add(kind, bucket, sum)
	}
	return rows.Err()
}

// add counts the sum of a kind's entries in a bucket.
func (m *MoneySummary) add(kind EntryKind, bucket Bucket, sum billing.Money) {
	switch bucket {
	case BucketInsurance:
		m.InsuranceOutstanding += sum
	case BucketPatient:
		m.PatientOutstanding += sum
	case BucketProvider:
		m.ProviderLevel += sum
		return
	}
	switch kind {
	case KindCharge:
		m.Charged += sum
	case KindInsurancePayment:
		m.InsurancePaid -= sum
	case KindContractualAdjustment, KindOtherAdjustment, KindWriteOff:
		m.Adjusted -= sum
	case KindDeductible, KindCoinsurance, KindCopay, KindPatientResponsibility:
		if bucket == BucketPatient {
			m.PatientResponsibility += sum
		}
	case KindPatientPayment:
		m.PatientPaid -= sum
	case KindRefund:
		m.Refunds += sum
	}
}

func (c *Conn) summaryWork(ctx context.Context, s *Summary) error {
	rows, err := c.query(ctx, `SELECT kind, COUNT(*) FROM work_items WHERE status IN (?, ?) GROUP BY kind`,
		string(WorkOpen), string(WorkInProgress))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k WorkKind
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		s.OpenWork[k] = n
	}
	return rows.Err()
}

// summaryCleanQuery counts the claims that ever entered a held or rejected state.
func summaryCleanQuery() string {
	return `SELECT COUNT(DISTINCT ev.claim_id) FROM claim_events ev WHERE ` + reachedIndexed() +
		` AND ev.to_state IN ` + inList(rejectedStates())
}

// summaryFirstPassQuery counts the submitted claims accepted by their payer (a
// payer-accepted state or a matched claim payment) that never entered a rejected
// state after they were first submitted.
func summaryFirstPassQuery() string {
	rejected := slices.DeleteFunc(rejectedStates(), func(st ClaimState) bool { return st == StateHeld })
	return `SELECT COUNT(*) FROM (SELECT DISTINCT claim_id FROM submission_claims) sc
		WHERE (EXISTS (SELECT 1 FROM claim_events ev WHERE ev.claim_id = sc.claim_id AND ` + reachedIndexed() +
		` AND ev.to_state = '` + string(StatePayerAccepted) + `')
			OR EXISTS (SELECT 1 FROM claim_payments cp WHERE cp.claim_id = sc.claim_id))
		AND NOT EXISTS (SELECT 1 FROM claim_events ev WHERE ev.claim_id = sc.claim_id AND ` + reachedIndexed() +
		` AND ev.to_state IN ` + inList(rejected) + `)`
}

// AgingTable is what payers and patients owe by age, with the payers named: the
// aging report. Patients are summed into one row: their names are PHI.
type AgingTable struct {
	AsOf  billing.Date
	Basis AgingBasis
	// Payers are the payers with a balance, by payer id.
	Payers []PayerAging
	// Patients sums every patient's balance by age; Accounts counts the accounts
	// with a balance.
	Patients Aging
	Accounts int
	// Total sums payers and patients by age.
	Total [5]billing.Money
}

// PayerAging is one payer's row of the aging table.
type PayerAging struct {
	Aging
	PayerID string // the payer id claims carry
	Name    string
}

// AgingTable reads the aging table as of a day, ages counted from basis. On a
// Store the payers' and the patients' balances are read side by side
// (readSideBySide); at 100,000 claims each reads most of the ledger.
func (c *Conn) AgingTable(ctx context.Context, asOf billing.Date, basis AgingBasis) (AgingTable, error) {
	t := AgingTable{AsOf: asOf, Basis: basis}
	var payers, patients []Aging
	err := c.readSideBySide(ctx, "aging table", []readStep{
		{"payers", func(ctx context.Context) (err error) {
			payers, err = c.AgingByPayer(ctx, asOf, basis)
			return err
		}},
		{"patients", func(ctx context.Context) (err error) {
			patients, err = c.AgingByPatient(ctx, asOf, basis)
			return err
		}},
	})
	if err != nil {
		return t, err
	}
	for _, a := range payers {
		p, err := c.Payer(ctx, a.ID)
		if err != nil {
			return t, fmt.Errorf("reading the aging table: payer %d: %w", a.ID, err)
		}
		t.Payers = append(t.Payers, PayerAging{Aging: a, PayerID: p.PayerID, Name: p.Name})
		for k, v := range a.Buckets {
			t.Total[k] += v
		}
	}
	t.Accounts = len(patients)
	for _, a := range patients {
		for k, v := range a.Buckets {
			t.Patients.Buckets[k] += v
			t.Total[k] += v
		}
	}
	return t, nil
}

// Backlog is what is still moving through the pipeline: cheap counts to watch a run
// progress (claimflow demo polls it).
type Backlog struct {
	// ByState counts the claims by current state.
	ByState map[ClaimState]int64
	// Outbox counts the messages not yet published.
	Outbox int64
	// Unsent counts the submissions built but not transmitted.
	Unsent int64
	// Inbound counts the received files not processed (nor quarantined) yet.
	Inbound int64
}

// InFlight returns the claims in a state that waits for claimflow or a payer: not
// yet sent, or sent and not yet adjudicated, or re-billed to a later payer.
func (b Backlog) InFlight() int64 {
	var n int64
	for _, s := range pendingStates {
		n += b.ByState[s]
	}
	return n
}

// Backlog reads the backlog.
func (c *Conn) Backlog(ctx context.Context) (Backlog, error) {
	b := Backlog{ByState: map[ClaimState]int64{}}
	rows, err := c.query(ctx, `SELECT state, COUNT(*) FROM claims GROUP BY state`)
	if err != nil {
		return b, fmt.Errorf("reading the backlog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st ClaimState
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return b, fmt.Errorf("reading the backlog: %w", err)
		}
		b.ByState[st] = n
	}
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("reading the backlog: %w", err)
	}
	err = c.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM outbox WHERE published_at IS NULL),
		(SELECT COUNT(*) FROM submissions WHERE status = ?),
		(SELECT COUNT(*) FROM inbound_files WHERE status = ?)`,
		string(SubmissionCreated), string(InboundNew)).Scan(&b.Outbox, &b.Unsent, &b.Inbound)
	if err != nil {
		return b, fmt.Errorf("reading the backlog: %w", err)
	}
	return b, nil
}
