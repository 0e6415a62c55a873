package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/pipeline/remit"
	"github.com/claimflow/claimflow/storage"
	"github.com/spf13/cobra"
)

// newUnmatchedCommands returns `remits unmatched`, `remits match` and `remits
// rematch`: working the unmatched-remittance queue.
func newUnmatchedCommands(open storeOpener) []*cobra.Command {
	var limit int
	unmatched := &cobra.Command{
		Use:   "unmatched",
		Short: "List 835 claim payments that matched no claim",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return open.withStore(cmd, func(ctx context.Context, st *storage.Store) error {
				ids, err := st.UnmatchedClaimPayments(ctx, 0, limit)
				if err != nil {
					return err
				}
				return printUnmatched(ctx, cmd.OutOrStdout(), st, ids)
			})
		},
	}
	unmatched.Flags().IntVar(&limit, "limit", 1000, "most rows")

	by := os.Getenv("USER")
	match := &cobra.Command{
		Use:   "match PAYMENT_ID CLAIM_ID",
		Short: "Post an unmatched 835 claim payment onto a claim",
		Long: `match posts a claim payment that matched no claim (see "remits unmatched") onto the
claim given, as the 835 would have posted it had its CLP01 named that claim: payment,
adjustments, patient responsibility, the claim's state, denials and secondary claims.
Its lines are matched by REF*6R, else procedure, modifiers, date and charge. The
payment's work item in the unmatched queue is resolved with a note naming --by. Nothing
is written when the payment cannot be posted onto that claim.`,
		Example: "  claimflow remits match 4411 1027 --by alice",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			payment, err1 := strconv.ParseInt(args[0], 10, 64)
			claim, err2 := strconv.ParseInt(args[1], 10, 64)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("want two numbers, a claim payment id and a claim id; got %q %q", args[0], args[1])
			}
			return open.withPoster(cmd, func(ctx context.Context, p *remit.Poster) error {
				sum, err := p.Match(ctx, payment, claim, by)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "claim payment %d posted onto claim %d: %d ledger entries, paid %s, %d denials, %d sent to the next payer\n",
					payment, claim, sum.Entries, sum.Paid, sum.Denials, sum.Secondary)
				return nil
			})
		},
	}
	match.Flags().StringVar(&by, "by", by, "who matched it, for the work item's note and the claim's history")

	rematch := &cobra.Command{
		Use:   "rematch",
		Short: "Post the unmatched 835 claim payments whose CLP01 now names a claim",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return open.withPoster(cmd, func(ctx context.Context, p *remit.Poster) error {
				matched, left, err := p.Rematch(ctx, by)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d claim payments matched and posted, %d still unmatched\n", matched, left)
				return nil
			})
		},
	}
	rematch.Flags().StringVar(&by, "by", by, "who ran it, for the work items' notes and the claims' histories")
	return []*cobra.Command{unmatched, match, rematch}
}

// withPoster opens the command's database and runs fn with a remit.Poster on it:
// secondary work goes to the outbox, for the pipeline to publish when it runs.
func (open storeOpener) withPoster(cmd *cobra.Command, fn func(context.Context, *remit.Poster) error) error {
	top, err := bus.NewTopology(bus.DefaultNamespace)
	if err != nil {
		return err
	}
	return open.withStore(cmd, func(ctx context.Context, st *storage.Store) error {
		log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		env := &pipeline.Env{Store: st, Topology: top, Logger: log}
		return fn(ctx, &remit.Poster{Store: st, Logger: log, Emit: env.Emit, Actor: "cli"})
	})
}

// printUnmatched lists claim payments by id: no patient data, only the numbers a
// clerk searches claims by.
func printUnmatched(ctx context.Context, out io.Writer, st *storage.Store, ids []int64) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%d unmatched claim payments\n", len(ids))
	if len(ids) > 0 {
		fmt.Fprintln(tw, "PAYMENT\tREMITTANCE\tTRACE\tCLP01\tSTATUS\tCHARGE\tPAID\tPAYER CLAIM NUMBER")
	}
	traces := map[int64]string{}
	for _, id := range ids {
		cp, err := st.ClaimPaymentByID(ctx, id)
		if err != nil {
			return err
		}
		trace, ok := traces[cp.RemittanceID]
		if !ok {
			rem, err := st.Remittance(ctx, cp.RemittanceID)
			if err != nil {
				return err
			}
			trace, traces[cp.RemittanceID] = rem.TraceNumber, rem.TraceNumber
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", cp.ID, cp.RemittanceID, trace, cp.PatientControlNumber, cp.Status,
			cp.Charge, cp.Paid, cp.PayerClaimNumber)
	}
	return tw.Flush()
}
