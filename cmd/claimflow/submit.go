package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/connectors/connection"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/spf13/cobra"
)

// oneShot holds what the one-shot pipeline commands (submit, fetch) share: where
// the configuration, the data directory and the database are, and which
// clearinghouse to work on.
type oneShot struct {
	config, dataDir, database, clearinghouse string
	cfg                                      *config.Config // once open has read it
}

func (o *oneShot) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.config, "config", "", "configuration file (default $"+config.EnvConfig+", else none: defaults)")
	fl.StringVar(&o.dataDir, "data-dir", "", "data directory (default the configuration's data_dir)")
	fl.StringVar(&o.database, "database", "", "database URL (default the configuration's database.url, else claimflow.db in the data directory)")
	fl.StringVar(&o.clearinghouse, "clearinghouse", "", "work on this configured clearinghouse only (default every one)")
}

// open reads the configuration, opens the database and the clearinghouses, and
// returns the env and the clearinghouses to work on, in name order.
func (o *oneShot) open(cmd *cobra.Command) (*pipeline.Env, []string, func(), error) {
	path := o.config
	if path == "" {
		path = os.Getenv(config.EnvConfig)
	}
	cfg, err := config.Load(path, os.Environ())
	if err != nil {
		return nil, nil, nil, err
	}
	o.cfg = cfg
	dataDir := o.dataDir
	if dataDir == "" {
		dataDir = cfg.DataDir
	}
	dsn := o.database
	if dsn == "" {
		dsn = cfg.Database.URL
	}
	if err := checkPasswordFlag(o.database); err != nil {
		return nil, nil, nil, err
	}
	ctx := cmd.Context()
	st, err := openDatabase(ctx, dsn, dataDir)
	if err != nil {
		return nil, nil, nil, err
	}
	closeStore := func() { st.Close(context.Background()) }
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: max(cfg.Log.Level, slog.LevelWarn)}))
	chs, err := pipeline.ClearinghousesFromConfig(ctx, cfg, st, connection.Env{
		ConfigPath: filepath.Join(dataDir, "connections.yaml"), KnownHosts: filepath.Join(dataDir, "known_hosts"), Logger: log})
	if err != nil {
		closeStore()
		return nil, nil, nil, err
	}
	var names []string
	for _, c := range cfg.Clearinghouses {
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		closeStore()
		return nil, nil, nil, errors.New("no clearinghouse is configured (clearinghouses: in the configuration file)")
	}
	def := names[0] // claims of payers that name no clearinghouse go through the first one
	if o.clearinghouse != "" {
		if !slices.Contains(names, o.clearinghouse) {
			closeStore()
			return nil, nil, nil, fmt.Errorf("no clearinghouse %q in the configuration (have %s)", o.clearinghouse, strings.Join(names, ", "))
		}
		names = []string{o.clearinghouse}
	}
	top, err := bus.NewTopology(cfg.NATS.Namespace)
	if err != nil {
		closeStore()
		return nil, nil, nil, err
	}
	env := &pipeline.Env{Store: st, Topology: top, Clearinghouses: chs, DataDir: dataDir, Logger: log,
		DefaultClearinghouse: def}
	return env, names, closeStore, nil
}

func newSubmitCommand() *cobra.Command {
	var o oneShot
	var sub submitterFlags
	cmd := &cobra.Command{
		Use:   "submit [--clearinghouse NAME]",
		Short: "Batch the ready claims into 837P files and upload them, once (for cron)",
		Long: `submit does one submission run, for system cron or a Kubernetes CronJob, for every
configured clearinghouse (or the one named): it builds the claims that are ready
(validated by the scrubber, or re-billed to a later payer) into 837P files of at most
5,000 claims, each with the next interchange control number (ISA13) of our sender kept
in the database, and uploads every file built and not sent yet (this run's and any an
earlier run left), each exactly once: a run stopped between an upload and its record
finds the file on the server and only records it. Uploaded claims are transmitted and
their charges posted to the ledger.

It prints one line per file: clearinghouse, file name, claims, ISA13, bytes. The
messages it leaves for later stages (none are needed to finish its own work) are
published by a running "claimflow serve".

The submitter (837P 1000A) is the configuration's submitter (name, id and the EDI
contact, phone or e-mail), each overridable with --submitter-*; the interchange ids come
from the clearinghouse profile's envelope (isa05, isa06, gs02 in connections.yaml), else
the submitter id.

Exit status: 0 when every file was sent (or there was nothing to send), 2 otherwise.

Example:
  claimflow submit --config /etc/claimflow/claimflow.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			env, names, done, err := o.open(cmd)
			if err != nil {
				return err
			}
			defer done()
			env.Submitter = sub.party(cmd.Flags(), o.cfg.Submitter)
			if env.Submitter.Contact.Phone == "" && env.Submitter.Contact.Email == "" {
				return errors.New("the 837P needs the submitter's EDI contact: set submitter.phone or submitter.email in the configuration, or give --submitter-phone or --submitter-email")
			}
			return submitRun(cmd.Context(), cmd.OutOrStdout(), env, names)
		},
	}
	o.register(cmd)
	sub.register(cmd.Flags())
	return cmd
}

// submitRun batches and uploads for each clearinghouse; it goes on with the others
// when one fails, and returns the failures joined.
func submitRun(ctx context.Context, out io.Writer, env *pipeline.Env, names []string) error {
	var errs []error
	for _, name := range names {
		built, err := pipeline.Batch(ctx, env, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("batching for %s: %w", name, err))
		}
		if len(built) > 0 {
			fmt.Fprintf(out, "%s: %d files built\n", name, len(built))
		}
		sent, err := pipeline.SubmitPending(ctx, env, name)
		for _, r := range sent {
			how := "sent"
			if r.Earlier {
				how = "on the server already (recorded now)"
			}
			fmt.Fprintf(out, "%s  %s  %d claims  ISA13 %s  %d bytes  %s\n", r.Clearinghouse, r.Name, r.Claims, r.ISA13, r.Bytes, how)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("submitting to %s: %w", name, err))
		}
		if len(built) == 0 && len(sent) == 0 && err == nil {
			fmt.Fprintf(out, "%s: no claims ready, nothing to send\n", name)
		}
	}
	return errors.Join(errs...)
}
