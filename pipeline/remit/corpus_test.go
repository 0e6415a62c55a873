package remit_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/internal/sharedtest"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

var update = flag.Bool("update", false, "rewrite ../testdata/remit_corpus.golden")

const corpusGolden = "../testdata/remit_corpus.golden"

// TestCorpus posts every 835 of the shared corpus (read in place, never copied)
// that the validator accepts: each into a fresh database holding, for each CLP01 it
// pays, a transmitted claim with the lines its SVCs name. It records what each file
// posted, and the balances by bucket, in the golden file; files the validator
// refuses or that do not balance are recorded with the reason they are quarantined.
// Whatever posts must leave the ledger consistent: each claim's payer side is its
// charge less what the 835s paid and adjusted.
func TestCorpus(t *testing.T) {
	t.Parallel()
	var rec bytes.Buffer
	files := sharedtest.Corpus(t)
	for _, f := range files {
		if f.Type != "835" || f.Invalid() {
			continue
		}
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&rec, "%s\n", f.Name)
		st := testenv.SQLite(t)
		w := newWorld(t, st)
		claims, charge := w.claimsFor(data)
		_, sum := w.post(filepath.Base(f.Name), string(data))
		if sum.Quarantined != "" {
			fmt.Fprintf(&rec, "  quarantined: %s\n", sum.Quarantined)
			if n := w.entryCount(); n != claims {
				t.Errorf("%s: quarantined, yet %d entries besides the %d charges", f.Name, n-claims, claims)
			}
			continue
		}
		b, err := st.Balance(context.Background(), storage.EntryFilter{})
		must(t, err)
		fmt.Fprintf(&rec, "  %d remittances, %d claim payments (%d matched, %d unmatched), paid %s, provider-level %s\n",
			sum.Remittances, sum.Payments, sum.Matched, sum.Unmatched, sum.Paid, sum.Provider)
		fmt.Fprintf(&rec, "  %d entries, %d denials, %d reversals, %d crossovers, %d exceptions, %d to secondary\n",
			sum.Entries, sum.Denials, sum.Reversals, sum.Forwarded, sum.Exceptions, sum.Secondary)
		fmt.Fprintf(&rec, "  charged %s; balances: insurance %s, patient %s, provider %s\n", charge, b.Insurance, b.Patient, b.Provider)
		if b.Provider != sum.Provider {
			t.Errorf("%s: provider bucket %s, PLB total %s", f.Name, b.Provider, sum.Provider)
		}
		// Posting again changes nothing.
		n := w.entryCount()
		if _, again := w.post(filepath.Base(f.Name)+".again", string(data)); !again.AlreadyProcessed {
			t.Errorf("%s: posted twice: %+v", f.Name, again)
		}
		if m := w.entryCount(); m != n {
			t.Errorf("%s: %d entries after posting again, %d before", f.Name, m, n)
		}
	}
	if rec.Len() == 0 {
		t.Skip("no 835 in the corpus")
	}
	if *update {
		must(t, os.WriteFile(corpusGolden, rec.Bytes(), 0o644))
		return
	}
	want, err := os.ReadFile(corpusGolden)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no %s: run go test -run TestCorpus -update", corpusGolden)
	}
	must(t, err)
	if got := rec.String(); got != string(want) {
		t.Errorf("corpus postings differ from %s (go test -run TestCorpus -update rewrites it):\n%s", corpusGolden, got)
	}
}

// claimsFor stores, for each claim payment of the 835 that is not a reversal, a
// claim billed to the payer with the lines its SVCs name (the submitted procedure,
// charge, date and REF*6R), transmitted, with its charge posted. It returns how many
// charges it posted and their total. What cannot be read is left to the poster.
func (w *world) claimsFor(data []byte) (int, billing.Money) {
	w.t.Helper()
	seen := map[string]bool{}
	n := 0
	var total billing.Money
	_ = x835.ParseEach(bytes.NewReader(data), func(rem *x835.Remittance) error {
		if npi := rem.Payee.ID; rem.Payee.IDQualifier == "XX" && npi != "" {
			_, _ = w.st.UpsertBillingProvider(context.Background(), billing.Provider{NPI: npi, Name: "PAYEE", EntityType: billing.EntityOrganization})
		}
		for i := range rem.Claims {
			c := &rem.Claims[i]
			if seen[c.PCN] || c.Reversal() || c.PCN == "" {
				continue
			}
			seen[c.PCN] = true
			var ls []billing.Line
			for k, l := range c.Lines {
				proc := l.Procedure
				if l.OriginalProcedure != nil {
					proc = *l.OriginalProcedure
				}
				if proc.Code == "" || l.Charge <= 0 {
					continue
				}
				cn := l.LineControlNumber
				if cn == "" || len(cn) > 30 {
					cn = fmt.Sprintf("L%d", k+1)
				}
				line := billing.Line{ControlNumber: cn, Procedure: billing.Procedure{Code: proc.Code, Modifiers: proc.Modifiers},
					Charge: billing.Money(l.Charge)}
				if d := l.Date("472"); !d.IsZero() {
					line.ServiceDates.From = billing.DateOf(d)
				}
				ls = append(ls, line)
			}
			if len(ls) == 0 {
				if c.Charge <= 0 {
					continue
				}
				ls = []billing.Line{{ControlNumber: "L1", Procedure: billing.Procedure{Code: "99213"}, Charge: billing.Money(c.Charge)}}
			}
			id := w.claimWith(c.PCN, false, ls)
			bal, err := w.st.ClaimBalance(context.Background(), id)
			must(w.t, err)
			total += bal.Insurance
			n += len(ls)
		}
		return nil
	})
	return n, total
}
