package main

import (
	"fmt"
	"os"

	"github.com/claimflow/claimflow/edi/codes"
	"github.com/spf13/cobra"
)

func newCodesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "codes",
		Short: "Load and inspect the code sets the claim scrubber checks against",
		Long: `Code sets are not bundled with claimflow: load the official release files as their
publishers ship them (CMS ICD-10-CM code-descriptions zip, CMS HCPCS alpha-numeric file as
xlsx or fixed-width text, the CMS place-of-service list, the NUCC taxonomy CSV). Without
them the scrubber checks code formats only. CPT is AMA-licensed: claimflow never stores it.`,
	}
	var dataDir string
	load := &cobra.Command{
		Use:   "load FILE...",
		Short: "Load official code-set release files into the local code store",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(dataDir, 0o750); err != nil {
				return fmt.Errorf("creating data directory: %w", err)
			}
			store := codes.StorePath(dataDir)
			sums, err := codes.Update(store, args...)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, s := range sums {
				fmt.Fprintf(out, "%s: %s, %d codes\n", s.Path, s.Release, s.Codes)
			}
			fmt.Fprintf(out, "code store: %s\n", store)
			return nil
		},
	}
	load.Flags().StringVar(&dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")
	status := &cobra.Command{
		Use:   "status",
		Short: "List the code-set releases loaded in the local code store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := codes.Open(codes.StorePath(dataDir))
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, r := range set.Loaded() {
				fmt.Fprintf(out, "%s\t%s\t%d codes\n", r.Kind, r.Name, r.Codes)
			}
			return nil
		},
	}
	status.Flags().StringVar(&dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")
	cmd.AddCommand(load, status)
	return cmd
}
