package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"  // the "postgres" database/sql driver
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Store is an open database. Its methods (those of the embedded Conn) are safe for
// concurrent use; each write runs in a transaction of its own. Use InTx to make
// several writes atomic.
type Store struct {
	Conn

	driver  Driver
	d       *dialect
	db      *sqlx.DB // PostgreSQL: the pool; SQLite: the writer's (writerconn.go)
	rdb     *sqlx.DB // readers: SQLite's read-only pool; PostgreSQL: db
	now     func() time.Time
	display string // where the database is, without a password
	// bulkWorkers is how many connections PostClaimPayments writes with at once.
	bulkWorkers int
	// systemClock: now is the system's clock (no WithClock), which the database's
	// now() may stand for when stamping rows in bulk.
	systemClock bool

	// stmts keeps SQLite's statements prepared (stmtcache.go); nil on PostgreSQL.
	stmts *stmtCache
	// turn orders SQLite's writers (see runTx); nil on PostgreSQL.
	turn chan struct{}
	// wconn is the connection SQLite's write transactions run on, taken from db
	// by the first (writerconn.go); only the holder of the turn uses it.
	wconn *sqlx.Conn
	// writerBusy adds up the nanoseconds SQLite's writer was held (WriterBusy).
	writerBusy atomic.Int64
	// ckpt checkpoints SQLite's WAL beside the writer; nil on PostgreSQL.
	ckpt *checkpointer
	// analyze keeps PostgreSQL's statistics current where autovacuum does not
	// (analyzer.go); nil on SQLite and for claimflow migrate.
	analyze *analyzer

	closeOnce sync.Once
	closeErr  error
}

// Option changes how Open opens a store.
type Option func(*options)

type options struct {
	migrate     bool
	skipCheck   bool
	clock       func() time.Time
	clockSet    bool
	maxConns    int
	bulkWorkers int
}

// MigrateOnOpen makes Open apply pending migrations instead of refusing an outdated
// schema. Meant for tests, the demo and the embedded default; production runs
// `claimflow migrate up` as a deliberate step.
func MigrateOnOpen() Option { return func(o *options) { o.migrate = true } }

// SkipSchemaCheck makes Open accept any schema version: for `claimflow migrate`,
// which reports and changes it.
func SkipSchemaCheck() Option { return func(o *options) { o.skipCheck = true } }

// WithClock sets where the store reads the time it stamps rows with (default
// time.Now; then PostgreSQL stamps the ledger entries it copies in bulk itself,
// with its transaction's start); the store keeps microseconds, in UTC.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.clock, o.clockSet = now, true }
}

// WithMaxConns caps the PostgreSQL pool (default 16) or SQLite's read-only pool
// (default 4); SQLite always has one writer connection.
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// WithBulkWorkers sets how many PostgreSQL connections PostClaimPayments writes with
// at once (default 2); SQLite always writes with one.
func WithBulkWorkers(n int) Option { return func(o *options) { o.bulkWorkers = n } }

// Open opens the database at dsn and checks that its schema is the one this binary
// was built for (ErrSchemaOutdated, ErrSchemaTooNew otherwise, unless an Option says
// otherwise):
//
//   - postgres://user@host:5432/db?sslmode=disable (or postgresql://): PostgreSQL 15
//     or newer. Parameters lib/pq does not know are sent as run-time settings, so
//     &search_path=claimflow puts the tables in that schema.
//   - sqlite:///var/lib/claimflow/claimflow.db, sqlite:relative.db or a plain file
//     path: SQLite, created when missing, in WAL mode with foreign keys on.
//
// Passwords belong in the environment (CLAIMFLOW_DATABASE_URL), not on command lines.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{clock: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	o.bulkWorkers = cmp.Or(o.bulkWorkers, 2)
	s := &Store{now: func() time.Time { return o.clock().UTC().Truncate(time.Microsecond) }, bulkWorkers: o.bulkWorkers,
		systemClock: !o.clockSet}
	s.Conn.st = s
	var err error
	switch {
	case hasPrefixFold(dsn, "postgres://"), hasPrefixFold(dsn, "postgresql://"):
		err = s.openPostgres(ctx, dsn, o)
	case dsn == "":
		return nil, fmt.Errorf("opening database: %w: no database URL", ErrInvalid)
	default:
		err = s.openSQLite(ctx, dsn, o)
	}
	if err != nil {
		return nil, err
	}
	if o.skipCheck {
		return s, nil
	}
	if err := s.checkSchema(ctx, o.migrate); err != nil {
		s.Close(ctx)
		return nil, err
	}
	return s, nil
}

