// Package cob builds the claim for the next payer in coordination of benefits
// (X12-GUIDE section 7): from a claim one payer has adjudicated and that payer's
// decision (its 835 claim payment), the same claim billed to the next coverage, with
// the earlier payer's decision in 2320/2330B (claim-level CAS, AMT*D, AMT*EAF,
// DTP*573, REF*F8, MOA) and per line in 2430 (SVD, CAS, DTP*573, AMT*EAF).
//
// The package is pure: it reads no store and changes nothing it is given.
//
//	next, k, err := cob.Next(&stored.Claim, &payment)
//	switch {
//	case errors.Is(err, cob.ErrCrossedOver): // the payer forwarded it: do not bill
//	case errors.Is(err, cob.ErrNoNextCoverage): // bill the patient or close
//	case err != nil:
//	default: // next is billed to next.Coverages[k] (SBR01 S or T)
//	}
//
// The coverages keep their order (primary, secondary, tertiary): a billing.Claim is
// billed to its first coverage without an adjudication, so giving the billed
// coverage its adjudication moves the claim on to the next one.
package cob
