package acks

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	Late     []lateClaim   `json:"late,omitempty"`
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
	for gi := range acks {
		ack := &acks[gi]
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
		// group rejected as a whole (AK905-AK909), whose sets are all rejected,
		// the 999 answering some of them one by one or none.
		sub, err := a.r.SubmissionHeader(ctx, subID)
		if err != nil {
			return err
		}
		if err := notYetSent(&sub); err != nil {
			return err
		}
		sets := slices.Clip(ack.Sets)
		if !groupAccepted(ack.Status) {
			if sub.Claims, err = a.r.SubmittedClaims(ctx, sub.ID, "", ""); err != nil {
				return err
			}
			for _, g := range groupSets(&sub, gs06) {
				if !slices.ContainsFunc(ack.Sets, func(s x999.SetResponse) bool { return s.Control == g.Control }) {
					sets = append(sets, g) // not answered one by one: rejected with the group
				}
			}
		}
		for si := range sets {
			if err := a.set999(ctx, &sub, ack, sets[si], gi, si); err != nil {
				return fmt.Errorf("applying 999 for group %s set %s (submission %d): %w", gs06, sets[si].Control, sub.ID, err)
			}
		}
	}
	return nil
}

// groupAccepted reports whether AK901 accepts the group, whole or in part: then
// each transaction set is what its IK5 says. A group rejected (R, or M, W, X) is
// rejected with every set in it, whatever their IK5 says.
func groupAccepted(status string) bool {
	return status == x999.Accepted || status == x999.AcceptedWithErrors || status == x999.PartiallyAccepted
}

// groupSets makes an answer for every set of the group, for a 999 that rejects
// the group without answering each of its sets: set999 rejects them with the group.
func groupSets(sub *storage.Submission, gs06 string) []x999.SetResponse {
	var sets []x999.SetResponse
	seen := map[string]bool{}
	for _, sc := range sub.Claims {
		if sc.Trace.GS06 == gs06 && !seen[sc.Trace.ST02] {
			seen[sc.Trace.ST02] = true
			sets = append(sets, x999.SetResponse{ID: "837", Control: sc.Trace.ST02, Status: x999.Rejected})
		}
	}
	return sets
}

// groupCodes names a rejected group's AK901 and AK905-AK909 codes ("AK901-R",
// "AK905-5"), as they are added to the codes of each of its sets.
func groupCodes(ack *x999.Ack) []string {
	return append([]string{"AK901-" + ack.Status}, prefixed("AK905-", ack.Codes)...)
}

// groupReasons says in words why the group was rejected (AK905-AK909).
func groupReasons(ack *x999.Ack) string {
	if len(ack.Codes) == 0 {
		return "no reason given (AK9 " + ack.Status + ")"
	}
	out := make([]string, len(ack.Codes))
	for i, c := range ack.Codes {
		out[i] = fmt.Sprintf("%s (AK905 %s)", setCodeText("AK905-"+c), c)
	}
	return strings.Join(out, "; ")
}

