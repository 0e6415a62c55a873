package x835

// Plain-English meanings of the codes an 835 carries, in our own short words
// (X12-GUIDE.md sections 6.3-6.5). The official CARC and RARC lists change several
// times a year and are loaded at run time elsewhere; these tables cover the codes
// seen most often, so that a person reading a remittance is not left with a number.

var groupTexts = map[string]string{
	GroupContractual:    "contractual obligation (the provider writes it off; not billable to the patient)",
	GroupPatient:        "patient responsibility (bill the patient)",
	GroupOther:          "other adjustment",
	GroupPayerInitiated: "payer-initiated reduction (not the patient's responsibility)",
}

var carcTexts = map[string]string{
	"1":   "deductible",
	"2":   "coinsurance",
	"3":   "co-payment",
	"4":   "the procedure code is inconsistent with the modifier, or a modifier is missing",
	"5":   "the procedure code or bill type is inconsistent with the place of service",
	"6":   "the procedure or revenue code is inconsistent with the patient's age",
	"11":  "the diagnosis is inconsistent with the procedure",
	"16":  "the claim or service lacks information or has billing errors (see the remark codes)",
	"18":  "exact duplicate claim or service",
	"22":  "this care may be covered by another payer (coordination of benefits)",
	"23":  "impact of prior payer(s) adjudication, including payments and adjustments",
	"24":  "charges are covered under a capitation agreement or managed care plan",
	"26":  "expenses incurred before coverage began",
	"27":  "expenses incurred after coverage ended",
	"29":  "the time limit for filing has expired",
	"31":  "the patient cannot be identified as our insured",
	"45":  "the charge exceeds the fee schedule or contracted amount",
	"50":  "not deemed a medical necessity by the payer",
	"96":  "non-covered charge (see the remark codes)",
	"97":  "the benefit for this service is included in another service already adjudicated",
	"109": "not covered by this payer: send the claim to the correct payer",
	"119": "the benefit maximum for this period or occurrence has been reached",
	"197": "precertification, authorization or notification is absent",
	"204": "the service is not covered under the patient's current benefit plan",
	"253": "sequestration: reduction of federal payment",
}

var rarcTexts = map[string]string{
	"M15":   "separately billed services were bundled as parts of the same procedure",
	"M20":   "missing, incomplete or invalid HCPCS code",
	"MA01":  "if you do not agree with what was approved, you may appeal",
	"MA18":  "the claim information was also forwarded to the patient's supplemental insurer",
	"MA130": "the claim has incomplete or invalid information and cannot be processed: correct and send again",
	"N56":   "the procedure code is not valid for the services or the date of service billed",
	"N130":  "consult the plan's benefit documents for restrictions on this service",
}

var plbTexts = map[string]string{
	"50": "late charge",
	"51": "interest penalty charge",
	"72": "authorized return (provider refund)",
	"90": "early payment allowance",
	"AH": "origination fee",
	"AM": "applied to borrower's account",
	"AP": "acceleration of benefits",
	"B2": "rebate",
	"B3": "recovery allowance",
	"BD": "bad debt adjustment",
	"BN": "bonus",
	"C5": "temporary allowance",
	"CR": "capitation interest",
	"CS": "adjustment (see the reference)",
	"CT": "capitation payment",
	"CV": "capital passthru",
	"CW": "certified registered nurse anesthetist passthru",
	"DM": "direct medical education passthru",
	"E3": "withholding",
	"FB": "forwarding balance",
	"FC": "fund allocation",
	"GO": "graduate medical education passthru",
	"HM": "hemophilia clotting factor supplement",
	"IP": "incentive premium payment",
	"IR": "internal revenue service withholding",
	"IS": "interim settlement",
	"J1": "nonreimbursable",
	"L3": "penalty",
	"L6": "interest owed",
	"LE": "levy",
	"LS": "lump sum",
	"OA": "organ acquisition passthru",
	"OB": "offset for affiliated providers",
	"PI": "periodic interim payment",
	"PL": "payment final",
	"RA": "retro-activity adjustment",
	"RE": "return on equity",
	"SL": "student loan repayment",
	"TL": "third party liability",
	"WO": "overpayment recovery",
	"WU": "unspecified recovery",
}

var statusTexts = map[string]string{
	StatusPrimary:            "processed as primary",
	StatusSecondary:          "processed as secondary",
	StatusTertiary:           "processed as tertiary",
	StatusDenied:             "denied",
	StatusPrimaryForwarded:   "processed as primary, forwarded to additional payer(s)",
	StatusSecondaryForwarded: "processed as secondary, forwarded to additional payer(s)",
	StatusTertiaryForwarded:  "processed as tertiary, forwarded to additional payer(s)",
	StatusReversal:           "reversal of a previous payment",
	StatusNotOurClaim:        "not our claim, forwarded to another payer",
	StatusPredetermination:   "predetermination pricing only, no payment",
}

// GroupText returns the meaning of a CAS01 claim adjustment group code, or "".
func GroupText(code string) string { return groupTexts[code] }

// CARCText returns the meaning of a common claim adjustment reason code, or "".
func CARCText(code string) string { return carcTexts[code] }

// RARCText returns the meaning of some remittance advice remark codes, or "".
func RARCText(code string) string { return rarcTexts[code] }

// PLBText returns the meaning of a PLB03-1 provider adjustment reason code, or "".
func PLBText(code string) string { return plbTexts[code] }

// StatusText returns the meaning of a CLP02 claim status code, or "".
func StatusText(code string) string { return statusTexts[code] }

// Text says what an adjustment means: "CO-45 contractual obligation (...): the
// charge exceeds the fee schedule or contracted amount".
func (a Adjustment) Text() string {
	s := a.Group + "-" + a.Reason
	if g := GroupText(a.Group); g != "" {
		s += " " + g
	}
	if r := CARCText(a.Reason); r != "" {
		s += ": " + r
	} else {
		s += ": reason code " + a.Reason
	}
	return s
}
