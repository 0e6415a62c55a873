package storage

import (
	"context"
	"fmt"
)

// MigrateUpTo applies the migrations up to version, for tests of a migration that
// moves data: the database is filled at the version before, then MigrateUp runs.
func (s *Store) MigrateUpTo(ctx context.Context, version int) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, fmt.Sprintf(migrationsTable, s.d.types.Time)); err != nil {
			return err
		}
		for _, m := range ms[:version] {
			text, err := m.render(s.d)
			if err != nil {
				return err
			}
			if _, err := tx.tx.ExecContext(ctx, text); err != nil {
				return fmt.Errorf("migration %04d: %w", m.Version, err)
			}
			if _, err := tx.tx.ExecContext(ctx, s.d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
				m.Version, m.Name, s.now()); err != nil {
				return err
			}
		}
		return nil
	})
}

// QueryStrings runs q in the transaction and returns its rows' first column as
// text: for tests that read the planner's choices (EXPLAIN) and settings (SHOW).
func (t *Tx) QueryStrings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanColumn[string](rows)
}

// AnalyzeLock is the advisory lock the analyzers take turns with.
const AnalyzeLock = analyzeLock
