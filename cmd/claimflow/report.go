package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
	"github.com/spf13/cobra"
)

func newReportCommand() *cobra.Command {
	var database, dataDir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Print the billing summary and the aging table",
		Long: `report reads the database and prints what a billing team watches: claims by state and
outcome, the top rejection and denial reasons, the dollars charged, paid, adjusted and
left to patients, the open work queues, the clean-claim and first-pass acceptance rates
(report summary), and what payers and patients owe by age (report aging).

Reports carry counts, codes and amounts only: payers are named, patients never are.`,
	}
	cmd.PersistentFlags().StringVar(&database, "database", "", "database URL (default $"+databaseEnv+", else the SQLite file in the data directory)")
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")

	summary := &cobra.Command{
		Use:   "summary",
		Short: "Claims, outcomes, reasons, dollars, queues and rates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, st, err := commandStore(cmd, database, dataDir)
			if err != nil {
				return err
			}
			defer st.Close(ctx)
			s, err := st.Summary(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), summaryJSON(s))
			}
			return writeSummary(cmd.OutOrStdout(), s)
		},
	}
	var asOf string
	var fromBilled bool
	aging := &cobra.Command{
		Use:   "aging",
		Short: "What payers and patients owe, by age (0-30, 31-60, 61-90, 91-120, 120+ days)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			day := billing.DateOf(time.Now())
			if asOf != "" {
				d, err := billing.ParseDate(asOf)
				if err != nil {
					return fmt.Errorf("--as-of: %w", err)
				}
				day = d
			}
			basis := storage.AgeFromService
			if fromBilled {
				basis = storage.AgeFromFirstBilled
			}
			ctx, st, err := commandStore(cmd, database, dataDir)
			if err != nil {
				return err
			}
			defer st.Close(ctx)
			tab, err := st.AgingTable(ctx, day, basis)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), agingJSON(tab))
			}
			return writeAging(cmd.OutOrStdout(), tab)
		},
	}
	aging.Flags().StringVar(&asOf, "as-of", "", "the day to age balances at, YYYY-MM-DD (default today)")
	aging.Flags().BoolVar(&fromBilled, "from-billed", false, "age from the day each claim was first sent rather than its date of service")
	cmd.AddCommand(summary, aging)
	return cmd
}

// dollars renders cents as "$1,234.56" ("-$5.00" when negative).
func dollars(m billing.Money) string {
	s := m.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + "$" + b.String() + "." + frac
}

// reasons renders "A3:33 ×4, diagnosis-pointer ×2", or "-".
func reasons(list []storage.ReasonCount) string {
	if len(list) == 0 {
		return "-"
	}
	parts := make([]string, len(list))
	for i, r := range list {
		parts[i] = fmt.Sprintf("%s ×%d", r.Code, r.Count)
	}
	return strings.Join(parts, ", ")
}

