// Package app assembles a claimflow process from its configuration: the store,
// the bus, the stages' environment, the runner of the stages asked for, the
// schedules and the HTTP endpoints. `claimflow serve` and `claimflow worker`
// are this package with different options.
//
//	a, err := app.New(ctx, app.Options{Config: cfg, Role: "worker", Stages: stages, HTTP: true})
//	if err != nil { ... }
//	fmt.Println(a.Describe()) // what runs where, never a secret
//	err = a.Run(ctx)          // until ctx ends: drains the consumers, then closes everything
//
// The order is fixed: the data directory, the store (the configured database
// URL, else the SQLite file claimflow.db in the data directory; migrated on
// open only when Options.Migrate says so), the bus (an embedded nats-server
// storing under <data dir>/nats when the configuration says embedded, else the
// configured URLs with their credentials and TLS files), the clearinghouses
// (pipeline.ClearinghousesFromConfig, with <data dir>/connections.yaml and
// <data dir>/known_hosts), the metrics, the env, the runner, the scheduler and
// the HTTP server. Close undoes it in reverse.
package app
