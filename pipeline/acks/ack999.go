package acks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/edi/x999"
	"github.com/claimflow/claimflow/storage"
)

// set999Detail is what a stored 999 transaction set answer says, without IK404
// (a copy of the bad value, which may be patient data).
type set999Detail struct {
	File     string        `json:"file,omitempty"`
	Text     string        `json:"text"`
	Group    string        `json:"group_status,omitempty"`
	Errors   []error999    `json:"errors,omitempty"`
	Skipped  []int64       `json:"skipped_claims,omitempty"`
	Unplaced []string      `json:"unplaced,omitempty"`
	Codes    []codeMeaning `json:"codes,omitempty"`
}

type codeMeaning struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// error999 is one IK3 (with one of its IK4s) placed in our claims.
type error999 struct {
	Segment  string `json:"segment"`
	Position int    `json:"position"`
	Loop     string `json:"loop,omitempty"`
	Element  string `json:"element,omitempty"`
	Codes    string `json:"codes"`
	ClaimID  int64  `json:"claim_id,omitempty"`
	Line     int    `json:"line,omitempty"` // 1-based
	Field    string `json:"field,omitempty"`
	Text     string `json:"text"`
}

// apply999 applies each 999 to the transaction sets of the group it answers.
func (a *applier) apply999(ctx context.Context, acks []x999.Ack) error {
	for gi, ack := range acks {
		gs06 := ack.Group.Control
		subID, err := a.r.SubmissionByGroup(ctx, a.file.Source, gs06)
		if a.byGroup == nil {
			a.byGroup = map[string]int64{}
		}
		a.byGroup[gs06] = subID // 0 when not found
		if errors.Is(err, storage.ErrNotFound) {
			isNew, err := a.store(ctx, storage.Ack{Key: a.key("999/" + strconv.Itoa(gi)), Kind: Kind999, GS06: gs06,
				Status: ack.Status, Codes: ack.Codes}, set999Detail{Text: x999.StatusText(ack.Status)})
			if err != nil || !isNew {
				return err
			}
			a.exception("999:unknown:"+a.file.Source+":"+gs06, []string{"999", ack.Status},
				fmt.Sprintf("999 in inbound file %d answers functional group %s, which claimflow has no record of sending to %s.",
					a.file.ID, gs06, a.file.Source))
			continue
		}
		if err != nil {
			return err
		}
		// The claims are read by transaction set (set999); all of them only for a
		// group rejected as a whole (AK905-AK909), without set answers.
		sub, err := a.r.SubmissionHeader(ctx, subID)
		if err != nil {
			return err
		}
		if err := notYetSent(&sub); err != nil {
			return err
		}
		if len(ack.Sets) == 0 && !groupAccepted(ack.Status) {
			if sub.Claims, err = a.r.SubmittedClaims(ctx, sub.ID, "", ""); err != nil {
				return err
			}
			ack.Sets = groupSets(&sub, gs06, ack.Status, ack.Codes)
		}
		for si := range ack.Sets {
			if err := a.set999(ctx, &sub, &ack, gi, si); err != nil {
				return fmt.Errorf("applying 999 for group %s set %s (submission %d): %w", gs06, ack.Sets[si].Control, sub.ID, err)
			}
		}
	}
	return nil
}

func groupAccepted(status string) bool {
	return status == x999.Accepted || status == x999.AcceptedWithErrors || status == x999.PartiallyAccepted
}

// groupSets makes a rejected answer for every set of the group, for a 999 that
// rejects the group without answering its sets.
func groupSets(sub *storage.Submission, gs06, status string, codes []string) []x999.SetResponse {
	var sets []x999.SetResponse
	seen := map[string]bool{}
	for _, sc := range sub.Claims {
		if sc.Trace.GS06 == gs06 && !seen[sc.Trace.ST02] {
			seen[sc.Trace.ST02] = true
			sets = append(sets, x999.SetResponse{ID: "837", Control: sc.Trace.ST02, Status: x999.Rejected,
				Codes: append([]string{"AK901-" + status}, prefixed("AK905-", codes)...)})
		}
	}
	return sets
}

