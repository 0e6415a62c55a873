// Package posting turns an 835 claim payment and the claim it pays into what the
// ledger must record: the insurance payment, contractual adjustments, patient
// responsibility moved to the patient (deductible, coinsurance, copay, other), other
// adjustments, denials for a person to work (never written off), reversals of an
// earlier posting, and provider-level (PLB) entries. It is pure: no SQL, no clock;
// the remit stage and `claimflow post` read the claims, call it and store what it
// returns.
//
//	res := posting.Post(posting.Input{
//		RemitID: remID, Index: i, RemitKey: key, On: paidOn,
//		Claim: &claim, Payment: &rem.Claims[i],
//	})
//	// res.Payment and res.Entries go to storage.PostClaimPayments; res.State to
//	// TransitionClaim; res.Denial, when set, to the denial queue; res.Secondary says
//	// whether to bill the next payer.
//
// Idempotency keys come from natural ids only (storage.EntryKey of the stored
// remittance, the claim's position in it and the amount's part), so posting the
// same remittance twice posts nothing the second time.
package posting
