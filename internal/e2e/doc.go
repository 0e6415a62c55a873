// Package e2e holds claimflow's end-to-end checks (issue 8). Driver (an alias of
// pipeline.Driver, which claimflow demo runs too) is the loop that moves claims
// through every stage by asking for batch and fetch rounds until nothing is left
// in flight.
//
// The checks run the whole pipeline as an operator would: worker processes (this
// test binary run again, assembled by internal/app exactly as `claimflow worker`
// is) on PostgreSQL and NATS, the clearinghouse simulator over SFTP on a loopback
// port, and claims from fixtures.NewClaimGenerator:
//
//   - TestLoopThreeWorkers: a few hundred claims through three workers on the CI
//     machine's PostgreSQL and NATS; every claim ends as planted.
//   - TestCrashKillNine: workers killed with SIGKILL at seeded random moments and
//     started again; the ledger and the summary equal an undisturbed run's.
//   - TestClusterNodeLoss: a three-node NATS cluster (replicas 3) on loopback
//     ports; one node stops mid-run and nothing is lost.
//   - TestRemittanceBeforeAcknowledgements, TestLateAcknowledgementAfterSecondaryBilled:
//     answers applied out of order, in process, as concurrent workers apply them.
//
// Driver is usable on its own, wherever the stages run (in this process or in
// others sharing the database and the bus); it reads only the store, and ends a
// round when nothing has moved for its settle period (see pipeline.Driver):
//
//	d := &e2e.Driver{Env: env, Clearinghouse: "sim"}
//	if err := d.WaitScrubbed(ctx); err != nil { ... }
//	res, err := d.Run(ctx) // res.Stuck lists claims still in flight, if any
package e2e
