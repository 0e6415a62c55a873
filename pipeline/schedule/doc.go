// Package schedule runs each clearinghouse's recurring work on its cron
// schedules, and the missing-acknowledgement alarm, in one process of many.
//
// For every configured clearinghouse (pipeline.Clearinghouse.Schedule, from
// config.Clearinghouse.Schedule, in the process's local time):
//
//	submit  emits ClearinghouseWork to the batch stage (build 837P files of the
//	        ready claims; batch then emits their uploads)
//	poll    emits ClearinghouseWork to the fetch stage
//	post    emits InboundWork{Kind: "835"} to the remit stage for each stored 835
//	        of the clearinghouse still new: a catch-up, since posting is idempotent
//
// and every five minutes, and once whenever a process becomes the leader, the
// missing-acknowledgement alarm (CheckAcks): a transmitted file without its 999
// (or a TA1 rejection) after Alarms.Ack999Within, or with claims without a
// 277CA after Alarms.Ack277CAWithin, becomes one missing-ack work item (once per
// file and kind) and a warning log line with ids only. A zero delay means the
// clearinghouse profile's expectation (profile.Profile.Expect); a profile that
// expects nothing of a kind raises nothing for it.
//
// Work is emitted through the outbox (Env.InTx and Env.Emit), never published
// directly: a firing is in the database or did not happen.
//
// # One leader
//
// Every process running `claimflow serve` or `claimflow worker` runs a
// Scheduler; only one of them, the leader, fires. They contend for one lock, the
// key "schedules" in the bus's leader bucket (bus.Leader: a NATS KV key with a
// TTL, renewed by the leader every third of it). One key for all schedules
// rather than one per schedule: firings are tiny (one outbox row each), so
// spreading them buys nothing, and one leader makes the order of a
// clearinghouse's submit and poll predictable. When the leader stops, it
// deletes the key and another process takes over at its next try; when it
// dies, after the TTL.
//
// # Missed firings
//
// When each schedule last fired is kept in the KV bucket <namespace>_schedules
// (key "<kind>.<clearinghouse>": "submit.availity"), so that a new leader knows
// what the old one did. A schedule whose slot passed while no process was
// leading (all were down) fires once when a leader starts, not once per missed
// slot: a night of missed hourly polls is one poll at start-up. A schedule that
// never fired before (a new installation, a new clearinghouse) starts counting
// from the moment a leader first sees it.
//
// A firing is recorded after its work is in the outbox: a crash between the two
// fires it again at start-up, which the stages absorb (they are idempotent).
//
// Tests drive a Scheduler with a ManualClock instead of the system's:
//
//	clock := schedule.NewManualClock(time.Date(2026, 3, 2, 19, 59, 0, 0, time.Local))
//	s, _ := schedule.New(env, b, schedule.WithClock(clock))
//	go s.Run(ctx)
//	clock.WaitSleepers(ctx, 3) // the leader's schedules are waiting for their times
//	clock.Set(time.Date(2026, 3, 2, 20, 0, 0, 0, time.Local))
package schedule
