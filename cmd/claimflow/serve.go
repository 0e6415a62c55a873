package main

import (
	"cmp"
	"errors"
	"fmt"
	"github.com/claimflow/claimflow/internal/heapfloor"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/internal/app"
	"github.com/claimflow/claimflow/pipeline"
	_ "github.com/claimflow/claimflow/pipeline/all" // every stage
	"github.com/claimflow/claimflow/pipeline/bus"
)

// processFlags are the flags serve and worker share.
type processFlags struct {
	config    string
	namespace string
	migrate   bool
	http      string
	noSched   bool
	submitter submitterFlags
}

func (f *processFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "configuration file (default $"+config.EnvConfig+", else none: the embedded defaults)")
	fl.StringVar(&f.namespace, "namespace", "", "bus namespace: the prefix of every NATS subject, stream and bucket (default the configuration's nats.namespace)")
	fl.BoolVar(&f.migrate, "migrate", false, "apply pending database migrations at start (production runs `claimflow migrate up` instead)")
	fl.StringVar(&f.http, "http", "", "HTTP address of /metrics, /healthz and /readyz (serve: default http.listen; worker: default none); \"off\": none")
	fl.BoolVar(&f.noSched, "no-schedules", false, "leave the schedules and the acknowledgement alarm to other processes")
	f.submitter.register(fl)
}

func newServeCommand() *cobra.Command {
	var f processFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the whole pipeline in one process: every stage, the schedules, the alarm, HTTP",
		Long: `serve runs everything claimflow does in one process until SIGINT or SIGTERM: every
stage (scrub, batch, submit, fetch, classify, acks, remit, secondary), the outbox relay,
each clearinghouse's schedules (submit, poll, post) and the missing-acknowledgement
alarm, and HTTP on http.listen: /metrics (Prometheus), /healthz, /readyz.

With nothing configured it is the embedded default: the SQLite database claimflow.db and
a NATS server with JetStream under the data directory (~/.claimflow, or data_dir), the
schema created or upgraded at start. With a configured database it refuses an outdated
schema unless given --migrate.

On SIGINT or SIGTERM it stops taking work, lets the running handlers finish, and exits 0.`,
		Example: `  claimflow serve
  CLAIMFLOW_CONFIG=/etc/claimflow/claimflow.yaml claimflow serve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProcess(cmd, "serve", f, nil)
		},
	}
	f.register(cmd)
	return cmd
}

func newWorkerCommand() *cobra.Command {
	var f processFlags
	var stages string
	cmd := &cobra.Command{
		Use:   "worker [--stages scrub,batch,...]",
		Short: "Run some or all stages as one of many worker processes sharing a NATS cluster and PostgreSQL",
		Long: `worker runs the stages given (default all) as consumers of the bus, with the outbox
relay and the schedules, until SIGINT or SIGTERM. Any number of workers may run the same
stages: they share each stage's durable JetStream consumer, so every message is handled by
one of them. Only one process at a time, the leader (a NATS KV lock with a TTL), runs
the schedules and the alarm; another takes over within the TTL if it dies.

HTTP (/metrics, /healthz, /readyz) listens only when asked, with --http ADDR: several
workers on one machine (a systemd template) would otherwise all claim http.listen, which
serve uses. A worker never changes the database schema unless given --migrate.

On SIGINT or SIGTERM it stops taking work, lets the running handlers finish, and exits 0.

Stages: ` + strings.Join(stageNames(bus.Stages()), ", ") + `.`,
		Example: `  claimflow worker --config /etc/claimflow/claimflow.yaml
  claimflow worker --stages remit,secondary --http 0.0.0.0:9102 --no-schedules`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := parseStages(stages)
			if err != nil {
				return err
			}
			return runProcess(cmd, "worker", f, list)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&stages, "stages", "", "comma-separated stages to run (default all this build has)")
	return cmd
}

func stageNames(list []bus.Stage) []string {
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = string(s)
	}
	return names
}

// parseStages reads --stages: known stages this build has, each once.
func parseStages(v string) ([]bus.Stage, error) {
	var list []bus.Stage
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		s := bus.Stage(name)
		if !s.Valid() {
			return nil, fmt.Errorf("--stages: %w %q (stages: %s)", bus.ErrUnknownStage, name, strings.Join(stageNames(bus.Stages()), ", "))
		}
		if !slices.Contains(pipeline.Available(), s) {
			return nil, fmt.Errorf("--stages: stage %q is not in this build (it has %s)", name, strings.Join(stageNames(pipeline.Available()), ", "))
		}
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list, nil
}

// runProcess loads the configuration, assembles the process, prints what it
// runs, and runs it until SIGINT or SIGTERM (or the command's context) ends it.
func runProcess(cmd *cobra.Command, role string, f processFlags, stages []bus.Stage) error {
	stderr := cmd.ErrOrStderr()
	path := f.config
	if path == "" {
		path = os.Getenv(config.EnvConfig)
	}
	cfg, err := config.Load(path, os.Environ())
	if err != nil {
		var es config.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				fmt.Fprintln(stderr, "claimflow: config:", e)
			}
			return fmt.Errorf("%s: %d configuration problems", role, len(es))
		}
		return err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "claimflow: config: warning:", w)
	}
	// serve answers on http.listen unless told otherwise; a worker only when
	// given an address of its own.
	httpOn := f.http != "off" && (role == "serve" || f.http != "")
	if httpOn && f.http != "" {
		cfg.HTTP.Listen = f.http
	}
	// The embedded default migrates itself: nobody else will. A configured
	// database is migrated deliberately (claimflow migrate up, or --migrate).
	migrate := f.migrate || (role == "serve" && cfg.Database.URL == "")

	submitter := f.submitter.party(cmd.Flags(), cfg.Submitter)
	floor, err := heapfloor.FromEnv(heapfloor.Default)
	if err != nil {
		return err
	}
	defer heapfloor.Start(floor)()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := newProcessLogger(stderr, cfg.Log).With("role", role)
	a, err := app.New(ctx, app.Options{
		Config: cfg, Role: role, Stages: stages, Migrate: migrate, Namespace: cmp.Or(f.namespace, cfg.NATS.Namespace),
		NoSchedules: f.noSched, HTTP: httpOn, Logger: log, Submitter: submitter,
	})
	if err != nil {
		return fmt.Errorf("starting %s: %w", role, err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), a.Describe())
	if slices.Contains(a.Stages(), bus.Batch) && submitter.Contact.Phone == "" && submitter.Contact.Email == "" {
		fmt.Fprintln(stderr, "claimflow: warning: no submitter.phone or submitter.email (or --submitter-phone, --submitter-email): the batch stage will refuse to build 837P files")
	}
	if err := a.Run(ctx); err != nil {
		return fmt.Errorf("%s: %w", role, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "claimflow %s: stopped\n", role)
	return nil
}

// newProcessLogger logs at the configured level and format.
func newProcessLogger(w io.Writer, c config.Log) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
