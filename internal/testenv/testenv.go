// Package testenv gives tests the real parts claimflow runs on: a migrated
// SQLite or PostgreSQL store, an embedded NATS server, a bus on it (or on the CI
// machine's server) in a namespace of its own, and a quiet logger.
//
// PostgreSQL and the external NATS server come from CLAIMFLOW_TEST_POSTGRES and
// CLAIMFLOW_TEST_NATS (.ci/run sets both); without them the tests that need them
// skip with a message saying what to set.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // the admin connection that creates schemas

	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// The variables naming the CI machine's services.
const (
	PostgresEnv = "CLAIMFLOW_TEST_POSTGRES"
	NATSEnv     = "CLAIMFLOW_TEST_NATS"
)

// Quiet is the tests' logger: warnings and errors with -v, nothing otherwise.
func Quiet() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// SQLiteURL returns the URL of a new SQLite database in the test's temporary folder.
func SQLiteURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "claimflow.db")
}

var pgAdmin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// PostgresURL returns the URL of a fresh schema in the CI machine's test
// database, dropped when the test ends. It skips the test without
// CLAIMFLOW_TEST_POSTGRES and fails it when the server cannot be reached.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL test skipped: set %s to a database URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", PostgresEnv)
	}
	pgAdmin.once.Do(func() {
		pgAdmin.db, pgAdmin.err = sql.Open("postgres", base)
		if pgAdmin.err == nil {
			pgAdmin.err = pgAdmin.db.Ping()
		}
	})
	if pgAdmin.err != nil {
		t.Fatalf("connecting to %s: %v", PostgresEnv, pgAdmin.err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	if _, err := pgAdmin.db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := pgAdmin.db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens and migrates the store at url, closed when the test ends.
func Open(t testing.TB, url string, opts ...storage.Option) *storage.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := storage.Open(ctx, url, append([]storage.Option{storage.MigrateOnOpen()}, opts...)...)
	if err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// SQLite returns a new migrated SQLite store.
func SQLite(t testing.TB, opts ...storage.Option) *storage.Store {
	return Open(t, SQLiteURL(t), opts...)
}

// Postgres returns a migrated store in a fresh PostgreSQL schema (see PostgresURL).
func Postgres(t testing.TB, opts ...storage.Option) *storage.Store {
	return Open(t, PostgresURL(t), opts...)
}

// EachEngine runs test as parallel subtests "sqlite" and "postgres", each with a
// new migrated store (the PostgreSQL one skips as PostgresURL says when no
// database is set).
func EachEngine(t *testing.T, test func(t *testing.T, st *storage.Store)) {
	t.Helper()
	for _, e := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", SQLiteURL}, {"postgres", PostgresURL}} {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			test(t, Open(t, e.url(t)))
		})
	}
}

// Embedded starts an embedded NATS server for one test, listening on a loopback
// port so that other processes can join it.
func Embedded(t testing.TB) *bus.EmbeddedServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv, err := bus.Embedded(ctx, t.TempDir(), bus.WithServerLogger(Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return srv
}

// ExternalNATS returns the CI machine's NATS URL, skipping the test without
// CLAIMFLOW_TEST_NATS.
func ExternalNATS(t testing.TB) string {
	t.Helper()
	u := os.Getenv(NATSEnv)
	if u == "" {
		t.Skipf("external NATS test skipped: set %s to a NATS URL with JetStream, e.g. nats://127.0.0.1:4222", NATSEnv)
	}
	return u
}

// Namespace returns a bus namespace no other test uses, on any server.
func Namespace() string {
	return "t" + strings.ToLower(rand.Text()[:10])
}

// Connect connects to cfg in a fresh namespace unless cfg names one, with short
// redelivery delays unless cfg sets them, and closes the bus when the test ends.
func Connect(t testing.TB, cfg bus.Config) *bus.Bus {
	t.Helper()
	if cfg.Namespace == "" {
		cfg.Namespace = Namespace()
	}
	if cfg.Logger == nil {
		cfg.Logger = Quiet()
	}
	if cfg.BackOff == nil {
		cfg.AckWait = 5 * time.Second
		cfg.BackOff = []time.Duration{200 * time.Millisecond, time.Second, 2 * time.Second}
	}
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = 5
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := bus.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Close(ctx)
	})
	return b
}

// SyncBuffer is a buffer a process or command writes while the test reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
