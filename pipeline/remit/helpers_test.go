package remit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/pipeline/remit"
	"github.com/claimflow/claimflow/storage"
)

// build835 returns an 835 file of one interchange holding a transaction set per
// body (claim loops and PLB segments), each paying totals[i], traced traces[i].
func build835(isa13 string, sets ...[3]string) string {
	var b strings.Builder
	b.WriteString("ISA*00*          *00*          *ZZ*DEMOCH         *ZZ*CLAIMFLOWDEMO  *250328*0610*^*00501*" + isa13 + "*0*T*:~")
	b.WriteString("GS*HP*DEMOCH*CLAIMFLOWDEMO*20250328*0610*301*X*005010X221A1~")
	for i, s := range sets {
		st := fmt.Sprintf("%04d", i+1)
		body := "ST*835*" + st + "~" +
			"BPR*I*" + s[0] + "*C*ACH*CCP*01*111111118*DA*1234567890*1990000101**01*122222229*DA*000123456789*20250328~" +
			"TRN*1*" + s[1] + "*1990000101~DTM*405*20250327~" +
			"N1*PR*ACME HEALTH PLAN~N3*100 INSURANCE WAY~N4*COLUMBUS*OH*432150001~REF*2U*AHP01~PER*BL*EDI SUPPORT*TE*8005550199~" +
			"N1*PE*EXAMPLE FAMILY MEDICINE*XX*1234567893~N3*123 MAIN ST~N4*SPRINGFIELD*IL*627011234~REF*TJ*991234567~" + s[2]
		b.WriteString(body + fmt.Sprintf("SE*%d*%s~", strings.Count(body, "~")+1, st))
	}
	b.WriteString(fmt.Sprintf("GE*%d*301~IEA*1*%s~", len(sets), isa13))
	return b.String()
}

// world is a store with a practice, two payers (AHP01 primary, SEC02 secondary), a
// patient with both coverages, and claims billed to the primary, transmitted, with
// their charges posted.
type world struct {
	t                  testing.TB
	st                 *storage.Store
	env                *pipeline.Env
	poster             *remit.Poster
	primary, secondary int64
	patient, provider  int64
	claims             map[string]int64
	lines              map[string]int64 // by control number
}

func newWorld(t testing.TB, st *storage.Store) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, st: st, claims: map[string]int64{}, lines: map[string]int64{}}
	top, err := bus.NewTopology(bus.DefaultNamespace)
	must(t, err)
	w.env = &pipeline.Env{Store: st, Topology: top, Logger: testenv.Quiet()}
	w.poster = &remit.Poster{Store: st, Logger: testenv.Quiet(), Emit: w.env.Emit, Actor: "test"}
	w.primary, err = st.UpsertPayer(ctx, storage.Payer{PayerID: "AHP01", Name: "ACME HEALTH PLAN"})
	must(t, err)
	w.secondary, err = st.UpsertPayer(ctx, storage.Payer{PayerID: "SEC02", Name: "SECOND PLAN"})
	must(t, err)
	w.provider, err = st.UpsertBillingProvider(ctx, billing.Provider{NPI: "1234567893", Name: "EXAMPLE FAMILY MEDICINE", EntityType: billing.EntityOrganization})
	must(t, err)
	w.patient, err = st.UpsertPatient(ctx, storage.Patient{AccountNumber: "ACCT1", Person: billing.Person{LastName: "DOE", FirstName: "PAT"}})
	must(t, err)
	return w
}

// claim stores a transmitted claim billed to the primary with lines (procedure,
// charge in cents) dated 2025-01-20, control numbers pcn-1, pcn-2..., and posts its
// charge. secondary adds the second coverage.
func (w *world) claim(pcn string, secondary bool, lines ...any) int64 {
	w.t.Helper()
	var ls []billing.Line
	for i := 0; i < len(lines); i += 2 {
		ls = append(ls, billing.Line{
			ControlNumber: fmt.Sprintf("%s-%d", pcn, i/2+1),
			Procedure:     billing.Procedure{Code: lines[i].(string)},
			Charge:        billing.Money(lines[i+1].(int)),
			ServiceDates:  billing.Period{From: billing.NewDate(2025, 1, 20)},
		})
	}
	return w.claimWith(pcn, secondary, ls)
}

