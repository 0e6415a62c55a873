package secondary_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/pipeline/secondary"
	"github.com/claimflow/claimflow/storage"
)

// The synthetic parties of the tests: three payers, one patient, one practice.
var (
	primaryPlan  = billing.Payer{Name: "PRIMARY PLAN", ID: "12345"}
	secondPlan   = billing.Payer{Name: "SECOND PLAN", ID: "67890"}
	stateAid     = billing.Payer{Name: "STATE AID", ID: "SMC01"}
	adjudicated  = billing.NewDate(2025, time.January, 20)
	dateOfVisit  = billing.NewDate(2025, time.January, 6)
	today        = time.Date(2025, time.March, 1, 9, 0, 0, 0, time.UTC)
	practiceNPI  = "1234567893"
	coverageList = []billing.Coverage{
		{Payer: primaryPlan, MemberID: "PRI0001", GroupNumber: "GRP1", FilingIndicator: "CI"},
		{Payer: secondPlan, MemberID: "SEC0002", FilingIndicator: "CI"},
		{Payer: stateAid, MemberID: "MCD0003", FilingIndicator: "MC"},
	}
)

// world is a store with the parties stored.
type world struct {
	t        testing.TB
	st       *storage.Store
	payers   map[string]int64 // by payer id
	patient  int64
	provider int64
}

func newWorld(t testing.TB, st *storage.Store) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, st: st, payers: map[string]int64{}}
	for _, p := range []billing.Payer{primaryPlan, secondPlan, stateAid} {
		id, err := st.UpsertPayer(ctx, storage.Payer{PayerID: p.ID, Name: p.Name, Clearinghouse: "demo"})
		if err != nil {
			t.Fatal(err)
		}
		w.payers[p.ID] = id
	}
	var err error
	w.patient, err = st.UpsertPatient(ctx, storage.Patient{AccountNumber: "ACCT-1", Person: patient()})
	if err != nil {
		t.Fatal(err)
	}
	if w.provider, err = st.UpsertBillingProvider(ctx, practice()); err != nil {
		t.Fatal(err)
	}
	return w
}

func patient() billing.Person {
	return billing.Person{LastName: "SAMPLE", FirstName: "ALEX", BirthDate: billing.NewDate(1980, 1, 15), Gender: "F",
		Address: billing.Address{Line1: "45 OAK AVE", City: "SPRINGFIELD", State: "IL", PostalCode: "627025678"}}
}

func practice() billing.Provider {
	return billing.Provider{NPI: practiceNPI, Name: "EXAMPLE FAMILY MEDICINE", Taxonomy: "207Q00000X", TaxID: "991234567",
		EntityType: billing.EntityOrganization,
		Address:    billing.Address{Line1: "123 MAIN ST", City: "SPRINGFIELD", State: "IL", PostalCode: "627011234"}}
}

// claim stores X12-GUIDE section 7's claim (one 99213 of 200.00) with the first
// ncov coverages, billed to the primary, transmitted, with its charge posted on the
// line, and returns it.
func (w *world) claim(pcn string, ncov int) storage.Claim {
	w.t.Helper()
	return w.claimWith(pcn, func(c *billing.Claim) { c.Coverages = c.Coverages[:ncov] })
}

// claimWith is claim with the three coverages, changed by edit before it is stored.
func (w *world) claimWith(pcn string, edit func(*billing.Claim)) storage.Claim {
	w.t.Helper()
	ctx := context.Background()
	c := billing.Claim{
		PatientControlNumber: pcn, PlaceOfService: "11",
		Diagnoses: []billing.Diagnosis{{Code: "J069"}},
		Patient:   patient(), Coverages: slices.Clone(coverageList),
		BillingProvider: practice(),
		Lines: []billing.Line{{Procedure: billing.Procedure{Code: "99213"}, Charge: 200_00,
			ServiceDates: billing.Period{From: dateOfVisit}}},
	}
	edit(&c)
	c.Normalize()
	ev := storage.Event{Cause: storage.CauseSystem, Actor: "test"}
	id, err := w.st.InsertClaim(ctx, storage.NewClaim{Claim: c, PatientID: w.patient, PayerID: w.payers[primaryPlan.ID],
		BillingProviderID: w.provider, State: storage.StateValidated}, ev)
	if err != nil {
		w.t.Fatal(err)
	}
	w.move(id, storage.StateBatched, storage.StateTransmitted)
	stored := w.stored(id)
	w.post(storage.Entry{PatientID: w.patient, ClaimID: id, LineID: stored.StoredLines[0].ID, PayerID: w.payers[primaryPlan.ID],
		BillingProviderID: w.provider, Kind: storage.KindCharge, Bucket: storage.BucketInsurance, Amount: 200_00,
		EffectiveOn: dateOfVisit, SourceKind: "claim", SourceID: strconv.FormatInt(id, 10), IdempotencyKey: "charge/" + pcn})
	return stored
}

