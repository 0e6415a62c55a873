package remit_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/remit"
	"github.com/claimflow/claimflow/storage"
)

// paid is a claim payment of pcn's one 99213 line (200.00): paid, CO-45 50.00, the
// rest coinsurance; status 1, or 22 with every amount negated.
func paid(pcn, status string, paid int, icn string) string {
	sign := ""
	if status == "22" {
		sign = "-"
	}
	pr := 150 - paid
	return fmt.Sprintf("CLP*%[1]s*%[2]s*%[6]s200*%[6]s%[3]d*%[6]s%[4]d*12*%[5]s~NM1*QC*1*DOE*PAT~"+
		"SVC*HC:99213*%[6]s200*%[6]s%[3]d**%[6]s1~DTM*472*20250120~CAS*CO*45*%[6]s50~CAS*PR*2*%[6]s%[4]d~REF*6R*%[1]s-1~",
		pcn, status, paid, pr, icn, sign)
}

// TestParallelGroupsMatchSerial posts one file, a transaction set per group, with
// four groups written at once and then one at a time, into two stores: claims paid
// in several transaction sets (a reversal and its correction far after the first
// payment) end with the same ledgers, states and summaries either way.
func TestParallelGroupsMatchSerial(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		// Transaction set k pays claims P(2k) and P(2k+1); later ones pay P01 and P02
		// again, and reverse and correct earlier payments.
		var sets [][3]string
		for k := range 12 {
			a, b := fmt.Sprintf("P%02d", 2*k), fmt.Sprintf("P%02d", 2*k+1)
			sets = append(sets, [3]string{"200", fmt.Sprintf("EFT%d", k), "LX*1~" + paid(a, "1", 100, "ICN"+a) + paid(b, "1", 100, "ICN"+b)})
		}
		for k, pcn := range []string{"P01", "P02"} {
			// A second adjudication right behind the first.
			sets = append(sets, [3]string{"110", fmt.Sprintf("EFTS%d", k), "LX*1~" + paid(pcn, "1", 110, "ICN"+pcn+"S")})
		}
		for k, pcn := range []string{"P03", "P04", "P20"} {
			// Reversal of 100 and a correction of 120: BPR02 20.
			sets = append(sets, [3]string{"20", fmt.Sprintf("EFTR%d", k), "LX*1~" + paid(pcn, "22", 100, "ICN"+pcn) + paid(pcn, "1", 120, "ICN"+pcn+"B")})
		}
		file := build835("000000401", sets...)

		post := func(st *storage.Store, writers int) (string, map[string][]string) {
			w := newWorld(t, st)
			for i := range 24 {
				w.claim(fmt.Sprintf("P%02d", i), false, "99213", 20000)
			}
			w.poster.GroupClaims, w.poster.Writers = 2, writers
			_, sum := w.post("par.835", file)
			out := map[string][]string{}
			for pcn, id := range w.claims {
				out[pcn] = append(w.ledger(id), "state "+string(w.state(id)))
			}
			return fmt.Sprintf("%+v", sum), out
		}
		sumPar, par := post(st, 4)
		// The serial run in a store of its own, on the same driver.
		other := testenv.SQLite(t)
		if st.Driver() == storage.Postgres {
			other = testenv.Postgres(t)
		}
		sumSer, ser := post(other, 1)
		if sumPar != sumSer {
			t.Errorf("summary with 4 writers %s, with 1 %s", sumPar, sumSer)
		}
		if !strings.Contains(sumSer, "Reversals:3") || !strings.Contains(sumSer, "Payments:32") {
			t.Errorf("serial summary %s: want 32 payments, 3 reversals", sumSer)
		}
		for pcn, want := range ser {
			if got := par[pcn]; strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("claim %s with 4 writers:\n%s\nwith 1:\n%s", pcn, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
		if got := ser["P20"]; len(got) != 13 || got[12] != "state paid" {
			t.Errorf("P20 serially: %q", got)
		}
	})
}

// TestReversalBeforeItsOriginal: the 835 reversing a payment is posted before the
// 835 holding the payment. Holding, the file fails with ErrOriginalPending and
// posts nothing of the reversal; once the original is posted, posting the file
// again reverses it, and the ledger is the one of the files posted in order.
func TestReversalBeforeItsOriginal(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, st *storage.Store) {
		ctx := t.Context()
		w := newWorld(t, st)
		id := w.claim("P01", false, "99213", 20000)
		add := func(name, text string) int64 {
			fid, _, err := st.InsertInboundFile(ctx, storage.InboundFile{Source: "test", Name: name, Kind: "835", Content: []byte(text)})
			must(t, err)
			return fid
		}
		first := add("first.835", build835("000000601", [3]string{"100", "EFT1", "LX*1~" + paid("P01", "1", 100, "ICNP01")}))
		second := add("second.835", build835("000000602", [3]string{"20", "EFT2", "LX*1~" + paid("P01", "22", 100, "ICNP01") + paid("P01", "1", 120, "ICNP01B")}))

		w.poster.HoldOrphanReversals = true
		if _, err := w.poster.PostInbound(ctx, second); !errors.Is(err, remit.ErrOriginalPending) {
			t.Fatalf("reversal first: %v", err)
		}
		if n := len(w.ledger(id)); n != 0 {
			t.Fatalf("%d entries after the held file", n)
		}
		if s, _, err := st.InboundState(ctx, second); err != nil || s != storage.InboundNew {
			t.Fatalf("held file is %s (%v)", s, err)
		}
		for _, f := range []int64{first, second} {
			if _, err := w.poster.PostInbound(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		if ex := w.items(storage.WorkException); len(ex) != 0 {
			t.Errorf("exceptions: %+v", ex)
		}
		got := w.ledger(id)
		if len(got) != 12 || got[4] != "reversal insurance 100.00 " {
			t.Errorf("ledger:\n%s", strings.Join(got, "\n"))
		}
		if b := w.balance(id); b.Insurance != 0 || b.Patient != 3000 {
			t.Errorf("balance %+v", b)
		}
	})
}
