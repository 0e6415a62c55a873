package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/claimflow/claimflow/billing/scrub"
	"github.com/claimflow/claimflow/edi/codes"
	"github.com/spf13/cobra"
)

func newClaimsCheckCommand() *cobra.Command {
	var dataDir string
	var asJSON, rules bool
	cmd := &cobra.Command{
		Use:   "check FILE...",
		Short: "Check claims the way a payer's front end will (the scrubber)",
		Long: `check reads claims (JSON, CSV or 837P) and runs the scrubber on them: NPI check digits,
taxonomy, member id, birth and service dates, diagnosis pointers, charges balancing,
units, modifiers, place of service, ICD-10-CM and HCPCS codes valid on the date of
service, COB balancing on secondary claims, unique patient control numbers, prior
authorization. Each finding names the claim, the field of the claim to fix
(claims[3].lines[1].procedure.modifiers[0]), where it goes in the 837P, the rule, the
277CA status a payer would answer with, and a message for a billing clerk. An error
holds the claim; a warning does not.

Code sets come from the local code store (claimflow codes load); without them codes are
checked for format only, and check says so. Messages never carry patient data.

Exit status: 0 when no claim is held, 1 when a claim is held, 2 when a file cannot be read.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if rules {
				return nil
			}
			return cobra.MinimumNArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if rules {
				fmt.Fprint(out, scrub.RuleTable())
				return nil
			}
			set, err := codes.Open(codes.StorePath(dataDir))
			if errors.Is(err, fs.ErrNotExist) {
				set, err = nil, nil
			}
			if err != nil {
				return fmt.Errorf("opening the code store: %w", err)
			}
			s, err := scrub.New(scrub.WithCodes(set))
			if err != nil {
				return err
			}
			held := 0
			var reports []any
			for _, path := range args {
				src, err := readClaims(path)
				if err != nil {
					return err
				}
				if len(src.probs) > 0 {
					printProblems(cmd.ErrOrStderr(), path, src.probs, false)
				}
				rep, err := s.Check(cmd.Context(), src.claims)
				if err != nil {
					return fmt.Errorf("checking %s: %w", path, err)
				}
				held += len(rep.Held)
				if asJSON {
					reports = append(reports, map[string]any{"file": path, "claims": len(src.claims), "report": rep})
					continue
				}
				for _, n := range rep.Notices {
					fmt.Fprintf(out, "%s: note: %s\n", path, n)
				}
				for i := range rep.Findings {
					f := &rep.Findings[i]
					fmt.Fprintf(out, "%s: claim %s: %s\n", path, f.PCN, f.String())
				}
				fmt.Fprintf(out, "%s: %d claims checked (%s), %d held, %d findings\n", path, len(src.claims), src.format, len(rep.Held), len(rep.Findings))
			}
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(reports); err != nil {
					return fmt.Errorf("writing JSON: %w", err)
				}
			}
			if held > 0 {
				return findings(held)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", defaultDataDir(), "claimflow data directory with the code store ($CLAIMFLOW_DATA_DIR)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the reports as JSON")
	cmd.Flags().BoolVar(&rules, "rules", false, "list the scrubber's rules and exit")
	return cmd
}
