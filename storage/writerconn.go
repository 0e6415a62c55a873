package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// SQLite's write transactions run on a connection the store takes from the writer
// pool once and keeps (writerConn), with BEGIN IMMEDIATE, COMMIT and ROLLBACK as
// statements, rather than through database/sql's Tx. database/sql starts a
// goroutine for every Tx, and one for every result set read in a Tx, to watch
// their contexts, and wakes each again when it ends: on the one writer every stage
// queues for, an execution trace of a 30,000-claim demo showed it waiting 1.7 s of
// its 15 s for a core right after such a wake-up. On a connection of its own, with
// contexts whose Done channel is nil (quietOrSelf), database/sql starts none. As on
// the connection beneath (quietdriver.go), a transaction whose context ends fails
// at its next statement and rolls back. The connection also keeps the prepared
// statements (stmtcache.go) valid from one transaction to the next.
//
// The writer pool holds one connection more, for DB() (health checks, tests): a
// write through it waits for the writer's lock like another process's.

// txConn is what a transaction's statements run on: a PostgreSQL *sqlx.Tx, or the
// SQLite writer's connection in a transaction.
type txConn interface {
	sqlx.ExtContext
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// writerConn runs statements on the SQLite writer's connection with contexts
// database/sql does not watch.
type writerConn struct{ c *sqlx.Conn }

// quietOrSelf returns ctx without its Done channel (quietContext), or ctx itself
// when it has none or has ended (the statement then fails with its error).
func quietOrSelf(ctx context.Context) context.Context {
	if ctx.Done() == nil || ctx.Err() != nil {
		return ctx
	}
	return quietContext{ctx}
}

func (w writerConn) DriverName() string     { return "sqlite" }
func (w writerConn) Rebind(q string) string { return q }
func (w writerConn) BindNamed(q string, arg any) (string, []any, error) {
	return sqlx.BindNamed(sqlx.QUESTION, q, arg)
}

func (w writerConn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return w.c.ExecContext(quietOrSelf(ctx), q, args...)
}

func (w writerConn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return w.c.QueryContext(quietOrSelf(ctx), q, args...)
}

func (w writerConn) QueryxContext(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	return w.c.QueryxContext(quietOrSelf(ctx), q, args...)
}

func (w writerConn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return w.c.QueryRowContext(quietOrSelf(ctx), q, args...)
}

func (w writerConn) QueryRowxContext(ctx context.Context, q string, args ...any) *sqlx.Row {
	return w.c.QueryRowxContext(quietOrSelf(ctx), q, args...)
}

func (w writerConn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return w.c.PrepareContext(quietOrSelf(ctx), q)
}

// stmtContext is the context to run a prepared statement of c's transaction with:
// on the SQLite writer, one database/sql does not watch.
func (c *Conn) stmtContext(ctx context.Context) context.Context {
	if c.wc != nil {
		return quietOrSelf(ctx)
	}
	return ctx
}

// writer returns the SQLite writer's connection, taking one from the pool when the
// store has none (the first transaction, or after the last one's broke). The caller
// holds the turn.
func (s *Store) writer(ctx context.Context) (*sqlx.Conn, error) {
	if s.wconn != nil {
		return s.wconn, nil
	}
	c, err := s.db.Connx(ctx)
	if err != nil {
		return nil, err
	}
	s.wconn = c
	return c, nil
}

// dropWriter closes the writer's connection and its statements; the next
// transaction takes a new one. The caller holds the turn.
func (s *Store) dropWriter() {
	s.stmts.close()
	if s.wconn != nil {
		s.wconn.Close()
		s.wconn = nil
	}
}

// runSQLiteTx runs fn in a transaction on the writer's connection; the caller
// holds the turn.
func (s *Store) runSQLiteTx(ctx context.Context, fn func(tx *Tx) error) error {
	c, err := s.writer(ctx)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	w := writerConn{c}
	if _, err := w.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		if errors.Is(err, sql.ErrConnDone) {
			s.dropWriter()
		}
		return fmt.Errorf("beginning transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed { // fn or COMMIT failed, or fn panicked
			s.rollbackWriter(c)
		}
	}()
	if err := fn(&Tx{Conn{st: s, tx: w, wc: c}}); err != nil {
		return err
	}
	if _, err := w.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("committing transaction: %w", err)
	}
	committed = true
	if s.ckpt != nil {
		s.ckpt.committed()
	}
	return nil
}

// rollbackWriter ends the transaction on the writer's connection whatever the
// context. SQLite may have rolled it back already (some errors do); a connection
// whose ROLLBACK fails otherwise is dropped, so that no transaction stays open on
// it.
func (s *Store) rollbackWriter(c *sqlx.Conn) {
	_, err := c.ExecContext(context.Background(), "ROLLBACK")
	if err != nil && !strings.Contains(err.Error(), "no transaction is active") {
		s.dropWriter()
	}
}
