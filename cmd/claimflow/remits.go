package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
	"github.com/spf13/cobra"
)

func newRemitsCommand() *cobra.Command {
	var database, dataDir string
	cmd := &cobra.Command{
		Use:   "remits",
		Short: "Reconcile 835 remittances with bank deposits; work the unmatched claim payments",
		Long: `remits reassociates the money with the remittances (X12-GUIDE 6.11): a remittance is
reconciled when a bank deposit carries its trace number (TRN02: the EFT trace number of
the ACH addenda, or the check number) and its total (BPR02).

  unreconciled      remittances that moved money and match no deposit, and deposits
                    that match no remittance
  deposit           record one deposit
  import-deposits   record deposits from a CSV file with the columns trace, amount, date
                    (YYYY-MM-DD) and, optionally, payer (TRN03)
  unmatched         835 claim payments whose patient control number (CLP01) named no
                    claim: stored, not posted
  match             post an unmatched claim payment onto the claim a person chose
  rematch           post every unmatched claim payment whose CLP01 now names a claim
                    (the claim was entered after the 835 came)

The database is, in order: --database, $CLAIMFLOW_DATABASE_URL, or the SQLite file in the
data directory.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&database, "database", "", "database URL (default $"+databaseEnv+", else the SQLite file in the data directory)")
	pf.StringVar(&dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")
	open := storeOpener(func(cmd *cobra.Command) (context.Context, *storage.Store, error) {
		return commandStore(cmd, database, dataDir)
	})

	var limit int
	unreconciled := &cobra.Command{
		Use:   "unreconciled",
		Short: "List remittances no deposit matches, and deposits no remittance matches",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return open.withStore(cmd, func(ctx context.Context, st *storage.Store) error {
				rems, err := st.UnreconciledRemittances(ctx, 0, limit)
				if err != nil {
					return err
				}
				deps, err := st.UnmatchedDeposits(ctx, 0, limit)
				if err != nil {
					return err
				}
				return printUnreconciled(cmd.OutOrStdout(), rems, deps)
			})
		},
	}
	unreconciled.Flags().IntVar(&limit, "limit", 1000, "most rows of each list")

	var d struct{ trace, amount, date, payer string }
	deposit := &cobra.Command{
		Use:     "deposit --trace TRN02 --amount 123.45 --date YYYY-MM-DD",
		Short:   "Record a bank deposit (EFT or check)",
		Example: "  claimflow remits deposit --trace 1000000101 --amount 236.15 --date 2025-03-28",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dep, err := parseDeposit(d.trace, d.amount, d.date, d.payer)
			if err != nil {
				return err
			}
			dep.Source = "cli"
			return open.withStore(cmd, func(ctx context.Context, st *storage.Store) error {
				id, isNew, err := st.AddDeposit(ctx, dep)
				if err != nil {
					return err
				}
				if !isNew {
					fmt.Fprintf(cmd.OutOrStdout(), "deposit %d: %s %s on %s was recorded before\n", id, dep.TraceNumber, dep.Amount, dep.DepositedOn)
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deposit %d: %s %s on %s recorded\n", id, dep.TraceNumber, dep.Amount, dep.DepositedOn)
				return nil
			})
		},
	}
	deposit.Flags().StringVar(&d.trace, "trace", "", "trace number: the 835's TRN02 (EFT trace or check number)")
	deposit.Flags().StringVar(&d.amount, "amount", "", "amount deposited, dollars (123.45)")
	deposit.Flags().StringVar(&d.date, "date", "", "day of the deposit, YYYY-MM-DD")
	deposit.Flags().StringVar(&d.payer, "payer", "", "payer id of the TRN03, when the bank shows it")

	importDeposits := &cobra.Command{
		Use:   "import-deposits FILE.csv",
		Short: "Record the deposits of a CSV file (trace, amount, date[, payer])",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			deps, err := readDeposits(args[0])
			if err != nil {
				return err
			}
			return open.withStore(cmd, func(ctx context.Context, st *storage.Store) error {
				added := 0
				for _, dep := range deps {
					_, isNew, err := st.AddDeposit(ctx, dep)
					if err != nil {
						return err
					}
					if isNew {
						added++
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d deposits, %d new\n", args[0], len(deps), added)
				return nil
			})
		},
	}
	cmd.AddCommand(unreconciled, deposit, importDeposits)
	cmd.AddCommand(newUnmatchedCommands(open)...)
	return cmd
}

// storeOpener opens the database a command names: --database, $CLAIMFLOW_DATABASE_URL
// or the SQLite file in the data directory (see commandStore).
type storeOpener func(*cobra.Command) (context.Context, *storage.Store, error)

// withStore opens the command's database, runs fn on it and closes it.
func (open storeOpener) withStore(cmd *cobra.Command, fn func(context.Context, *storage.Store) error) error {
	ctx, st, err := open(cmd)
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	return fn(ctx, st)
}

func parseDeposit(trace, amount, date, payer string) (storage.Deposit, error) {
	var dep storage.Deposit
	if dep.TraceNumber = strings.TrimSpace(trace); dep.TraceNumber == "" {
		return dep, errors.New("a deposit needs its trace number (--trace)")
	}
	m, err := billing.ParseMoney(strings.TrimSpace(amount))
	if err != nil || m <= 0 {
		return dep, fmt.Errorf("amount %q: want a positive amount of dollars such as 123.45", amount)
	}
	dep.Amount = m
	if dep.DepositedOn, err = billing.ParseDate(strings.TrimSpace(date)); err != nil || dep.DepositedOn.IsZero() {
		return dep, fmt.Errorf("date %q: want YYYY-MM-DD", date)
	}
	dep.PayerIdentifier = strings.TrimSpace(payer)
	return dep, nil
}

// readDeposits reads a CSV of deposits whose first row names the columns trace,
// amount, date and (optional) payer, in any order.
func readDeposits(path string) ([]storage.Deposit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"trace", "amount", "date"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s: no %q column (want trace, amount, date[, payer])", path, need)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var deps []storage.Deposit
	for row := 2; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return deps, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		dep, err := parseDeposit(get(rec, "trace"), get(rec, "amount"), get(rec, "date"), get(rec, "payer"))
		if err != nil {
			return nil, fmt.Errorf("%s row %d: %w", path, row, err)
		}
		dep.Source = filepath.Base(path)
		deps = append(deps, dep)
	}
}

func printUnreconciled(out io.Writer, rems []storage.Remittance, deps []storage.Deposit) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%d remittances without a deposit\n", len(rems))
	if len(rems) > 0 {
		fmt.Fprintln(tw, "ID\tTRACE\tAMOUNT\tPAID ON\tMETHOD\tPAYER")
	}
	for _, r := range rems {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.TraceNumber, r.TotalPaid, r.PaymentDate, r.PaymentMethod, r.PayerIdentifier)
	}
	fmt.Fprintf(tw, "%d deposits without a remittance\n", len(deps))
	if len(deps) > 0 {
		fmt.Fprintln(tw, "ID\tTRACE\tAMOUNT\tDEPOSITED ON\tSOURCE")
	}
	for _, d := range deps {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", d.ID, d.TraceNumber, d.Amount, d.DepositedOn, d.Source)
	}
	return tw.Flush()
}
