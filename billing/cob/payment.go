package cob

import "github.com/claimflow/claimflow/billing"

// Payment is what one payer decided about the claim: its 835 claim payment (CLP
// loop), with the service payments matched to the claim's lines.
type Payment struct {
	// Status is CLP02: 1, 2, 3 processed as primary, secondary, tertiary; 4 denied;
	// 19, 20, 21 processed and forwarded to the next payer (crossover); 22 reversal.
	Status                string        // CLP02
	Charge                billing.Money // CLP03
	Paid                  billing.Money // CLP04
	PatientResponsibility billing.Money // CLP05
	// FilingIndicator is CLP06, the claim filing indicator the payer adjudicated
	// under: the 2320 SBR09 of that payer when its coverage has none.
	FilingIndicator  string
	PayerClaimNumber string // CLP07, sent on as 2330B REF*F8
	// Date is the adjudication date sent as DTP*573: the 835's payment date (BPR16),
	// or its production date (DTM*405) when there is none.
	Date billing.Date
	// RemarkCodes are the claim-level remark codes (MOA), sent as 2320 MOA.
	RemarkCodes []string
	// Adjustments are the claim-level adjustments (2100 CAS).
	Adjustments []billing.Adjustment
	// Services are the line-level decisions (2110).
	Services []Service
}

// Service is what the payer decided about one service line (SVC loop).
type Service struct {
	// Line is the 1-based number of the claim's line the service payment matched
	// (by REF*6R or by procedure, date and charge); 0 when it matched none.
	Line int
	// Procedure is the procedure as adjudicated (SVC01), sent as SVD03.
	Procedure billing.Procedure
	Charge    billing.Money // SVC02
	Paid      billing.Money // SVC03
	// Units is SVC05, the paid units (sent as SVD05); 0 when the 835 leaves SVC05
	// out, which means one unit paid (835 TR3; X12 RFI 2163).
	Units billing.Quantity
	// Adjustments are the line's adjustments (2110 CAS).
	Adjustments []billing.Adjustment
}

// CrossedOver reports whether a claim status (CLP02) says the payer forwarded the
// claim to the next payer itself (19, 20, 21 with NM1*TT; 23 not its claim,
// forwarded): the next payer must not be billed (X12-GUIDE 6.8).
func CrossedOver(status string) bool {
	switch status {
	case "19", "20", "21", "23":
		return true
	}
	return false
}

// Reversal reports whether a claim status is a reversal of an earlier payment (22).
func Reversal(status string) bool { return status == "22" }

// PatientShare returns the sum of the payment's PR adjustments, claim and
// line level: what the payer says the patient owes (CLP05 when the 835 is right).
func (p *Payment) PatientShare() billing.Money {
	t := groupSum(p.Adjustments, "PR")
	for i := range p.Services {
		t += groupSum(p.Services[i].Adjustments, "PR")
	}
	return t
}

func groupSum(adj []billing.Adjustment, group string) billing.Money {
	var t billing.Money
	for i := range adj {
		if adj[i].Group == group {
			t += adj[i].Amount
		}
	}
	return t
}
