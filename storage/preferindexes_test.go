package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestPreferIndexes fills PostgreSQL with 40,000 claims of two lines each and looks
// up the lines of 2,000 of them by one array, as posting an 835 group does: in a
// transaction that called PreferIndexes the planner reads claim_lines by index, and
// the setting ends with the transaction. It also checks that every statement-level
// reference check (the *_check_references trigger functions) turns sequential scans
// off for itself (migration 0016).
func TestPreferIndexes(t *testing.T) {
	t.Parallel()
	st := testenv.Postgres(t)
	ctx := context.Background()
	db := st.DB()
	if _, err := db.ExecContext(ctx, `INSERT INTO claims (pcn, state, frequency, charge, created_at, updated_at)
		SELECT 'P' || g, 'transmitted', '1', 10000, now(), now() FROM generate_series(1, 40000) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO claim_lines (claim_id, line_number, control_number, procedure_code, charge, units)
		SELECT c.id, n, c.pcn || '-' || n, '99213', 5000, 1 FROM claims c CROSS JOIN generate_series(1, 2) n`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "ANALYZE claims; ANALYZE claim_lines"); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for id := int64(1); id <= 40000; id += 20 {
		ids = append(ids, id)
	}
	const lookup = "EXPLAIN SELECT id FROM claim_lines WHERE claim_id = ANY($1)"
	plan := func(prefer bool) string {
		t.Helper()
		var lines []string
		err := st.InTx(ctx, func(tx *storage.Tx) error {
			if prefer {
				if err := tx.PreferIndexes(ctx); err != nil {
					return err
				}
			}
			var err error
			lines, err = tx.QueryStrings(ctx, lookup, pq.Array(ids))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	// The default costs' choice, for the record: a sequential scan on PostgreSQL 15.
	before, _, _ := strings.Cut(plan(false), "\n")
	t.Logf("without PreferIndexes: %s", before)
	got := plan(true)
	if !strings.Contains(got, "Index") || strings.Contains(got, "Seq Scan") {
		t.Errorf("with PreferIndexes the lines were not read by index:\n%s", got)
	}
	err := st.InTx(ctx, func(tx *storage.Tx) error {
		v, err := tx.QueryStrings(ctx, "SHOW enable_seqscan")
		if err == nil && (len(v) != 1 || v[0] != "on") {
			t.Errorf("enable_seqscan after a transaction that preferred indexes = %q, want on", v)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	rows, err := db.QueryContext(ctx, `SELECT p.proname, coalesce(array_to_string(p.proconfig, ','), '')
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = current_schema() AND p.proname LIKE '%\_check\_references'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	checks := 0
	for rows.Next() {
		var name, config string
		if err := rows.Scan(&name, &config); err != nil {
			t.Fatal(err)
		}
		checks++
		if !strings.Contains(config, "enable_seqscan=off") {
			t.Errorf("reference check %s runs with settings %q: want enable_seqscan=off", name, config)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if checks < 4 {
		t.Errorf("found %d reference check functions, want at least 4", checks)
	}
}

// TestPreferIndexesSQLite: nothing to set on SQLite, and nothing fails.
func TestPreferIndexesSQLite(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	if err := st.InTx(context.Background(), func(tx *storage.Tx) error { return tx.PreferIndexes(context.Background()) }); err != nil {
		t.Fatal(err)
	}
}
