package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// The SQLite driver (modernc) starts a goroutine for every statement run with a
// context that can end, to interrupt the statement when it does, and wakes it
// again when the statement finishes. On the one writer connection, which runs
// tens of thousands of short statements and which every stage queues for, that
// goroutine is pure cost: an execution trace of a 30,000-claim demo showed the
// writer waiting 4.4 s of its 24 s for a core right after waking it. quietConn
// and quietStmt pass the driver a context without a Done channel instead, and
// check the real context before each statement: a transaction whose context
// ends fails at its next statement (and rolls back), but a statement already
// running is not interrupted. The writer's statements are short (bulk statements
// are cut into chunks of at most 32,766 values).

// quietContext is a context whose end the driver does not watch: Done is nil,
// the rest (Err, Deadline, Value) is the parent's.
type quietContext struct{ context.Context }

func (quietContext) Done() <-chan struct{} { return nil }

// quiet returns ctx's error, if it has ended, or ctx without its Done channel.
func quiet(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ctx.Done() == nil {
		return ctx, nil
	}
	return quietContext{ctx}, nil
}

// quietConnector opens connections of the SQLite driver wrapped in quietConn.
type quietConnector struct {
	drv driver.Driver
	dsn string
}

func (c quietConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("opening SQLite: the driver's connection (%T) lacks a method the writer uses", conn)
	}
	return quietConn{sc}, nil
}

func (c quietConnector) Driver() driver.Driver { return c.drv }

// sqliteConn is what the SQLite driver's connections implement and database/sql
// uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// sqliteStmt is what the SQLite driver's statements implement.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

type quietConn struct{ c sqliteConn }

func (q quietConn) Prepare(query string) (driver.Stmt, error) {
	return q.PrepareContext(context.Background(), query)
}

func (q quietConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	ctx, err := quiet(ctx)
	if err != nil {
		return nil, err
	}
	st, err := q.c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	ss, ok := st.(sqliteStmt)
	if !ok {
		st.Close()
		return nil, fmt.Errorf("preparing a SQLite statement: the driver's statement (%T) lacks a method the writer uses", st)
	}
	return quietStmt{ss}, nil
}

func (q quietConn) Close() error { return q.c.Close() }

//nolint:staticcheck // driver.Conn requires Begin; database/sql calls BeginTx.
func (q quietConn) Begin() (driver.Tx, error) {
	return q.BeginTx(context.Background(), driver.TxOptions{})
}

func (q quietConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	ctx, err := quiet(ctx)
	if err != nil {
		return nil, err
	}
	return q.c.BeginTx(ctx, opts)
}

func (q quietConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ctx, err := quiet(ctx)
	if err != nil {
		return nil, err
	}
	return q.c.ExecContext(ctx, query, args)
}

func (q quietConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	ctx, err := quiet(ctx)
	if err != nil {
		return nil, err
	}
	return q.c.QueryContext(ctx, query, args)
}

func (q quietConn) Ping(ctx context.Context) error {
	return q.c.Ping(ctx)
}

func (q quietConn) ResetSession(ctx context.Context) error { return q.c.ResetSession(ctx) }

func (q quietConn) IsValid() bool { return q.c.IsValid() }

type quietStmt struct{ s sqliteStmt }

func (q quietStmt) Close() error  { return q.s.Close() }
func (q quietStmt) NumInput() int { return q.s.NumInput() }

//nolint:staticcheck // driver.Stmt requires Exec; database/sql calls ExecContext.
func (q quietStmt) Exec(args []driver.Value) (driver.Result, error) { return q.s.Exec(args) }

//nolint:staticcheck // driver.Stmt requires Query; database/sql calls QueryContext.
func (q quietStmt) Query(args []driver.Value) (driver.Rows, error) { return q.s.Query(args) }

func (q quietStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	ctx, err := quiet(ctx)
	if err != nil {
		return nil, err
	}
	return q.s.ExecContext(ctx, args)
}

func (q quietStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	ctx, err := quiet(ctx)
	if err != nil {
		return nil, err
	}
	return q.s.QueryContext(ctx, args)
}

// openQuiet opens a pool of SQLite connections to dsn through quietConn.
func openQuiet(dsn string) (*sqlx.DB, error) {
	// The driver registered as "sqlite", so that whatever was registered with it
	// applies here too.
	probe, err := sql.Open("sqlite", "")
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	if err := probe.Close(); err != nil {
		return nil, err
	}
	return sqlx.NewDb(sql.OpenDB(quietConnector{drv: drv, dsn: dsn}), "sqlite"), nil
}