func (s *Store) openPostgres(ctx context.Context, dsn string, o options) error {
	s.driver, s.d = Postgres, dialects[Postgres]
	s.display = redactDSN(dsn)
	if _, err := url.Parse(dsn); err != nil {
		// url.Error quotes the URL, password and all: keep only what is wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("opening database %s: %w: the URL does not parse: %v", s.display, ErrInvalid, err)
	}
	// lib/pq takes only a lower-case scheme for a URL.
	i := strings.Index(dsn, "://")
	dsn = strings.ToLower(dsn[:i]) + dsn[i:]
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return fmt.Errorf("opening database %s: %w", s.display, withoutPassword(err, dsn))
	}
	n := o.maxConns
	if n <= 0 {
		n = 16
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("connecting to database %s: %w", s.display, withoutPassword(err, dsn))
	}
	s.db, s.rdb = db, db
	if !o.skipCheck {
		s.analyze = startAnalyzer(db)
	}
	return nil
}

// hasPrefixFold reports whether s begins with prefix, in any case (a URL's scheme
// is not case-sensitive).
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// redactDSN returns a database URL fit to show: without its password, and for a URL
// that does not parse, without what stands before its host (user and password).
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			return dsn[:i+3] + "xxxxx@" + rest[at+1:]
		}
	}
	return dsn
}

// withoutPassword returns err, or when its text holds the password of dsn, an error
// with the same text with the password masked (the driver's errors may quote the
// URL).
func withoutPassword(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
}

// sqlitePath returns the file a SQLite URL or path names.
func sqlitePath(dsn string) (string, error) {
	p := dsn
	switch {
	case strings.HasPrefix(p, "sqlite://"):
		p = strings.TrimPrefix(p, "sqlite://")
	case strings.HasPrefix(p, "sqlite:"):
		p = strings.TrimPrefix(p, "sqlite:")
	case strings.Contains(p, "://"):
		return "", fmt.Errorf("%w: database URL scheme: want postgres:// or sqlite://", ErrInvalid)
	}
	if p == "" || strings.ContainsAny(p, "?#") || p == ":memory:" {
		return "", fmt.Errorf("%w: SQLite database must be a file path without parameters", ErrInvalid)
	}
	return filepath.Clean(p), nil
}

func (s *Store) openSQLite(ctx context.Context, dsn string, o options) error {
	s.driver, s.d = SQLite, dialects[SQLite]
	path, err := sqlitePath(dsn)
	if err != nil {
		return fmt.Errorf("opening database %s: %w", redactDSN(dsn), err)
	}
	s.display = "sqlite://" + path
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("opening database %s: %w", s.display, err)
		}
	}
	// WAL lets readers run beside the writer; busy_timeout makes another process's
	// writer wait instead of failing; _txlock=immediate takes the write lock at BEGIN
	// so that a transaction never fails half-way on an upgrade from read to write.
	// synchronous NORMAL is durable in WAL mode except for the last transactions
	// before a power loss (never corrupt); statement journals stay in memory. The
	// writer does not checkpoint the WAL in its commits: a connection of its own
	// does, beside it (checkpointer). Pages are SQLite's default 4 KiB. (This DSN
	// asked for 16 KiB, which never took effect: the driver applies its _pragma
	// list in alphabetical order, so journal_mode(WAL) wrote the first page before
	// page_size came. Really 16 KiB, a 30,000-claim demo took 39-44 s against
	// 30-33 s, with twice the system time: every commit writes each page it
	// changed, whole, to the WAL.)
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
		"&_pragma=temp_store(MEMORY)"
	// Page caches are per connection and fill up to their size as the database
	// grows, so they bound the process's memory: the writer keeps 64 MiB; readers,
	// whose caches every write elsewhere invalidates in WAL mode, 4 MiB each.
	// SQLite reuses its WAL file from the start once a checkpoint let the log start
	// over, and never shrinks it: after a busy run it stayed at its high-water mark
	// (about 500 MB after a 100,000-claim demo). journal_size_limit has the writer
	// cut it back to walLimit at the first commit after each start over.
	w, err := openQuiet(base + "&_pragma=cache_size(-65536)&_pragma=journal_size_limit(" + strconv.Itoa(walLimit) +
		")&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("opening database %s: %w", s.display, err)
	}
	// The writer's connection, which transactions keep (writerconn.go), and one for
	// DB(): concurrent writers queue for the turn instead of failing with
	// SQLITE_BUSY.
	w.SetMaxOpenConns(2)
	w.SetMaxIdleConns(2)
	w.SetConnMaxLifetime(0)
	if err := pingSQLite(ctx, w); err != nil {
		w.Close()
		return fmt.Errorf("opening database %s: %w", s.display, err)
	}
	r, err := sqlx.Open("sqlite", base+"&_pragma=cache_size(-4096)&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return fmt.Errorf("opening database %s: %w", s.display, err)
	}
	n := o.maxConns
	if n <= 0 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.turn = make(chan struct{}, 1)
	ck, err := startCheckpointer(base+"&_pragma=cache_size(-1024)", s.holdWriter)
	if err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("opening database %s: %w", s.display, err)
	}
	s.db, s.rdb, s.ckpt = w, r, ck
	s.stmts = &stmtCache{}
	return nil
}