// writeSummary prints the summary as a few aligned blocks.
func writeSummary(w io.Writer, s storage.Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Claims\t%d\n", s.Claims)
	fmt.Fprintf(tw, "  submitted\t%d\n", s.Submitted)
	fmt.Fprintf(tw, "  paid\t%d\n", s.Paid)
	fmt.Fprintf(tw, "  denied\t%d\t%s\n", s.Denied, reasons(s.DenialReasons))
	fmt.Fprintf(tw, "  rejected\t%d\t%s\n", s.Rejected, reasons(s.RejectionReasons))
	fmt.Fprintf(tw, "  in process\t%d\n", s.Pending)
	if s.Other > 0 {
		fmt.Fprintf(tw, "  other\t%d\n", s.Other)
	}
	m := s.Money
	fmt.Fprintf(tw, "Dollars\t\n")
	fmt.Fprintf(tw, "  charged\t%s\n", dollars(m.Charged))
	fmt.Fprintf(tw, "  paid by payers\t%s\n", dollars(m.InsurancePaid))
	fmt.Fprintf(tw, "  adjusted\t%s\n", dollars(m.Adjusted))
	fmt.Fprintf(tw, "  left to patients\t%s\n", dollars(m.PatientResponsibility))
	if m.PatientPaid != 0 || m.Refunds != 0 {
		fmt.Fprintf(tw, "  paid by patients\t%s\n", dollars(m.PatientPaid))
		fmt.Fprintf(tw, "  refunded\t%s\n", dollars(m.Refunds))
	}
	fmt.Fprintf(tw, "  owed by payers\t%s\n", dollars(m.InsuranceOutstanding))
	fmt.Fprintf(tw, "  owed by patients\t%s\n", dollars(m.PatientOutstanding))
	if m.ProviderLevel != 0 {
		fmt.Fprintf(tw, "  provider-level (PLB)\t%s\n", dollars(m.ProviderLevel))
	}
	fmt.Fprintf(tw, "Open work queues\t\n")
	if len(s.OpenWork) == 0 {
		fmt.Fprintf(tw, "  (empty)\t\n")
	}
	for _, k := range sortedKeys(s.OpenWork) {
		fmt.Fprintf(tw, "  %s\t%d\n", k, s.OpenWork[k])
	}
	fmt.Fprintf(tw, "Rates\t\n")
	fmt.Fprintf(tw, "  clean claims\t%s\n", s.Clean)
	fmt.Fprintf(tw, "  first-pass acceptance\t%s\n", s.FirstPass)
	fmt.Fprintf(tw, "Claims by state\t\n")
	for _, st := range storage.ClaimStates {
		if n := s.ByState[st]; n > 0 {
			fmt.Fprintf(tw, "  %s\t%d\n", st, n)
		}
	}
	return tw.Flush()
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// writeAging prints the aging table: one row per payer, patients summed.
func writeAging(w io.Writer, t storage.AgingTable) error {
	basis := "date of service"
	if t.Basis == storage.AgeFromFirstBilled {
		basis = "first billed"
	}
	fmt.Fprintf(w, "Aging as of %s (days since %s)\n", t.AsOf, basis)
	const amount = "%14s\t"
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "\t")
	for _, b := range storage.AgingBuckets {
		fmt.Fprintf(tw, amount, b)
	}
	fmt.Fprintf(tw, amount+"\n", "total")
	row := func(name string, buckets [5]billing.Money) {
		fmt.Fprintf(tw, "  %s\t", name)
		var sum billing.Money
		for _, v := range buckets {
			fmt.Fprintf(tw, amount, dollars(v))
			sum += v
		}
		fmt.Fprintf(tw, amount+"\n", dollars(sum))
	}
	for _, p := range t.Payers {
		row(p.Name+" ("+p.PayerID+")", p.Buckets)
	}
	row(fmt.Sprintf("patients (%d accounts)", t.Accounts), t.Patients.Buckets)
	row("total", t.Total)
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// summaryDoc is the JSON form of a summary: amounts as cents, rates as counts and
// percentages.
type summaryDoc struct {
	Claims           int64                        `json:"claims"`
	ByState          map[storage.ClaimState]int64 `json:"by_state"`
	Submitted        int64                        `json:"submitted"`
	Pending          int64                        `json:"pending"`
	Rejected         int64                        `json:"rejected"`
	Paid             int64                        `json:"paid"`
	Denied           int64                        `json:"denied"`
	Other            int64                        `json:"other"`
	RejectionReasons []reasonDoc                  `json:"rejection_reasons"`
	DenialReasons    []reasonDoc                  `json:"denial_reasons"`
	Cents            map[string]int64             `json:"cents"`
	OpenWork         map[storage.WorkKind]int64   `json:"open_work"`
	CleanClaims      rateDoc                      `json:"clean_claims"`
	FirstPass        rateDoc                      `json:"first_pass_acceptance"`
}

type reasonDoc struct {
	Code  string `json:"code"`
	Count int64  `json:"count"`
}

type rateDoc struct {
	Count   int64   `json:"count"`
	Of      int64   `json:"of"`
	Percent float64 `json:"percent"`
}

func reasonDocs(list []storage.ReasonCount) []reasonDoc {
	out := []reasonDoc{}
	for _, r := range list {
		out = append(out, reasonDoc{Code: r.Code, Count: r.Count})
	}
	return out
}

func rate(r storage.Rate) rateDoc { return rateDoc{Count: r.Count, Of: r.Of, Percent: r.Percent()} }

func summaryJSON(s storage.Summary) summaryDoc {
	m := s.Money
	return summaryDoc{
		Claims: s.Claims, ByState: s.ByState, Submitted: s.Submitted,
		Pending: s.Pending, Rejected: s.Rejected, Paid: s.Paid, Denied: s.Denied, Other: s.Other,
		RejectionReasons: reasonDocs(s.RejectionReasons), DenialReasons: reasonDocs(s.DenialReasons),
		Cents: map[string]int64{
			"charged": int64(m.Charged), "insurance_paid": int64(m.InsurancePaid), "adjusted": int64(m.Adjusted),
			"patient_responsibility": int64(m.PatientResponsibility), "patient_paid": int64(m.PatientPaid),
			"refunds": int64(m.Refunds), "insurance_outstanding": int64(m.InsuranceOutstanding),
			"patient_outstanding": int64(m.PatientOutstanding), "provider_level": int64(m.ProviderLevel),
		},
		OpenWork:    s.OpenWork,
		CleanClaims: rate(s.Clean), FirstPass: rate(s.FirstPass),
	}
}

// agingDoc is the JSON form of the aging table, amounts in cents.
type agingDoc struct {
	AsOf     string        `json:"as_of"`
	Basis    string        `json:"basis"`
	Buckets  []string      `json:"buckets"`
	Payers   []agingRowDoc `json:"payers"`
	Patients agingRowDoc   `json:"patients"`
	Total    [5]int64      `json:"total"`
}

type agingRowDoc struct {
	PayerID  string   `json:"payer_id,omitempty"`
	Name     string   `json:"name,omitempty"`
	Accounts int      `json:"accounts,omitempty"`
	Cents    [5]int64 `json:"cents"`
}

func cents(b [5]billing.Money) [5]int64 {
	var out [5]int64
	for i, v := range b {
		out[i] = int64(v)
	}
	return out
}

func agingJSON(t storage.AgingTable) agingDoc {
	d := agingDoc{AsOf: t.AsOf.String(), Basis: "service", Buckets: storage.AgingBuckets[:], Payers: []agingRowDoc{},
		Patients: agingRowDoc{Accounts: t.Accounts, Cents: cents(t.Patients.Buckets)}, Total: cents(t.Total)}
	if t.Basis == storage.AgeFromFirstBilled {
		d.Basis = "first-billed"
	}
	for _, p := range t.Payers {
		d.Payers = append(d.Payers, agingRowDoc{PayerID: p.PayerID, Name: p.Name, Cents: cents(p.Buckets)})
	}
	return d
}
