package pipeline

import (
	"encoding/json"
	"errors"
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

// ErrUploadNotRecorded says that a received file answers a file claimflow has not
// recorded as uploaded yet: the clearinghouse or payer answered before the record
// was made (the worker that uploaded it died before recording it, or a poll ran in
// between). Its claims are still batched and cannot take the answer, and an answer
// skipped would never be applied again: the stages that apply answers (acks, remit)
// leave such a file unapplied and return this error, not a poison, so that the
// message is delivered again after the upload is recorded (by the submit stage, or
// by its retry after a crash).
var ErrUploadNotRecorded = errors.New("answers a file whose upload is not recorded yet: applied once it is")

// Poison wraps err so that the message is terminated and dead-lettered.
func Poison(err error) error {
	return fmt.Errorf("%w: %w", bus.ErrPoison, err)
}
