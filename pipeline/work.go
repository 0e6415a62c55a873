package pipeline

import (
	"encoding/json"
	"fmt"

	"github.com/claimflow/claimflow/pipeline/bus"
)

// The work payloads, JSON. They carry ids, never claim data.

// ClaimWork is a batch of claims for the scrub and secondary stages.
type ClaimWork struct {
	ClaimIDs []int64 `json:"claim_ids"`
}

// ClearinghouseWork names a clearinghouse: whose ready claims to batch (batch),
// whose inbound folders to poll (fetch).
type ClearinghouseWork struct {
	Clearinghouse string `json:"clearinghouse"`
}

// SubmissionWork is one built 837P file to upload.
type SubmissionWork struct {
	SubmissionID int64 `json:"submission_id"`
}

// InboundWork is one stored inbound file: to classify, or (with its kind) to
// apply as acknowledgements or post as a remittance.
type InboundWork struct {
	InboundID int64  `json:"inbound_id"`
	Kind      string `json:"kind,omitempty"` // ta1, 999, 277ca, 835 once classified
}

// NoticeWork is a batch of work items to tell people about.
type NoticeWork struct {
	WorkItemIDs []int64 `json:"work_item_ids"`
}

// Decode reads a message's payload into v. A payload that does not decode can
// never succeed: the error wraps bus.ErrPoison.
func Decode(m bus.Message, v any) error {
	if err := json.Unmarshal(m.Data, v); err != nil {
		return fmt.Errorf("%s message %s (sequence %d): %w: %v", m.Stage, m.ID, m.Sequence, bus.ErrPoison, err)
	}
	return nil
}

// Poison wraps err so that the message is terminated and dead-lettered.
func Poison(err error) error {
	return fmt.Errorf("%w: %w", bus.ErrPoison, err)
}