func (w *world) move(id int64, states ...storage.ClaimState) {
	w.t.Helper()
	for _, s := range states {
		if err := w.st.TransitionClaim(context.Background(), id, s, storage.Event{Cause: storage.CauseSystem, Actor: "test"}); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) stored(id int64) storage.Claim {
	w.t.Helper()
	c, err := w.st.Claim(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) post(entries ...storage.Entry) {
	w.t.Helper()
	if _, err := w.st.Post(context.Background(), entries...); err != nil {
		w.t.Fatal(err)
	}
}

// decision is one payer's decision on the claim's single line, as an 835 carries it.
type decision struct {
	payer   billing.Payer
	status  string // CLP02
	paid    billing.Money
	icn     string
	date    billing.Date
	lineAdj []billing.Adjustment
	code    string // SVC01-2 when not 99213
}

// adjudicate stores the payer's remittance and claim payment for the claim and posts
// what the remit stage would: the payment, CO write-offs and PR moved to the patient
// (OA amounts are informational on a later payer's remittance and post nothing),
// per line; then moves the claim to state.
func (w *world) adjudicate(c storage.Claim, d decision, state storage.ClaimState) {
	w.t.Helper()
	ctx := context.Background()
	payer := w.payers[d.payer.ID]
	var pr billing.Money
	for _, a := range d.lineAdj {
		if a.Group == "PR" {
			pr += a.Amount
		}
	}
	trace := "EFT-" + c.PatientControlNumber + "-" + d.payer.ID
	rid, _, err := w.st.InsertRemittance(ctx, storage.Remittance{PayerID: payer, PayerIdentifier: "1" + d.payer.ID, TraceNumber: trace,
		Handling: "I", PaymentMethod: "ACH", TotalPaid: d.paid, PaymentDate: d.date, ProductionDate: d.date, Header: json.RawMessage(`{}`)})
	if err != nil {
		w.t.Fatal(err)
	}
	line := c.StoredLines[0]
	cp := storage.ClaimPayment{RemittanceID: rid, ClaimID: c.ID, PatientControlNumber: c.PatientControlNumber, Status: d.status,
		Charge: 200_00, Paid: d.paid, PatientResponsibility: pr, FilingIndicator: "CI", PayerClaimNumber: d.icn,
		Services: []storage.ServicePayment{{LineID: line.ID, ControlNumber: line.ControlNumber, ProcedureCode: cmp.Or(d.code, "99213"),
			Charge: 200_00, Paid: d.paid, Units: billing.Units(1), ServiceDate: dateOfVisit, Adjustments: d.lineAdj}}}
	cp.Key = storage.ClaimPaymentKey(storage.RemitKey("1"+d.payer.ID, trace, d.date, d.paid), &cp)
	base := storage.Entry{PatientID: w.patient, ClaimID: c.ID, LineID: line.ID, PayerID: payer, BillingProviderID: w.provider, EffectiveOn: d.date}
	var entries []storage.Entry
	if d.paid != 0 {
		e := base
		e.Kind, e.Bucket, e.Amount, e.IdempotencyKey = storage.KindInsurancePayment, storage.BucketInsurance, -d.paid, storage.EntryKey(rid, 0, "pay")
		entries = append(entries, e)
	}
	for n, a := range d.lineAdj {
		e := base
		e.Reason, e.IdempotencyKey = a.Group+"-"+a.Reason, storage.EntryKey(rid, 0, fmt.Sprintf("1/%d/%s-%s", n, a.Group, a.Reason))
		switch a.Group {
		case "CO":
			e.Kind, e.Bucket, e.Amount = storage.KindContractualAdjustment, storage.BucketInsurance, -a.Amount
			entries = append(entries, e)
		case "PR":
			kind := map[string]storage.EntryKind{"1": storage.KindDeductible, "2": storage.KindCoinsurance, "3": storage.KindCopay}[a.Reason]
			if kind == "" {
				kind = storage.KindPatientResponsibility
			}
			t := storage.TransferEntries(e, kind, a.Amount, storage.BucketInsurance, storage.BucketPatient, 0)
			entries = append(entries, t[:]...)
		}
	}
	if _, err := w.st.PostClaimPayments(ctx, []storage.PaymentPosting{{Payment: cp, Entries: entries}}); err != nil {
		w.t.Fatal(err)
	}
	w.move(c.ID, state)
}

// balance returns the claim's balance: owed by each payer (by payer id) and by the patient.
func (w *world) balance(id int64) (map[string]billing.Money, billing.Money) {
	w.t.Helper()
	ctx := context.Background()
	by := map[string]billing.Money{}
	for pid, payer := range w.payers {
		b, err := w.st.Balance(ctx, storage.EntryFilter{ClaimID: id, PayerID: payer, Bucket: storage.BucketInsurance})
		if err != nil {
			w.t.Fatal(err)
		}
		if b.Insurance != 0 {
			by[pid] = b.Insurance
		}
	}
	b, err := w.st.Balance(ctx, storage.EntryFilter{ClaimID: id, Bucket: storage.BucketPatient})
	if err != nil {
		w.t.Fatal(err)
	}
	return by, b.Patient
}

// snapshot is everything the stage may change about a claim, to compare before and
// after a message that must change nothing.
func (w *world) snapshot(id int64) string {
	w.t.Helper()
	ctx := context.Background()
	c := w.stored(id)
	hist, err := w.st.ClaimHistory(ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	entries, err := w.st.Entries(ctx, storage.EntryFilter{ClaimID: id})
	if err != nil {
		w.t.Fatal(err)
	}
	items, err := w.st.WorkItems(ctx, storage.WorkFilter{ClaimID: id})
	if err != nil {
		w.t.Fatal(err)
	}
	doc, _ := json.Marshal(c.Claim)
	return fmt.Sprintf("%s payer=%d history=%d entries=%d items=%d %s", c.State, c.PayerID, len(hist), len(entries), len(items), doc)
}

// runner runs the secondary stage on an embedded NATS server over st.
type runner struct {
	t    *testing.T
	env  *pipeline.Env
	done chan error
}

// observer signals each handled secondary message.
type observer struct{ done chan error }

func (o observer) Wrap(s bus.Stage, h bus.Handler) bus.Handler {
	return bus.HandlerFunc(func(ctx context.Context, m bus.Message) error {
		err := h.Handle(ctx, m)
		if s == bus.Secondary {
			o.done <- err
		}
		return err
	})
}

func startRunner(t *testing.T, st *storage.Store) *runner {
	t.Helper()
	b := testenv.Connect(t, bus.Config{Embedded: testenv.Embedded(t)})
	done := make(chan error, 16)
	env := &pipeline.Env{Store: st, Topology: b.Topology(), Logger: testenv.Quiet(), Clock: func() time.Time { return today },
		Observer: observer{done}}
	r, err := pipeline.NewRunner(env, b, bus.WithRelayInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := pipeline.RegisterAll(r, env, []bus.Stage{bus.Secondary}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("runner: %v", err)
		}
	})
	return &runner{t: t, env: env, done: done}
}

// send emits one ClaimWork for the stage through the outbox and waits until the
// stage has handled it.
func (r *runner) send(ids ...int64) {
	r.t.Helper()
	ctx := context.Background()
	if err := r.env.InTx(ctx, func(tx *storage.Tx) error {
		return r.env.Emit(ctx, tx, bus.Secondary, pipeline.ClaimWork{ClaimIDs: ids})
	}); err != nil {
		r.t.Fatal(err)
	}
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Fatalf("secondary stage: %v", err)
		}
	case <-time.After(30 * time.Second):
		r.t.Fatal("the secondary stage did not handle the message")
	}
}

