package storagetest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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
		var r [4]byte
		rand.Read(r[:])
		app = "claimflow-bench-" + hex.EncodeToString(r[:])
		h.url = url + sep(url) + "application_name=" + app
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
		backends := serverCPU(b, st, app, nil)
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU()
		sum, err := st.PostClaimPayments(ctx, ps)
		elapsed += time.Since(start)
		client += processCPU() - cpu0
		b.StopTimer()
		must(b, err)
		if sum.Payments != n || sum.Entries != 4*n {
			b.Fatalf("posted %+v, want %d payments", sum, n)
		}
		if backends != nil {
			for _, d := range serverCPU(b, st, app, backends) {
				server += d
			}
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

// sep returns what goes between url and one more query parameter.
func sep(url string) string {
	if strings.Contains(url, "?") {
		return "&"
	}
	return "?"
}

// processCPU returns the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU returns the CPU time used by each PostgreSQL backend serving
// application app, less what before held for it; nothing when the server's
// processes cannot be read (another machine, another OS, SQLite).
func serverCPU(b *testing.B, st *storage.Store, app string, before map[int]time.Duration) map[int]time.Duration {
	if app == "" {
		return nil
	}
	rows, err := st.DB().QueryContext(b.Context(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
	must(b, err)
	defer rows.Close()
	cpu := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		must(b, rows.Scan(&pid))
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil
		}
		// Fields 14 and 15, after the parenthesized command name: utime and stime, in
		// clock ticks (100 a second on Linux).
		fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
		if len(fields) < 13 {
			return nil
		}
		ut, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		cpu[pid] = time.Duration(ut+stime)*10*time.Millisecond - before[pid]
	}
	must(b, rows.Err())
	return cpu
}
