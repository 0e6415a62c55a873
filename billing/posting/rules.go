package posting

import (
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/storage"
)

// pricingReasons are the CARCs by which a contract or fee schedule prices a service
// down: with group CO or PI they are written off as contractual adjustments.
var pricingReasons = map[string]bool{
	"42": true, "45": true, "59": true, "94": true, "131": true, "144": true, "172": true,
	"223": true, "237": true, "253": true, "B10": true, "W1": true,
}

// denialReasons are the CARCs by which a payer refuses to pay: with group CO or PI
// the amount is not written off but goes to the denial queue, to be corrected or
// appealed (X12-GUIDE 6.9).
var denialReasons = map[string]bool{
	"4": true, "5": true, "6": true, "7": true, "8": true, "9": true, "10": true, "11": true, "13": true,
	"15": true, "16": true, "18": true, "19": true, "20": true, "21": true, "22": true, "26": true, "27": true,
	"29": true, "31": true, "32": true, "33": true, "34": true, "35": true, "39": true, "40": true, "49": true,
	"50": true, "51": true, "55": true, "56": true, "58": true, "96": true, "97": true, "107": true, "109": true,
	"119": true, "125": true, "140": true, "146": true, "149": true, "150": true, "151": true, "163": true,
	"165": true, "167": true, "170": true, "171": true, "177": true, "181": true, "182": true, "183": true,
	"184": true, "185": true, "189": true, "197": true, "198": true, "200": true, "204": true, "206": true,
	"208": true, "226": true, "227": true, "234": true, "236": true, "242": true, "243": true, "250": true,
	"251": true, "252": true, "256": true, "272": true, "273": true, "276": true, "288": true,
	"A1": true, "B7": true, "B9": true, "B11": true, "B12": true, "B13": true, "B14": true, "B15": true,
	"B16": true, "B20": true,
	// Refusals to pay that a person can correct, appeal or bill elsewhere, and a
	// decision still pending (133): none of them is a price to write off.
	"12": true, "53": true, "54": true, "60": true, "61": true, "95": true, "108": true, "110": true,
	"111": true, "114": true, "115": true, "116": true, "129": true, "133": true, "136": true, "147": true,
	"152": true, "153": true, "154": true, "155": true, "157": true, "164": true, "166": true, "167B": true,
	"173": true, "174": true, "193": true, "199": true, "210": true, "213": true, "216": true, "222": true,
	"227A": true, "261": true, "270": true, "A6": true, "B1": true, "B8": true, "B23": true, "Y1": true,
}

// Treatment is what posting does with one CAS adjustment.
type Treatment string

// The treatments.
const (
	// Contractual: a CO (or PI pricing) reduction the provider writes off.
	Contractual Treatment = "contractual"
	// Patient: PR, moved from the insurance bucket to the patient's.
	Patient Treatment = "patient"
	// Other: OA, CR and PI adjustments that are neither pricing nor denial.
	Other Treatment = "other"
	// Denied: a CO/PI denial reason, left on the account for a person to work.
	Denied Treatment = "denied"
	// Informational: OA-23 on a later payer's remittance (the earlier payer's
	// adjudication, posted already from its own 835).
	Informational Treatment = "informational"
)

// Classify says how an adjustment is posted. secondary is true for a claim
// processed by a later payer (CLP02 2, 3, 20, 21), where OA-23 repeats the earlier
// payers' adjudication.
func Classify(group, reason string, secondary bool) Treatment {
	switch group {
	case x835.GroupPatient:
		return Patient
	case x835.GroupContractual:
		if denialReasons[reason] {
			return Denied
		}
		return Contractual
	case x835.GroupPayerInitiated:
		switch {
		case denialReasons[reason]:
			return Denied
		case pricingReasons[reason]:
			return Contractual
		}
		return Other
	case x835.GroupOther:
		if reason == "23" && secondary {
			return Informational
		}
	}
	return Other
}

// patientKind is the ledger kind of a PR adjustment: deductible (1), coinsurance
// (2), copay (3) or other patient responsibility.
func patientKind(reason string) storage.EntryKind {
	switch reason {
	case "1":
		return storage.KindDeductible
	case "2":
		return storage.KindCoinsurance
	case "3":
		return storage.KindCopay
	}
	return storage.KindPatientResponsibility
}
