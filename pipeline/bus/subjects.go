package bus

import (
	"fmt"
	"strings"
)

// Everything claimflow puts on NATS is listed here, for the default namespace
// "claimflow" (another namespace, such as a test's, replaces the leading
// "claimflow" and "CLAIMFLOW"):
//
//	subject                    stream            retention      durable consumer  carries
//	claimflow.work.scrub       CLAIMFLOW_WORK    work queue     scrub             a batch of claim ids to scrub
//	claimflow.work.batch       CLAIMFLOW_WORK    work queue     batch             a clearinghouse whose ready claims to batch into 837P files
//	claimflow.work.submit      CLAIMFLOW_WORK    work queue     submit            one built 837P file (its id) to upload
//	claimflow.work.fetch       CLAIMFLOW_WORK    work queue     fetch             a clearinghouse to poll for inbound files
//	claimflow.work.classify    CLAIMFLOW_WORK    work queue     classify          one stored inbound file (its SHA-256) to classify
//	claimflow.work.acks        CLAIMFLOW_WORK    work queue     acks              one TA1, 999 or 277CA file to apply
//	claimflow.work.remit       CLAIMFLOW_WORK    work queue     remit             one 835 file to balance, match and post
//	claimflow.work.secondary   CLAIMFLOW_WORK    work queue     secondary         a batch of claim ids to bill to the next payer
//	claimflow.work.notify      CLAIMFLOW_WORK    work queue     notify            a batch of notices (statements, alarms) to send
//	claimflow.event.<kind>     CLAIMFLOW_EVENTS  limits, 7 days (none here)       facts for observers: claim state changes, files sent
//	KV bucket claimflow_leader (stream KV_claimflow_leader)                       leader locks: the key "schedules" holds the id of the process running the schedules (pipeline/schedule), with a TTL
//	KV bucket claimflow_schedules (stream KV_claimflow_schedules)                 when each schedule last fired, so that a missed slot fires once and a new leader never repeats one
//
// Both streams keep a duplicate window (2 minutes by default) so that a message
// published twice with the same Nats-Msg-Id (an outbox row id) is stored once.
// Work messages carry ids, never claim data: a claim crosses the bus a handful of
// times at most, in batches, and a file's worth of work is one message. The stages
// own the payload formats; the bus carries bytes.

// DefaultNamespace prefixes every subject, stream and bucket unless Config says
// otherwise.
const DefaultNamespace = "claimflow"

// Stage names a pipeline stage: its work subject and its durable consumer.
type Stage string

// The pipeline stages, in the order a claim meets them.
const (
	Scrub     Stage = "scrub"     // SNIP 1-5 and payer rules; held or ready
	Batch     Stage = "batch"     // ready claims into 837P files per clearinghouse
	Submit    Stage = "submit"    // upload a file, rename, verify
	Fetch     Stage = "fetch"     // poll a clearinghouse, store raw bytes
	Classify  Stage = "classify"  // TA1 | 999 | 277CA | 835
	Acks      Stage = "acks"      // file, ST and claim accepted or rejected
	Remit     Stage = "remit"     // balance, match and post an 835
	Secondary Stage = "secondary" // COB 837P from the primary's 835
	Notify    Stage = "notify"    // statements, alarms, messages to people
)

// Stages returns every stage in flow order.
func Stages() []Stage {
	return []Stage{Scrub, Batch, Submit, Fetch, Classify, Acks, Remit, Secondary, Notify}
}

// Valid reports whether s is one of Stages.
func (s Stage) Valid() bool {
	for _, t := range Stages() {
		if s == t {
			return true
		}
	}
	return false
}

// Topology names the streams, subjects, consumers and buckets of one namespace.
// The zero value is not usable; get one from NewTopology or Bus.Topology.
type Topology struct {
	ns string
}

// NewTopology returns the names for namespace ns: lower-case letters, digits,
// '-' and '_', starting with a letter, at most 32 characters.
func NewTopology(ns string) (Topology, error) {
	if err := validNamespace(ns); err != nil {
		return Topology{}, err
	}
	return Topology{ns: ns}, nil
}

func validNamespace(ns string) error {
	if ns == "" || len(ns) > 32 || ns[0] < 'a' || ns[0] > 'z' {
		return fmt.Errorf("%w: namespace %q: want a lower-case letter then letters, digits, '-' or '_', at most 32", ErrInvalidOption, ns)
	}
	for _, r := range ns {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("%w: namespace %q: character %q", ErrInvalidOption, ns, r)
		}
	}
	return nil
}

// Namespace is the prefix of every name.
func (t Topology) Namespace() string { return t.ns }

// WorkStream is the work-queue stream holding every stage's work subject.
func (t Topology) WorkStream() string { return strings.ToUpper(t.ns) + "_WORK" }

// EventStream is the limits stream holding the event subjects.
func (t Topology) EventStream() string { return strings.ToUpper(t.ns) + "_EVENTS" }

// WorkSubject is the subject a stage's work is published on.
func (t Topology) WorkSubject(s Stage) string { return t.ns + ".work." + string(s) }

// WorkSubjects lists the work subjects of every stage, in flow order.
func (t Topology) WorkSubjects() []string {
	var list []string
	for _, s := range Stages() {
		list = append(list, t.WorkSubject(s))
	}
	return list
}

// EventSubject is the subject of an event kind, such as "claim.state".
func (t Topology) EventSubject(kind string) string { return t.ns + ".event." + kind }

// EventWildcard matches every event subject.
func (t Topology) EventWildcard() string { return t.ns + ".event.>" }

// Consumer is the durable pull consumer of a stage on the work stream.
func (t Topology) Consumer(s Stage) string { return string(s) }

// LeaderBucket is the KV bucket holding the schedules' leader locks.
func (t Topology) LeaderBucket() string { return t.ns + "_leader" }
