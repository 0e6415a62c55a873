package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "claimflow",
		Short: "Medical-billing EDI pipeline: X12 837P claims out, 999/TA1/277CA/835 back",
		Long: `claimflow builds and checks X12 837P claims, sends them to clearinghouses over SFTP,
reads back the acknowledgements (TA1, 999, 277CA) and remittances (835), and posts
payments and denials to accounts.

Patient data (names, member ids, birth dates) is masked in all output unless a
command is given --show-phi.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// The main job, then the pipeline's commands in flow order, then the tools.
	root.AddCommand(newDemoCommand(), newServeCommand(), newWorkerCommand())
	root.AddCommand(newClaimsCommand(), newSubmitCommand(), newFetchCommand(), newPostCommand(), newSecondaryCommand())
	root.AddCommand(newQueueCommand(), newRemitsCommand(), newReportCommand())
	root.AddCommand(newX12Command(), newCodesCommand(), newConnectorsCommand(), newSimulateCommand())
	root.AddCommand(newMigrateCommand(), newConfigCommand(), newBenchCommand())
	return root
}

// defaultDataDir is where claimflow keeps its local data unless told otherwise:
// $CLAIMFLOW_DATA_DIR, else ~/.claimflow.
func defaultDataDir() string {
	if d := os.Getenv("CLAIMFLOW_DATA_DIR"); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".claimflow")
	}
	return ".claimflow"
}
