package codes

// Plain-English meanings of remittance advice remark codes (RARC: 835 MOA, MIA and
// LQ*HE), in our own short words. RARCs say why an adjustment was made or what to do
// about it; they move no money. A subset of the common codes; RARC answers honestly
// for the others.

var rarcWords = map[string]string{
	"M1":    "an X-ray was not taken within the past 12 months or near enough to the start of treatment",
	"M15":   "separately billed services or tests were bundled: they are parts of the same procedure",
	"M20":   "missing, incomplete or invalid HCPCS code",
	"M51":   "missing, incomplete or invalid procedure code",
	"M76":   "missing, incomplete or invalid diagnosis or condition",
	"M77":   "missing, incomplete or invalid place of service",
	"M79":   "missing, incomplete or invalid charge",
	"M80":   "not covered when performed during the same session or date as a previously processed service",
	"M86":   "service denied because payment already made for the same or similar procedure within the set time frame",
	"M119":  "missing, incomplete or invalid national drug code (NDC)",
	"M127":  "missing patient medical record for this service",
	"MA04":  "secondary payment cannot be considered without the identity of, or payment information from, the primary payer",
	"MA01":  "if you do not agree with what was approved, you may appeal: the notice explains how",
	"MA07":  "the claim information was also forwarded to Medicaid for review",
	"MA13":  "you may be subject to penalties if you bill the patient for amounts not reported as patient responsibility",
	"MA18":  "the claim information was also forwarded to the patient's supplemental insurer (crossover)",
	"MA27":  "missing, incomplete or invalid entitlement number or name shown on the claim",
	"MA61":  "missing, incomplete or invalid social security number or health insurance claim number",
	"MA63":  "missing, incomplete or invalid principal diagnosis",
	"MA120": "missing, incomplete or invalid CLIA certification number",
	"MA130": "the claim has incomplete or invalid information and cannot be processed: correct it and send it again as a new claim",
	"N4":    "missing, incomplete or invalid prior insurance carrier EOB",
	"N20":   "service not payable with other service rendered on the same date",
	"N30":   "the patient is not eligible for this service",
	"N56":   "the procedure code billed is not correct or valid for the services billed or the date of service",
	"N95":   "this provider type or specialty may not bill this service",
	"N115":  "this decision was based on a local coverage determination (LCD)",
	"N130":  "consult the plan's benefit documents or guidelines for restrictions on this service",
	"N179":  "additional information has been requested from the member",
	"N211":  "you may not appeal this decision",
	"N286":  "missing, incomplete or invalid referring provider primary identifier",
	"N290":  "missing, incomplete or invalid rendering provider primary identifier",
	"N362":  "the number of days or units of service exceeds the acceptable maximum",
	"N381":  "consult the contracted rates or the fee schedule",
	"N382":  "missing, incomplete or invalid patient identifier",
	"N418":  "misrouted claim: see the payer's claim submission instructions",
	"N419":  "the claim payment is reversed: it was paid to the wrong provider or payee",
	"N420":  "the claim payment is reversed: the services were not covered",
	"N421":  "the claim payment is reversed: the patient was not eligible",
	"N422":  "the claim payment is reversed: it was paid in error",
	"N423":  "the claim payment is reversed: it was processed with the wrong payer responsibility",
	"N425":  "statutorily excluded service",
	"N432":  "adjustment based on a recovery audit",
	"N479":  "missing explanation of benefits (coordination of benefits or Medicare secondary payer)",
	"N507":  "plan distributed the payment to the member",
	"N522":  "duplicate of a claim processed, or to be processed, as a crossover claim",
	"N657":  "this should be billed with the appropriate code for these services",
	"N687":  "the payment is reversed: recovery based on a prior payer's adjudication",
	"N688":  "the payment is reversed: the claim was processed with the wrong coverage",
	"N689":  "the payment is reversed: a duplicate claim was paid",
	"N690":  "the payment is reversed: the claim was processed with wrong information",
}

// RARC returns the meaning of a remittance advice remark code in plain words. For a
// code not in claimflow's list it says so, rather than guess.
func RARC(code string) string {
	if w, ok := rarcWords[code]; ok {
		return w
	}
	return "remark code " + code + " (not in claimflow's list: see the X12 remittance advice remark codes)"
}

// KnownRARC reports whether RARC has claimflow's own words for the code.
func KnownRARC(code string) bool {
	_, ok := rarcWords[code]
	return ok
}
