package acks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/codes"
	"github.com/claimflow/claimflow/edi/x277ca"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/storage"
)

// stcDetail is one decoded STC of a stored 277CA answer. STC12 free text is left
// out: it may quote patient data.
type stcDetail struct {
	Line          int      `json:"line,omitempty"` // 1-based; 0 for the claim
	ControlNumber string   `json:"line_control_number,omitempty"`
	Codes         []string `json:"codes"`
	Action        string   `json:"action,omitempty"`
	Text          string   `json:"text"`
	Rejected      bool     `json:"rejected,omitempty"`
}

// claim277Detail is what a stored 277CA claim answer says, without patient data.
type claim277Detail struct {
	Source           string      `json:"source"` // clearinghouse or payer
	SourceID         string      `json:"source_id,omitempty"`
	BatchID          string      `json:"batch_id,omitempty"`
	Statuses         []stcDetail `json:"statuses"`
	PayerClaimNumber string      `json:"payer_claim_number,omitempty"`
	Note             string      `json:"note,omitempty"`
}

// sourceOf tells the clearinghouse's acknowledgements from the payer's.
type sourceOf struct {
	name               string
	cause              storage.Cause
	accepted, rejected storage.ClaimState
}

var (
	fromClearinghouse = sourceOf{"clearinghouse", storage.Cause277CAClearinghouse, storage.StateClearinghouseAccepted, storage.StateClearinghouseRejected}
	fromPayer         = sourceOf{"payer", storage.Cause277CAPayer, storage.StatePayerAccepted, storage.StatePayerRejected}
)

// rejectedCategory reports whether a category turns the claim back: A3 (returned
// as unprocessable), A6 (missing information), A7 (invalid information) and A8
// (relational field error). A4 (not found) is not one: the answer does not say the
// claim was turned back, only that it was not found where it was looked for (a
// wrong payer, member or trace). The claim stays where it is and a person
// investigates (notFoundCategory).
func rejectedCategory(c string) bool {
	switch c {
	case "A3", "A6", "A7", "A8":
		return true
	}
	return false
}

// notFoundCategory is A4, not found: to investigate.
const notFoundCategory = "A4"

// notFound reports whether a status (of the claim or of a line) says not found.
func notFound(ds []stcDetail) bool {
	for _, d := range ds {
		for _, c := range d.Codes {
			if c == notFoundCategory || strings.HasPrefix(c, notFoundCategory+":") {
				return true
			}
		}
	}
	return false
}

func acceptedCategory(c string) bool {
	switch c {
	case "A0", "A1", "A2", "A5":
		return true
	}
	return false
}

// composite writes a status as category:status:entity.
func composite(c x277ca.StatusCode) string {
	s := c.Category
	if c.Code != "" || c.Entity != "" {
		s += ":" + c.Code
	}
	if c.Entity != "" {
		s += ":" + c.Entity
	}
	return s
}

// decode turns an STC into its detail: every composite (STC01, STC10, STC11) in words.
func decode(s *x277ca.Status, line int, control string) stcDetail {
	d := stcDetail{Line: line, ControlNumber: control, Action: s.Action}
	var texts []string
	for _, c := range s.Codes() {
		d.Codes = append(d.Codes, composite(c))
		texts = append(texts, composite(c)+" "+codes.DescribeStatus(c.Category, c.Code, c.Entity))
		if rejectedCategory(c.Category) {
			d.Rejected = true
		}
	}
	d.Text = strings.Join(texts, "; ")
	return d
}

// apply277 applies each claim status of each 277CA.
func (a *applier) apply277(ctx context.Context, acks []x277ca.Ack) error {
	if err := a.prefetch277(ctx, acks); err != nil {
		return err
	}
	for ai := range acks {
		ack := &acks[ai]
		src := fromClearinghouse
		if ack.InformationSource.Code == x277ca.SourcePayer {
			src = fromPayer
		}
		subID, err := a.batchSubmission(ctx, ack.Submitter.Trace)
		if err != nil {
			return err
		}
		if err := a.levelRejections(ctx, ack, ai, src); err != nil {
			return err
		}
		for pi := range ack.Providers {
			for ci := range ack.Providers[pi].Claims {
				pos := fmt.Sprintf("277ca/%d/%d/%d", ai, pi, ci)
				if err := a.claim277(ctx, ack, &ack.Providers[pi].Claims[ci], src, subID, pos); err != nil {
					return fmt.Errorf("applying 277CA answer %s: %w", pos, err)
				}
			}
		}
	}
	return nil
}

