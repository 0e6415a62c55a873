package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

func init() {
	Register(bus.Classify, func(env *Env) (bus.Handler, error) {
		return bus.HandlerFunc(func(ctx context.Context, m bus.Message) error {
			var w InboundWork
			if err := Decode(m, &w); err != nil {
				return err
			}
			_, err := Classify(ctx, env, w.InboundID)
			return err
		}), nil
	})
}

// The inbound kinds classify gives, as storage and the InboundWork payload name
// them.
const (
	KindTA1   = "ta1"
	Kind999   = "999"
	Kind277CA = "277ca"
	Kind835   = "835"
)

// Classified is what Classify decided about one inbound file.
type Classified struct {
	InboundID int64
	Name      string
	Kind      string // ta1, 999, 277ca, 835; "" when quarantined
	// Quarantined files are set aside with Reason and an exception work item.
	Quarantined bool
	Reason      string
	// Before is true when the file had been classified (or quarantined) already:
	// nothing was done now.
	Before bool
}

// Classify decides what an inbound file is from its content (the ISA, GS01, ST01
// and ST03: profile.Sniff), records the kind and, in the same transaction, emits
// the file to the acks stage (ta1, 999, 277ca) or the remit stage (835). A file that
// is none of these, or cannot be read as X12, is quarantined with the reason and an
// exception work item; the name the clearinghouse's profile gives it (a report, a
// notification, a zip) goes into the reason. A file classified or quarantined
// before is left alone.
func Classify(ctx context.Context, env *Env, inboundID int64) (Classified, error) {
	res := Classified{InboundID: inboundID}
	err := env.InTx(ctx, func(tx *storage.Tx) error {
		res = Classified{InboundID: inboundID}
		f, err := tx.InboundFileInfo(ctx, inboundID)
		if errors.Is(err, storage.ErrNotFound) {
			return Poison(fmt.Errorf("classifying: %w", err))
		}
		if err != nil {
			return fmt.Errorf("classifying inbound file %d: %w", inboundID, err)
		}
		res.Name = f.Name
		switch {
		case f.Status == storage.InboundQuarantined:
			res.Quarantined, res.Reason, res.Before = true, f.Reason, true
			return nil
		case f.Status != storage.InboundNew || (f.Kind != "" && f.Kind != "unknown"):
			res.Kind, res.Before = f.Kind, true
			return nil
		}
		head, err := inboundHead(ctx, tx, f.ID)
		if err != nil {
			return fmt.Errorf("classifying inbound file %d: %w", inboundID, err)
		}
		kind, reason := classifyContent(env, &f, head)
		if kind == "" {
			res.Quarantined, res.Reason = true, reason
			if err := tx.QuarantineInbound(ctx, f.ID, reason); err != nil {
				return err
			}
			_, _, err := tx.AddWorkItem(ctx, storage.WorkItem{Kind: storage.WorkException,
				DedupKey: "inbound:" + strconv.FormatInt(f.ID, 10) + ":unclassified", Codes: []string{"unclassified-inbound"},
				Message: fmt.Sprintf("inbound file %d (%s from %s, %d bytes) was set aside: %s", f.ID, f.Name, f.Source, f.Size, reason)})
			return err
		}
		res.Kind = kind
		if err := tx.SetInboundKind(ctx, f.ID, kind); err != nil {
			return err
		}
		next := bus.Acks
		if kind == Kind835 {
			next = bus.Remit
		}
		return env.Emit(ctx, tx, next, InboundWork{InboundID: f.ID, Kind: kind})
	})
	if err != nil {
		return res, err
	}
	if !res.Before {
		env.Log().Info("inbound file classified", "inbound", inboundID, "kind", res.Kind, "quarantined", res.Quarantined)
	}
	return res, nil
}

// inboundHead returns the first 8 KB of the file's content (all of a smaller one):
// enough for its envelope, whatever the file's size.
func inboundHead(ctx context.Context, tx *storage.Tx, id int64) ([]byte, error) {
	r, _, err := tx.InboundContent(ctx, id)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, 8<<10))
}

// classifyContent returns the file's kind from the head of its content, or "" and
// why it cannot be processed.
func classifyContent(env *Env, f *storage.InboundFile, head []byte) (string, string) {
	switch k := profile.Sniff(head); k {
	case profile.KindTA1:
		return KindTA1, ""
	case profile.Kind999:
		return Kind999, ""
	case profile.Kind277CA:
		return Kind277CA, ""
	case profile.Kind835:
		return Kind835, ""
	case profile.Kind277:
		return "", "a 277 claim status response (005010X212), which claimflow does not process"
	}
	byName := profile.KindUnknown
	if ch, ok := env.Clearinghouses[f.Source]; ok {
		byName = ch.Profile.KindByName(f.Name)
	}
	switch byName {
	case profile.KindReport, profile.KindNotification, profile.KindACK:
		return "", fmt.Sprintf("a clearinghouse %s file, not X12: read it on the clearinghouse's site", byName)
	case profile.KindZip:
		return "", "a zip bundle: claimflow does not unpack bundles yet"
	}
	if f.Size == 0 {
		return "", "an empty file"
	}
	return "", "not an X12 TA1, 999, 277CA or 835 (no ISA, or an unreadable envelope, or another transaction set)"
}
