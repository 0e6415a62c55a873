package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestAnalyze stores 2,000 claims in a PostgreSQL table that autovacuum leaves
// alone (autovacuum_enabled = false, so that the test holds whatever the server's
// setting): Analyze brings its statistics up to date, and then has nothing to do
// until enough rows change again. While another process holds the analyzers' turn,
// it skips the round.
func TestAnalyze(t *testing.T) {
	t.Parallel()
	st := testenv.Postgres(t)
	ctx := context.Background()
	db := st.DB()
	if _, err := db.ExecContext(ctx, "ALTER TABLE claims SET (autovacuum_enabled = false)"); err != nil {
		t.Fatal(err)
	}
	writer, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	insert := func(from, to int) {
		t.Helper()
		if _, err := writer.ExecContext(ctx, `INSERT INTO claims (pcn, state, frequency, charge, created_at, updated_at)
			SELECT 'A' || g, 'validated', '1', 10000, now(), now() FROM generate_series($1::int, $2::int) g`, from, to); err != nil {
			t.Fatal(err)
		}
		// A backend reports what it wrote when idle, up to seconds later: at once.
		if _, err := writer.ExecContext(ctx, "SELECT pg_stat_force_next_flush()"); err != nil {
			t.Fatal(err)
		}
	}
	lastAnalyze := func() (time.Time, bool) {
		t.Helper()
		var at *time.Time
		if err := db.QueryRowContext(ctx, `SELECT last_analyze FROM pg_stat_user_tables
			WHERE schemaname = current_schema() AND relname = 'claims'`).Scan(&at); err != nil {
			t.Fatal(err)
		}
		if at == nil {
			return time.Time{}, false
		}
		return *at, true
	}
	// The statistics of a backend's writes reach pg_stat_user_tables within about
	// a second of its transaction's end: wait for the rows changed to show.
	waitChanged := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var got int64
			if err := db.QueryRowContext(ctx, `SELECT n_mod_since_analyze FROM pg_stat_user_tables
				WHERE schemaname = current_schema() AND relname = 'claims'`).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("pg_stat_user_tables counts %d claims changed, want %d", got, n)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	analyzeClaims := func() {
		t.Helper()
		got, err := st.Analyze(ctx)
		if err != nil || !slices.Contains(got, "claims") {
			t.Fatalf("Analyze = %v, %v; want the claims analyzed", got, err)
		}
	}

	if _, ok := lastAnalyze(); ok {
		t.Fatal("the new claims table was analyzed before the test")
	}
	insert(1, 2000)
	waitChanged(2000)
	analyzeClaims()
	first, ok := lastAnalyze()
	if !ok {
		t.Fatal("Analyze said it analyzed the claims; pg_stat_user_tables says never")
	}
	var rows float64
	if err := db.QueryRowContext(ctx, "SELECT reltuples FROM pg_class WHERE oid = 'claims'::regclass").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 2000 {
		t.Errorf("after Analyze the planner counts %v claims, want 2000", rows)
	}

	// 100 more rows are under autovacuum's threshold (50 + 10 % of 2,000): nothing.
	insert(2001, 2100)
	waitChanged(100)
	if got, err := st.Analyze(ctx); err != nil || slices.Contains(got, "claims") {
		t.Errorf("Analyze after 100 new rows of 2,000 = %v, %v; want the claims left alone", got, err)
	}

	// Past the threshold, but another process holds the turn: skipped.
	insert(2101, 2500)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(storage.AnalyzeLock)); err != nil {
		t.Fatal(err)
	}
	waitChanged(500)
	if got, err := st.Analyze(ctx); err != nil || len(got) != 0 {
		t.Errorf("Analyze while another holds the turn = %v, %v; want nothing", got, err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", int64(storage.AnalyzeLock)); err != nil {
		t.Fatal(err)
	}
	analyzeClaims()
	if again, _ := lastAnalyze(); !again.After(first) {
		t.Errorf("last_analyze %v after the second analysis, first %v", again, first)
	}
}

// TestAnalyzeSQLite: nothing to do on SQLite.
func TestAnalyzeSQLite(t *testing.T) {
	t.Parallel()
	got, err := testenv.SQLite(t).Analyze(context.Background())
	if err != nil || got != nil {
		t.Fatalf("Analyze on SQLite = %v, %v", got, err)
	}
}
