package x277ca

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/claimflow/claimflow/edi/x12"
)

// Build writes the acknowledgments as 277CA transaction sets (005010X214), one per
// Ack, in one interchange and one functional group (GS01 HN). The HL levels are
// numbered in order: 20 the information source, 21 the receiver, 19 each billing
// provider, PT each patient (consecutive claims with the same patient share one).
// Acks are written as given; values holding a delimiter stop the writing with an
// error naming the segment.
func Build(w io.Writer, env Envelope, acks ...Ack) error {
	if len(acks) == 0 {
		return fmt.Errorf("building 277CA: %w: no acknowledgment to send", ErrEnvelope)
	}
	xw, err := env.Open(w, "HN", Version)
	if err != nil {
		return fmt.Errorf("building 277CA: %w", err)
	}
	now := env.Time
	if now.IsZero() {
		now = time.Now()
	}
	for i := range acks {
		b := builder{w: xw}
		b.ack(&acks[i], now)
	}
	if err := xw.EndEnvelope(); err != nil {
		return fmt.Errorf("building 277CA: %w", err)
	}
	return nil
}

type builder struct {
	w  *x12.Writer
	hl int
}

// level writes an HL segment and returns its number.
func (b *builder) level(parent int, code, child string) int {
	b.hl++
	b.w.Begin("HL")
	b.w.Int(int64(b.hl))
	if parent > 0 {
		b.w.Int(int64(parent))
	} else {
		b.w.Elem("")
	}
	b.w.Elem(code)
	b.w.Elem(child)
	b.w.End()
	return b.hl
}

func hasChild(ok bool) string {
	if ok {
		return "1"
	}
	return "0"
}

func (b *builder) ack(a *Ack, now time.Time) {
	w := b.w
	ctl, _ := w.BeginTransaction("277", Version)
	created := a.Created
	if created.IsZero() {
		created = now
	}
	batch := a.BatchID
	if batch == "" {
		batch = ctl.ISA13 + ctl.ST02
	}
	hm := "1504"
	if created.Second() != 0 {
		hm = "150405"
	}
	w.Segment("BHT", "0085", "08", batch, created.Format("20060102"), created.Format(hm), "TH")

	src := b.level(0, "20", "1")
	b.entity(&a.InformationSource, SourceClearinghouse, "2")
	w.Segment("TRN", "1", a.Receipt.Trace)
	b.date("050", a.Receipt.Received)
	b.date("009", a.Receipt.Processed)

	s := &a.Submitter
	recv := b.level(src, "21", hasChild(len(a.Providers) > 0))
	b.entity(&s.Entity, "41", "2")
	w.Segment("TRN", "2", s.Trace)
	b.statuses(s.Statuses, true)
	b.totals(&s.Totals, "90", "AA")

	for i := range a.Providers {
		p := &a.Providers[i]
		prov := b.level(recv, "19", hasChild(len(p.Claims) > 0))
		b.entity(&p.Entity, "85", "2")
		if p.Trace != "" || len(p.Statuses) > 0 || len(p.References) > 0 || p.Totals != (Totals{}) {
			w.Segment("TRN", "1", p.Trace)
			b.statuses(p.Statuses, true)
			for _, r := range p.References {
				w.Segment("REF", r.Qualifier, r.Value)
			}
			b.totals(&p.Totals, "QA", "QC")
		}
		for j := 0; j < len(p.Claims); {
			pat := &p.Claims[j].Patient
			b.level(prov, "PT", "")
			b.entity(pat, "QC", "1")
			for ; j < len(p.Claims) && sameEntity(&p.Claims[j].Patient, pat); j++ {
				b.claim(&p.Claims[j])
			}
		}
	}
	w.EndTransaction()
}

func sameEntity(a, b *Entity) bool { return *a == *b }

func (b *builder) claim(c *Claim) {
	w := b.w
	w.Segment("TRN", "2", c.PCN)
	b.statuses(c.Statuses, true)
	b.ref("1K", c.PayerClaimNumber)
	b.ref("D9", c.ClearinghouseID)
	b.ref("BLT", c.BillType)
	b.period(&c.ServiceDates)
	for i := range c.Lines {
		l := &c.Lines[i]
		w.Begin("SVC")
		w.Comp(procedure(&l.Procedure)...)
		w.Cents(l.Charge)
		w.Elem("")
		w.Elem(l.RevenueCode)
		w.Elem("")
		w.Elem("")
		w.Elem(l.Units)
		w.End()
		b.statuses(l.Statuses, false)
		b.ref("FJ", l.LineControlNumber)
		b.ref("XZ", l.PrescriptionNumber)
		b.period(&l.ServiceDates)
	}
}

func procedure(p *Procedure) []string {
	parts := []string{p.Qualifier, p.Code}
	return append(parts, p.Modifiers...)
}

func (b *builder) entity(e *Entity, code, typ string) {
	b.w.Segment("NM1", orDefault(e.Code, code), orDefault(e.Type, typ), e.Name, e.First, e.Middle, "", e.Suffix, e.IDQualifier, e.ID)
}

func (b *builder) ref(qual, v string) {
	if v != "" {
		b.w.Segment("REF", qual, v)
	}
}

func (b *builder) date(qual string, d time.Time) {
	b.w.Segment("DTP", qual, "D8", dateText(d))
}

func (b *builder) period(p *Period) {
	if p.From.IsZero() {
		return
	}
	if p.To.IsZero() {
		b.w.Segment("DTP", "472", "D8", dateText(p.From))
		return
	}
	b.w.Segment("DTP", "472", "RD8", dateText(p.From)+"-"+dateText(p.To))
}

func dateText(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return d.Format("20060102")
}

// statuses writes STC segments; withCharge writes STC04 (required everywhere but on
// a line).
func (b *builder) statuses(ss []Status, withCharge bool) {
	w := b.w
	for i := range ss {
		s := &ss[i]
		w.Begin("STC")
		w.Comp(s.Category, s.Code, s.Entity, s.Qualifier)
		w.Elem(dateText(s.Date))
		w.Elem(s.Action)
		if withCharge {
			w.Cents(s.Charge)
		} else {
			w.Elem("")
		}
		for k := 5; k <= 9; k++ {
			w.Elem("")
		}
		for k := 0; k < 2; k++ {
			if k < len(s.More) {
				m := s.More[k]
				w.Comp(m.Category, m.Code, m.Entity, m.Qualifier)
			} else {
				w.Elem("")
			}
		}
		w.Elem(s.FreeText)
		w.End()
	}
}

func (b *builder) totals(t *Totals, accepted, rejected string) {
	if t.AcceptedCount != 0 {
		b.w.Segment("QTY", accepted, strconv.Itoa(t.AcceptedCount))
	}
	if t.RejectedCount != 0 {
		b.w.Segment("QTY", rejected, strconv.Itoa(t.RejectedCount))
	}
	if t.AcceptedAmount != 0 {
		b.w.Begin("AMT")
		b.w.Elem("YU")
		b.w.Cents(t.AcceptedAmount)
		b.w.End()
	}
	if t.RejectedAmount != 0 {
		b.w.Begin("AMT")
		b.w.Elem("YY")
		b.w.Cents(t.RejectedAmount)
		b.w.End()
	}
}
