package posting

import (
	"encoding/json"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/storage"
)

// header is what storage.Remittance.Header keeps of the 835 header: who paid whom,
// and the payer's contacts. Nothing in it is patient data.
type header struct {
	PayerName  string           `json:"payer_name,omitempty"`
	PayerID    string           `json:"payer_id,omitempty"`
	PayeeName  string           `json:"payee_name,omitempty"`
	PayeeID    string           `json:"payee_id,omitempty"`
	PayeeIDQ   string           `json:"payee_id_qualifier,omitempty"`
	CreditDeb  string           `json:"credit_debit,omitempty"`
	Currency   string           `json:"currency,omitempty"`
	ISA13      string           `json:"isa13,omitempty"`
	ST02       string           `json:"st02,omitempty"`
	Contacts   []x835.Contact   `json:"contacts,omitempty"`
	References []x835.Reference `json:"references,omitempty"`
}

// PayerIdentifier returns the id a remittance names its payer by: TRN03 (1 and the
// payer's EIN), else the 1000A N104 or REF*2U.
func PayerIdentifier(rem *x835.Remittance) string {
	if rem.Trace.PayerID != "" {
		return rem.Trace.PayerID
	}
	return rem.Payer.Identifier()
}

// RemitKey returns the remittance's identity (X12-GUIDE 6.10): payer id, TRN02,
// BPR16 and BPR02.
func RemitKey(rem *x835.Remittance) string {
	return storage.RemitKey(PayerIdentifier(rem), rem.Trace.Number, dateOf(rem.Payment.Date), billing.Money(rem.Payment.Amount))
}

// EffectiveDate is the day a remittance's postings take effect: the payment date
// (BPR16), else the production date (DTM*405).
func EffectiveDate(rem *x835.Remittance) billing.Date {
	if d := dateOf(rem.Payment.Date); !d.IsZero() {
		return d
	}
	return dateOf(rem.ProductionDate)
}

// Remittance returns the header of rem as storage keeps it (without claims: those
// are stored with their postings), for the inbound file it came in.
func Remittance(rem *x835.Remittance, inboundFileID, payerID int64) storage.Remittance {
	h, _ := json.Marshal(header{
		PayerName: rem.Payer.Name, PayerID: rem.Payer.Identifier(), PayeeName: rem.Payee.Name, PayeeID: rem.Payee.ID,
		PayeeIDQ: rem.Payee.IDQualifier, CreditDeb: rem.Payment.CreditDebit, Currency: rem.Currency,
		ISA13: rem.Origin.ISA13, ST02: rem.Origin.ST02, Contacts: rem.Payer.Contacts, References: rem.Payer.References,
	})
	r := storage.Remittance{
		Key:             RemitKey(rem),
		InboundFileID:   inboundFileID,
		PayerID:         payerID,
		PayerIdentifier: PayerIdentifier(rem),
		TraceNumber:     rem.Trace.Number,
		Handling:        rem.Payment.Handling,
		PaymentMethod:   rem.Payment.Method,
		TotalPaid:       billing.Money(rem.Payment.Amount),
		PaymentDate:     dateOf(rem.Payment.Date),
		ProductionDate:  dateOf(rem.ProductionDate),
		Header:          h,
	}
	if rem.Payee.IDQualifier == "XX" {
		r.PayeeNPI = rem.Payee.ID
	}
	for _, p := range rem.ProviderAdjustments {
		for _, a := range p.Adjustments {
			r.ProviderAdjustments = append(r.ProviderAdjustments, storage.ProviderAdjustment{
				ProviderID: p.ProviderID, FiscalDate: dateOf(p.FiscalPeriod), Reason: a.Reason, Reference: a.Reference,
				Amount: billing.Money(a.Amount),
			})
		}
	}
	return r
}

// PaymentKeys returns the claim payment key of each claim of rem: storage's
// ClaimPaymentKey, with "#2", "#3"... on repeats within the remittance (both are
// kept, as storage.InsertRemittance does).
func PaymentKeys(rem *x835.Remittance, remitKey string) []string {
	keys := make([]string, len(rem.Claims))
	seen := make(map[string]int, len(rem.Claims))
	for i := range rem.Claims {
		c := &rem.Claims[i]
		cp := storage.ClaimPayment{PatientControlNumber: c.PCN, PayerClaimNumber: c.PayerClaimNumber, Status: c.Status,
			Paid: billing.Money(c.Paid)}
		k := storage.ClaimPaymentKey(remitKey, &cp)
		if n := seen[k]; n > 0 {
			seen[k] = n + 1
			keys[i] = k + "#" + itoa(n+1)
			continue
		}
		seen[k] = 1
		keys[i] = k
	}
	return keys
}

// storedPayment returns the claim payment as storage keeps it.
func storedPayment(c *x835.ClaimPayment, remitID int64, key string) storage.ClaimPayment {
	cp := storage.ClaimPayment{
		RemittanceID:          remitID,
		Key:                   key,
		PatientControlNumber:  c.PCN,
		Status:                c.Status,
		Charge:                billing.Money(c.Charge),
		Paid:                  billing.Money(c.Paid),
		PatientResponsibility: billing.Money(c.PatientResponsibility),
		FilingIndicator:       c.FilingIndicator,
		PayerClaimNumber:      c.PayerClaimNumber,
		RemarkCodes:           c.Remarks(),
		Adjustments:           adjustments(c.Adjustments),
	}
	if len(c.Lines) > 0 {
		cp.Services = make([]storage.ServicePayment, 0, len(c.Lines))
	}
	for k := range c.Lines {
		l := &c.Lines[k]
		units := quantity(l.Units)
		sp := storage.ServicePayment{
			ControlNumber: l.LineControlNumber,
			ProcedureCode: l.Procedure.Code,
			Modifiers:     l.Procedure.Modifiers,
			Charge:        billing.Money(l.Charge),
			Paid:          billing.Money(l.Paid),
			Units:         units,
			ServiceDate:   serviceDate(l),
			Adjustments:   adjustments(l.Adjustments),
		}
		for _, r := range l.Remarks {
			if r.Qualifier == "HE" {
				sp.RemarkCodes = append(sp.RemarkCodes, r.Code)
			}
		}
		cp.Services = append(cp.Services, sp)
	}
	return cp
}

func adjustments(as []x835.Adjustment) []billing.Adjustment {
	if len(as) == 0 {
		return nil
	}
	out := make([]billing.Adjustment, len(as))
	for i, a := range as {
		out[i] = billing.Adjustment{Group: a.Group, Reason: a.Reason, Amount: billing.Money(a.Amount), Quantity: quantity(a.Quantity)}
	}
	return out
}

// quantity reads an optional quantity (SVC05, CAS04): 0 when absent or not a
// number. Most are absent, and billing.ParseQuantity formats an error for "".
func quantity(s string) billing.Quantity {
	if s == "" {
		return 0
	}
	q, _ := billing.ParseQuantity(s)
	return q
}

// serviceDate is the line's date of service: DTM*472, else the start of the
// period (DTM*150).
func serviceDate(l *x835.ServicePayment) billing.Date {
	if d := l.Date("472"); !d.IsZero() {
		return dateOf(d)
	}
	return dateOf(l.Date("150"))
}

func dateOf(t time.Time) billing.Date {
	if t.IsZero() {
		return billing.Date{}
	}
	return billing.DateOf(t)
}
