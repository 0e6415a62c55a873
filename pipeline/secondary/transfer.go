package secondary

import (
	"strconv"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/storage"
)

// transfers returns, from the sums of the claim's ledger entries, the entries that move what
// the payer billed now left on the claim to the next payer (our id next), coverage n:
//
//   - the patient's part (the payer's PR adjustments, less what the patient paid)
//     goes back from the patient bucket to the insurance bucket, on the next
//     payer: KindPatientResponsibility, the kind that moved it to the patient, in
//     the other direction (KindPayerTransfer stays within the insurance bucket);
//   - what is still on the payer billed now in the insurance bucket (neither paid
//     nor written off nor the patient's: OA or PI amounts left open) moves to the
//     next payer: KindPayerTransfer.
//
// Each is moved per line, as the remit stage posted it, then at claim level for
// what entries without a line hold (entries of lines no longer on the claim stay);
// only positive amounts move (a credit stays where it is). Keys are
// "cob/<claim>/<coverage n>/<line id or claim>/<part>", natural ids only, so
// planning again gives the same entries and posting them twice posts nothing.
func transfers(sums []storage.LedgerSum, cl *storage.Claim, pay *storage.ClaimPayment, n int, next int64, on billing.Date) []storage.Entry {
	base := storage.Entry{
		PatientID: cl.PatientID, ClaimID: cl.ID, PayerID: cl.PayerID, BillingProviderID: cl.BillingProviderID,
		EffectiveOn: on, Reason: "COB-" + responsibility(&cl.Coverages[n], n),
		SourceKind: "claim-payment", SourceID: strconv.FormatInt(pay.ID, 10),
	}
	prefix := "cob/" + strconv.FormatInt(cl.ID, 10) + "/" + strconv.Itoa(n+1) + "/"
	var out []storage.Entry
	add := func(lineID int64, where string, patient, insurance billing.Money) {
		e := base
		e.LineID = lineID
		if patient > 0 {
			e.IdempotencyKey = prefix + where + "/patient"
			t := storage.TransferEntries(e, storage.KindPatientResponsibility, patient, storage.BucketPatient, storage.BucketInsurance, next)
			out = append(out, t[:]...)
		}
		if insurance > 0 && cl.PayerID != 0 {
			e.IdempotencyKey = prefix + where + "/insurance"
			t := storage.TransferEntries(e, storage.KindPayerTransfer, insurance, storage.BucketInsurance, storage.BucketInsurance, next)
			out = append(out, t[:]...)
		}
	}
	// What each line, and the claim outside its lines, owes in the patient bucket
	// and on the payer billed now.
	type owed struct{ patient, insurance billing.Money }
	by := map[int64]*owed{}
	for _, e := range sums {
		o := by[e.LineID]
		if o == nil {
			o = &owed{}
			by[e.LineID] = o
		}
		switch {
		case e.Bucket == storage.BucketPatient:
			o.patient += e.Amount
		case e.Bucket == storage.BucketInsurance && e.PayerID == cl.PayerID:
			o.insurance += e.Amount
		}
	}
	for _, l := range cl.StoredLines {
		if o := by[l.ID]; o != nil {
			add(l.ID, "l"+strconv.FormatInt(l.ID, 10), o.patient, o.insurance)
		}
	}
	if o := by[0]; o != nil {
		add(0, "claim", o.patient, o.insurance)
	}
	return out
}
