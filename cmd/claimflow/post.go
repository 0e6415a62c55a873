package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/internal/heapfloor"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/pipeline/remit"
	"github.com/claimflow/claimflow/storage"
	"github.com/spf13/cobra"
)

func newPostCommand() *cobra.Command {
	var database, dataDir string
	var dryRun, showPHI bool
	cmd := &cobra.Command{
		Use:   "post [--dry-run] FILE",
		Short: "Post an 835 remittance file to the ledger (or show what it would post)",
		Long: `post does with an 835 file what the pipeline's remit stage does with one fetched from a
clearinghouse. It checks every transaction set first (readable, implementation guide,
balancing of lines, claims and the total); a file that fails is quarantined whole and
nothing of it is posted. Then each claim payment is matched to its claim by CLP01 and to
the claim's lines by REF*6R (else procedure, modifiers, date and charge) and posted:
the payment, contractual adjustments, patient responsibility (deductible, coinsurance,
copay) moved to the patient, other adjustments; denials go to the denial queue and are
not written off; reversals undo the earlier posting; PLB amounts go to the provider.

The file is stored as an inbound file first: posting the same file again does nothing,
and a remittance that came before in another file posts nothing.

--dry-run writes nothing and prints, per claim payment, what would be posted. Patient
names and member ids are shown only with --show-phi.

Exit status: 0 posted (or would be), 1 the file would be or was quarantined, 2 error.`,
		Example: `  claimflow post --dry-run ERA_835_20250328.835
  claimflow post ERA_835_20250328.835`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, st, err := commandStore(cmd, database, dataDir)
			if err != nil {
				return err
			}
			defer st.Close(context.Background())
			// A 50 MB 835 allocates gigabytes on its way to the ledger: the floor
			// spares the collector's cycles, as in serve (internal/heapfloor).
			floor, err := heapfloor.FromEnv(heapfloor.Default)
			if err != nil {
				return err
			}
			defer heapfloor.Start(floor)()
			top, err := bus.NewTopology(bus.DefaultNamespace)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			env := &pipeline.Env{Store: st, Topology: top, Logger: log}
			p := &remit.Poster{Store: st, Logger: log, Emit: env.Emit, Actor: "cli"}
			if dryRun {
				return dryRunPost(ctx, cmd.OutOrStdout(), p, args[0], showPHI)
			}
			return postFile(ctx, cmd.OutOrStdout(), st, p, args[0])
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "write nothing; print what would be posted")
	cmd.Flags().BoolVar(&showPHI, "show-phi", false, "show patient names and member ids")
	cmd.Flags().StringVar(&database, "database", "", "database URL (default $"+databaseEnv+", else the SQLite file in the data directory)")
	cmd.Flags().StringVar(&dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")
	return cmd
}

// postFile stores the file as an inbound 835 and posts it.
func postFile(ctx context.Context, out io.Writer, st *storage.Store, p *remit.Poster, path string) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer file.Close()
	id, _, err := st.InsertInboundFileFrom(ctx, storage.InboundFile{Source: "cli", Name: filepath.Base(path), Kind: "835"}, file)
	if err != nil {
		return err
	}
	sum, err := p.PostInbound(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case sum.AlreadyProcessed:
		fmt.Fprintf(out, "%s: inbound file %d was posted before; nothing done\n", path, id)
		return nil
	case sum.Quarantined != "":
		fmt.Fprintf(out, "%s: inbound file %d quarantined, nothing posted: %s\n", path, id, sum.Quarantined)
		return findings(1)
	}
	fmt.Fprintf(out, "%s: inbound file %d posted: %d remittances (%d posted before from another file), %d claim payments (%d matched, %d unmatched), paid %s, provider-level %s\n",
		path, id, sum.Remittances, sum.Duplicates, sum.Payments, sum.Matched, sum.Unmatched, sum.Paid, sum.Provider)
	fmt.Fprintf(out, "  %d ledger entries, %d denials, %d reversals, %d crossovers, %d exceptions, %d claims sent to the secondary stage\n",
		sum.Entries, sum.Denials, sum.Reversals, sum.Forwarded, sum.Exceptions, sum.Secondary)
	return nil
}

