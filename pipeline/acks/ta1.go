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
	// NotApplied says why the TA1 moved no claim, when it says so of all.
	NotApplied string `json:"not_applied,omitempty"`
	// Skipped are the claims sent again since (it answers an earlier submission of
	// them), Late those that had moved on: the TA1 was not applied to them.
	Skipped []int64     `json:"skipped_claims,omitempty"`
	Late    []lateClaim `json:"late,omitempty"`
}

// knownTA1Code reports whether TA104 is one of the codes of the standard: A, E, R.
func knownTA1Code(code string) bool {
	return code == ta1.Accepted || code == ta1.AcceptedWithErrors || code == ta1.Rejected
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
		if err := a.ta1Claims(ctx, &t, &sub, pos, text); err != nil {
			return fmt.Errorf("applying TA1 for ISA13 %s (submission %d): %w", t.ControlNumber, sub.ID, err)
		}
	}
	return nil
}

// ta1Claims stores a TA1 to a submission of ours and applies it to the claims.
func (a *applier) ta1Claims(ctx context.Context, t *ta1.Ack, sub *storage.Submission, pos, text string) error {
	subID := strconv.FormatInt(sub.ID, 10)
	detail := ta1Detail{File: sub.FileName, Text: text, Note: ta1.NoteText(t.Note)}
	ack := storage.Ack{Key: a.key(pos), Kind: KindTA1, SubmissionID: sub.ID, ISA13: t.ControlNumber, Status: t.Code,
		Codes: []string{t.Note}}
	switch {
	case !knownTA1Code(t.Code):
		// Neither accepted nor rejected: nothing is known of the claims, which stay
		// where they are until a person finds out what the clearinghouse meant.
		detail.NotApplied = fmt.Sprintf("TA104 %q is not a code claimflow knows (A, E or R): not applied", t.Code)
		isNew, err := a.store(ctx, ack, detail)
		if err != nil || !isNew {
			return err
		}
		a.exception("ta1:code:"+subID+":"+t.Code, []string{"TA1", "TA104-" + t.Code, t.Note},
			fmt.Sprintf("the clearinghouse %s answered interchange %s (submission %d, file %s) with TA104 %q, which is not a TA1 code "+
				"claimflow knows (A accepted, E accepted with errors, R rejected). The claims were left where they are: "+
				"ask the clearinghouse whether the file was accepted.",
				sub.Clearinghouse, t.ControlNumber, sub.ID, sub.FileName, t.Code))
		return nil
	case t.Code == ta1.Rejected && t.Note == noteDuplicate:
		// The clearinghouse has seen this ISA13 before. Since we did send this file, it
		// is most likely the same file uploaded twice: the first upload's answers
		// decide the claims, and a person checks what happened.
		isNew, err := a.store(ctx, ack, detail)
		if err != nil || !isNew {
			return err
		}
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
	ids := make([]int64, len(sub.Claims))
	for i, sc := range sub.Claims {
		ids[i] = sc.ClaimID
	}
	moving, earlier, late, err := a.sortClaims(ctx, sub.ID, ids, to)
	if err != nil {
		return err
	}
	detail.Skipped, detail.Late = earlier, late
	isNew, err := a.store(ctx, ack, detail)
	if err != nil || !isNew {
		return err
	}
	a.res.Skipped += len(earlier)
	note, err := encodeNote(moveNote{InboundFileID: a.file.ID, Answer: pos, Status: t.Code, Codes: []string{t.Note}, Text: text})
	if err != nil {
		return err
	}
	for _, l := range late {
		a.move(l.ClaimID, to, storage.CauseTA1, note, "") // refused: counted as skipped
	}
	reason := ta1.NoteText(t.Note)
	if reason == "" {
		reason = "interchange note code " + t.Note
	}
	for _, i := range moving {
		id := ids[i]
		a.move(id, to, storage.CauseTA1, note, "")
		if to != storage.StateEnvelopeRejected {
			continue
		}
		a.queue(storage.WorkItem{
			Kind:     storage.WorkRejection,
			DedupKey: "ta1:" + subID + ":" + strconv.FormatInt(id, 10),
			ClaimID:  id,
			Codes:    []string{"TA1-R", "TA105-" + t.Note},
			Message: fmt.Sprintf("the clearinghouse rejected the whole file %s (interchange %s): %s (TA105 %s). "+
				"No claim in it reached the payer. The envelope comes from claimflow's clearinghouse settings, not from the claim: "+
				"once they are fixed, send the claim again.", sub.FileName, t.ControlNumber, reason, t.Note),
		})
	}
	return nil
}