func (a *applier) set999(ctx context.Context, sub *storage.Submission, ack *x999.Ack, gi, si int) error {
	set := &ack.Sets[si]
	gs06, st02 := ack.Group.Control, set.Control
	pos := "999/" + strconv.Itoa(gi) + "/" + strconv.Itoa(si)
	claims, err := a.r.SubmittedClaims(ctx, sub.ID, gs06, st02)
	if err != nil {
		return err
	}
	detail := set999Detail{File: sub.FileName, Text: x999.StatusText(set.Status), Group: ack.Status}
	for _, c := range set.Codes {
		detail.Codes = append(detail.Codes, codeMeaning{c, setCodeText(c)})
	}
	var m *segmentMap
	if len(set.Segments) > 0 {
		if m, err = newSegmentMap(ctx, a, claims); err != nil {
			return err
		}
	}
	// Place every error first, so that the acknowledgement stored says where each is.
	type finding struct {
		e     error999
		place place
		codes []string
	}
	var findings []finding
	for _, seg := range set.Segments {
		elems := seg.Elements
		if len(elems) == 0 {
			elems = []x999.ElementError{{}}
		}
		for _, el := range elems {
			p := m.locate(seg.Position, seg.ID, seg.BusinessUnit(), el.Position, el.Component)
			f := finding{place: p, codes: []string{"999", "IK304-" + seg.Code}}
			f.e = error999{Segment: seg.ID, Position: seg.Position, Loop: seg.Loop, Codes: "IK304 " + seg.Code,
				Field: p.field.String(), Text: segmentText(&seg, &el)}
			if el.Position > 0 {
				f.e.Element = elementName(seg.ID, &el)
				f.e.Codes += ", IK403 " + el.Code
				f.codes = append(f.codes, "IK403-"+el.Code)
			}
			if p.claim >= 0 {
				f.e.ClaimID = claims[p.claim].ClaimID
				if p.line >= 0 {
					f.e.Line = p.line + 1
				}
			} else {
				detail.Unplaced = append(detail.Unplaced, fmt.Sprintf("%s at position %d", seg.ID, seg.Position))
			}
			findings = append(findings, f)
			detail.Errors = append(detail.Errors, f.e)
		}
	}
	rejected := !set.Accepted()
	to := storage.StateSyntaxAccepted
	if rejected {
		to = storage.StateSyntaxRejected
	}
	// Which claims this answer may move: those whose latest submission it answers.
	ids := make([]int64, len(claims))
	for i, sc := range claims {
		ids[i] = sc.ClaimID
	}
	if err := a.prefetchLatest(ctx, ids); err != nil {
		return err
	}
	var moving []int
	for i, sc := range claims {
		ok, err := a.current(ctx, sc.ClaimID, sub.ID)
		if err != nil {
			return err
		}
		if ok {
			moving = append(moving, i)
		} else {
			detail.Skipped = append(detail.Skipped, sc.ClaimID)
		}
	}
	isNew, err := a.store(ctx, storage.Ack{Key: a.key(pos), Kind: Kind999, SubmissionID: sub.ID, ISA13: sub.ISA13,
		GS06: gs06, ST02: st02, Status: set.Status, Codes: set.Codes}, detail)
	if err != nil || !isNew {
		return err
	}
	a.res.Skipped += len(detail.Skipped)
	note := moveNote{InboundFileID: a.file.ID, Answer: pos, Status: set.Status, Codes: set.Codes, Text: detail.Text}
	if !rejected && len(findings) > 0 {
		note.Text += fmt.Sprintf(" (%d errors noted)", len(findings))
	}
	encoded, err := encodeNote(note)
	if err != nil {
		return err
	}
	for _, i := range moving {
		a.move(claims[i].ClaimID, to, storage.Cause999, encoded, "")
	}
	if !rejected {
		return nil
	}
	where := fmt.Sprintf("transaction set %s of file %s (interchange %s, group %s)", st02, sub.FileName, sub.ISA13, gs06)
	own := map[int]bool{}
	for fi, f := range findings {
		targets := []int{f.place.claim}
		if f.place.shared {
			targets = moving
		}
		if f.place.claim < 0 {
			a.exception(fmt.Sprintf("999:%d:%s:%s:%d:%d", sub.ID, gs06, st02, f.e.Position, fi), f.codes,
				fmt.Sprintf("999: the clearinghouse rejected %s for an error outside any claim: %s. It is in claimflow's submitter or receiver settings; the claims of the set are in the rejection queue.",
					where, f.e.Text))
			continue
		}
		for _, ci := range targets {
			if !containsInt(moving, ci) {
				continue
			}
			own[ci] = true
			msg := fmt.Sprintf("999: the clearinghouse rejected %s: %s", where, f.e.Text)
			if f.e.Line > 0 && !f.place.shared {
				msg += fmt.Sprintf(", service line %d", f.e.Line)
			}
			if f.place.field != "" {
				msg += ". Fix " + f.place.field.String() + " and send the claim again."
			} else {
				msg += ". Fix the claim and send it again."
			}
			a.queue(storage.WorkItem{
				Kind:     storage.WorkRejection,
				DedupKey: fmt.Sprintf("999:%d:%s:%s:%d:%d:%s", sub.ID, gs06, st02, claims[ci].ClaimID, f.e.Position, f.e.Element),
				ClaimID:  claims[ci].ClaimID,
				Codes:    f.codes,
				Field:    f.place.field.String(),
				Message:  msg,
			})
		}
	}
	for _, ci := range moving {
		if own[ci] {
			continue
		}
		// Rejected with its set for errors elsewhere (or for the set's envelope).
		why := "because of errors in other claims of the set"
		if len(findings) == 0 {
			why = "(" + strings.Join(setTexts(set.Codes), "; ") + ")"
		}
		a.queue(storage.WorkItem{
			Kind:     storage.WorkRejection,
			DedupKey: fmt.Sprintf("999:%d:%s:%s:%d:set", sub.ID, gs06, st02, claims[ci].ClaimID),
			ClaimID:  claims[ci].ClaimID,
			Codes:    append([]string{"999", "IK501-" + set.Status}, prefixed("IK502-", set.Codes)...),
			Message: fmt.Sprintf("999: the clearinghouse rejected %s %s. This claim has no error of its own: send it again unchanged.",
				where, why),
		})
	}
	return nil
}

