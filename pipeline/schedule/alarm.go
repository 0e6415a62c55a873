package schedule

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/storage"
)

// Within returns how long ch's files may wait for an acknowledgement of kind
// (profile.Kind999 or profile.Kind277CA): the configured alarm delay, else the
// profile's expectation; 0 when neither says (no alarm for that kind).
func Within(ch *pipeline.Clearinghouse, kind profile.Kind) time.Duration {
	switch kind {
	case profile.Kind999:
		if ch.Alarms.Ack999Within > 0 {
			return ch.Alarms.Ack999Within
		}
	case profile.Kind277CA:
		if ch.Alarms.Ack277CAWithin > 0 {
			return ch.Alarms.Ack277CAWithin
		}
	}
	for _, x := range ch.Profile.Expect {
		if x.Kind == kind {
			return x.Within
		}
	}
	return 0
}

// CheckAcks raises the missing-acknowledgement alarm as of now for every
// clearinghouse of env: one missing-ack work item per late file and kind (its
// DedupKey "missing-ack:<kind>:<submission id>" makes a second check add
// nothing, even after a person closed the item) and one warning log line with
// ids only. It returns how many items it added.
func CheckAcks(ctx context.Context, env *pipeline.Env, now time.Time) (int, error) {
	names := make([]string, 0, len(env.Clearinghouses))
	for name := range env.Clearinghouses {
		names = append(names, name)
	}
	slices.Sort(names)
	added := 0
	for _, name := range names {
		ch := env.Clearinghouses[name]
		for _, kind := range []profile.Kind{profile.Kind999, profile.Kind277CA} {
			within := Within(ch, kind)
			if within <= 0 {
				continue
			}
			n, err := checkKind(ctx, env, name, kind, within, now)
			added += n
			if err != nil {
				return added, err
			}
		}
	}
	return added, nil
}

func checkKind(ctx context.Context, env *pipeline.Env, clearinghouse string, kind profile.Kind, within time.Duration, now time.Time) (int, error) {
	list := env.Store.SubmissionsMissing999
	what, key := "999", "999"
	if kind == profile.Kind277CA {
		list = env.Store.SubmissionsMissing277CA
		what, key = "277CA for", "277ca"
	}
	added := 0
	for after := int64(0); ; {
		late, err := list(ctx, clearinghouse, now.Add(-within), after, pageSize)
		if err != nil {
			return added, fmt.Errorf("checking %s acknowledgements of %s: %w", kind, clearinghouse, err)
		}
		if len(late) == 0 {
			return added, nil
		}
		after = late[len(late)-1].ID
		for _, s := range late {
			msg := fmt.Sprintf("no %s %d claims of file %s (submission %d, ISA13 %s) sent to %s at %s: expected within %s",
				what, s.Claims, s.FileName, s.ID, s.ISA13, clearinghouse, s.TransmittedAt.UTC().Format(time.RFC3339), within)
			if kind == profile.Kind999 {
				msg = fmt.Sprintf("no 999 for file %s (submission %d, ISA13 %s, %d claims) sent to %s at %s: expected within %s",
					s.FileName, s.ID, s.ISA13, s.Claims, clearinghouse, s.TransmittedAt.UTC().Format(time.RFC3339), within)
			}
			_, isNew, err := env.Store.AddWorkItem(ctx, storage.WorkItem{
				Kind:     storage.WorkMissingAck,
				DedupKey: fmt.Sprintf("missing-ack:%s:%d", key, s.ID),
				Codes:    []string{string(kind), clearinghouse},
				Message:  msg,
			})
			if err != nil {
				return added, fmt.Errorf("raising missing %s alarm of submission %d: %w", kind, s.ID, err)
			}
			if isNew {
				added++
				env.Log().Warn("acknowledgement missing", "kind", string(kind), "clearinghouse", clearinghouse,
					"submission", s.ID, "isa13", s.ISA13, "claims", s.Claims, "transmitted", s.TransmittedAt.UTC(), "within", within)
			}
		}
		if len(late) < pageSize {
			return added, nil
		}
	}
}
