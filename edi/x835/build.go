package x835

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/claimflow/claimflow/edi/x12"
)

// Build writes the remittances as 835 transaction sets (005010X221A1, no ST03), one
// per Remittance, in one interchange and one functional group (GS01 HP). Remittances
// are written as given (Balance checks their money); values holding a delimiter stop
// the writing with an error naming the segment. Qualified segments the guide orders
// (claim REF and DTM, payer PER, line REF) are written in the guide's order; CAS
// segments hold the consecutive adjustments of one group, six at most; a PLB holds
// six adjustments at most.
func Build(w io.Writer, env Envelope, rems ...Remittance) error {
	if len(rems) == 0 {
		return fmt.Errorf("building 835: %w: no remittance to send", ErrEnvelope)
	}
	xw, err := env.Open(w, "HP", Version)
	if err != nil {
		return fmt.Errorf("building 835: %w", err)
	}
	for i := range rems {
		b := builder{w: xw}
		b.remittance(&rems[i])
	}
	if err := xw.EndEnvelope(); err != nil {
		return fmt.Errorf("building 835: %w", err)
	}
	return nil
}

type builder struct {
	w *x12.Writer
}

func (b *builder) remittance(r *Remittance) {
	w := b.w
	w.BeginTransaction("835", "")
	p := &r.Payment
	w.Begin("BPR")
	w.Elem(p.Handling)
	w.Cents(p.Amount)
	w.Elem(p.CreditDebit)
	w.Elem(p.Method)
	w.Elem(p.Format)
	bank(w, &p.Sender)
	w.Elem(p.PayerID)
	w.Elem(p.PayerSupplementalCode)
	bank(w, &p.Receiver)
	w.Elem(date(p.Date))
	w.End()
	w.Segment("TRN", orDefault(r.Trace.Type, "1"), r.Trace.Number, r.Trace.PayerID, r.Trace.Supplemental)
	if r.Currency != "" {
		w.Segment("CUR", "PR", r.Currency)
	}
	b.ref("EV", r.ReceiverID)
	b.ref("F2", r.VersionID)
	if !r.ProductionDate.IsZero() {
		w.Segment("DTM", "405", date(r.ProductionDate))
	}

	w.Segment("N1", "PR", r.Payer.Name, r.Payer.IDQualifier, r.Payer.ID)
	b.address(&r.Payer.Address, true)
	b.refs(r.Payer.References, nil)
	contacts := slices.Clone(r.Payer.Contacts)
	slices.SortStableFunc(contacts, func(x, y Contact) int { return cmp.Compare(payerContactRank(x.Function), payerContactRank(y.Function)) })
	for i := range contacts {
		b.contact(&contacts[i])
	}

	w.Segment("N1", "PE", r.Payee.Name, r.Payee.IDQualifier, r.Payee.ID)
	b.address(&r.Payee.Address, false)
	b.refs(r.Payee.References, nil)
	if d := r.Payee.Delivery; d != nil {
		w.Segment("RDM", d.Method, d.Name, d.Number)
	}

	lx := -1
	for i := range r.Claims {
		c := &r.Claims[i]
		h := max(c.Header, 1)
		if h != lx {
			w.Segment("LX", strconv.Itoa(h))
			lx = h
		}
		b.claim(c)
	}
	for i := range r.ProviderAdjustments {
		b.plb(&r.ProviderAdjustments[i])
	}
	w.EndTransaction()
}

func bank(w *x12.Writer, a *BankAccount) {
	w.Elem(a.DFIQualifier)
	w.Elem(a.DFI)
	w.Elem(a.AccountQualifier)
	w.Elem(a.Account)
}

func payerContactRank(fn string) int {
	switch fn {
	case "CX":
		return 0
	case "BL":
		return 1
	}
	return 2
}

func (b *builder) ref(qual, v string) {
	if v != "" {
		b.w.Segment("REF", qual, v)
	}
}

// refs writes REF segments, ordered by rank when rank is given.
func (b *builder) refs(rs []Reference, rank func(string) int) {
	if rank != nil {
		rs = slices.Clone(rs)
		slices.SortStableFunc(rs, func(x, y Reference) int { return cmp.Compare(rank(x.Qualifier), rank(y.Qualifier)) })
	}
	for _, r := range rs {
		b.w.Segment("REF", r.Qualifier, r.Value)
	}
}

