// Package pipeline runs claimflow's stages as JetStream consumers, so that one
// process on a laptop and twenty workers on a cluster run the same code:
//
//	scrub -> batch -> submit -> (clearinghouse) -> fetch -> classify -> acks | remit -> secondary -> scrub
//
// Every stage follows one pattern. A message (package bus) names the work by id:
// claim ids, a clearinghouse, a submission, an inbound file (work.go lists the
// payloads). The handler reads what it needs from the store, does its work, and
// in one database transaction (Env.InTx) records the result and the messages for
// the next stages (Env.Emit writes them to the outbox). The runner's relay
// publishes outbox rows to JetStream with Nats-Msg-Id set to the row id, so a
// message is never lost (it is in the database) and never doubled (JetStream
// drops a second publication, and every handler is idempotent on natural ids).
//
// A handler returns nil once its transaction committed (the message is acked),
// an error wrapping bus.ErrPoison for work that can never succeed (the message is
// terminated and becomes an exception work item with the reason), or any other
// error for a transient failure (redelivered with back-off).
//
// The stages also have direct entry points (the one-shot `claimflow submit` and
// `claimflow fetch` call them without waiting for the bus): their outbox rows are
// published by the next relay that runs, and the messages they cause find the work
// done already.
package pipeline
