package storage

import (
	"context"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
)

// SQLite parses every statement each time it runs unless it is prepared, and the
// stages run the same few statements hundreds of thousands of times. The SQLite
// store therefore keeps the statements its transactions run prepared on its one
// writer connection.
//
// A statement cannot be prepared on the writer while a transaction holds it (the
// pool has one connection), so a statement seen in a transaction for the first
// time runs unprepared and is queued; the next transaction prepares the queued
// ones before it begins. Statements with many parameters (bulk inserts, long IN
// lists, whose text changes with their length) are not cached, except the full
// chunks of the bulk inserts (bulkStmt), whose text is fixed; the cache holds at
// most maxCachedStmts. PostgreSQL is left alone: lib/pq would pay a round
// trip per statement and connection to prepare it.
const (
	maxCachedStmts  = 512
	maxCachedParams = 32
)

// stmtCache is the SQLite writer's prepared statements, by query text.
type stmtCache struct {
	mu      sync.Mutex
	stmts   map[string]*sqlx.Stmt
	pending map[string]bool
}

// cacheable reports whether q is worth keeping prepared.
func cacheable(q string) bool {
	return strings.Count(q, "?") <= maxCachedParams
}

// get returns q prepared, or nil after queueing it for the next transaction; a
// statement with many parameters is queued only when bulk is set.
func (s *stmtCache) get(q string, bulk bool) *sqlx.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.stmts[q]; ok {
		return st
	}
	if len(s.stmts)+len(s.pending) < maxCachedStmts && (bulk || cacheable(q)) {
		if s.pending == nil {
			s.pending = map[string]bool{}
		}
		s.pending[q] = true
	}
	return nil
}

// prepare prepares the queued statements on db; a statement that fails to prepare
// is dropped (it runs unprepared, and reports its error then), unless ctx ended.
func (s *stmtCache) prepare(ctx context.Context, db *sqlx.DB) {
	s.mu.Lock()
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	prepared := make(map[string]*sqlx.Stmt, len(pending))
	var retry []string
	for q := range pending {
		st, err := db.PreparexContext(ctx, q)
		switch {
		case err == nil:
			prepared[q] = st
		case ctx.Err() != nil:
			retry = append(retry, q) // not the statement's fault: try again next time
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range retry {
		if s.pending == nil {
			s.pending = map[string]bool{}
		}
		s.pending[q] = true
	}
	if s.stmts == nil {
		s.stmts = map[string]*sqlx.Stmt{}
	}
	for q, st := range prepared {
		if _, ok := s.stmts[q]; ok {
			st.Close()
			continue
		}
		s.stmts[q] = st
	}
}

// close closes the prepared statements.
func (s *stmtCache) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts, s.pending = nil, nil
}

// txStmt returns q (already rebound) prepared and bound to c's transaction, or nil
// when it is not cached (outside SQLite, or not prepared yet).
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
	if c.txStmts == nil {
		return nil
	}
	if st, ok := c.txStmts[q]; ok {
		return st
	}
	st := c.st.stmts.get(q, bulk)
	if st == nil {
		return nil
	}
	bound := c.tx.StmtxContext(ctx, st)
	c.txStmts[q] = bound
	return bound
}
