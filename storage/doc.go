// Package storage is claimflow's system of record and the only package with SQL: the
// billing and rendering providers, payers, patients with their coverages and
// authorizations, claims with their lines and state history, submissions, inbound
// files, acknowledgements, remittances, the ledger, work queues, the PHI audit log and
// the outbox.
//
// Two drivers give one behaviour: SQLite (modernc.org/sqlite, no cgo), the embedded
// default, and PostgreSQL (github.com/jmoiron/sqlx over github.com/lib/pq) in
// production. The package storagetest runs the same conformance suite against both.
//
//	st, err := storage.Open(ctx, os.Getenv("CLAIMFLOW_DATABASE_URL")) // or "sqlite:///var/lib/claimflow/claimflow.db"
//	if errors.Is(err, storage.ErrSchemaOutdated) {
//		// tell the operator to run `claimflow migrate up`
//	}
//	defer st.Close(ctx)
//	err = st.InTx(ctx, func(tx *storage.Tx) error {
//		if err := tx.TransitionClaim(ctx, claimID, storage.StatePaid, ev); err != nil {
//			return err
//		}
//		_, err := tx.EnqueueOutbox(ctx, storage.OutboxMessage{Subject: "claims.paid", Payload: body})
//		return err
//	})
//
// Every aggregate's methods live on Conn, which both Store and Tx embed: called on a
// Store a write runs in a transaction of its own; called on a Tx it joins that
// transaction, so that a stage changes state and writes its outgoing event atomically.
//
// Money is stored as BIGINT cents, dates as DATE (PostgreSQL) or TEXT YYYY-MM-DD
// (SQLite), JSON documents as JSONB or TEXT, times in UTC. Balances are never stored:
// they are sums of ledger entries, each of which carries an idempotency key under a
// unique constraint, so that applying the same source twice posts nothing the second
// time.
//
// The schema is a series of numbered .sql files embedded in the binary
// (migrations/NNNN_name.sql), each applied in its own transaction and recorded in
// schema_migrations. Open refuses a database whose schema is behind the binary with
// ErrSchemaOutdated, unless asked to migrate it.
package storage
