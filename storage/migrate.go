package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// The schema is the series of files migrations/NNNN_name.sql, applied in order, each
// in its own transaction, and recorded in schema_migrations. A file is written once
// for both drivers: it is a text/template whose {{.ID}}, {{.Time}}, {{.Date}},
// {{.JSON}} and {{.Bytes}} name the column types of the driver (see dialect.go), and
// {{if eq .Driver "postgres"}} ... {{end}} holds what only one engine can do. A
// migration, once released, is never edited: change the schema with a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Version   int
	Name      string    // from the file name: 0003_exchange.sql is "exchange"
	AppliedAt time.Time // zero while pending
	sql       string    // the template
}

// Migrations lists the migrations built into this binary, in order.
func Migrations() []Migration {
	ms, err := loadMigrations()
	if err != nil {
		panic(err) // the embedded files are checked by the tests
	}
	return ms
}

func loadMigrations() ([]Migration, error) {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || len(num) != 4 || v < 1 {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", f)
		}
		b, err := migrationFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: want version %d (no gaps, no repeats)", m.Version, m.Name, i+1)
		}
	}
	return ms, nil
}

// render fills the migration's template with the driver's column types.
func (m Migration) render(d *dialect) (string, error) {
	t, err := template.New(m.Name).Option("missingkey=error").Parse(m.sql)
	if err != nil {
		return "", fmt.Errorf("parsing migration %04d_%s: %w", m.Version, m.Name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, d.types); err != nil {
		return "", fmt.Errorf("rendering migration %04d_%s: %w", m.Version, m.Name, err)
	}
	return b.String(), nil
}

// SchemaStatus says which migrations a database has.
type SchemaStatus struct {
	// Current is the highest version applied, 0 for an empty database.
	Current int
	// Latest is the highest version this binary knows.
	Latest int
	// Migrations are this binary's migrations, with when each was applied.
	Migrations []Migration
	// Unknown are versions applied to the database that this binary does not know:
	// a newer claimflow migrated it.
	Unknown []int
}

// Pending returns the migrations not applied yet.
func (s SchemaStatus) Pending() []Migration {
	var p []Migration
	for _, m := range s.Migrations {
		if m.AppliedAt.IsZero() {
			p = append(p, m)
		}
	}
	return p
}

// UpToDate reports whether the database has exactly this binary's migrations.
func (s SchemaStatus) UpToDate() bool { return len(s.Pending()) == 0 && len(s.Unknown) == 0 }

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  %s NOT NULL
)`

// SchemaStatus reads which migrations the database has.
func (s *Store) SchemaStatus(ctx context.Context) (SchemaStatus, error) {
	ms, err := loadMigrations()
	if err != nil {
		return SchemaStatus{}, err
	}
	st := SchemaStatus{Latest: len(ms), Migrations: ms}
	exists, err := s.hasMigrationsTable(ctx)
	if err != nil || !exists {
		return st, err
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT version, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		return st, fmt.Errorf("reading schema version of %s: %w", s.display, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		var at time.Time
		if err := rows.Scan(&v, timeDest{&at}); err != nil {
			return st, fmt.Errorf("reading schema version of %s: %w", s.display, err)
		}
		if v >= 1 && v <= len(ms) {
			st.Migrations[v-1].AppliedAt = at
		} else {
			st.Unknown = append(st.Unknown, v)
		}
		st.Current = max(st.Current, v)
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("reading schema version of %s: %w", s.display, err)
	}
	return st, nil
}

func (s *Store) hasMigrationsTable(ctx context.Context) (bool, error) {
	var q string
	switch s.driver {
	case Postgres:
		q = "SELECT to_regclass('schema_migrations') IS NOT NULL"
	default:
		q = "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
	}
	var ok bool
	if err := s.rdb.QueryRowContext(ctx, q).Scan(&ok); err != nil {
		return false, fmt.Errorf("reading schema version of %s: %w", s.display, err)
	}
	return ok, nil
}

// MigrateUp applies the pending migrations in order, each in its own transaction,
// and returns those it applied. Several processes may run it at once: PostgreSQL
// serializes them with an advisory lock per schema, SQLite with its write lock; a
// migration another process applied meanwhile is skipped.
func (s *Store) MigrateUp(ctx context.Context) ([]Migration, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := s.lockSchema(ctx, tx); err != nil {
			return err
		}
		_, err := tx.tx.ExecContext(ctx, fmt.Sprintf(migrationsTable, s.d.types.Time))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("creating schema_migrations in %s: %w", s.display, err)
	}
	var applied []Migration
	for _, m := range ms {
		text, err := m.render(s.d)
		if err != nil {
			return applied, err
		}
		did := false
		err = s.InTx(ctx, func(tx *Tx) error {
			if err := s.lockSchema(ctx, tx); err != nil {
				return err
			}
			var one int
			err := tx.tx.QueryRowContext(ctx, s.d.rebind("SELECT 1 FROM schema_migrations WHERE version = ?"), m.Version).Scan(&one)
			if err == nil {
				return nil // applied already
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if _, err := tx.tx.ExecContext(ctx, text); err != nil {
				return err
			}
			m.AppliedAt = s.now()
			_, err = tx.tx.ExecContext(ctx, s.d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
				m.Version, m.Name, m.AppliedAt)
			did = err == nil
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("applying migration %04d_%s to %s: %w", m.Version, m.Name, s.display, err)
		}
		if did {
			applied = append(applied, m)
		}
	}
	return applied, nil
}

// lockSchema serializes migrations of one PostgreSQL schema until the transaction
// ends (SQLite's write transaction already does).
func (s *Store) lockSchema(ctx context.Context, tx *Tx) error {
	if s.driver != Postgres {
		return nil
	}
	_, err := tx.tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(74310, hashtext(current_schema()))")
	return err
}

// checkSchema refuses a schema that is not this binary's, or migrates it.
func (s *Store) checkSchema(ctx context.Context, migrate bool) error {
	st, err := s.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	if len(st.Unknown) > 0 {
		return fmt.Errorf("%w: %s is at version %d, this claimflow knows up to %d: upgrade claimflow",
			ErrSchemaTooNew, s.display, st.Current, st.Latest)
	}
	if len(st.Pending()) == 0 {
		return nil
	}
	if migrate {
		_, err := s.MigrateUp(ctx)
		return err
	}
	return fmt.Errorf("%w: %s is at version %d, this claimflow needs version %d: run `claimflow migrate up` "+
		"(with CLAIMFLOW_DATABASE_URL or --database naming this database)",
		ErrSchemaOutdated, s.display, st.Current, st.Latest)
}
