package simulator

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/edi/x835"
)

// forward is a balance a payer carries to a later 835 (PLB FB) because a payment
// would have been negative.
type forward struct {
	Amount    int64  `json:"amount"`    // owed by the payee, cents
	Reference string `json:"reference"` // the 835 (TRN02) that carried it
}

// rng returns the random source of one decision: the seed and the decision's name,
// so that a choice does not depend on the choices made before it.
func (s *Server) rng(parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(s.cfg.Seed, h.Sum64()))
}

// remitGroup is the claims one 835 transaction set pays: one payer, one payee.
type remitGroup struct {
	parties parties
	payer   billing.Payer
	payee   billing.Provider
	claims  []*pendingClaim

	forwarded []*pendingClaim // claims passed on to the next payer (crossover)
}

// flushRemittance writes the 835s: one file per payer and trading partner, one
// transaction set per payee (billing provider), paying every claim the payer accepted.
func (s *Server) flushRemittance() ([]Response, error) {
	if len(s.st.Remit) == 0 {
		return nil, nil
	}
	run := strconv.FormatUint(next(&s.st.Runs), 10)
	now := s.now()
	type file struct {
		parties parties
		payer   billing.Payer
		groups  []*remitGroup
	}
	var files []*file
	for _, pc := range s.st.Remit {
		c := &pc.Record.Claim
		payer := billed(c).Payer
		var f *file
		for _, x := range files {
			if x.parties == pc.Parties && x.payer.ID == payer.ID {
				f = x
			}
		}
		if f == nil {
			f = &file{parties: pc.Parties, payer: payer}
			files = append(files, f)
		}
		var g *remitGroup
		for _, x := range f.groups {
			if x.payee.NPI == c.BillingProvider.NPI {
				g = x
			}
		}
		if g == nil {
			g = &remitGroup{parties: pc.Parties, payer: payer, payee: c.BillingProvider}
			f.groups = append(f.groups, g)
		}
		g.claims = append(g.claims, pc)
	}
	var out []Response
	var forwarded []*pendingClaim
	for _, f := range files {
		var rems []x835.Remittance
		for _, g := range f.groups {
			rems = append(rems, s.remittance(g, run, now))
			forwarded = append(forwarded, g.forwarded...)
		}
		isa13 := fmt.Sprintf("%09d", s.st.LastISA13%999999999+1)
		var buf bytes.Buffer
		p := f.parties
		if err := x835.Build(&buf, x835.Envelope{
			SenderQualifier: p.ReceiverQualifier, SenderID: p.Receiver,
			ReceiverQualifier: p.SenderQualifier, ReceiverID: p.Sender,
			Time: now, Test: p.Test, Interchanges: isaSequence{s.st},
		}, rems...); err != nil {
			return out, err
		}
		name := "ERA_" + sanitize(f.payer.ID) + "_" + now.Format("20060102") + "_" + isa13 + ".835"
		r, err := s.emit(name, profile.Kind835, StageRemittance, "", buf.Bytes())
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	// Claims forwarded to the next payer (crossover) wait for the next run.
	s.st.Remit = forwarded
	// Only recent payments are reversed: the history stays small.
	s.st.Paid = slices.DeleteFunc(s.st.Paid, func(p *payment) bool { return p.Reversed })
	if n := len(s.st.Paid); n > maxPaid {
		s.st.Paid = slices.Delete(s.st.Paid, 0, n-maxPaid)
	}
	return out, nil
}

// maxPaid bounds the payments kept for reversals.
const maxPaid = 1000

// remittance adjudicates a group's claims and writes its 835 transaction set: first a
// reversal and its correction now and then, then the claims, then the provider
// adjustments (interest, forwarded balances) that keep BPR02 from going negative.
func (s *Server) remittance(g *remitGroup, run string, now time.Time) x835.Remittance {
	payerID := g.payer.ID
	trace := fmt.Sprintf("%010d", next(&s.st.LastTrace))
	ein := payerEIN(payerID)
	rem := x835.Remittance{
		Trace:          x835.Trace{Type: "1", Number: trace, PayerID: "1" + ein},
		ProductionDate: now,
		Payer: x835.Payer{
			Name:       orDefault(g.payer.Name, payerID),
			Address:    x835.Address{Line1: "1 CLAIMS PROCESSING WAY", City: "COLUMBUS", State: "OH", Zip: "43215"},
			References: []x835.Reference{{Qualifier: "2U", Value: payerID}},
			Contacts: []x835.Contact{{Function: "BL", Name: "EDI SUPPORT",
				Numbers: []x835.Number{{Qualifier: "TE", Value: "8005550199"}}}},
		},
		Payee: x835.Payee{Name: orDefault(g.payee.Name, "PROVIDER"), IDQualifier: "XX", ID: g.payee.NPI},
	}
	if a := g.payee.Address; a.Line1 != "" && a.City != "" {
		rem.Payee.Address = x835.Address{Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State, Zip: a.PostalCode}
	}
	if g.payee.TaxID != "" {
		rem.Payee.References = []x835.Reference{{Qualifier: "TJ", Value: g.payee.TaxID}}
	}

	// Now and then the payer takes back an earlier payment and pays it again.
	if r := s.rng("reversal", run, g.parties.key(), payerID, g.payee.NPI); r.Float64() < s.rules.ReversalRate {
		var cands []*payment
		for _, p := range s.st.Paid {
			if !p.Reversed && p.Parties == g.parties && p.Payer.ID == payerID && p.Payee.NPI == g.payee.NPI {
				cands = append(cands, p)
			}
		}
		if len(cands) > 0 {
			p := cands[r.IntN(len(cands))]
			rev, corr := s.reverse(p, now)
			rem.Claims = append(rem.Claims, rev, corr)
		}
	}

	var plb []x835.PLBAdjustment
	for _, pc := range g.claims {
		cp, ded, dedKey := s.adjudicate(pc, now)
		if fwd := s.crossover(&cp, pc, now); fwd != nil {
			g.forwarded = append(g.forwarded, fwd)
		}
		if r := s.rng("interest", pc.Record.ICN); cp.Paid > 0 && r.Float64() < s.rules.InterestRate {
			interest := int64(math.Round(float64(cp.Paid) * s.rules.InterestPercent / 100))
			if interest < 1 {
				interest = 1
			}
			cp.Amounts = append(cp.Amounts, x835.Amount{Qualifier: "I", Amount: interest})
			plb = append(plb, x835.PLBAdjustment{Reason: "L6", Reference: cp.PCN, Amount: -interest})
		}
		rem.Claims = append(rem.Claims, cp)
		if cp.Paid > 0 {
			s.st.Paid = append(s.st.Paid, &payment{Parties: pc.Parties, Payer: g.payer, Payee: g.payee, Claim: cp,
				Deductible: ded, DeductibleKey: dedKey})
		}
	}

	// BPR02 = Σ CLP04 - Σ PLB, never negative: what cannot be paid now is carried to
	// a later 835 (PLB FB, negative), and a carried balance is taken back from the next
	// payment (PLB FB, positive).
	var net int64
	for _, c := range rem.Claims {
		net += c.Paid
	}
	for _, a := range plb {
		net -= a.Amount
	}
	fkey := g.parties.key() + "|" + payerID + "|" + g.payee.NPI
	if fw := s.st.Forward[fkey]; fw.Amount > 0 && net > 0 {
		take := min(fw.Amount, net)
		plb = append(plb, x835.PLBAdjustment{Reason: "FB", Reference: fw.Reference, Amount: take})
		net -= take
		fw.Amount -= take
		s.st.Forward[fkey] = fw
		if fw.Amount == 0 {
			delete(s.st.Forward, fkey)
		}
	}
	if net < 0 {
		plb = append(plb, x835.PLBAdjustment{Reason: "FB", Reference: trace, Amount: net})
		fw := s.st.Forward[fkey]
		fw.Amount -= net
		fw.Reference = trace
		s.st.Forward[fkey] = fw
		net = 0
	}
	if len(plb) > 0 {
		rem.ProviderAdjustments = []x835.ProviderAdjustment{{
			ProviderID: g.payee.NPI, FiscalPeriod: time.Date(now.Year(), 12, 31, 0, 0, 0, 0, time.UTC), Adjustments: plb,
		}}
	}
	rem.Payment = x835.Payment{Amount: net, CreditDebit: "C", Date: now}
	if net > 0 {
		rem.Payment.Handling, rem.Payment.Method, rem.Payment.Format = "C", "ACH", "CCP"
		rem.Payment.Sender = x835.BankAccount{DFIQualifier: "01", DFI: "011000015", AccountQualifier: "DA", Account: ein}
		rem.Payment.PayerID = "1" + ein
		rem.Payment.Receiver = x835.BankAccount{DFIQualifier: "01", DFI: "021000021", AccountQualifier: "DA", Account: "0" + g.payee.NPI}
	} else {
		rem.Payment.Handling, rem.Payment.Method = "H", "NON"
	}
	return rem
}

// payerEIN is an invented, stable nine-digit tax id for a payer id.
func payerEIN(payerID string) string {
	h := fnv.New32a()
	h.Write([]byte(payerID))
	return fmt.Sprintf("9%08d", h.Sum32()%100000000)
}

// filingIndicator maps the 837's SBR09 to the 835's CLP06, whose list differs.
func filingIndicator(sbr09 string) string {
	switch sbr09 {
	case "12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC", "ZZ":
		return sbr09
	case "CI", "BL":
		return "12"
	}
	return "ZZ"
}

// adjudicate prices a claim: the allowed amount from the fee schedule (CO-45 the
// rest), then deductible (PR-1), copay (PR-3) and coinsurance (PR-2), or a denial of
// every line; a claim billed after earlier payers is priced by adjudicateCOB. It
// returns the claim payment, the deductible applied and the key of the member's
// deductible.
func (s *Server) adjudicate(pc *pendingClaim, now time.Time) (x835.ClaimPayment, int64, string) {
	rules := &s.rules
	rec := &pc.Record
	c := &rec.Claim
	cov := billed(c)
	r := s.rng("adjudicate", rec.ICN, c.PatientControlNumber)
	cp := x835.ClaimPayment{
		PCN: c.PatientControlNumber, Status: x835.StatusPrimary,
		FilingIndicator: filingIndicator(cov.FilingIndicator), PayerClaimNumber: rec.ICN,
		FacilityCode: c.PlaceOfService, Frequency: c.Frequency.Code(),
		Dates: []x835.Date{{Qualifier: "050", Date: pc.Received}},
	}
	member := x835.Name{Type: "1", IDQualifier: "MI", ID: cov.MemberID}
	if cov.Subscriber.IsZero() || cov.Relationship == billing.RelationshipSelf {
		cp.Patient = personName(&c.Patient, member)
	} else {
		cp.Patient = personName(&c.Patient, x835.Name{Type: "1"})
		in := personName(&cov.Subscriber, member)
		cp.Insured = &in
	}
	var denial *Denial
	for i := range rules.Denials {
		if r.Float64() < rules.Denials[i].Rate {
			denial = &rules.Denials[i]
			break
		}
	}
	dedKey := cov.MemberID + "|" + strconv.Itoa(now.Year())
	if priors := priorPayers(c); len(priors) > 0 {
		cp.Status = cobStatus(cov, len(priors))
		s.adjudicateCOB(&cp, c, priors, denial)
		return cp, 0, dedKey
	}
	deductible := rules.Deductible
	if v, ok := rules.DeductibleRemaining[cov.MemberID]; ok {
		deductible = v
	}
	dedLeft := max(deductible-s.st.Deductible[dedKey], 0)
	copayLeft := rules.Copay
	var dedApplied int64
	for _, l := range c.Lines {
		charge := int64(l.Charge)
		sp := x835.ServicePayment{
			Procedure: x835.Procedure{Qualifier: orDefault(l.Procedure.Qualifier, "HC"), Code: l.Procedure.Code, Modifiers: l.Procedure.Modifiers},
			Charge:    charge,
			Units:     units(l.Units),
			Dates:     serviceDates(l.ServiceDates),
		}
		sp.LineControlNumber = l.ControlNumber
		cp.Charge += charge
		if denial != nil {
			sp.Adjustments = []x835.Adjustment{{Group: orDefault(denial.Group, "CO"), Reason: denial.Reason, Amount: charge}}
			if denial.Remark != "" {
				sp.Remarks = []x835.Remark{{Qualifier: "HE", Code: denial.Remark}}
			}
			cp.Lines = append(cp.Lines, sp)
			continue
		}
		allowed := allowedAmount(rules, l)
		ded := min(dedLeft, allowed)
		dedLeft -= ded
		dedApplied += ded
		copay := min(copayLeft, allowed-ded)
		copayLeft -= copay
		coins := (allowed - ded - copay) * int64(rules.CoinsurancePercent)
		coins = (coins + 50) / 100
		sp.Paid = allowed - ded - copay - coins
		if charge > allowed {
			sp.Adjustments = append(sp.Adjustments, x835.Adjustment{Group: x835.GroupContractual, Reason: "45", Amount: charge - allowed})
		}
		for _, a := range []x835.Adjustment{{Group: x835.GroupPatient, Reason: "1", Amount: ded},
			{Group: x835.GroupPatient, Reason: "2", Amount: coins}, {Group: x835.GroupPatient, Reason: "3", Amount: copay}} {
			if a.Amount > 0 {
				sp.Adjustments = append(sp.Adjustments, a)
				cp.PatientResponsibility += a.Amount
			}
		}
		sp.Amounts = []x835.Amount{{Qualifier: "B6", Amount: allowed}}
		cp.Paid += sp.Paid
		cp.Lines = append(cp.Lines, sp)
	}
	s.st.Deductible[dedKey] += dedApplied
	return cp, dedApplied, dedKey
}

// allowedAmount is the fee schedule's amount for the line's units, or the default
// share of its charge, never more than the charge.
func allowedAmount(rules *Rules, l billing.Line) int64 {
	charge := int64(l.Charge)
	var allowed int64
	if fee, ok := rules.FeeSchedule[l.Procedure.Code]; ok {
		q := int64(l.Units)
		if q <= 0 {
			q = int64(billing.Units(1))
		}
		allowed = (fee*q + 500) / 1000
	} else {
		allowed = (charge*int64(rules.DefaultAllowedPercent) + 50) / 100
	}
	return max(min(allowed, charge), 0)
}

func units(q billing.Quantity) string {
	if q <= 0 {
		q = billing.Units(1)
	}
	return q.String()
}

func serviceDates(p billing.Period) []x835.Date {
	if p.From.IsZero() {
		return nil
	}
	if p.To.IsZero() || p.To == p.From {
		return []x835.Date{{Qualifier: "472", Date: p.From.Time(time.UTC)}}
	}
	return []x835.Date{{Qualifier: "150", Date: p.From.Time(time.UTC)}, {Qualifier: "151", Date: p.To.Time(time.UTC)}}
}

func personName(p *billing.Person, n x835.Name) x835.Name {
	n.Last, n.First, n.Middle, n.Suffix = orDefault(p.LastName, "UNKNOWN"), p.FirstName, p.MiddleName, p.Suffix
	return n
}

// reverse takes back an earlier payment (CLP02 22: charge, payment and every
// adjustment negated, no patient responsibility) and adjudicates the claim again under
// a new claim number (REF*F8 the old one): the correction waives the deductible when
// the payment applied one, and otherwise denies the claim on review (the first of
// Rules.Denials, CO-50 N115 when there is none), which takes the money back.
func (s *Server) reverse(p *payment, now time.Time) (x835.ClaimPayment, x835.ClaimPayment) {
	orig := p.Claim
	rev := cloneClaim(orig)
	rev.Status = x835.StatusReversal
	rev.Charge, rev.Paid, rev.PatientResponsibility = -orig.Charge, -orig.Paid, 0
	rev.Amounts, rev.References = nil, nil
	negate(rev.Adjustments)
	for i := range rev.Lines {
		l := &rev.Lines[i]
		l.Charge, l.Paid = -l.Charge, -l.Paid
		l.Amounts, l.Remarks = nil, nil
		negate(l.Adjustments)
	}

	corr := cloneClaim(orig)
	corr.PayerClaimNumber = s.newICN(now)
	corr.Amounts = nil
	corr.References = []x835.Reference{{Qualifier: "F8", Value: orig.PayerClaimNumber}}
	if p.Deductible > 0 {
		for i := range corr.Lines {
			l := &corr.Lines[i]
			var kept []x835.Adjustment
			for _, a := range l.Adjustments {
				if a.Group == x835.GroupPatient && a.Reason == "1" {
					l.Paid += a.Amount
					corr.Paid += a.Amount
					corr.PatientResponsibility -= a.Amount
					continue
				}
				kept = append(kept, a)
			}
			l.Adjustments = kept
		}
		s.st.Deductible[p.DeductibleKey] -= p.Deductible
	} else {
		d := Denial{Group: "CO", Reason: "50", Remark: "N115"}
		if len(s.rules.Denials) > 0 {
			d = s.rules.Denials[0]
		}
		corr.Paid, corr.PatientResponsibility = 0, 0
		for i := range corr.Lines {
			l := &corr.Lines[i]
			// A secondary's correction keeps the earlier payers' share (OA-23) and
			// denies the rest.
			var prior []x835.Adjustment
			denied := l.Charge
			for _, a := range l.Adjustments {
				if a.Group == x835.GroupOther && a.Reason == reasonPriorPayer {
					prior = append(prior, a)
					denied -= a.Amount
				}
			}
			l.Paid, l.Amounts, l.Remarks = 0, nil, nil
			l.Adjustments = nil
			if denied != 0 || len(prior) == 0 {
				l.Adjustments = []x835.Adjustment{{Group: orDefault(d.Group, "CO"), Reason: d.Reason, Amount: denied}}
			}
			l.Adjustments = append(l.Adjustments, prior...)
			if d.Remark != "" {
				l.Remarks = []x835.Remark{{Qualifier: "HE", Code: d.Remark}}
			}
		}
	}
	p.Reversed = true
	if corr.Paid > 0 {
		s.st.Paid = append(s.st.Paid, &payment{Parties: p.Parties, Payer: p.Payer, Payee: p.Payee, Claim: corr})
	}
	return rev, corr
}

func negate(as []x835.Adjustment) {
	for i := range as {
		as[i].Amount = -as[i].Amount
	}
}

// cloneClaim copies a claim payment deeply enough to change its amounts and lists.
func cloneClaim(c x835.ClaimPayment) x835.ClaimPayment {
	c.Adjustments = slices.Clone(c.Adjustments)
	c.Amounts = slices.Clone(c.Amounts)
	c.References = slices.Clone(c.References)
	c.Dates = slices.Clone(c.Dates)
	c.Lines = slices.Clone(c.Lines)
	for i := range c.Lines {
		l := &c.Lines[i]
		l.Adjustments = slices.Clone(l.Adjustments)
		l.Amounts = slices.Clone(l.Amounts)
		l.Remarks = slices.Clone(l.Remarks)
		l.Dates = slices.Clone(l.Dates)
		l.References = slices.Clone(l.References)
	}
	if c.Insured != nil {
		in := *c.Insured
		c.Insured = &in
	}
	return c
}
