package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/claimflow/claimflow/pipeline/bus"
)

// firings remembers when each schedule last fired, in a KV bucket beside the
// leader lock, so that a new leader neither repeats nor misses its
// predecessor's slots.
type firings struct {
	kv jetstream.KeyValue
}

// bucketName is the KV bucket of the last firings in a namespace.
func bucketName(t bus.Topology) string { return t.Namespace() + "_schedules" }

// openFirings opens (creating it if missing) the bucket, with as many replicas as
// the work stream has.
func openFirings(ctx context.Context, b *bus.Bus) (*firings, error) {
	t := b.Topology()
	replicas := 1
	if s, err := b.JetStream().Stream(ctx, t.WorkStream()); err == nil {
		replicas = max(s.CachedInfo().Config.Replicas, 1)
	}
	name := bucketName(t)
	kv, err := b.JetStream().KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = b.JetStream().CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      name,
			Description: "claimflow schedules: when each last fired",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = b.JetStream().KeyValue(ctx, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("opening schedule bucket %s: %w", name, err)
	}
	return &firings{kv: kv}, nil
}

// last returns when the schedule last fired; ok is false when it never did.
func (f *firings) last(ctx context.Context, job string) (t time.Time, ok bool, err error) {
	e, err := f.kv.Get(ctx, job)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reading last firing of %s: %w", job, err)
	}
	if err := t.UnmarshalText(e.Value()); err != nil {
		return time.Time{}, false, fmt.Errorf("reading last firing of %s: %q: %w", job, e.Value(), err)
	}
	return t, true, nil
}

// record stores when the schedule fired.
func (f *firings) record(ctx context.Context, job string, at time.Time) error {
	v, _ := at.UTC().MarshalText()
	if _, err := f.kv.Put(ctx, job, v); err != nil {
		return fmt.Errorf("recording firing of %s at %s: %w", job, at.Format(time.RFC3339), err)
	}
	return nil
}
