package simulator

import (
	"errors"
	"fmt"
	"strings"
)

// TA1Policy says when the simulator writes a TA1.
type TA1Policy string

// TA1 policies.
const (
	// TA1WhenRequested writes a TA1 for every interchange with ISA14 1, and for every
	// rejected interchange.
	TA1WhenRequested TA1Policy = "requested"
	// TA1OnErrors writes a TA1 only for rejected interchanges, whatever ISA14 says.
	TA1OnErrors TA1Policy = "errors"
)

// AckPolicy says when the simulator writes a 999.
type AckPolicy string

// 999 policies.
const (
	// AckAlways writes a 999 for every file whose interchange was not rejected.
	AckAlways AckPolicy = "always"
	// AckNegative writes a 999 only when a transaction set or group was rejected or
	// accepted with errors (Stedi's default).
	AckNegative AckPolicy = "negative"
)

// Rules are the clearinghouse's edits and the payers' benefits. Amounts are cents,
// rates are shares between 0 and 1. The zero value accepts everything and pays
// nothing; start from [DefaultRules].
type Rules struct {
	TA1    TA1Policy `yaml:"ta1" json:"ta1"`       // "requested" when empty
	Ack999 AckPolicy `yaml:"ack999" json:"ack999"` // "always" when empty

	// CheckNPI makes the clearinghouse reject claims whose billing (A7:562:85) or
	// rendering (A7:562:82) NPI fails its check digit (edi/codes.ValidNPI).
	CheckNPI bool `yaml:"check_npi" json:"check_npi"`
	// CheckBalance makes the clearinghouse reject claims whose CLM02 is not the sum of
	// the lines' charges (A7:400).
	CheckBalance bool `yaml:"check_balance" json:"check_balance"`
	// UnknownMemberPrefixes and UnknownMembers are member ids (2010BA NM109) the payer
	// does not know: it rejects their claims in its 277CA (A3:33).
	UnknownMemberPrefixes []string `yaml:"unknown_member_prefixes" json:"unknown_member_prefixes"`
	UnknownMembers        []string `yaml:"unknown_members" json:"unknown_members"`

	// FeeSchedule is the allowed amount per unit by procedure code (SV101-2); a code
	// not in it is allowed DefaultAllowedPercent of its charge. The allowed amount is
	// never more than the charge; the difference is written off as CO-45.
	FeeSchedule           map[string]int64 `yaml:"fee_schedule" json:"fee_schedule"`
	DefaultAllowedPercent int              `yaml:"default_allowed_percent" json:"default_allowed_percent"`
	// Deductible is each member's yearly deductible; DeductibleRemaining overrides it
	// for some members. The payer applies it line by line (PR-1) until it is used up.
	Deductible          int64            `yaml:"deductible" json:"deductible"`
	DeductibleRemaining map[string]int64 `yaml:"deductible_remaining" json:"deductible_remaining"`
	// Copay is charged once per claim (PR-3), on the first lines with an allowed
	// amount left after the deductible.
	Copay int64 `yaml:"copay" json:"copay"`
	// CoinsurancePercent of what is left after deductible and copay is the patient's
	// (PR-2, rounded to the cent).
	CoinsurancePercent int `yaml:"coinsurance_percent" json:"coinsurance_percent"`
	// SecondaryCoinsurancePercent is, on a claim billed to a secondary or later payer,
	// the share of what that payer covers of the patient's remaining liability that it
	// leaves to the patient (PR-2, rounded to the cent); 0 covers it in full. Such a
	// payer applies no deductible or copay of its own (see adjudicateCOB).
	SecondaryCoinsurancePercent int `yaml:"secondary_coinsurance_percent" json:"secondary_coinsurance_percent"`
	// CrossoverRate is the chance that a payer forwards a claim it adjudicated as
	// primary to the next payer the claim names (CLP02 19, NM1*TT that payer, MOA
	// MA18), which then sends its own 835 (CLP02 2) in the next remittance run; 0, the
	// default, never forwards: the provider bills the secondary itself.
	CrossoverRate float64 `yaml:"crossover_rate" json:"crossover_rate"`
	// Denials are tried in order for each claim: the first that draws denies every
	// line of the claim, which is then paid nothing.
	Denials []Denial `yaml:"denials" json:"denials"`
	// ReversalRate is the chance, per payer and payee in each 835 run, that the payer
	// reverses one of its earlier payments (CLP02 22) and adjudicates the claim again
	// (a correction, REF*F8 the original claim number): with the deductible waived when
	// one was applied, else denied on review (the first of Denials), which can leave the
	// payment negative and so carried forward (PLB FB).
	ReversalRate float64 `yaml:"reversal_rate" json:"reversal_rate"`
	// InterestRate is the chance that a paid claim was paid late and carries
	// prompt-pay interest of InterestPercent of its payment: AMT*I on the claim and a
	// PLB L6 (negative: it adds to the payment).
	InterestRate    float64 `yaml:"interest_rate" json:"interest_rate"`
	InterestPercent float64 `yaml:"interest_percent" json:"interest_percent"`
}

