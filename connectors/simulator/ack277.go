package simulator

import (
	"bytes"
	"fmt"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/edi/codes"
	"github.com/claimflow/claimflow/edi/x277ca"
)

// Claim statuses the simulator writes (STC01: category, status code, entity).
var (
	stcReceived       = x277ca.StatusCode{Category: "A1", Code: "19", Entity: "PR"} // clearinghouse: passed to the payer
	stcBatchCH        = x277ca.StatusCode{Category: "A1", Code: "19", Entity: "AY"} // clearinghouse: batch received
	stcBatchPayer     = x277ca.StatusCode{Category: "A1", Code: "19", Entity: "PR"} // payer: batch received
	stcAccepted       = x277ca.StatusCode{Category: "A2", Code: "20"}               // payer: accepted for adjudication
	stcBillingNPI     = x277ca.StatusCode{Category: "A7", Code: "562", Entity: "85"}
	stcRenderingNPI   = x277ca.StatusCode{Category: "A7", Code: "562", Entity: "82"}
	stcOutOfBalance   = x277ca.StatusCode{Category: "A7", Code: "400"}
	stcUnknownMember  = x277ca.StatusCode{Category: "A3", Code: "33"}
	stcUnknownMemberC = x277ca.StatusCode{Category: "A7", Code: "164", Entity: "IL"}
)

// flush writes the files of every stage up to through, in stage order; s.mu is held.
func (s *Server) flush(through Stage) ([]Response, error) {
	var out []Response
	steps := []struct {
		stage Stage
		run   func() ([]Response, error)
	}{
		{StageClearinghouse, s.flushClearinghouse},
		{StagePayer, s.flushPayer},
		{StageRemittance, s.flushRemittance},
	}
	for _, st := range steps {
		if st.stage > through {
			break
		}
		rs, err := st.run()
		out = append(out, rs...)
		if err != nil {
			return out, fmt.Errorf("writing the %s files: %w", st.stage, err)
		}
	}
	return out, nil
}

// Flush writes the files of every stage up to and including through that claims are
// waiting for, in stage order (a payer's 277CA never comes before the
// clearinghouse's), and returns them. Flush(StageRemittance) brings everything.
func (s *Server) Flush(through Stage) ([]Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, err := s.flush(through)
	if serr := s.save(); err == nil {
		err = serr
	}
	return out, err
}

// billed is the coverage the claim is billed to: the first one without an
// adjudication (billing.Claim's rule).
func billed(c *billing.Claim) *billing.Coverage {
	for i := range c.Coverages {
		if c.Coverages[i].Adjudication == nil {
			return &c.Coverages[i]
		}
	}
	return &billing.Coverage{}
}

// clearinghouseEdit returns the status the clearinghouse gives a claim, and whether
// it passes the claim on.
func (s *Server) clearinghouseEdit(c *billing.Claim) (x277ca.StatusCode, string, bool) {
	if s.rules.CheckNPI {
		if !codes.ValidNPI(c.BillingProvider.NPI) {
			return stcBillingNPI, "BILLING PROVIDER NPI FAILS CHECK DIGIT", false
		}
		if r := c.RenderingProvider; r != nil && r.NPI != "" && !codes.ValidNPI(r.NPI) {
			return stcRenderingNPI, "RENDERING PROVIDER NPI FAILS CHECK DIGIT", false
		}
	}
	if s.rules.CheckBalance {
		var sum billing.Money
		for _, l := range c.Lines {
			sum += l.Charge
		}
		if sum != c.Charge {
			return stcOutOfBalance, "CLAIM CHARGE IS NOT THE SUM OF THE LINES", false
		}
	}
	return stcReceived, "", true
}

