package storage

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// analyzeEvery is how often the analyzer looks for tables whose statistics are out
// of date (PostgreSQL). The look is one read of pg_stat_user_tables.
const analyzeEvery = 15 * time.Second

// analyzer keeps the planner's statistics of claimflow's tables current on
// PostgreSQL when autovacuum does not: where it is off for the server (autovacuum =
// off, as on CI machines that want quiet timings) or for a table (autovacuum_enabled
// = false). Where autovacuum runs it finds nothing to do.
//
// Without statistics the planner guesses: a claim id or number looked up among
// thousands picks out half a percent of a table, so it reads every row instead of
// probing the index. The tables grow from nothing to millions of rows in a few
// nightly runs, and every stage looks its claims up a group at a time: a
// 100,000-claim demo on a server with autovacuum off took 6 min 36 s, its secondary
// stage summing the whole ledger (1.27 million entries) for every message of 86
// claims; analyzing as autovacuum would have brought it to 1 min 53 s.
//
// It analyzes the tables of the store's schema (current_schema(), the first of the
// URL's search_path) whose rows changed since their last analysis by more than
// autovacuum's own threshold (autovacuum_analyze_threshold +
// autovacuum_analyze_scale_factor × rows: 50 + 10 % by default), as autovacuum
// would. Processes sharing the database take turns (an advisory lock): one
// analyzes, the others skip that round.
type analyzer struct {
	db       *sqlx.DB
	cancel   context.CancelFunc
	done     chan struct{}
	once     sync.Once
	rounds   atomic.Int64 // rounds run
	analyzed atomic.Int64 // tables analyzed in all
}

// analyzeLock is the key of the advisory lock analyzers take turns with.
const analyzeLock = 0x636c61696d666c6f // "claimflo"

// staleTables lists the tables of the current schema that autovacuum leaves alone
// and whose statistics are out of date by autovacuum's measure.
const staleTables = `SELECT s.schemaname, s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
	WHERE s.schemaname = current_schema()
		AND (current_setting('autovacuum') = 'off' OR c.reloptions @> ARRAY['autovacuum_enabled=false'])
		AND s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
			+ current_setting('autovacuum_analyze_scale_factor')::float8 * GREATEST(c.reltuples, 0)
	ORDER BY s.n_mod_since_analyze DESC`

func startAnalyzer(db *sqlx.DB) *analyzer {
	ctx, cancel := context.WithCancel(context.Background())
	a := &analyzer{db: db, cancel: cancel, done: make(chan struct{})}
	go a.run(ctx)
	return a
}

func (a *analyzer) run(ctx context.Context) {
	defer close(a.done)
	t := time.NewTicker(analyzeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := a.analyze(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("analyzing claimflow's tables", "err", err)
		}
	}
}

// analyze runs one round and returns the tables it analyzed.
func (a *analyzer) analyze(ctx context.Context) ([]string, error) {
	a.rounds.Add(1)
	tx, err := a.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("analyzing: %w", err)
	}
	defer tx.Rollback()
	var mine bool
	if err := tx.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock($1)", int64(analyzeLock)).Scan(&mine); err != nil {
		return nil, fmt.Errorf("analyzing: %w", err)
	}
	if !mine {
		return nil, nil // another process is at it
	}
	rows, err := tx.QueryContext(ctx, staleTables)
	if err != nil {
		return nil, fmt.Errorf("finding tables to analyze: %w", err)
	}
	var names [][2]string
	for rows.Next() {
		var n [2]string
		if err := rows.Scan(&n[0], &n[1]); err != nil {
			rows.Close()
			return nil, fmt.Errorf("finding tables to analyze: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("finding tables to analyze: %w", err)
	}
	var done []string
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, "ANALYZE "+pq.QuoteIdentifier(n[0])+"."+pq.QuoteIdentifier(n[1])); err != nil {
			return done, fmt.Errorf("analyzing %s: %w", n[1], err)
		}
		done = append(done, n[1])
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("analyzing: %w", err)
	}
	a.analyzed.Add(int64(len(done)))
	return done, nil
}

// close stops the analyzer; a round under way is cancelled.
func (a *analyzer) close() {
	a.once.Do(func() {
		a.cancel()
		<-a.done
	})
}

// Analyze brings the planner's statistics of the tables autovacuum leaves alone up
// to date now, as the store does every 15 s on its own on PostgreSQL (see
// analyzer), and returns the tables it analyzed; it does nothing on SQLite, whose
// planner needs no statistics for claimflow's lookups. For a bulk load followed at
// once by its use: the remit benchmark's claims, stored seconds before they are
// paid.
func (s *Store) Analyze(ctx context.Context) ([]string, error) {
	if s.analyze == nil {
		return nil, nil
	}
	return s.analyze.analyze(ctx)
}
