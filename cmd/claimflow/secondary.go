package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/secondary"
	"github.com/claimflow/claimflow/storage"
	"github.com/spf13/cobra"
)

func newSecondaryCommand() *cobra.Command {
	var database, dataDir string
	var dryRun, showPHI bool
	cmd := &cobra.Command{
		Use:   "secondary [--dry-run] CLAIM...",
		Short: "Move adjudicated claims on to their next payer (secondary, tertiary), the patient, or closed",
		Long: `secondary does for the claims named (by id or patient control number) what the pipeline's
secondary stage does after an 835: when a payer adjudicated a claim, the patient has a
further coverage, something is left and the payer did not forward the claim itself
(crossover), the claim becomes the claim for the next payer (SBR01 S or T, the earlier
payers' decisions in 2320/2330B and 2430), checked with the coordination-of-benefits
rules, and its balance moves to that payer in the ledger; with no further coverage it is
left to the patient (patient-billed) or closed.

--dry-run prints what would be done and writes nothing. Member ids are masked unless
--show-phi; names, birth dates and addresses are never printed.`,
		Example: `  claimflow secondary --dry-run A17
  claimflow secondary 1042 1043`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, st, err := commandStore(cmd, database, dataDir)
			if err != nil {
				return err
			}
			defer st.Close(ctx)
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			stage, err := secondary.New(&pipeline.Env{Store: st, Logger: log})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, arg := range args {
				id, err := secondaryClaimID(ctx, st, arg)
				if err != nil {
					return err
				}
				var p *secondary.Plan
				if dryRun {
					p, err = stage.Plan(ctx, &st.Conn, id)
				} else {
					p, err = stage.Process(ctx, id)
				}
				if err != nil {
					return fmt.Errorf("claim %s: %w", arg, err)
				}
				printSecondaryPlan(out, p, dryRun, showPHI)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&database, "database", "", "database URL (default $"+databaseEnv+", else the SQLite file in the data directory)")
	cmd.Flags().StringVar(&dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be done; write nothing")
	cmd.Flags().BoolVar(&showPHI, "show-phi", false, "show member ids")
	return cmd
}

// secondaryClaimID finds a claim by id, else by patient control number.
func secondaryClaimID(ctx context.Context, st *storage.Store, arg string) (int64, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil && id > 0 {
		if _, err := st.ClaimState(ctx, id); err == nil {
			return id, nil
		} else if !errors.Is(err, storage.ErrNotFound) {
			return 0, err
		}
	}
	c, err := st.ClaimByPCN(ctx, arg)
	if err != nil {
		return 0, fmt.Errorf("finding claim %s: %w", arg, err)
	}
	return c.ID, nil
}

// printSecondaryPlan prints what the stage would do or did with a claim, without PHI unless
// showPHI (member ids only; names, birth dates and addresses never).
func printSecondaryPlan(w io.Writer, p *secondary.Plan, dryRun, showPHI bool) {
	verb := "done"
	if dryRun {
		verb = "would do"
	}
	fmt.Fprintf(w, "claim %d (%s), %s: %s %s\n", p.ClaimID, p.PCN, p.State, verb, p.Action)
	fmt.Fprintf(w, "  why: %s\n", p.Reason)
	if pay := p.Payment; pay != nil {
		fmt.Fprintf(w, "  payment: CLP02 %s, charge %s, paid %s, patient %s, payer claim number %s\n",
			pay.Status, pay.Charge, pay.Paid, pay.PatientResponsibility, planDash(pay.PayerClaimNumber))
	}
	if p.Next < 0 {
		return
	}
	c := &p.Claim
	for k := range c.Coverages {
		cov := &c.Coverages[k]
		role := "other payer (2320/2330B)"
		if k == p.Next {
			role = "billed (2000B/2010BB)"
		}
		fmt.Fprintf(w, "  coverage %d SBR01 %s %s: payer %s %s, member %s\n", k+1, planOr(cov.Responsibility, billing.ResponsibilityAt(k)),
			role, cov.Payer.ID, cov.Payer.Name, planMemberID(cov.MemberID, showPHI))
		if a := cov.Adjudication; a != nil {
			fmt.Fprintf(w, "    2320 AMT*D %s, CAS %s, AMT*EAF %s; 2330B REF*F8 %s, DTP*573 %s\n",
				a.PaidAmount, planAdjustments(a.Adjustments), planMoney(a.RemainingPatientLiability), planDash(a.ClaimNumber), a.Date)
			for _, la := range a.Lines {
				fmt.Fprintf(w, "    2430 line %d: SVD02 %s %s, CAS %s, DTP*573 %s, AMT*EAF %s\n",
					la.Line, la.PaidAmount, la.Procedure.Code, planAdjustments(la.Adjustments), la.Date, planMoney(la.RemainingPatientLiability))
			}
		}
	}
	for _, e := range p.Transfers {
		fmt.Fprintf(w, "  ledger: %s %s %s payer %d line %d (%s)\n", e.Kind, e.Bucket, e.Amount, e.PayerID, e.LineID, e.IdempotencyKey)
	}
	for _, f := range p.Findings {
		fmt.Fprintf(w, "  finding: %s\n", f.String())
	}
}

func planAdjustments(adj []billing.Adjustment) string {
	if len(adj) == 0 {
		return "-"
	}
	parts := make([]string, len(adj))
	for i, a := range adj {
		parts[i] = a.Group + "-" + a.Reason + " " + a.Amount.String()
	}
	return strings.Join(parts, ", ")
}

func planMoney(m *billing.Money) string {
	if m == nil {
		return "-"
	}
	return m.String()
}

func planDash(s string) string { return planOr(s, "-") }

func planOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// planMemberID shows a member id only with showPHI.
func planMemberID(id string, showPHI bool) string {
	switch {
	case id == "":
		return "-"
	case showPHI:
		return id
	}
	return "(masked)"
}
