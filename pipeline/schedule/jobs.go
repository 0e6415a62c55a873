package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// job is one schedule: a cron and what a firing does.
type job struct {
	// name is the schedule's key in the firings bucket: "submit.availity".
	name string
	cron config.Cron
	// eachStart makes the job fire whenever this process becomes the leader,
	// instead of only after a missed slot (the alarm).
	eachStart bool
	fire      func(ctx context.Context, at time.Time) error
}

// clearinghouseJobs returns the submit, poll and post schedules of ch that are
// not off.
func clearinghouseJobs(env *pipeline.Env, ch *pipeline.Clearinghouse) []job {
	var jobs []job
	if !ch.Schedule.Submit.IsZero() {
		jobs = append(jobs, job{name: "submit." + ch.Name, cron: ch.Schedule.Submit,
			fire: func(ctx context.Context, _ time.Time) error { return emitClearinghouse(ctx, env, bus.Batch, ch.Name) }})
	}
	if !ch.Schedule.Poll.IsZero() {
		jobs = append(jobs, job{name: "poll." + ch.Name, cron: ch.Schedule.Poll,
			fire: func(ctx context.Context, _ time.Time) error { return emitClearinghouse(ctx, env, bus.Fetch, ch.Name) }})
	}
	if !ch.Schedule.Post.IsZero() {
		jobs = append(jobs, job{name: "post." + ch.Name, cron: ch.Schedule.Post,
			fire: func(ctx context.Context, _ time.Time) error {
				_, err := PostPending(ctx, env, ch.Name)
				return err
			}})
	}
	return jobs
}

// emitClearinghouse writes one ClearinghouseWork for stage s to the outbox.
func emitClearinghouse(ctx context.Context, env *pipeline.Env, s bus.Stage, name string) error {
	err := env.InTx(ctx, func(tx *storage.Tx) error {
		return env.Emit(ctx, tx, s, pipeline.ClearinghouseWork{Clearinghouse: name})
	})
	if err != nil {
		return fmt.Errorf("scheduling %s of %s: %w", s, name, err)
	}
	return nil
}

// pageSize is how many inbound files PostPending reads and emits per transaction.
const pageSize = 500

// PostPending emits InboundWork{Kind: "835"} to the remit stage for every stored
// 835 from the clearinghouse (its inbound files' source) still new, and returns
// how many. Remit posts a remittance once whatever the number of messages, so
// emitting one for a file already on its way costs a lookup.
func PostPending(ctx context.Context, env *pipeline.Env, clearinghouse string) (int, error) {
	n := 0
	for after := int64(0); ; {
		files, err := env.Store.InboundFiles(ctx, storage.InboundNew, after, pageSize)
		if err != nil {
			return n, fmt.Errorf("listing new 835s of %s: %w", clearinghouse, err)
		}
		if len(files) == 0 {
			return n, nil
		}
		after = files[len(files)-1].ID
		var ids []int64
		for _, f := range files {
			if f.Kind == "835" && f.Source == clearinghouse {
				ids = append(ids, f.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		err = env.InTx(ctx, func(tx *storage.Tx) error {
			for _, id := range ids {
				if err := env.Emit(ctx, tx, bus.Remit, pipeline.InboundWork{InboundID: id, Kind: "835"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("scheduling the posting of %d 835s of %s: %w", len(ids), clearinghouse, err)
		}
		n += len(ids)
	}
}