// flushClearinghouse writes one 277CA (NM1*AY) per upload waiting for it, one
// transaction set per 837 batch, and passes the accepted claims to the payers.
func (s *Server) flushClearinghouse() ([]Response, error) {
	var out []Response
	now := s.now()
	for _, b := range s.st.Clearinghouse {
		trace := fmt.Sprintf("CH%010d", next(&s.st.LastTrace))
		passed := &batch{Upload: b.Upload, Base: b.Base, Parties: b.Parties, Received: b.Received}
		var acks []x277ca.Ack
		for si := range b.Sets {
			set := &b.Sets[si]
			ack := s.newAck(set, b, trace, si, now,
				x277ca.Entity{Code: x277ca.SourceClearinghouse, Type: "2", Name: s.cfg.Name, IDQualifier: "46", ID: orDefault(b.Parties.Receiver, "CLAIMFLOWSIM")},
				stcBatchCH)
			kept := claimSet{BatchID: set.BatchID, Submitter: set.Submitter}
			for ci := range set.Claims {
				rec := set.Claims[ci]
				rec.ClearinghouseID = fmt.Sprintf("CH%010d", next(&s.st.LastClaim))
				code, text, ok := s.clearinghouseEdit(&rec.Claim)
				cl := claim277(&rec, code, text, ok, now)
				addClaim(&ack, &rec.Claim, cl, ok)
				if ok {
					kept.Claims = append(kept.Claims, rec)
				}
			}
			acks = append(acks, ack)
			if len(kept.Claims) > 0 {
				passed.Sets = append(passed.Sets, kept)
			}
		}
		r, err := s.write277(b.Base+"_277CA.277", b, acks)
		if err != nil {
			return out, err
		}
		out = append(out, r)
		if len(passed.Sets) > 0 {
			s.st.Payer = append(s.st.Payer, passed)
		}
	}
	s.st.Clearinghouse = nil
	return out, nil
}