// segmentText says what is wrong with a segment (and an element of it) in words.
func segmentText(seg *x999.SegmentError, el *x999.ElementError) string {
	s := fmt.Sprintf("segment %s at position %d", seg.ID, seg.Position)
	if seg.Loop != "" {
		s += " (loop " + seg.Loop + ")"
	}
	if el.Position > 0 {
		t := x999.ElementCodeText(el.Code)
		if t == "" {
			t = "element error"
		}
		return s + fmt.Sprintf(": element %s: %s (IK403 %s)", elementName(seg.ID, el), t, el.Code)
	}
	t := x999.SegmentCodeText(seg.Code)
	if t == "" {
		t = "segment error"
	}
	return s + fmt.Sprintf(": %s (IK304 %s)", t, seg.Code)
}

// elementName names an element as SV103 or SV101-2.
func elementName(seg string, el *x999.ElementError) string {
	s := fmt.Sprintf("%s%02d", seg, el.Position)
	if el.Component > 0 {
		s += "-" + strconv.Itoa(el.Component)
	}
	return s
}

func setCodeText(c string) string {
	if g, ok := strings.CutPrefix(c, "AK901-"); ok {
		return "the functional group was " + x999.StatusText(g)
	}
	if g, ok := strings.CutPrefix(c, "AK905-"); ok {
		if t := x999.GroupCodeText(g); t != "" {
			return t
		}
		return "group error code " + g
	}
	if t := x999.SetCodeText(c); t != "" {
		return t
	}
	return "transaction set error code " + c
}

func setTexts(codes []string) []string {
	if len(codes) == 0 {
		return []string{"no reason given"}
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = setCodeText(c)
	}
	return out
}

// prefixed names codes by their element ("IK502-5"), leaving those named already.
func prefixed(p string, codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		if strings.Contains(c, "-") {
			out[i] = c
		} else {
			out[i] = p + c
		}
	}
	return out
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
