package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/connectors/connection"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/pipeline/ops"
	"github.com/claimflow/claimflow/pipeline/schedule"
	"github.com/claimflow/claimflow/storage"
)

// DatabaseFile is the SQLite database's name in the data directory, used when the
// configuration names no database.
const DatabaseFile = "claimflow.db"

// Options say what a process runs.
type Options struct {
	// Config is the checked configuration (config.Load).
	Config *config.Config
	// Role names the process in logs and in NATS monitoring: "serve", "worker".
	Role string
	// Stages to consume; nil means every stage this build has (pipeline.Available).
	Stages []bus.Stage
	// Migrate applies pending migrations when the store opens; otherwise an
	// outdated schema stops the start with storage.ErrSchemaOutdated.
	Migrate bool
	// Namespace of the bus (default bus.DefaultNamespace): installations sharing
	// a NATS cluster, and tests, use their own.
	Namespace string
	// NoSchedules leaves the schedules and the alarm to other processes.
	NoSchedules bool
	// HTTP serves /metrics, /healthz and /readyz on Config.HTTP.Listen.
	HTTP bool
	// Submitter is us in the 837P files (1000A); the batch stage refuses to build
	// files without its EDI contact.
	Submitter x837p.Party
	// Logger gets ids and counts, never PHI; slog.Default when nil.
	Logger *slog.Logger
	// Scheduler options, for tests (a manual clock, a short leader TTL).
	ScheduleOptions []schedule.Option
	// Relay options, for tests (a short interval).
	RelayOptions []bus.RelayOption
}

// App is one assembled process. Run it once, or Close it if it never runs.
type App struct {
	Store     *storage.Store
	Bus       *bus.Bus
	Env       *pipeline.Env
	Runner    *pipeline.Runner
	Scheduler *schedule.Scheduler // nil with Options.NoSchedules
	Metrics   *ops.Metrics
	HTTP      *ops.Server // nil without Options.HTTP

	opts     Options
	log      *slog.Logger
	embedded *bus.EmbeddedServer
	stages   []bus.Stage
	dsn      string

	closeOnce sync.Once
	closeErr  error
}

// New assembles the process: it opens everything Run needs, or closes what it
// opened and returns the error.
func New(ctx context.Context, o Options) (a *App, err error) {
	if o.Config == nil {
		return nil, errors.New("starting claimflow: no configuration")
	}
	if o.Role == "" {
		o.Role = "claimflow"
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	a = &App{opts: o, log: log}
	defer func() {
		if err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = a.Close(cctx)
			a = nil
		}
	}()
	cfg := o.Config
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return a, fmt.Errorf("creating data directory: %w", err)
	}

	a.dsn = cfg.Database.URL
	if a.dsn == "" {
		a.dsn = "sqlite://" + filepath.Join(cfg.DataDir, DatabaseFile)
	}
	var sopts []storage.Option
	if o.Migrate {
		sopts = append(sopts, storage.MigrateOnOpen())
	}
	if a.Store, err = storage.Open(ctx, a.dsn, sopts...); err != nil {
		return a, fmt.Errorf("opening the database: %w", err)
	}

	if err := a.connectBus(ctx); err != nil {
		return a, err
	}

	chs, err := pipeline.ClearinghousesFromConfig(ctx, cfg, a.Store, connection.Env{
		ConfigPath: filepath.Join(cfg.DataDir, "connections.yaml"),
		KnownHosts: filepath.Join(cfg.DataDir, "known_hosts"),
		Logger:     log,
	})
	if err != nil {
		return a, fmt.Errorf("setting up clearinghouses: %w", err)
	}
	if a.Metrics, err = ops.NewMetrics(ops.WithCounts(a.Store)); err != nil {
		return a, err
	}
	a.Env = &pipeline.Env{
		Store:          a.Store,
		Topology:       a.Bus.Topology(),
		Clearinghouses: chs,
		DataDir:        cfg.DataDir,
		Logger:         log,
		Observer:       a.Metrics,
		Submitter:      o.Submitter,
	}
	if len(cfg.Clearinghouses) > 0 {
		// Claims of payers that name no clearinghouse go through the first one, as
		// with the one-shot commands.
		a.Env.DefaultClearinghouse = cfg.Clearinghouses[0].Name
	}
	if a.Runner, err = pipeline.NewRunner(a.Env, a.Bus, o.RelayOptions...); err != nil {
		return a, err
	}
	a.stages = o.Stages
	if len(a.stages) == 0 {
		a.stages = pipeline.Available()
	}
	if len(a.stages) == 0 {
		return a, errors.New("starting claimflow: this build has no stage")
	}
	if err := pipeline.RegisterAll(a.Runner, a.Env, a.stages); err != nil {
		return a, err
	}
	if !o.NoSchedules {
		if a.Scheduler, err = schedule.New(a.Env, a.Bus, o.ScheduleOptions...); err != nil {
			return a, err
		}
		sched := a.Scheduler
		a.Metrics.Gauge("claimflow_schedule_leader", "1 while this process runs the schedules and the alarm, else 0.", func() float64 {
			if sched.IsLeader() {
				return 1
			}
			return 0
		})
	}
	if o.HTTP {
		h := ops.Handler(a.Metrics, ops.StoreCheck(a.Store), ops.BusCheck(a.Bus))
		if a.HTTP, err = ops.Listen(cfg.HTTP.Listen, h); err != nil {
			return a, err
		}
	}
	return a, nil
}