// Denial is a reason a payer denies a claim.
type Denial struct {
	Rate   float64 `yaml:"rate" json:"rate"`     // chance, per claim
	Group  string  `yaml:"group" json:"group"`   // CAS01: CO when empty
	Reason string  `yaml:"reason" json:"reason"` // CARC, e.g. 50
	Remark string  `yaml:"remark" json:"remark"` // RARC written as LQ*HE, e.g. N115; optional
}

// DefaultRules are the rules of `claimflow simulate`: NPI and balance edits, member
// ids starting with ZZ unknown, a small fee schedule for common office codes (60% of
// the charge otherwise), a $500 deductible, $25 copay, 20% coinsurance, 5% of claims
// denied CO-50 N115 and 2% CO-97 N20, a reversal in one 835 run of five, and
// interest on 10% of the claims. The amounts are invented, not any payer's.
func DefaultRules() Rules {
	return Rules{
		TA1: TA1WhenRequested, Ack999: AckAlways,
		CheckNPI: true, CheckBalance: true,
		UnknownMemberPrefixes: []string{"ZZ"},
		FeeSchedule: map[string]int64{
			"99202": 7200, "99203": 11000, "99204": 16500, "99212": 5600, "99213": 9000,
			"99214": 12800, "99215": 18000, "99395": 13500, "99396": 14500, "36415": 900,
			"80053": 1400, "80061": 1800, "83036": 1300, "85025": 1050, "84443": 2300,
			"81002": 350, "93000": 1700, "71046": 3100, "90471": 2500, "96372": 2400,
			"97110": 3000, "97140": 2800, "G0439": 13000,
		},
		DefaultAllowedPercent: 60,
		Deductible:            50000,
		Copay:                 2500,
		CoinsurancePercent:    20,
		Denials: []Denial{
			{Rate: 0.05, Group: "CO", Reason: "50", Remark: "N115"},
			{Rate: 0.02, Group: "CO", Reason: "97", Remark: "N20"},
		},
		ReversalRate:    0.2,
		InterestRate:    0.1,
		InterestPercent: 1.5,
	}
}

// Validate checks that the rules can be applied.
func (r *Rules) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch r.TA1 {
	case "", TA1WhenRequested, TA1OnErrors:
	default:
		bad("ta1 %q: want requested or errors", r.TA1)
	}
	switch r.Ack999 {
	case "", AckAlways, AckNegative:
	default:
		bad("ack999 %q: want always or negative", r.Ack999)
	}
	for code, fee := range r.FeeSchedule {
		if fee < 0 {
			bad("fee_schedule %s: negative amount", code)
		}
	}
	if r.DefaultAllowedPercent < 0 || r.DefaultAllowedPercent > 100 {
		bad("default_allowed_percent %d: want 0-100", r.DefaultAllowedPercent)
	}
	if r.CoinsurancePercent < 0 || r.CoinsurancePercent > 100 {
		bad("coinsurance_percent %d: want 0-100", r.CoinsurancePercent)
	}
	if r.SecondaryCoinsurancePercent < 0 || r.SecondaryCoinsurancePercent > 100 {
		bad("secondary_coinsurance_percent %d: want 0-100", r.SecondaryCoinsurancePercent)
	}
	if r.Deductible < 0 || r.Copay < 0 {
		bad("deductible and copay must not be negative")
	}
	for m, v := range r.DeductibleRemaining {
		if v < 0 {
			bad("deductible_remaining %s: negative", m)
		}
	}
	for _, rate := range []float64{r.ReversalRate, r.InterestRate, r.CrossoverRate} {
		if rate < 0 || rate > 1 {
			bad("rate %v: want 0-1", rate)
		}
	}
	if r.InterestPercent < 0 || r.InterestPercent > 100 {
		bad("interest_percent %v: want 0-100", r.InterestPercent)
	}
	for i, d := range r.Denials {
		if d.Rate < 0 || d.Rate > 1 {
			bad("denials[%d]: rate %v: want 0-1", i, d.Rate)
		}
		if d.Reason == "" {
			bad("denials[%d]: no reason code (CARC)", i)
		}
		switch d.Group {
		case "", "CO", "PI", "OA":
		default:
			bad("denials[%d]: group %q: want CO, PI or OA", i, d.Group)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("simulator rules: %w", err)
	}
	return nil
}

// unknownMember reports whether the payer does not know the member id.
func (r *Rules) unknownMember(id string) bool {
	for _, m := range r.UnknownMembers {
		if m == id {
			return true
		}
	}
	for _, p := range r.UnknownMemberPrefixes {
		if p != "" && strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}
