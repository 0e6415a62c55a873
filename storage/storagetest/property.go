package storagetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
)

// testLedgerProperty posts random sequences of charges, payments, adjustments,
// transfers, write-offs, refunds, reversals and repeats, and after every step holds
// every balance and aging query against the sums of the entries computed here.
func testLedgerProperty(t *testing.T, h *harness) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			var db harness
			db.newDB = h.newDB
			propertyRun(t, db.Store(t), seed, 80)
		})
	}
}

type propModel struct {
	t       *testing.T
	st      *storage.Store
	rng     *rand.Rand
	claims  []storage.Claim
	entries []storage.Entry // posted, with ids
	byKey   map[string]int
	batches [][]storage.Entry // what was posted, to post again
	next    int
}

func propertyRun(t *testing.T, st *storage.Store, seed uint64, steps int) {
	ctx := t.Context()
	f := newFixture(t, st)
	m := &propModel{t: t, st: st, rng: rand.New(rand.NewPCG(seed, 0x5eed)), byKey: map[string]int{}}
	m.claims = []storage.Claim{
		f.addClaim(t, "P1", f.patient1, f.payerA, day(2025, 1, 10), 10000, 20000),
		f.addClaim(t, "P2", f.patient1, f.payerB, day(2025, 3, 2), 5000),
		f.addClaim(t, "P3", f.patient2, f.payerA, day(2025, 4, 20), 7500, 2500),
	}
	payers := []int64{f.payerA, f.payerB}
	for step := range steps {
		batch := m.step(payers)
		if batch == nil {
			continue
		}
		posted, err := st.Post(ctx, batch...)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		for i, p := range posted {
			e := batch[i]
			_, seen := m.byKey[e.IdempotencyKey]
			if p.New == seen {
				t.Fatalf("step %d: entry %s new=%v, but posted before: %v", step, e.IdempotencyKey, p.New, seen)
			}
			if !seen {
				e.ID = p.ID
				if e.Kind == storage.KindReversal {
					orig := m.entries[m.byID(e.ReversesEntryID)]
					e.Amount, e.Bucket = -orig.Amount, orig.Bucket
					e.PatientID, e.ClaimID, e.LineID, e.PayerID = orig.PatientID, orig.ClaimID, orig.LineID, orig.PayerID
				}
				m.byKey[e.IdempotencyKey] = len(m.entries)
				m.entries = append(m.entries, e)
			}
		}
		m.batches = append(m.batches, batch)
		m.check(step, payers, []int64{f.patient1, f.patient2})
	}
}

func (m *propModel) key() string {
	m.next++
	return fmt.Sprintf("k%d", m.next)
}

func (m *propModel) byID(id int64) int {
	for i := range m.entries {
		if m.entries[i].ID == id {
			return i
		}
	}
	m.t.Fatalf("entry %d not in the model", id)
	return -1
}

// step returns the entries of one random posting.
func (m *propModel) step(payers []int64) []storage.Entry {
	r := m.rng
	c := m.claims[r.IntN(len(m.claims))]
	line := r.IntN(len(c.StoredLines)+1) - 1 // -1: claim level
	amount := billing.Money(1 + r.IntN(20000))
	e := entryOn(c, line, "", "", 0, m.key())
	e.EffectiveOn = day(2025, 1, 1).AddDays(r.IntN(240))
	switch op := r.IntN(12); op {
	case 0, 1:
		e.Kind, e.Bucket, e.Amount = storage.KindCharge, storage.BucketInsurance, amount
	case 2:
		e.Kind, e.Bucket, e.Amount = storage.KindInsurancePayment, storage.BucketInsurance, -amount
	case 3:
		e.Kind, e.Bucket, e.Amount = storage.KindContractualAdjustment, storage.BucketInsurance, -amount
	case 4:
		kind := []storage.EntryKind{storage.KindDeductible, storage.KindCoinsurance, storage.KindCopay}[r.IntN(3)]
		tr := storage.TransferEntries(e, kind, amount, storage.BucketInsurance, storage.BucketPatient, 0)
		return tr[:]
	case 5:
		other := payers[0]
		if other == c.PayerID {
			other = payers[1]
		}
		tr := storage.TransferEntries(e, storage.KindPayerTransfer, amount, storage.BucketInsurance, storage.BucketInsurance, other)
		return tr[:]
	case 6:
		e.Kind, e.Bucket, e.Amount = storage.KindPatientPayment, storage.BucketPatient, -amount
	case 7:
		e.Kind, e.Bucket, e.Amount = storage.KindWriteOff, []storage.Bucket{storage.BucketInsurance, storage.BucketPatient}[r.IntN(2)], -amount
	case 8:
		e.Kind, e.Bucket, e.Amount = storage.KindRefund, storage.BucketPatient, amount
	case 9, 10: // reverse an entry not reversed yet
		var cands []storage.Entry
		reversed := map[int64]bool{}
		for _, x := range m.entries {
			reversed[x.ReversesEntryID] = true
		}
		for _, x := range m.entries {
			if x.Kind != storage.KindReversal && !reversed[x.ID] {
				cands = append(cands, x)
			}
		}
		if len(cands) == 0 {
			return nil
		}
		orig := cands[r.IntN(len(cands))]
		if r.IntN(2) == 0 {
			return []storage.Entry{storage.ReversalOf(orig, m.key(), "test", "rev", e.EffectiveOn)}
		}
		// Only the entry to reverse: the ledger fills in the rest.
		return []storage.Entry{{Kind: storage.KindReversal, ReversesEntryID: orig.ID, EffectiveOn: e.EffectiveOn,
			SourceKind: "person", SourceID: "prop", IdempotencyKey: m.key()}}
	case 11: // the same posting again: must change nothing
		if len(m.batches) == 0 {
			return nil
		}
		return slices.Clone(m.batches[r.IntN(len(m.batches))])
	}
	return []storage.Entry{e}
}

