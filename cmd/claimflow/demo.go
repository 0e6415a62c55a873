package main

import (
	"errors"
	"fmt"
	"github.com/claimflow/claimflow/internal/heapfloor"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/claimflow/claimflow/connectors/connection"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/storage"
	"github.com/spf13/cobra"

	// The stages outside package pipeline register themselves.
	_ "github.com/claimflow/claimflow/pipeline/all" // every stage
)

// demoFlags are the flags of `claimflow demo`.
type demoFlags struct {
	claims         int
	seed           uint64
	keep           string
	database       string
	badShare       float64
	secondaryShare float64
	timeout        time.Duration
	verbose        bool
	prof           demoProfiles
}

// demoChunk is how many claims the demo generates and takes in at a time: memory
// stays bounded whatever --claims says.
const demoChunk = 5000

func newDemoCommand() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole loop on synthetic claims: scrub, send, acknowledgements, 835s, posting, secondary claims",
		Long: `demo runs claimflow end to end on this machine with nothing installed: a temporary data
directory with an SQLite database, an embedded NATS server, and the clearinghouse
simulator on a loopback port (its host key pinned in the data directory's known_hosts).
It generates synthetic claims (fake patients, real code shapes, valid NPIs, single and
dual coverage, and a share of deliberately bad claims), takes them in, and lets every
stage run: scrub, batch into 837P files, upload over SFTP, TA1/999/277CA, 835 posting
to the ledger, secondary claims and their 835. Then it prints the summary: claims
paid, denied, rejected with their top reasons, dollars, work queues, aging, and the
clean-claim and first-pass acceptance rates.

--keep DIR keeps the data directory, so that every other command can be tried on it
(CLAIMFLOW_DATA_DIR=DIR claimflow report summary). Patient data never appears in the
output.

--database postgres://... runs the same loop on PostgreSQL instead of SQLite: a
database (or a schema, with search_path in the URL) that holds no claims yet. It is
migrated first, and keeps what the demo wrote. Keep a password out of the command
line: PGPASSWORD or ~/.pgpass serve.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.claims, "claims", 1000, "number of claims")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the claims and of the simulator's choices")
	fl.StringVar(&f.keep, "keep", "", "keep the data directory here (a new or empty directory)")
	fl.StringVar(&f.database, "database", "", "run on this PostgreSQL database (postgres://...) instead of a new SQLite file: it must hold no claims, and keeps what the demo wrote")
	fl.Float64Var(&f.badShare, "bad-share", 0.05, "share of deliberately bad claims, 0 to 1")
	fl.Float64Var(&f.secondaryShare, "secondary-share", 0.2, "share of claims whose patient has a secondary coverage, 0 to 1")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "give up when the loop has not finished by then")
	fl.BoolVar(&f.verbose, "verbose", false, "log what the stages do (ids and counts)")
	f.prof.flags(fl)
	return cmd
}

// demoResult is what a demo run did, for its summary and its test.
type demoResult struct {
	plan    fixtures.Plan
	summary storage.Summary
	aging   storage.AgingTable
	took    time.Duration
	busy    time.Duration // how long the database writer was held in all (SQLite; 0 on PostgreSQL)
	rounds  int
	stuck   map[storage.ClaimState]int64 // claims still in flight when the demo gave up
}

func runDemo(cmd *cobra.Command, f *demoFlags) error {
	out := cmd.OutOrStdout()
	if err := checkPasswordFlag(f.database); err != nil {
		return err
	}
	dataDir, cleanup, err := demoDataDir(f.keep)
	if err != nil {
		return err
	}
	defer cleanup()
	terminal := false
	if file, ok := out.(*os.File); ok {
		terminal = connection.IsTerminal(file)
	}
	floor, err := heapfloor.FromEnv(heapfloor.Default)
	if err != nil {
		return err
	}
	defer heapfloor.Start(floor)()
	stopProf, err := f.prof.start()
	if err != nil {
		return err
	}
	res, err := demo(cmd.Context(), f, dataDir, newProgress(out, terminal), quietLogger(cmd.ErrOrStderr(), f.verbose))
	if perr := stopProf(); err == nil && perr != nil {
		err = perr
	}
	if err != nil {
		return err
	}
	if err := printDemo(out, res); err != nil {
		return err
	}
	if f.database != "" {
		// The claims are in the database given, the data directory (its simulator and
		// keys) is only kept with --keep. The URL is printed without its password.
		shown := "the --database URL"
		if u, err := url.Parse(f.database); err == nil {
			shown = u.Redacted()
		}
		fmt.Fprintf(out, "\nThe claims stay in the database. Point other commands at it:\n")
		fmt.Fprintf(out, "  export %s='%s'\n  claimflow report summary\n  claimflow report aging\n", databaseEnv, shown)
		if f.keep != "" {
			fmt.Fprintf(out, "The data directory (the simulator's files, keys, claimflow.yaml) is kept in %s.\n", dataDir)
		}
	} else if f.keep != "" {
		fmt.Fprintf(out, "\nThe data directory is kept in %s. Point other commands at it:\n", dataDir)
		fmt.Fprintf(out, "  export CLAIMFLOW_DATA_DIR=%s\n  claimflow report summary\n  claimflow report aging\n", dataDir)
		fmt.Fprintf(out, "(The simulator stopped with the demo; %s names it.)\n", filepath.Join(dataDir, "connections.yaml"))
	}
	if len(res.stuck) > 0 {
		return fmt.Errorf("demo: %d claims still in flight after %d rounds: %v", sum(res.stuck), res.rounds, res.stuck)
	}
	return nil
}

// demoDataDir returns the data directory to use and what to do at the end: a
// temporary directory removed afterwards, or --keep's, which must be new or empty.
func demoDataDir(keep string) (string, func(), error) {
	if keep == "" {
		dir, err := os.MkdirTemp("", "claimflow-demo-")
		if err != nil {
			return "", nil, fmt.Errorf("creating a temporary data directory: %w", err)
		}
		return dir, func() { os.RemoveAll(dir) }, nil
	}
	abs, err := filepath.Abs(keep)
	if err != nil {
		return "", nil, fmt.Errorf("--keep %s: %w", keep, err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", nil, fmt.Errorf("--keep %s: %w", keep, err)
	}
	if len(entries) > 0 {
		return "", nil, fmt.Errorf("--keep %s: the directory is not empty; give a new or empty one", keep)
	}
	return abs, func() {}, nil
}

// printDemo prints what the demo planted and the summary, the aging table and the
// throughput. It prints counts, codes and amounts only, never patient data.
func printDemo(w io.Writer, r *demoResult) error {
	fmt.Fprintf(w, "\n%d synthetic claims, %d with a secondary coverage; %d planted bad:", r.plan.Claims, r.plan.Secondary, r.plan.Bad())
	for _, d := range fixtures.Defects() {
		if n := r.plan.Defects[d]; n > 0 {
			who := "scrubber"
			if !d.Scrubbed() {
				who = "payer 277CA"
			}
			fmt.Fprintf(w, " %d %s (%s)", n, d, who)
		}
	}
	fmt.Fprintf(w, "\n\n")
	if err := writeSummary(w, r.summary); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := writeAging(w, r.aging); err != nil {
		return err
	}
	secs := r.took.Seconds()
	busy := ""
	if r.busy > 0 {
		busy = fmt.Sprintf("; the database writer busy %.0f%% of it", 100*r.busy.Seconds()/secs)
	}
	fmt.Fprintf(w, "\n%d claims through the whole loop in %v (%.0f claims/s, %d rounds of batch and fetch%s)\n",
		r.plan.Claims, r.took.Round(10*time.Millisecond), float64(r.plan.Claims)/secs, r.rounds, busy)
	return nil
}