// connectBus starts the embedded server when configured, and connects.
func (a *App) connectBus(ctx context.Context) error {
	n := a.opts.Config.NATS
	host, _ := os.Hostname()
	bc := bus.Config{
		Name:            fmt.Sprintf("claimflow %s %s:%d", a.opts.Role, host, os.Getpid()),
		Namespace:       a.opts.Namespace,
		Replicas:        n.Replicas,
		DuplicateWindow: n.DuplicateWindow,
		AckWait:         n.AckWait,
		BackOff:         n.BackOff,
		MaxDeliver:      n.MaxDeliver,
		Logger:          a.log,
	}
	if n.Embedded {
		dir := filepath.Join(a.opts.Config.DataDir, "nats")
		srv, err := bus.Embedded(ctx, dir, bus.WithoutListener(), bus.WithServerLogger(warnOnly(a.log)))
		if err != nil {
			return err
		}
		a.embedded = srv
		bc.Embedded = srv
		bc.Replicas = 1
	} else {
		bc.URLs = n.URLs
		bc.CredsFile = n.CredsFile
		bc.User, bc.Password = n.User, n.Password
		bc.CAFile, bc.CertFile, bc.KeyFile = n.TLS.CAFile, n.TLS.CertFile, n.TLS.KeyFile
	}
	b, err := bus.Connect(ctx, bc)
	if err != nil {
		return err
	}
	a.Bus = b
	return nil
}

// Stages returns the stages the process consumes.
func (a *App) Stages() []bus.Stage { return a.stages }

// Describe says in one line what the process runs and where, without secrets:
// the stages, the relay, the schedules, the HTTP address, the database and the
// bus.
func (a *App) Describe() string {
	var parts []string
	names := make([]string, len(a.stages))
	for i, s := range a.stages {
		names[i] = string(s)
	}
	parts = append(parts, "stages "+strings.Join(names, ","), "outbox relay")
	if a.Scheduler != nil {
		parts = append(parts, "schedules (leader-elected) "+strings.Join(a.Scheduler.Jobs(), ","))
	}
	if a.HTTP != nil {
		parts = append(parts, "http "+a.HTTP.Addr()+" (/metrics /healthz /readyz)")
	}
	parts = append(parts, "database "+a.Store.String())
	n := a.opts.Config.NATS
	ns := a.Bus.Topology().Namespace()
	if a.embedded != nil {
		parts = append(parts, fmt.Sprintf("bus embedded NATS in %s, namespace %s", filepath.Join(a.opts.Config.DataDir, "nats"), ns))
	} else {
		parts = append(parts, fmt.Sprintf("bus %s, namespace %s", strings.Join(n.URLs, ","), ns))
	}
	return "claimflow " + a.opts.Role + ": " + strings.Join(parts, "; ")
}

// shutdownTimeout bounds how long Run waits for the consumers to drain and
// everything to close once its context ends.
const shutdownTimeout = 30 * time.Second

// Run runs the stages, the relay, the schedules and the HTTP server until ctx
// ends, then drains the consumers, closes everything and returns nil. When a
// part fails (a consumer, the relay, the HTTP server), it stops the others and
// returns that error.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	var (
		mu    sync.Mutex
		first error
	)
	fail := func(err error) {
		if err != nil {
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
			cancel(err)
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		fail(a.Runner.Run(ctx))
	}()
	if a.Scheduler != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail(a.Scheduler.Run(ctx))
		}()
	}
	if a.HTTP != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case err := <-a.HTTP.Done():
				if err != nil {
					fail(fmt.Errorf("serving HTTP: %w", err))
				}
			case <-ctx.Done():
			}
		}()
	}
	<-ctx.Done()
	a.log.Info("stopping: draining the consumers")
	wg.Wait()
	cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer ccancel()
	closeErr := a.Close(cctx)
	mu.Lock()
	defer mu.Unlock()
	if first != nil {
		return first
	}
	return closeErr
}

// Close stops the HTTP server and closes the bus, the embedded server and the
// store, in that order. It is idempotent.
func (a *App) Close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		var errs []error
		if a.HTTP != nil {
			errs = append(errs, a.HTTP.Shutdown(ctx))
		}
		if a.Bus != nil {
			errs = append(errs, a.Bus.Close(ctx))
		}
		if a.embedded != nil {
			errs = append(errs, a.embedded.Shutdown(ctx))
		}
		if a.Store != nil {
			errs = append(errs, a.Store.Close(ctx))
		}
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

// warnOnly passes on warnings and errors only: the embedded server's notices
// are for its own operators, not ours.
func warnOnly(l *slog.Logger) *slog.Logger {
	return slog.New(levelHandler{l.Handler(), slog.LevelWarn})
}

type levelHandler struct {
	slog.Handler
	min slog.Level
}

// Enabled reports whether l is at least the handler's minimum and the inner
// handler's.
func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// WithAttrs keeps the minimum level.
func (h levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return levelHandler{h.Handler.WithAttrs(as), h.min}
}

// WithGroup keeps the minimum level.
func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{h.Handler.WithGroup(name), h.min}
}