// prefetch277 reads the claims the file answers and their latest submissions, a
// few queries for the whole file instead of three per claim. Nothing in the
// transaction adds claims or submissions, so what is not found here is not there.
// The claims' heads and stamps come from one query; the lines only of the claims
// an answer names by line (the others' lines are never looked at), after the
// stamps, so that a claim changed in between has a newer stamp than the one kept
// and check finds it changed.
func (a *applier) prefetch277(ctx context.Context, acks []x277ca.Ack) error {
	var pcns []string
	byLine := map[string]bool{}
	for ai := range acks {
		for pi := range acks[ai].Providers {
			for ci := range acks[ai].Providers[pi].Claims {
				c := &acks[ai].Providers[pi].Claims[ci]
				pcns = append(pcns, c.PCN)
				if len(c.Lines) > 0 {
					byLine[c.PCN] = true
				}
			}
		}
	}
	claims, stamps, err := a.r.ClaimHeadsStampsByPCN(ctx, pcns)
	if err != nil {
		return err
	}
	for _, s := range stamps {
		a.stamp(s)
	}
	if err := a.readLines(ctx, claims, byLine); err != nil {
		return err
	}
	for _, pcn := range pcns {
		if _, found := claims[pcn]; !found {
			// No claim: check looks for it again.
			a.noClaim = append(a.noClaim, pcn)
		}
	}
	ids := make([]int64, 0, len(claims))
	for _, cl := range claims {
		ids = append(ids, cl.ID)
	}
	latest, err := a.r.LatestSubmissions(ctx, ids)
	if err != nil {
		return err
	}
	if a.latest == nil {
		a.latest = make(map[int64]int64, len(ids))
	}
	for _, id := range ids {
		a.latest[id] = latest[id] // 0 when never submitted
	}
	a.claims = claims
	a.heads = make(map[int64]*storage.ClaimHead, len(claims))
	for pcn := range claims {
		h := claims[pcn]
		a.heads[h.ID] = &h
	}
	return nil
}