// flushPayer writes, per upload waiting for it, one 277CA (NM1*PR) per payer of its
// claims, giving each accepted claim a payer claim number and queueing it for the 835.
func (s *Server) flushPayer() ([]Response, error) {
	var out []Response
	now := s.now()
	for _, b := range s.st.Payer {
		var payers []billing.Payer
		seen := map[string]bool{}
		for _, set := range b.Sets {
			for _, rec := range set.Claims {
				p := billed(&rec.Claim).Payer
				if !seen[p.ID] {
					seen[p.ID] = true
					payers = append(payers, p)
				}
			}
		}
		for _, p := range payers {
			trace := fmt.Sprintf("PR%010d", next(&s.st.LastTrace))
			var acks []x277ca.Ack
			for si := range b.Sets {
				set := &b.Sets[si]
				var ack *x277ca.Ack
				for ci := range set.Claims {
					rec := set.Claims[ci]
					cov := billed(&rec.Claim)
					if cov.Payer.ID != p.ID {
						continue
					}
					if ack == nil {
						a := s.newAck(set, b, trace, si, now,
							x277ca.Entity{Code: x277ca.SourcePayer, Type: "2", Name: orDefault(p.Name, p.ID), IDQualifier: "PI", ID: p.ID},
							stcBatchPayer)
						ack = &a
					}
					var cl x277ca.Claim
					if s.rules.unknownMember(cov.MemberID) {
						cl = claim277(&rec, stcUnknownMember, "SUBSCRIBER AND SUBSCRIBER ID NOT FOUND", false, now)
						cl.Statuses[0].More = []x277ca.StatusCode{stcUnknownMemberC}
						addClaim(ack, &rec.Claim, cl, false)
						continue
					}
					rec.ICN = s.newICN(now)
					cl = claim277(&rec, stcAccepted, "", true, now)
					addClaim(ack, &rec.Claim, cl, true)
					s.st.Remit = append(s.st.Remit, &pendingClaim{Parties: b.Parties, Upload: b.Upload, Received: b.Received, Record: rec})
				}
				if ack != nil {
					acks = append(acks, *ack)
				}
			}
			r, err := s.write277(b.Base+"_277CA_"+sanitize(p.ID)+".277", b, acks)
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
	}
	s.st.Payer = nil
	return out, nil
}

// newICN makes a payer claim control number: the year and day of the year, then a
// running number.
func (s *Server) newICN(now time.Time) string {
	return fmt.Sprintf("%s%03d%08d", now.Format("06"), now.YearDay(), next(&s.st.LastICN))
}

// newAck starts the 277CA of one 837 batch (the index-th of its upload).
func (s *Server) newAck(set *claimSet, b *batch, trace string, index int, now time.Time, source x277ca.Entity, batchStatus x277ca.StatusCode) x277ca.Ack {
	sub := set.Submitter
	return x277ca.Ack{
		BatchID:           fmt.Sprintf("%s%03d", trace, index+1),
		Created:           now,
		InformationSource: source,
		Receipt:           x277ca.Receipt{Trace: trace, Received: b.Received, Processed: now},
		Submitter: x277ca.Submitter{
			Entity: x277ca.Entity{Code: "41", Type: orDefault(sub.Type, "2"), Name: orDefault(sub.Name, b.Parties.Sender),
				IDQualifier: "46", ID: orDefault(sub.ID, b.Parties.Sender)},
			Trace:    orDefault(set.BatchID, "0"),
			Statuses: []x277ca.Status{{StatusCode: batchStatus, Date: now, Action: x277ca.ActionAccept}},
		},
	}
}

// claim277 is the 2200D of a claim.
func claim277(rec *claimRecord, code x277ca.StatusCode, text string, ok bool, now time.Time) x277ca.Claim {
	c := &rec.Claim
	cov := billed(c)
	action := x277ca.ActionAccept
	if !ok {
		action = x277ca.ActionReject
	}
	p := c.Patient
	cl := x277ca.Claim{
		Patient: x277ca.Entity{Code: "QC", Type: "1", Name: orDefault(p.LastName, "UNKNOWN"), First: p.FirstName, Middle: p.MiddleName,
			Suffix: p.Suffix, IDQualifier: "MI", ID: orDefault(cov.MemberID, "UNKNOWN")},
		PCN:             c.PatientControlNumber,
		Statuses:        []x277ca.Status{{StatusCode: code, Date: now, Action: action, Charge: int64(c.Charge), FreeText: text}},
		ClearinghouseID: rec.ClearinghouseID,
		ServiceDates:    servicePeriod(c, now),
	}
	if ok {
		cl.PayerClaimNumber = rec.ICN
	}
	return cl
}

// servicePeriod is the claim's dates of service, from the first line's to the last.
func servicePeriod(c *billing.Claim, now time.Time) x277ca.Period {
	var from, to billing.Date
	for _, l := range c.Lines {
		f, t := l.ServiceDates.From, l.ServiceDates.To
		if t.IsZero() {
			t = f
		}
		if !f.IsZero() && (from.IsZero() || f.Before(from)) {
			from = f
		}
		if !t.IsZero() && (to.IsZero() || t.After(to)) {
			to = t
		}
	}
	if from.IsZero() {
		return x277ca.Period{From: now}
	}
	p := x277ca.Period{From: from.Time(time.UTC)}
	if to != from {
		p.To = to.Time(time.UTC)
	}
	return p
}

// addClaim puts a claim's status under its billing provider (2000C) in the ack and
// counts it in the provider's and the batch's totals.
func addClaim(a *x277ca.Ack, c *billing.Claim, cl x277ca.Claim, ok bool) {
	bp := &c.BillingProvider
	typ := "2"
	if bp.EntityType == billing.EntityPerson || bp.EntityType == "" && bp.FirstName != "" {
		typ = "1"
	}
	ent := x277ca.Entity{Code: "85", Type: typ, Name: orDefault(bp.Name, "UNKNOWN"), IDQualifier: "XX", ID: orDefault(bp.NPI, "0000000000")}
	if typ == "1" {
		ent.First, ent.Middle, ent.Suffix = bp.FirstName, bp.MiddleName, bp.Suffix
	}
	var p *x277ca.Provider
	for i := range a.Providers {
		if a.Providers[i].Entity == ent {
			p = &a.Providers[i]
		}
	}
	if p == nil {
		a.Providers = append(a.Providers, x277ca.Provider{Entity: ent, Trace: ent.ID})
		p = &a.Providers[len(a.Providers)-1]
	}
	p.Claims = append(p.Claims, cl)
	count(&p.Totals, int64(c.Charge), ok)
	count(&a.Submitter.Totals, int64(c.Charge), ok)
	a.Submitter.Statuses[0].Charge += int64(c.Charge)
}

func count(t *x277ca.Totals, charge int64, ok bool) {
	if ok {
		t.AcceptedCount++
		t.AcceptedAmount += charge
	} else {
		t.RejectedCount++
		t.RejectedAmount += charge
	}
}

// write277 builds the acks as one 277CA file back to the upload's sender.
func (s *Server) write277(name string, b *batch, acks []x277ca.Ack) (Response, error) {
	var buf bytes.Buffer
	p := b.Parties
	if err := x277ca.Build(&buf, x277ca.Envelope{
		SenderQualifier: p.ReceiverQualifier, SenderID: p.Receiver,
		ReceiverQualifier: p.SenderQualifier, ReceiverID: p.Sender,
		Time: s.now(), Test: p.Test, Interchanges: isaSequence{s.st},
	}, acks...); err != nil {
		return Response{}, err
	}
	return s.emit(name, profile.Kind277CA, stageOf(acks), b.Upload, buf.Bytes())
}

func stageOf(acks []x277ca.Ack) Stage {
	if len(acks) > 0 && acks[0].InformationSource.Code == x277ca.SourcePayer {
		return StagePayer
	}
	return StageClearinghouse
}