// check compares every balance and aging query with the model's sums.
func (m *propModel) check(step int, payers, patients []int64) {
	t, ctx, st := m.t, m.t.Context(), m.st
	t.Helper()
	sum := func(keep func(e *storage.Entry) bool) storage.Balance {
		var b storage.Balance
		for i := range m.entries {
			e := &m.entries[i]
			if !keep(e) {
				continue
			}
			switch e.Bucket {
			case storage.BucketInsurance:
				b.Insurance += e.Amount
			case storage.BucketPatient:
				b.Patient += e.Amount
			case storage.BucketProvider:
				b.Provider += e.Amount
			}
		}
		return b
	}
	cmp := func(what string, got storage.Balance, err error, want storage.Balance) {
		t.Helper()
		if err != nil {
			t.Fatalf("step %d: %s: %v", step, what, err)
		}
		if got != want {
			t.Fatalf("step %d: %s = %+v, entries sum to %+v", step, what, got, want)
		}
	}
	for _, c := range m.claims {
		for _, l := range c.StoredLines {
			got, err := st.LineBalance(ctx, c.ID, l.ID)
			cmp("line "+l.ControlNumber, got, err, sum(func(e *storage.Entry) bool { return e.LineID == l.ID }))
		}
		got, err := st.ClaimBalance(ctx, c.ID)
		cmp("claim "+c.PatientControlNumber, got, err, sum(func(e *storage.Entry) bool { return e.ClaimID == c.ID }))
	}
	for _, p := range patients {
		got, err := st.AccountBalance(ctx, p)
		cmp(fmt.Sprint("account ", p), got, err, sum(func(e *storage.Entry) bool { return e.PatientID == p }))
	}
	for _, p := range payers {
		got, err := st.PayerBalance(ctx, p)
		cmp(fmt.Sprint("payer ", p), got, err, sum(func(e *storage.Entry) bool { return e.PayerID == p }))
	}
	asOf := day(2025, 1, 1).AddDays(m.rng.IntN(300))
	dos := map[int64]billing.Date{}
	for _, c := range m.claims {
		dos[c.ID] = c.StoredLines[0].ServiceFrom
	}
	aging := func(bucket storage.Bucket, id func(e *storage.Entry) int64) []storage.Aging {
		rows := map[int64]*storage.Aging{}
		for i := range m.entries {
			e := &m.entries[i]
			if e.Bucket != bucket || id(e) == 0 || e.EffectiveOn.After(asOf) {
				continue
			}
			from := e.EffectiveOn
			if d, ok := dos[e.ClaimID]; ok {
				from = d
			}
			age := int(asOf.Time(time.UTC).Sub(from.Time(time.UTC)).Hours() / 24)
			k := 4
			switch {
			case age <= 30:
				k = 0
			case age <= 60:
				k = 1
			case age <= 90:
				k = 2
			case age <= 120:
				k = 3
			}
			if rows[id(e)] == nil {
				rows[id(e)] = &storage.Aging{ID: id(e)}
			}
			rows[id(e)].Buckets[k] += e.Amount
		}
		var list []storage.Aging
		for _, a := range rows {
			if a.Buckets != ([5]billing.Money{}) {
				list = append(list, *a)
			}
		}
		slices.SortFunc(list, func(a, b storage.Aging) int { return int(a.ID - b.ID) })
		return list
	}
	gotPayer, err := st.AgingByPayer(ctx, asOf, storage.AgeFromService)
	must(t, err)
	equal(t, fmt.Sprintf("step %d: aging by payer as of %s", step, asOf), gotPayer,
		aging(storage.BucketInsurance, func(e *storage.Entry) int64 { return e.PayerID }))
	gotPatient, err := st.AgingByPatient(ctx, asOf, storage.AgeFromService)
	must(t, err)
	equal(t, fmt.Sprintf("step %d: aging by patient as of %s", step, asOf), gotPatient,
		aging(storage.BucketPatient, func(e *storage.Entry) int64 { return e.PatientID }))
}