// pingSQLite opens the writer's connection, which applies the pragmas. Switching a
// new database to WAL needs the file to itself, and SQLite answers SQLITE_BUSY at
// once, without its busy handler, while another process opens the same new
// database; so a busy answer is tried again for as long as busy_timeout would wait.
func pingSQLite(ctx context.Context, db *sqlx.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := db.PingContext(ctx)
		if err == nil || !isSQLiteBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// String returns where the database is, without its password.
func (s *Store) String() string { return s.display }

// Close closes the database; it is safe to call more than once. It returns when the
// connections are closed or ctx is done, whichever comes first.
func (s *Store) Close(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.closeOnce.Do(func() {
			if s.turn != nil {
				// After the running transaction, which uses wconn; a transaction
				// begun later fails: the pool is closed.
				s.turn <- struct{}{}
				defer func() { <-s.turn }()
			}
			if s.stmts != nil {
				s.stmts.close()
			}
			var err error
			if s.wconn != nil {
				err = s.wconn.Close()
				s.wconn = nil
			}
			if s.ckpt != nil {
				err = errors.Join(err, s.ckpt.close())
			}
			if s.analyze != nil {
				s.analyze.close()
			}
			err = errors.Join(err, s.db.Close())
			if s.rdb != s.db {
				err = errors.Join(err, s.rdb.Close())
			}
			if err != nil {
				s.closeErr = fmt.Errorf("closing database %s: %w", s.display, err)
			}
		})
		close(done)
	}()
	select {
	case <-done:
		return s.closeErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DB returns the underlying pool, for what the store does not offer (reports,
// diagnostics). On SQLite it is the writer's pool, beside the connection the
// store's transactions keep: a write through it waits for their lock. Keep SQL in this
// package; this is an escape hatch, not an API.
func (s *Store) DB() *sql.DB { return s.db.DB }

// Tx is a database transaction: the same methods as a Store, run inside it. It is
// not safe for concurrent use.
type Tx struct {
	Conn
}

// maxAttempts is how many times InTx runs a transaction that PostgreSQL aborted for
// a serialization failure or a deadlock.
const maxAttempts = 5

// InTx runs fn in a transaction, committed when fn returns nil and rolled back
// otherwise. On SQLite the transaction holds the write lock from its start; on
// PostgreSQL it runs at READ COMMITTED and methods that read-modify-write lock the
// rows they change (SELECT ... FOR UPDATE). When PostgreSQL aborts the transaction
// for a deadlock or a serialization failure, InTx runs fn again (up to 5 times), so
// fn must not have effects outside the transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.runTx(ctx, fn)
		if err == nil || attempt == maxAttempts || !isRetryable(err) {
			return err
		}
		select {
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WriterBusy is how long, in all, SQLite's one writer connection has been held by
// transactions since the store opened: the share of a stretch of time it takes
// tells how near the embedded database is to its limit. Zero on PostgreSQL, whose
// writers run side by side.
func (s *Store) WriterBusy() time.Duration { return time.Duration(s.writerBusy.Load()) }

func (s *Store) runTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if s.turn != nil {
		// SQLite has one writer connection, which database/sql hands to a waiter
		// chosen at random: under load a short transaction (the outbox relay's) could
		// wait behind dozens of long ones for many seconds. Writers blocked on a
		// channel send are served in the order they came.
		release, err := s.holdWriter(ctx)
		if err != nil {
			return fmt.Errorf("beginning transaction: waiting for the writer: %w", err)
		}
		defer release()
	}
	if s.driver == SQLite {
		return s.runSQLiteTx(ctx, fn)
	}
	// On PostgreSQL the transaction runs on a connection of its own, which COPY
	// reaches beneath database/sql (copyRows).
	var raw *sqlx.Conn
	begin := s.db.BeginTxx
	if s.driver == Postgres {
		var err error
		if raw, err = s.db.Connx(ctx); err != nil {
			return fmt.Errorf("beginning transaction: %w", err)
		}
		defer raw.Close()
		begin = raw.BeginTxx
	}
	stx, err := begin(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	tx := &Tx{Conn{st: s, tx: stx, raw: raw}}
	defer func() {
		if p := recover(); p != nil {
			stx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("committing transaction: %w", err)
	}
	return nil
}

// holdWriter takes SQLite's writer turn, as a transaction does, and returns its
// release; it counts as the writer being busy.
func (s *Store) holdWriter(ctx context.Context) (func(), error) {
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	held := time.Now()
	return func() {
		s.writerBusy.Add(int64(time.Since(held)))
		<-s.turn
	}, nil
}

// Conn holds every aggregate's methods; Store and Tx embed it. On a Store a write
// runs in a transaction of its own and a read on the read pool; on a Tx both run in
// that transaction.
type Conn struct {
	st *Store
	tx txConn // nil outside a transaction
	// wc is the SQLite writer's connection tx runs on (nil otherwise): its prepared
	// statements are cached (stmtcache.go).
	wc *sqlx.Conn
	// raw is the connection tx runs on (PostgreSQL; nil otherwise).
	raw *sqlx.Conn
}

// inTx runs fn with a Conn bound to a transaction: c's own, or a new one.
func (c *Conn) inTx(ctx context.Context, fn func(w *Conn) error) error {
	if c.tx != nil {
		return fn(c)
	}
	return c.st.InTx(ctx, func(tx *Tx) error { return fn(&tx.Conn) })
}

func (c *Conn) reader() sqlx.ExtContext {
	if c.tx != nil {
		return c.tx
	}
	return c.st.rdb
}

// exec runs a statement; c must be in a transaction (see inTx).
func (c *Conn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = c.st.d.rebind(q)
	if st := c.txStmt(ctx, q); st != nil {
		return st.ExecContext(c.stmtContext(ctx), args...)
	}
	return c.tx.ExecContext(ctx, q, args...)
}

func (c *Conn) queryRow(ctx context.Context, q string, args ...any) *sqlx.Row {
	q = c.st.d.rebind(q)
	if c.tx != nil {
		if st := c.txStmt(ctx, q); st != nil {
			return st.QueryRowxContext(c.stmtContext(ctx), args...)
		}
	}
	return c.reader().QueryRowxContext(ctx, q, args...)
}

func (c *Conn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = c.st.d.rebind(q)
	if c.tx != nil {
		if st := c.txStmt(ctx, q); st != nil {
			return st.QueryContext(c.stmtContext(ctx), args...)
		}
	}
	return c.reader().QueryContext(ctx, q, args...)
}

// insertID runs an INSERT ... RETURNING id; it reports ok false when ON CONFLICT DO
// NOTHING skipped the row.
func (c *Conn) insertID(ctx context.Context, q string, args ...any) (id int64, ok bool, err error) {
	q = c.st.d.rebind(q)
	if st := c.txStmt(ctx, q); st != nil {
		err = st.QueryRowContext(c.stmtContext(ctx), args...).Scan(&id)
	} else {
		err = c.tx.QueryRowContext(ctx, q, args...).Scan(&id)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, classify(err)
	}
	return id, true, nil
}

// lock locks the row of table with the id against concurrent writers until the
// transaction ends (PostgreSQL; SQLite's writer holds the whole database) and reports
// ErrNotFound when there is none.
func (c *Conn) lock(ctx context.Context, table string, id int64) error {
	var got int64
	err := c.tx.QueryRowContext(ctx, c.st.d.rebind("SELECT id FROM "+table+" WHERE id = ?"+c.st.d.forUpdate), id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %d: %w", strings.TrimSuffix(table, "s"), id, ErrNotFound)
	}
	return err
}

// Driver returns the engine the connection runs on.
func (c *Conn) Driver() Driver { return c.st.driver }

func notFound(err error, what string, key any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %v: %w", what, key, ErrNotFound)
	}
	return err
}