// set999 applies the answer to one transaction set. set is the set's answer: a
// copy, which a rejected group turns into a rejection with the group's codes.
func (a *applier) set999(ctx context.Context, sub *storage.Submission, ack *x999.Ack, set x999.SetResponse, gi, si int) error {
	gs06, st02 := ack.Group.Control, set.Control
	pos := "999/" + strconv.Itoa(gi) + "/" + strconv.Itoa(si)
	claims, err := a.r.SubmittedClaims(ctx, sub.ID, gs06, st02)
	if err != nil {
		return err
	}
	// A rejected group rejects the set whatever its IK5 says; errors the set's own
	// answer notes when it accepts the set (IK5 E) are kept, but are not why the
	// claims are turned back.
	groupRejected := !groupAccepted(ack.Status)
	ownErrors := !set.Accepted()
	text := x999.StatusText(set.Status)
	if groupRejected {
		if set.Accepted() {
			text = "rejected with its functional group (the set itself: " + text + ")"
		}
		set.Status = x999.Rejected
		set.Codes = append(slices.Clone(set.Codes), groupCodes(ack)...)
	}
	detail := set999Detail{File: sub.FileName, Text: text, Group: ack.Status}
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
	// Which claims this answer moves: those whose latest submission it answers and
	// that have not moved on.
	ids := make([]int64, len(claims))
	for i, sc := range claims {
		ids[i] = sc.ClaimID
	}
	moving, earlier, late, err := a.sortClaims(ctx, sub.ID, ids, to)
	if err != nil {
		return err
	}
	detail.Skipped, detail.Late = earlier, late
	isNew, err := a.store(ctx, storage.Ack{Key: a.key(pos), Kind: Kind999, SubmissionID: sub.ID, ISA13: sub.ISA13,
		GS06: gs06, ST02: st02, Status: set.Status, Codes: set.Codes}, detail)
	if err != nil || !isNew {
		return err
	}
	if len(claims) == 0 {
		// Nothing of ours to place the answer on: a set we did not send, or one
		// whose control number the clearinghouse changed.
		a.exception(fmt.Sprintf("999:noset:%d:%s:%s", sub.ID, gs06, st02), append([]string{"999"}, set.Codes...),
			fmt.Sprintf("999: the clearinghouse answered transaction set %s of group %s in file %s (interchange %s), which that file does not hold (answer: %s); nothing was applied: ask the clearinghouse which set it means.",
				st02, gs06, sub.FileName, sub.ISA13, text))
		return nil
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
	for _, l := range late {
		a.move(l.ClaimID, to, storage.Cause999, encoded, "") // refused: counted as skipped
	}
	if !rejected || len(moving) == 0 {
		return nil
	}
	if !ownErrors {
		// Errors noted by a set that only its group's rejection turned back (IK5 E)
		// are not why its claims are: they are in the detail, not queued.
		findings = nil
	}
	where := fmt.Sprintf("transaction set %s of file %s (interchange %s, group %s)", st02, sub.FileName, sub.ISA13, gs06)
	own := map[int]bool{}
	var outside []string // errors outside any claim, in words
	othersErr := false   // an error in a claim of the set
	for fi, f := range findings {
		if f.place.claim < 0 {
			outside = append(outside, f.e.Text)
			a.exception(fmt.Sprintf("999:%d:%s:%s:%d:%d", sub.ID, gs06, st02, f.e.Position, fi), f.codes,
				fmt.Sprintf("999: the clearinghouse rejected %s for an error outside any claim: %s. It is in claimflow's submitter or receiver settings; the claims of the set are in the rejection queue.",
					where, f.e.Text))
			continue
		}
		othersErr = othersErr || !f.place.shared
		targets := []int{f.place.claim}
		if f.place.shared {
			targets = moving
		}
		for _, ci := range targets {
			if !slices.Contains(moving, ci) {
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
	// The claims rejected with their set without an error of their own are told
	// why: errors in other claims of the set, outside any claim (the set's header,
	// from claimflow's settings), the group's rejection, or the set's own codes.
	var why []string
	fixFirst := false
	if othersErr {
		why = append(why, "because of errors in other claims of the set")
	}
	if len(outside) > 0 {
		why = append(why, "for an error outside any claim (in the set's header or trailer): "+strings.Join(outside, "; "))
		fixFirst = true
	}
	if groupRejected {
		why = append(why, "with its whole functional group "+gs06+": "+groupReasons(ack))
		fixFirst = true
	}
	if len(why) == 0 {
		why = append(why, "("+strings.Join(setTexts(set.Codes), "; ")+")")
	}
	then := "send it again unchanged."
	if fixFirst {
		then = "once that is fixed (it comes from claimflow's settings or the file's envelope), send it again unchanged."
	}
	for _, ci := range moving {
		if own[ci] {
			continue
		}
		a.queue(storage.WorkItem{
			Kind:     storage.WorkRejection,
			DedupKey: fmt.Sprintf("999:%d:%s:%s:%d:set", sub.ID, gs06, st02, claims[ci].ClaimID),
			ClaimID:  claims[ci].ClaimID,
			Codes:    append([]string{"999", "IK501-" + set.Status}, prefixed("IK502-", set.Codes)...),
			Message: fmt.Sprintf("999: the clearinghouse rejected %s %s. This claim has no error of its own: %s",
				where, strings.Join(why, ", and "), then),
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