// claimWith is claim with the lines given.
func (w *world) claimWith(pcn string, secondary bool, ls []billing.Line) int64 {
	w.t.Helper()
	ctx := context.Background()
	cl := billing.Claim{PatientControlNumber: pcn, PlaceOfService: "11",
		Diagnoses: []billing.Diagnosis{{Code: "Z0000"}},
		Patient: billing.Person{LastName: "DOE", FirstName: "PAT", BirthDate: billing.NewDate(1980, 1, 15), Gender: "F",
			Address: billing.Address{Line1: "1 MAIN ST", City: "SPRINGFIELD", State: "IL", PostalCode: "62701"}},
		Coverages: []billing.Coverage{{Payer: billing.Payer{Name: "ACME HEALTH PLAN", ID: "AHP01"}, MemberID: "M1", FilingIndicator: "CI"}},
		BillingProvider: billing.Provider{NPI: "1234567893", Name: "EXAMPLE FAMILY MEDICINE", TaxID: "990000001",
			Address: billing.Address{Line1: "100 CLINIC WAY", City: "SPRINGFIELD", State: "IL", PostalCode: "627010001"}},
		Lines: ls,
	}
	if secondary {
		cl.Coverages = append(cl.Coverages, billing.Coverage{Payer: billing.Payer{Name: "SECOND PLAN", ID: "SEC02"}, MemberID: "M2", FilingIndicator: "CI"})
	}
	cl.Normalize()
	id, err := w.st.InsertClaim(ctx, storage.NewClaim{Claim: cl, PatientID: w.patient, PayerID: w.primary,
		BillingProviderID: w.provider, State: storage.StateValidated}, storage.Event{Cause: storage.CauseSystem})
	must(w.t, err)
	for _, s := range []storage.ClaimState{storage.StateBatched, storage.StateTransmitted} {
		must(w.t, w.st.TransitionClaim(ctx, id, s, storage.Event{Cause: storage.CauseSystem}))
	}
	stored, err := w.st.Claim(ctx, id)
	must(w.t, err)
	for _, l := range stored.StoredLines {
		w.lines[l.ControlNumber] = l.ID
		_, err := w.st.Post(ctx, storage.Entry{PatientID: w.patient, ClaimID: id, LineID: l.ID, PayerID: w.primary,
			BillingProviderID: w.provider, Kind: storage.KindCharge, Bucket: storage.BucketInsurance, Amount: l.Charge,
			EffectiveOn: billing.NewDate(2025, 1, 21), SourceKind: "claim", SourceID: fmt.Sprint(id),
			IdempotencyKey: fmt.Sprintf("charge/%d/%d", id, l.ID)})
		must(w.t, err)
	}
	w.claims[pcn] = id
	return id
}

// post stores text as an inbound file and posts it.
func (w *world) post(name, text string) (int64, remit.Summary) {
	w.t.Helper()
	ctx := context.Background()
	id, _, err := w.st.InsertInboundFile(ctx, storage.InboundFile{Source: "test", Name: name, Kind: "835", Content: []byte(text)})
	must(w.t, err)
	sum, err := w.poster.PostInbound(ctx, id)
	must(w.t, err)
	return id, sum
}

// ledger returns the claim's entries as "kind bucket amount reason", in order,
// leaving out the charges.
func (w *world) ledger(claimID int64) []string {
	w.t.Helper()
	es, err := w.st.Entries(context.Background(), storage.EntryFilter{ClaimID: claimID})
	must(w.t, err)
	var out []string
	for _, e := range es {
		if e.Kind == storage.KindCharge {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %s %s", e.Kind, e.Bucket, e.Amount, e.Reason))
	}
	return out
}

func (w *world) balance(claimID int64) storage.Balance {
	w.t.Helper()
	b, err := w.st.ClaimBalance(context.Background(), claimID)
	must(w.t, err)
	return b
}

func (w *world) state(claimID int64) storage.ClaimState {
	w.t.Helper()
	s, err := w.st.ClaimState(context.Background(), claimID)
	must(w.t, err)
	return s
}

func (w *world) items(kind storage.WorkKind) []storage.WorkItem {
	w.t.Helper()
	its, err := w.st.WorkItems(context.Background(), storage.WorkFilter{Kind: kind})
	must(w.t, err)
	return its
}

func (w *world) entryCount() int {
	w.t.Helper()
	es, err := w.st.Entries(context.Background(), storage.EntryFilter{})
	must(w.t, err)
	return len(es)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func lines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ledger:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// both runs f on SQLite and on PostgreSQL (skipped without CLAIMFLOW_TEST_POSTGRES).
func both(t *testing.T, f func(t *testing.T, st *storage.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, testenv.SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, testenv.Postgres(t))
	})
}
