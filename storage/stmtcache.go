package storage

import (
	"context"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
)

// SQLite parses every statement each time it runs unless it is prepared, and the
// stages run the same few statements hundreds of thousands of times. The SQLite
// store therefore keeps the statements its transactions run prepared on the
// writer's own connection (writerConn), where they stay valid from one transaction
// to the next: a statement is prepared the first time a transaction runs it.
// Statements with many parameters (bulk inserts, long IN lists, whose text changes
// with their length) are not cached, except the full chunks of the bulk inserts
// (bulkStmt), whose text is fixed; the cache holds at most maxCachedStmts.
// PostgreSQL is left alone: lib/pq would pay a round trip per statement and
// connection to prepare it.
const (
	maxCachedStmts  = 512
	maxCachedParams = 32
)

// stmtCache is the SQLite writer's prepared statements, by query text. Only the
// transaction holding the writer uses it; the mutex guards it against Close.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sqlx.Stmt
}

// cacheable reports whether q is worth keeping prepared.
func cacheable(q string) bool {
	return strings.Count(q, "?") <= maxCachedParams
}

// get returns q prepared on conn, preparing it now when it is worth caching (bulk:
// whatever its parameters) and there is room; nil when it is not, or when it does
// not prepare (it then runs unprepared, and reports its error then).
func (s *stmtCache) get(ctx context.Context, conn *sqlx.Conn, q string, bulk bool) *sqlx.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.stmts[q]; ok {
		return st
	}
	if len(s.stmts) >= maxCachedStmts || !bulk && !cacheable(q) {
		return nil
	}
	st, err := conn.PreparexContext(quietOrSelf(ctx), q)
	if err != nil {
		return nil
	}
	if s.stmts == nil {
		s.stmts = map[string]*sqlx.Stmt{}
	}
	s.stmts[q] = st
	return st
}

// close closes the prepared statements: before their connection closes.
func (s *stmtCache) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
}

// txStmt returns q (already rebound) prepared on the SQLite writer's connection, or
// nil when it is not cached (outside a SQLite write transaction, or not worth it).
func (c *Conn) txStmt(ctx context.Context, q string) *sqlx.Stmt { return c.cachedStmt(ctx, q, false) }

// bulkStmt is txStmt for a bulk statement of fixed text, whatever its parameters:
// a multi-row INSERT of a full chunk, which SQLite would otherwise parse again in
// every transaction (thousands of parameters; about 1 ms each time).
func (c *Conn) bulkStmt(ctx context.Context, q string) *sqlx.Stmt { return c.cachedStmt(ctx, q, true) }

// fullChunkStmt is bulkStmt(q) when full is set (q is a bulk statement's full
// chunk), nil otherwise.
func (c *Conn) fullChunkStmt(ctx context.Context, q string, full bool) *sqlx.Stmt {
	if !full {
		return nil
	}
	return c.bulkStmt(ctx, q)
}

func (c *Conn) cachedStmt(ctx context.Context, q string, bulk bool) *sqlx.Stmt {
	if c.wc == nil {
		return nil
	}
	return c.st.stmts.get(ctx, c.wc, q, bulk)
}
