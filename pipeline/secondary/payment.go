package secondary

import (
	"fmt"
	"slices"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/billing/cob"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/storage"
)

// processedAs are the claim statuses (CLP02) of a payer that adjudicated the claim
// as the coverage at each position: primary, secondary, tertiary.
var processedAs = [][]string{{"1", "19"}, {"2", "20"}, {"3", "21"}}

// payerPayment returns the standing decision of the payer billed now (coverage k)
// about the claim, with its adjudication date (the 835's payment date, else its
// production date). The payer's payments are those of remittances from the claim's
// payer; when none is, those of unrecognized payers whose CLP02 says they processed
// the claim at coverage k's position. A reversal (CLP02 22) cancels the payment it
// reverses, so after a reversal and its correction the correction stands.
func payerPayment(pays []storage.ClaimPayment, origins []storage.PaymentOrigin, cl *storage.Claim, k int) (*storage.ClaimPayment, billing.Date, error) {
	from := make(map[int64]storage.PaymentOrigin, len(origins))
	for _, o := range origins {
		from[o.PaymentID] = o
	}
	pick := func(ok func(cp *storage.ClaimPayment, o storage.PaymentOrigin) bool) int {
		var standing []int
		for i := range pays {
			cp := &pays[i]
			if !ok(cp, from[cp.ID]) {
				continue
			}
			if !cob.Reversal(cp.Status) {
				standing = append(standing, i)
				continue
			}
			at := len(standing) - 1
			for j := len(standing) - 1; j >= 0; j-- {
				if pays[standing[j]].PayerClaimNumber == cp.PayerClaimNumber {
					at = j
					break
				}
			}
			if at >= 0 {
				standing = slices.Delete(standing, at, at+1)
			}
		}
		if len(standing) == 0 {
			return -1
		}
		return standing[len(standing)-1]
	}
	i := -1
	if cl.PayerID != 0 {
		i = pick(func(_ *storage.ClaimPayment, o storage.PaymentOrigin) bool { return o.PayerID == cl.PayerID })
	}
	if i < 0 && k < len(processedAs) {
		i = pick(func(cp *storage.ClaimPayment, o storage.PaymentOrigin) bool {
			return o.PayerID == 0 && (slices.Contains(processedAs[k], cp.Status) || cob.Reversal(cp.Status))
		})
	}
	if i < 0 {
		return nil, billing.Date{}, pipeline.Poison(fmt.Errorf("claim %d is adjudicated but no standing payment of payer %d (coverage %d) is stored",
			cl.ID, cl.PayerID, k+1))
	}
	o := from[pays[i].ID]
	date := o.PaymentDate
	if date.IsZero() {
		date = o.ProductionDate
	}
	return &pays[i], date, nil
}

// toCOB maps a stored claim payment to cob's Payment, its services to the claim's
// lines by the line they were matched to, else by line control number (REF*6R).
func toCOB(cl *storage.Claim, cp *storage.ClaimPayment, date billing.Date) cob.Payment {
	p := cob.Payment{
		Status: cp.Status, Charge: cp.Charge, Paid: cp.Paid, PatientResponsibility: cp.PatientResponsibility,
		FilingIndicator: cp.FilingIndicator, PayerClaimNumber: cp.PayerClaimNumber, Date: date,
		RemarkCodes: cp.RemarkCodes, Adjustments: cp.Adjustments,
	}
	for i := range cp.Services {
		sp := &cp.Services[i]
		s := cob.Service{
			Procedure:   billing.Procedure{Qualifier: billing.DefaultProcedureQualifier, Code: sp.ProcedureCode, Modifiers: sp.Modifiers},
			Charge:      sp.Charge,
			Paid:        sp.Paid,
			Units:       sp.Units,
			Adjustments: sp.Adjustments,
		}
		for _, l := range cl.StoredLines {
			if (sp.LineID != 0 && l.ID == sp.LineID) || (sp.LineID == 0 && sp.ControlNumber != "" && l.ControlNumber == sp.ControlNumber) {
				s.Line = l.Number
				break
			}
		}
		if s.Line >= 1 && s.Line <= len(cl.Lines) {
			s.Procedure = adjudicatedProcedure(&cl.Lines[s.Line-1], s.Procedure)
		}
		p.Services = append(p.Services, s)
	}
	return p
}

// adjudicatedProcedure is the procedure SVD03 sends for a service payment (SVC01)
// matched to line l. Storage keeps SVC01's code, not its qualifier: the line's own
// code keeps the line's qualifier (HC, ER, IV or WK), and the line's drug code (an
// SVC01 N4 NDC, which SVD03 cannot carry) gives the procedure billed; another code
// is a HCPCS code (HC).
func adjudicatedProcedure(l *billing.Line, p billing.Procedure) billing.Procedure {
	switch {
	case p.Code == l.Procedure.Code && l.Procedure.Qualifier != "":
		p.Qualifier = l.Procedure.Qualifier
	case l.Drug != nil && p.Code == l.Drug.NDC:
		p = l.Procedure
	}
	return p
}
