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
	root.AddCommand(newX12Command(), newCodesCommand(), newBenchCommand())
	root.AddCommand(newClaimsCommand())
	root.AddCommand(newConnectorsCommand())
	root.AddCommand(newSimulateCommand())
	root.AddCommand(newMigrateCommand())
	root.AddCommand(newConfigCommand())
	root.AddCommand(newQueueCommand())
	root.AddCommand(newSecondaryCommand())
	root.AddCommand(newSubmitCommand())
	root.AddCommand(newFetchCommand())
	root.AddCommand(newReportCommand())
	root.AddCommand(newPostCommand())
	root.AddCommand(newRemitsCommand())
	root.AddCommand(newServeCommand())
	root.AddCommand(newWorkerCommand())
	root.AddCommand(newDemoCommand())
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