// claimRefRank orders 2100 REFs as the guide places them: other claim ids, then
// rendering provider ids.
func claimRefRank(q string) int {
	switch q {
	case "0B", "1A", "1B", "1C", "1D", "1G", "1H", "1J", "D3", "G2", "LU":
		return 1
	}
	return 0
}

// lineRefRank orders 2110 REFs as the guide places them: service ids, 6R, rendering
// provider ids, policy ids.
func lineRefRank(q string) int {
	switch q {
	case "6R":
		return 1
	case "0B", "1A", "1B", "1C", "1D", "1G", "1H", "1J", "D3", "G2", "HPI", "SY", "TJ":
		return 2
	case "0K":
		return 3
	}
	return 0
}

// claimDateRank orders 2100 DTMs as the guide places them: statement dates, coverage
// expiration, received.
func claimDateRank(q string) int {
	switch q {
	case "036":
		return 1
	case "050":
		return 2
	}
	return 0
}

func (b *builder) address(a *Address, required bool) {
	if !required && a.Line1 == "" && a.Line2 == "" && a.City == "" {
		return
	}
	b.w.Segment("N3", a.Line1, a.Line2)
	b.w.Segment("N4", a.City, a.State, a.Zip, a.Country, "", "", a.CountrySubdivision)
}

func (b *builder) contact(c *Contact) {
	w := b.w
	w.Begin("PER")
	w.Elem(c.Function)
	w.Elem(c.Name)
	for _, n := range c.Numbers {
		w.Elem(n.Qualifier)
		w.Elem(n.Value)
	}
	w.End()
}

func (b *builder) name(id string, n *Name, typ string) {
	if n == nil {
		return
	}
	b.w.Segment("NM1", id, orDefault(n.Type, typ), n.Last, n.First, n.Middle, "", n.Suffix, n.IDQualifier, n.ID)
}

func (b *builder) claim(c *ClaimPayment) {
	w := b.w
	w.Begin("CLP")
	w.Elem(c.PCN)
	w.Elem(c.Status)
	w.Cents(c.Charge)
	w.Cents(c.Paid)
	if c.PatientResponsibility != 0 {
		w.Cents(c.PatientResponsibility)
	} else {
		w.Elem("")
	}
	w.Elem(c.FilingIndicator)
	w.Elem(c.PayerClaimNumber)
	w.Elem(c.FacilityCode)
	w.Elem(c.Frequency)
	w.Elem("")
	w.Elem(c.DRG)
	w.Elem(c.DRGWeight)
	w.Elem(c.DischargeFraction)
	w.End()
	b.adjustments(c.Adjustments)
	b.name("QC", &c.Patient, "1")
	b.name("IL", c.Insured, "1")
	b.name("74", c.Corrected, "1")
	b.name("82", c.RenderingProvider, "1")
	b.name("TT", c.CrossoverCarrier, "2")
	b.name("PR", c.CorrectedPriorityPayer, "2")
	b.name("GB", c.OtherSubscriber, "1")
	if m := c.Inpatient; m != nil {
		b.inpatient(m)
	}
	if m := c.Outpatient; m != nil {
		w.Begin("MOA")
		w.Elem(m.ReimbursementRate)
		cents(w, m.HCPCSPayable)
		for k := 0; k < 5; k++ {
			w.Elem(at(m.Remarks, k))
		}
		cents(w, m.ESRDPayment)
		cents(w, m.NonpayableProfessional)
		w.End()
	}
	b.refs(c.References, claimRefRank)
	b.dates(c.Dates, claimDateRank)
	for i := range c.Contacts {
		b.contact(&c.Contacts[i])
	}
	b.amounts(c.Amounts)
	b.quantities(c.Quantities)
	for i := range c.Lines {
		b.line(&c.Lines[i])
	}
}

