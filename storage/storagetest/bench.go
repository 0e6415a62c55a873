package storagetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/internal/cputime"
	"github.com/claimflow/claimflow/storage"
)

// BenchPostClaimPayments measures PostClaimPayments: n claim payments of one
// remittance, each with four ledger entries (payment, CO-45, PR-2 moved from
// insurance to patient) and, with cas, its two adjustments (CAS rows), onto 1,000
// claims. It reports claim payments per second ("payments/s"), ledger entries per
// second, and the CPU time one payment costs this process ("client-µs/payment")
// and, on a PostgreSQL server on this machine, its backends ("server-µs/payment"):
// on a shared machine the CPU times hold still when the rates do not.
func BenchPostClaimPayments(b *testing.B, newDB NewDatabase, n int, cas bool) {
	h := &harness{newDB: newDB}
	url := h.URL(b)
	app := ""
	if strings.HasPrefix(url, "postgres") {
		h.url, app = cputime.WithApplicationName(url)
	}
	st := h.Store(b)
	ctx := b.Context()
	f := newFixture(b, st)
	const nClaims = 1000
	ncs := make([]storage.NewClaim, nClaims)
	for i := range ncs {
		ncs[i] = storage.NewClaim{Claim: sampleClaim(fmt.Sprintf("BENCH%05d", i), day(2025, 1, 6), 20000),
			PatientID: []int64{f.patient1, f.patient2}[i%2], PayerID: f.payerA, BillingProviderID: f.billingProvider}
	}
	ids, err := st.InsertClaims(ctx, ncs, storage.Event{Cause: storage.CauseSystem, Actor: "bench"})
	must(b, err)
	claims := make([]storage.Claim, nClaims)
	for i, id := range ids {
		claims[i] = get[storage.Claim](b)(st.Claim(ctx, id))
	}
	var elapsed, client, server time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		r := storage.Remittance{PayerIdentifier: "1123456789", TraceNumber: fmt.Sprintf("EFT%d", i), PaymentDate: day(2025, 1, 20), TotalPaid: 1}
		rid, _ := get2(b)(st.InsertRemittance(ctx, r))
		ps := paymentPostingsCAS(rid, storage.RemitKey(r.PayerIdentifier, r.TraceNumber, r.PaymentDate, r.TotalPaid), claims, n, cas)
		meter := cputime.Start(ctx, st.DB(), app)
		b.StartTimer()
		start := time.Now()
		sum, err := st.PostClaimPayments(ctx, ps)
		elapsed += time.Since(start)
		b.StopTimer()
		c, sv := meter.Stop(ctx)
		client, server = client+c, server+sv
		must(b, err)
		if sum.Payments != n || sum.Entries != 4*n {
			b.Fatalf("posted %+v, want %d payments", sum, n)
		}
		b.StartTimer()
	}
	payments := float64(n * b.N)
	b.ReportMetric(payments/elapsed.Seconds(), "payments/s")
	b.ReportMetric(4*payments/elapsed.Seconds(), "entries/s")
	b.ReportMetric(float64(client.Microseconds())/payments, "client-µs/payment")
	if app != "" && server > 0 {
		b.ReportMetric(float64(server.Microseconds())/payments, "server-µs/payment")
	}
}
