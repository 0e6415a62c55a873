// Package remit is the remit stage: it posts 835 remittances (ERA) to the ledger.
//
// For an inbound file classified as an 835 it checks first that every transaction
// set of the file reads, passes the implementation guide and balances (line, claim,
// transaction); a file that fails is quarantined whole, with the reason and an
// exception work item, and nothing of it is posted. Then it posts each transaction
// set in one database transaction: claim payments matched to claims by CLP01 and to
// lines by REF*6R (else procedure, modifiers, date and charge), their ledger
// entries (billing/posting), reversals of earlier postings, PLB entries, claim
// states (Cause 835), denial and unmatched-remittance work items, and secondary
// work for every claim paid or partially paid and not forwarded (the secondary
// stage bills the next payer, bills the patient or closes it). Files are read twice, streaming, a
// transaction set at a time: memory does not grow with the file.
//
// Posting is idempotent on the file's SHA-256 (a processed file is not read again),
// on the remittance key (the same remittance in another file posts nothing and is
// noted), on the claim payment key and on the ledger entries' keys.
//
// The stage registers itself; `claimflow post` uses a Poster directly:
//
//	p := &remit.Poster{Store: st}
//	sum, err := p.PostInbound(ctx, inboundID)
package remit