// newStage returns the stage for direct calls on st.
func newStage(t testing.TB, st *storage.Store) *secondary.Stage {
	t.Helper()
	s, err := secondary.New(&pipeline.Env{Store: st, Logger: testenv.Quiet(), Clock: func() time.Time { return today }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// build writes the stored claim as the 837P the batch stage would send, checks it
// against the implementation guide, and returns it.
func build(t *testing.T, c billing.Claim) string {
	t.Helper()
	var buf bytes.Buffer
	_, err := x837p.Build([]billing.Claim{c}, x837p.BuildOptions{
		Submitter: x837p.Party{Name: "CLAIMFLOW TEST", ID: "CFTEST", Contact: billing.Contact{Phone: "5555550100"}},
		Receiver:  x837p.Party{Name: "TEST CLEARINGHOUSE", ID: "TESTCH"},
		Newline:   true,
		Now:       func() time.Time { return today },
	}, &buf, &x12.Counter{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := guide.Validate(bytes.NewReader(buf.Bytes()), guide.MustDefault())
	if err != nil || len(list) > 0 {
		t.Fatalf("guide validation: %v; %v\n%s", err, list, buf.String())
	}
	return buf.String()
}

func adj(group, reason string, amount billing.Money) billing.Adjustment {
	return billing.Adjustment{Group: group, Reason: reason, Amount: amount}
}