// readLines fills in the lines of the claims whose PCN is in byLine.
func (a *applier) readLines(ctx context.Context, claims map[string]storage.ClaimHead, byLine map[string]bool) error {
	var ids []int64
	for pcn := range byLine {
		if h, ok := claims[pcn]; ok {
			ids = append(ids, h.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	lines, err := a.r.LinesOf(ctx, ids)
	if err != nil {
		return err
	}
	for pcn := range byLine {
		if h, ok := claims[pcn]; ok {
			h.Lines = lines[h.ID]
			claims[pcn] = h
		}
	}
	return nil
}

// claimByPCN returns the claim with the patient control number, from the prefetched
// claims (storage.ErrNotFound when it is not among them).
func (a *applier) claimByPCN(pcn string) (storage.ClaimHead, error) {
	cl, ok := a.claims[pcn]
	if !ok {
		return cl, fmt.Errorf("claim %s: %w", pcn, storage.ErrNotFound)
	}
	return cl, nil
}

// document returns the claim's billing.Claim, which names the fields a rejection
// points at: read only for the claims a 277CA rejects.
func (a *applier) document(ctx context.Context, id int64) (*billing.Claim, error) {
	if c, ok := a.documents[id]; ok {
		return c, nil
	}
	cl, err := a.r.Claim(ctx, id)
	if err != nil {
		return nil, err
	}
	a.stamp(storage.ClaimStamp{ID: cl.ID, PCN: cl.PatientControlNumber, State: cl.State, UpdatedAt: cl.UpdatedAt})
	if a.documents == nil {
		a.documents = map[int64]*billing.Claim{}
	}
	a.documents[id] = &cl.Claim
	return &cl.Claim, nil
}

// batchSubmission finds the submission a 277CA answers from its 2200B TRN02, our
// BHT03 (ISA13 followed by ST02); 0 when it names none we know.
func (a *applier) batchSubmission(ctx context.Context, trace string) (int64, error) {
	const isa13Len = 9
	if len(trace) < isa13Len {
		return 0, nil
	}
	isa13 := trace[:isa13Len]
	if id, ok := a.byISA13[isa13]; ok {
		return id, nil
	}
	id, err := a.r.SubmissionIDByISA13(ctx, a.file.Source, isa13)
	if errors.Is(err, storage.ErrNotFound) {
		id, err = 0, nil
	}
	if err != nil {
		return 0, err
	}
	if a.byISA13 == nil {
		a.byISA13 = map[string]int64{}
	}
	a.byISA13[isa13] = id
	return id, nil
}

// levelRejections queues an exception for a batch or a provider that the 277CA
// rejects as a whole: no claim of it is answered one by one.
func (a *applier) levelRejections(ctx context.Context, ack *x277ca.Ack, ai int, src sourceOf) error {
	check := func(level string, statuses []x277ca.Status) error {
		for si := range statuses {
			d := decode(&statuses[si], 0, "")
			if !d.Rejected {
				continue
			}
			key := fmt.Sprintf("277ca:%s:%s:%s:%s", a.file.SHA256, strconv.Itoa(ai), level, strconv.Itoa(si))
			a.exception(key, append([]string{"277CA"}, d.Codes...),
				fmt.Sprintf("277CA from the %s in inbound file %d rejects %s: %s.", src.name, a.file.ID, level, d.Text))
		}
		return nil
	}
	if err := check("the batch "+ack.Submitter.Trace, ack.Submitter.Statuses); err != nil {
		return err
	}
	for pi := range ack.Providers {
		p := &ack.Providers[pi]
		if len(p.Claims) == 0 {
			if err := check("billing provider "+p.Entity.ID, p.Statuses); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *applier) claim277(ctx context.Context, ack *x277ca.Ack, c *x277ca.Claim, src sourceOf, subID int64, pos string) error {
	detail := claim277Detail{Source: src.name, SourceID: ack.InformationSource.ID, BatchID: ack.Submitter.Trace,
		PayerClaimNumber: c.PayerClaimNumber}
	cl, err := a.claimByPCN(c.PCN)
	if errors.Is(err, storage.ErrNotFound) {
		for si := range c.Statuses {
			detail.Statuses = append(detail.Statuses, decode(&c.Statuses[si], 0, ""))
		}
		isNew, err := a.store(ctx, storage.Ack{Key: a.key(pos), Kind: Kind277CA, SubmissionID: subID, PCN: c.PCN,
			Status: firstStatus(c), Codes: allCodes(detail.Statuses)}, detail)
		if err != nil || !isNew {
			return err
		}
		a.exception("277ca:unknown:"+a.file.Source+":"+c.PCN+":"+src.name, []string{"277CA"},
			fmt.Sprintf("277CA from the %s in inbound file %d answers patient control number %s, which is no claim of claimflow's.",
				src.name, a.file.ID, c.PCN))
		return nil
	}
	if err != nil {
		return err
	}
	// Decode the claim's statuses and its lines'.
	var claimRejected, claimAccepted, anyClaimStatus bool
	for si := range c.Statuses {
		d := decode(&c.Statuses[si], 0, "")
		detail.Statuses = append(detail.Statuses, d)
		anyClaimStatus = true
		claimRejected = claimRejected || d.Rejected
		claimAccepted = claimAccepted || (!d.Rejected && acceptedCategory(c.Statuses[si].Category))
	}
	type lineRejection struct {
		line int
		d    stcDetail
		sc   x277ca.StatusCode
	}
	var lineRejections []lineRejection
	if len(c.Lines) > 0 {
		if a.linesRead == nil {
			a.linesRead = map[int64]bool{}
		}
		a.linesRead[cl.ID] = true
	}
	for li := range c.Lines {
		l := &c.Lines[li]
		idx := lineIndex(&cl, l.LineControlNumber)
		for si := range l.Statuses {
			d := decode(&l.Statuses[si], idx+1, l.LineControlNumber)
			detail.Statuses = append(detail.Statuses, d)
			if d.Rejected {
				lineRejections = append(lineRejections, lineRejection{idx, d, firstRejected(&l.Statuses[si])})
			} else if !anyClaimStatus && acceptedCategory(l.Statuses[si].Category) {
				claimAccepted = true
			}
		}
	}
	if !anyClaimStatus && len(lineRejections) > 0 && !claimAccepted {
		claimRejected = true // every line turned back, and nothing said of the claim
	}
	current, err := a.current(ctx, cl.ID, subID)
	if err != nil {
		return err
	}
	// Where the answer moves the claim: to the source's rejection or acceptance;
	// nowhere for a status that does neither (pending; not found, which a person
	// investigates as long as a rejection would still concern the claim).
	var to storage.ClaimState
	investigate := false
	switch {
	case claimRejected:
		to = src.rejected
	case claimAccepted:
		to = src.accepted
	case notFound(detail.Statuses):
		investigate = true
	}
	applies := false
	switch {
	case !current:
		detail.Note = "answers an earlier submission of the claim: not applied"
	case to != "":
		at, ok := a.allows(cl.ID, to)
		if !ok {
			detail.Note = lateNote(at, to)
		}
		applies = ok
	case investigate:
		at, ok := a.allows(cl.ID, src.rejected)
		if !ok {
			detail.Note = lateNote(at, src.rejected)
		}
		applies = ok
	}
	isNew, err := a.store(ctx, storage.Ack{Key: a.key(pos), Kind: Kind277CA, SubmissionID: subID, ClaimID: cl.ID, PCN: c.PCN,
		Status: firstStatus(c), Codes: allCodes(detail.Statuses)}, detail)
	if err != nil || !isNew {
		return err
	}
	if !current {
		a.res.Skipped++
		return nil
	}
	if cl.State == storage.StateBatched {
		return fmt.Errorf("%w: claim %d is batched", pipeline.ErrUploadNotRecorded, cl.ID)
	}
	// Work items are keyed on the submission answered. When the 2200B trace is not
	// our BHT03 (a payer's own batch number), the answer is taken to be to the
	// claim's latest submission (see the package doc): the key names that and the
	// trace, so that a rejection of the claim sent again is queued again, and the
	// same answer twice once.
	sub := strconv.FormatInt(subID, 10)
	if subID == 0 {
		sub = strconv.FormatInt(a.latest[cl.ID], 10) + ":trace:" + ack.Submitter.Trace
	}
	if investigate {
		if applies {
			a.investigate277(&cl, src, sub, detail.Statuses)
		}
		return nil
	}
	if to == "" {
		// A status that neither accepts nor rejects (pending): kept as an
		// acknowledgement, the claim stays where it is.
		return nil
	}
	note := moveNote{InboundFileID: a.file.ID, Answer: pos, Status: firstStatus(c), Codes: allCodes(detail.Statuses),
		Text: texts(detail.Statuses)}
	encoded, err := encodeNote(note)
	if err != nil {
		return err
	}
	// The payer's claim number goes with the move whatever the claim had when it
	// was read, so that the decision does not rest on the number, which another
	// file may change before the move is made. TransitionClaims records it only
	// when the move is made, or the claim is in that state already: never on a
	// claim that moved on (the 835's number stays).
	// Only a payer's REF*1K is the payer's claim number: under NM1*AY it is the
	// clearinghouse's own trace of the claim.
	icn := ""
	if !claimRejected && src == fromPayer {
		icn = c.PayerClaimNumber
	}
	a.move(cl.ID, to, src.cause, encoded, icn)
	if !applies {
		return nil // late or again: nothing to fix
	}
	if claimRejected {
		for si := range c.Statuses {
			if d := detail.Statuses[si]; d.Rejected {
				doc, err := a.document(ctx, cl.ID)
				if err != nil {
					return err
				}
				field := statusField(doc, firstRejected(&c.Statuses[si]), -1)
				a.rejection277(&cl, src, sub, d, field, "claim")
			}
		}
	}
	for _, lr := range lineRejections {
		what := "service line " + strconv.Itoa(lr.line+1)
		if lr.line < 0 {
			what = "a service line claimflow cannot find (REF*FJ " + lr.d.ControlNumber + ")"
		}
		doc, err := a.document(ctx, cl.ID)
		if err != nil {
			return err
		}
		a.rejection277(&cl, src, sub, lr.d, statusField(doc, lr.sc, lr.line), what)
	}
	return nil
}

// rejection277 queues a 277CA rejection for a person, once per claim, submission
// (sub: see claim277), source and status.
func (a *applier) rejection277(cl *storage.ClaimHead, src sourceOf, sub string, d stcDetail, field billing.Path, what string) {
	msg := fmt.Sprintf("277CA: the %s rejected %s of claim %s: %s.", src.name, what, cl.PCN, d.Text)
	if field != "" {
		msg += " Fix " + field.String() + " and send the claim again (as new, frequency 1)."
	} else {
		msg += " Fix the claim and send it again (as new, frequency 1)."
	}
	a.queue(storage.WorkItem{
		Kind:     storage.WorkRejection,
		DedupKey: fmt.Sprintf("277ca:%s:%d:%s:%d:%s", sub, cl.ID, src.name, d.Line, strings.Join(d.Codes, ",")),
		ClaimID:  cl.ID,
		Codes:    append([]string{"277CA"}, d.Codes...),
		Field:    field.String(),
		Message:  msg,
	})
}

// investigate277 asks a person to look into a claim the clearinghouse or payer did
// not find (A4): it was not turned back, and sending it again as it is may only
// be answered the same way.
func (a *applier) investigate277(cl *storage.ClaimHead, src sourceOf, sub string, ds []stcDetail) {
	codes := allCodes(ds)
	a.queue(storage.WorkItem{
		Kind:     storage.WorkException,
		DedupKey: fmt.Sprintf("277ca-a4:%s:%d:%s:%s", sub, cl.ID, src.name, strings.Join(codes, ",")),
		ClaimID:  cl.ID,
		Codes:    append([]string{"277CA"}, codes...),
		Message: fmt.Sprintf("277CA: the %s did not find claim %s (claim %d): %s. The claim was not rejected and stays %s. "+
			"Investigate with the %s (the payer billed, the member id, the patient control number) before sending it again.",
			src.name, cl.PCN, cl.ID, texts(ds), a.path(cl.ID).at, src.name),
	})
}

// lineIndex finds a line by its control number (REF*FJ = our REF*6R); -1 when none.
func lineIndex(cl *storage.ClaimHead, control string) int {
	for i := range cl.Lines {
		if control != "" && cl.Lines[i].ControlNumber == control {
			return i
		}
	}
	return -1
}

// firstRejected returns the STC's first rejecting composite (STC01 if none is).
func firstRejected(s *x277ca.Status) x277ca.StatusCode {
	for _, c := range s.Codes() {
		if rejectedCategory(c.Category) && c.Code != "21" {
			return c // 21 "missing or invalid" only says another code names the data
		}
	}
	for _, c := range s.Codes() {
		if rejectedCategory(c.Category) {
			return c
		}
	}
	return s.StatusCode
}

// firstStatus is the claim's first status as category:status (A7:562).
func firstStatus(c *x277ca.Claim) string {
	if len(c.Statuses) > 0 {
		return c.Statuses[0].Category + ":" + c.Statuses[0].Code
	}
	for _, l := range c.Lines {
		if len(l.Statuses) > 0 {
			return l.Statuses[0].Category + ":" + l.Statuses[0].Code
		}
	}
	return ""
}

func allCodes(ds []stcDetail) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Codes...)
	}
	return out
}

func texts(ds []stcDetail) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Text
	}
	return strings.Join(parts, "; ")
}