func (b *builder) inpatient(m *Inpatient) {
	w := b.w
	w.Begin("MIA")
	w.Elem(m.CoveredDays)
	cents(w, m.PPSOperatingOutlier)
	w.Elem(m.LifetimePsychiatricDays)
	cents(w, m.DRGAmount)
	w.Elem(at(m.Remarks, 0))
	for _, v := range []int64{m.DisproportionateShare, m.MSPPassThrough, m.PPSCapital, m.CapitalFSPDRG, m.CapitalHSPDRG,
		m.CapitalDSHDRG, m.OldCapital, m.CapitalIME, m.OperatingHospitalSpecificDRG} {
		cents(w, v)
	}
	w.Elem(m.CostReportDays)
	for _, v := range []int64{m.OperatingFederalSpecificDRG, m.CapitalOutlier, m.IndirectTeaching, m.NonpayableProfessional} {
		cents(w, v)
	}
	for k := 1; k <= 4; k++ {
		w.Elem(at(m.Remarks, k))
	}
	cents(w, m.CapitalException)
	w.End()
}

// cents writes an optional amount: nothing for zero.
func cents(w *x12.Writer, c int64) {
	if c == 0 {
		w.Elem("")
		return
	}
	w.Cents(c)
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func (b *builder) dates(ds []Date, rank func(string) int) {
	if rank != nil {
		ds = slices.Clone(ds)
		slices.SortStableFunc(ds, func(x, y Date) int { return cmp.Compare(rank(x.Qualifier), rank(y.Qualifier)) })
	}
	for _, d := range ds {
		b.w.Segment("DTM", d.Qualifier, date(d.Date))
	}
}

func (b *builder) amounts(as []Amount) {
	for _, a := range as {
		b.w.Begin("AMT")
		b.w.Elem(a.Qualifier)
		b.w.Cents(a.Amount)
		b.w.End()
	}
}

func (b *builder) quantities(qs []Quantity) {
	for _, q := range qs {
		b.w.Segment("QTY", q.Qualifier, q.Value)
	}
}

// adjustments writes CAS segments: consecutive adjustments of one group share a
// segment, six at most.
func (b *builder) adjustments(as []Adjustment) {
	w := b.w
	for i := 0; i < len(as); {
		g := as[i].Group
		w.Begin("CAS")
		w.Elem(g)
		for n := 0; n < 6 && i < len(as) && as[i].Group == g; n, i = n+1, i+1 {
			w.Elem(as[i].Reason)
			w.Cents(as[i].Amount)
			w.Elem(as[i].Quantity)
		}
		w.End()
	}
}

func procedure(p *Procedure) []string {
	parts := make([]string, 7)
	parts[0], parts[1] = p.Qualifier, p.Code
	copy(parts[2:6], p.Modifiers)
	parts[6] = p.Description
	return parts
}

func (b *builder) line(l *ServicePayment) {
	w := b.w
	w.Begin("SVC")
	w.Comp(procedure(&l.Procedure)...)
	w.Cents(l.Charge)
	w.Cents(l.Paid)
	w.Elem(l.RevenueCode)
	w.Elem(l.Units)
	if l.OriginalProcedure != nil {
		w.Comp(procedure(l.OriginalProcedure)...)
	} else {
		w.Elem("")
	}
	w.Elem(l.OriginalUnits)
	w.End()
	b.dates(l.Dates, nil)
	b.adjustments(l.Adjustments)
	refs := l.References
	if l.LineControlNumber != "" {
		refs = append([]Reference{{Qualifier: "6R", Value: l.LineControlNumber}}, refs...)
	}
	b.refs(refs, lineRefRank)
	b.amounts(l.Amounts)
	b.quantities(l.Quantities)
	for _, r := range l.Remarks {
		w.Segment("LQ", r.Qualifier, r.Code)
	}
}

func (b *builder) plb(p *ProviderAdjustment) {
	w := b.w
	for i := 0; i == 0 || i < len(p.Adjustments); i += 6 {
		w.Begin("PLB")
		w.Elem(p.ProviderID)
		w.Elem(date(p.FiscalPeriod))
		for _, a := range p.Adjustments[i:min(i+6, len(p.Adjustments))] {
			w.Comp(a.Reason, a.Reference)
			w.Cents(a.Amount)
		}
		w.End()
	}
}

func date(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return d.Format("20060102")
}
