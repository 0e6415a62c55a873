// Package ops makes a claimflow process observable: Prometheus metrics of every
// stage the runner starts, gauges of what waits in the database, and the HTTP
// endpoints an orchestrator probes.
//
//	m := ops.NewMetrics(ops.WithCounts(store))
//	env.Observer = m // every handler the runner starts is counted and timed
//	srv, err := ops.Listen(cfg.HTTP.Listen, ops.Handler(m, ops.StoreCheck(store), ops.BusCheck(b)))
//	defer srv.Shutdown(ctx)
//
// The endpoints:
//
//	/metrics   Prometheus text exposition format 0.0.4
//	/healthz   200 "ok" while the process serves HTTP at all (liveness)
//	/readyz    200 when every check passes (the store answers a ping; the bus is
//	           connected and JetStream answers), else 503 with one line per check
//	           naming what failed; never a secret
//
// The metrics:
//
//	claimflow_stage_messages_total{stage,outcome}  counter: messages handled; outcome ok, retry (a
//	                                               transient failure, delivered again) or poison
//	claimflow_stage_duration_seconds{stage}        histogram: how long a handler took, whatever its outcome
//	claimflow_stage_in_flight{stage}               gauge: handlers running now
//	claimflow_outbox_pending                       gauge: outbox rows not yet published
//	claimflow_work_items{kind,status}              gauge: open and in-progress work items
//	claimflow_inbound_files{status}                gauge: received files new or quarantined
//	claimflow_up                                   gauge: 1, with the database gauges readable; 0 otherwise
//	go_goroutines                                  gauge
//
// The database gauges are read when scraped, at most once per cache period
// (default 10s), so that several scrapers cost one query each period.
//
// No Prometheus client library: the text format is small, and this package
// writes it (expfmt.go) with its escaping rules.
package ops
