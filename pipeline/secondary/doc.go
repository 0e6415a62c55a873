// Package secondary is the pipeline stage that moves a claim on after a payer has
// adjudicated it (X12-GUIDE sections 6.8, 6.9 step 6 and 7). The remit stage sends it
// the ids of the claims an 835 posted (pipeline.ClaimWork); for each claim it plans,
// from the stored claim, the payer's claim payment and the ledger, one of:
//
//   - bill the next coverage (secondary, then tertiary): the claim's content becomes
//     the claim for that payer (billing/cob: the earlier payer's decision in 2320,
//     2330B and 2430), checked with the scrubber's coordination-of-benefits rules;
//     the claim is billed to that payer, moves to secondary-billed (the batch stage
//     picks it up like a validated claim) and its balance moves to that payer in the
//     ledger; a claim failing the rules is held with a rejection work item per field;
//   - wait, when the payer forwarded the claim itself (crossover, CLP02 19-21);
//   - bill the patient (patient-billed) when no coverage is left and the patient
//     owes something, or close the claim when nothing is left.
//
// Everything a claim needs is written in one transaction, and the plan is made from
// what is stored, never from the message: a message that comes twice finds the claim
// moved on already and changes nothing.
//
// The stage registers itself; a program that imports this package runs it:
//
//	import _ "github.com/claimflow/claimflow/pipeline/secondary"
//
// Plan shows, without writing anything, what the stage would do with a claim (the
// CLI's `claimflow secondary --dry-run`).
package secondary