// dryRunPost prints what posting the file would do.
func dryRunPost(ctx context.Context, out io.Writer, p *remit.Poster, path string, showPHI bool) error {
	open := func() (io.ReadCloser, error) { return os.Open(path) }
	var total billing.Money
	n := 0
	reason, err := p.DryRun(ctx, open, func(pl *remit.Plan, dup bool) error {
		rem := pl.Remittance
		n++
		fmt.Fprintf(out, "remittance %s (ST %s): %s %s paid %s on %s by %s", rem.Trace.Number, rem.Origin.ST02,
			rem.Payment.Method, rem.Payment.Handling, billing.Money(rem.Payment.Amount), rem.Payment.Date.Format("2006-01-02"), rem.Payer.Name)
		if dup {
			fmt.Fprint(out, " -- posted before: nothing would be posted")
		}
		fmt.Fprintln(out)
		for i := range pl.Claims {
			printClaimPlan(out, &pl.Claims[i], showPHI)
			total += billing.Money(pl.Claims[i].Payment.Paid)
		}
		for _, e := range pl.Provider {
			fmt.Fprintf(out, "  provider-level %s %s", e.Reason, e.Amount)
			if e.ClaimID != 0 {
				fmt.Fprintf(out, " (claim %d)", e.ClaimID)
			}
			fmt.Fprintln(out)
		}
		if pl.ProviderProblem != "" {
			fmt.Fprintf(out, "  provider-level: not posted: %s\n", pl.ProviderProblem)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if reason != "" {
		fmt.Fprintf(out, "%s: would be quarantined, nothing posted: %s\n", path, reason)
		return findings(1)
	}
	fmt.Fprintf(out, "%s: %d remittances, claim payments %s; dry run, nothing written\n", path, n, total)
	return nil
}

func printClaimPlan(out io.Writer, cp *remit.ClaimPlan, showPHI bool) {
	p := cp.Payment
	res := &cp.Result
	fmt.Fprintf(out, "  claim %s", p.PCN)
	if cp.Claim != nil {
		fmt.Fprintf(out, " (id %d, %s)", cp.Claim.ID, cp.Claim.State)
	}
	fmt.Fprintf(out, ": CLP02 %s %s, charge %s, paid %s", p.Status, x835.StatusText(p.Status), billing.Money(p.Charge), billing.Money(p.Paid))
	if showPHI {
		fmt.Fprintf(out, ", patient %s %s %s", p.Patient.Last, p.Patient.First, p.Patient.ID)
	}
	fmt.Fprintln(out)
	switch {
	case cp.Claim == nil:
		fmt.Fprintln(out, "    unmatched: no claim has this patient control number; would go to the unmatched queue")
		return
	case cp.Problem != "":
		fmt.Fprintf(out, "    not posted: %s\n", cp.Problem)
		return
	}
	var contractual, other, payment billing.Money
	patient := map[storage.EntryKind]billing.Money{}
	for _, e := range res.Entries {
		switch {
		case e.Kind == storage.KindInsurancePayment:
			payment += e.Amount
		case e.Kind == storage.KindContractualAdjustment:
			contractual += e.Amount
		case e.Kind == storage.KindOtherAdjustment:
			other += e.Amount
		case e.Bucket == storage.BucketPatient:
			patient[e.Kind] += e.Amount
		}
	}
	if res.Reverses {
		var undo billing.Money
		for _, e := range cp.Reversals {
			undo += e.Amount
		}
		fmt.Fprintf(out, "    reversal: %d entries of the earlier posting undone (net %s)\n", len(cp.Reversals), undo)
	} else {
		fmt.Fprintf(out, "    payment %s, contractual %s, other %s; patient: deductible %s, coinsurance %s, copay %s, other %s\n",
			payment, contractual, other, patient[storage.KindDeductible], patient[storage.KindCoinsurance],
			patient[storage.KindCopay], patient[storage.KindPatientResponsibility])
	}
	if d := res.Denial; d != nil {
		fmt.Fprintf(out, "    denial %s (%s): %s\n", d.Amount, strings.Join(d.Codes, ", "), d.Message)
	}
	next := string(res.State)
	if next == "" {
		next = "unchanged"
	}
	fmt.Fprintf(out, "    claim -> %s", next)
	if res.Crossover {
		fmt.Fprint(out, " (crossover: the payer forwarded it; we do not bill the next payer)")
	}
	if res.Secondary {
		fmt.Fprint(out, "; the next payer would be billed")
	}
	fmt.Fprintln(out)
}
