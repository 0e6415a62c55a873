package acks

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/claimflow/claimflow/edi/ta1"
	"github.com/claimflow/claimflow/storage"
)

// noteDuplicate is TA105 025: the interchange control number was seen before.
const noteDuplicate = "025"

// ta1Detail is what a stored TA1 says, for a person.
type ta1Detail struct {
	File string `json:"file"`
	Text string `json:"text"`
	Note string `json:"note,omitempty"`
}

// applyTA1 applies each TA1 to the submission whose ISA13 it names.
func (a *applier) applyTA1(ctx context.Context, acks []ta1.Ack) error {
	for i, t := range acks {
		pos := "ta1/" + strconv.Itoa(i)
		text := t.Text()
		sub, err := a.r.SubmissionByISA13(ctx, a.file.Source, t.ControlNumber)
		if a.byISA13 == nil {
			a.byISA13 = map[string]int64{}
		}
		a.byISA13[t.ControlNumber] = sub.ID // 0 when not found
		if errors.Is(err, storage.ErrNotFound) {
			isNew, err := a.store(ctx, storage.Ack{Key: a.key(pos), Kind: KindTA1, ISA13: t.ControlNumber, Status: t.Code,
				Codes: []string{t.Note}}, ta1Detail{File: a.file.Name, Text: text})
			if err != nil || !isNew {
				return err
			}
			a.exception("ta1:unknown:"+a.file.Source+":"+t.ControlNumber, []string{"TA1", t.Code, t.Note},
				fmt.Sprintf("TA1 in inbound file %d answers interchange %s, which claimflow has no record of sending to %s (%s). Check the clearinghouse account.",
					a.file.ID, t.ControlNumber, a.file.Source, text))
			continue
		}
		if err != nil {
			return err
		}
		if err := notYetSent(&sub); err != nil {
			return err
		}
		isNew, err := a.store(ctx, storage.Ack{Key: a.key(pos), Kind: KindTA1, SubmissionID: sub.ID, ISA13: t.ControlNumber,
			Status: t.Code, Codes: []string{t.Note}}, ta1Detail{File: sub.FileName, Text: text, Note: ta1.NoteText(t.Note)})
		if err != nil || !isNew {
			return err
		}
		if err := a.ta1Claims(ctx, &t, &sub, pos, text); err != nil {
			return fmt.Errorf("applying TA1 for ISA13 %s (submission %d): %w", t.ControlNumber, sub.ID, err)
		}
	}
	return nil
}

func (a *applier) ta1Claims(ctx context.Context, t *ta1.Ack, sub *storage.Submission, pos, text string) error {
	subID := strconv.FormatInt(sub.ID, 10)
	if t.Code == ta1.Rejected && t.Note == noteDuplicate {
		// The clearinghouse has seen this ISA13 before. Since we did send this file, it
		// is most likely the same file uploaded twice: the first upload's answers
		// decide the claims, and a person checks what happened.
		a.exception("ta1:duplicate:"+subID, []string{"TA1", t.Code, t.Note},
			fmt.Sprintf("the clearinghouse %s rejected interchange %s (submission %d, file %s) as a duplicate control number (TA105 025). "+
				"claimflow did send that file: probably it was uploaded twice. The claims were not rejected; check that the first upload was acknowledged.",
				sub.Clearinghouse, t.ControlNumber, sub.ID, sub.FileName))
		return nil
	}
	to := storage.StateEnvelopeAccepted
	if t.Code == ta1.Rejected {
		to = storage.StateEnvelopeRejected
	}
	note, err := encodeNote(moveNote{InboundFileID: a.file.ID, Answer: pos, Status: t.Code, Codes: []string{t.Note}, Text: text})
	if err != nil {
		return err
	}
	ids := make([]int64, len(sub.Claims))
	for i, sc := range sub.Claims {
		ids[i] = sc.ClaimID
	}
	if err := a.prefetchLatest(ctx, ids); err != nil {
		return err
	}
	for _, sc := range sub.Claims {
		ok, err := a.current(ctx, sc.ClaimID, sub.ID)
		if err != nil {
			return err
		}
		if !ok {
			a.res.Skipped++
			continue
		}
		a.move(sc.ClaimID, to, storage.CauseTA1, note, "")
		if to != storage.StateEnvelopeRejected {
			continue
		}
		reason := ta1.NoteText(t.Note)
		if reason == "" {
			reason = "interchange note code " + t.Note
		}
		a.queue(storage.WorkItem{
			Kind:     storage.WorkRejection,
			DedupKey: "ta1:" + subID + ":" + strconv.FormatInt(sc.ClaimID, 10),
			ClaimID:  sc.ClaimID,
			Codes:    []string{"TA1-R", "TA105-" + t.Note},
			Message: fmt.Sprintf("the clearinghouse rejected the whole file %s (interchange %s): %s (TA105 %s). "+
				"No claim in it reached the payer. The envelope comes from claimflow's clearinghouse settings, not from the claim: "+
				"once they are fixed, send the claim again.", sub.FileName, t.ControlNumber, reason, t.Note),
		})
	}
	return nil
}
