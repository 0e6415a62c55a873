// Package x835 reads and writes 835 health care claim payment/advice transaction
// sets (electronic remittance advice), guide 005010X221A1, and checks that their money
// balances.
//
// A Remittance is one transaction set: the payment (BPR, TRN), the payer and payee,
// each claim payment (CLP: CLP01 is our CLM01) with its adjustments (CAS, amounts in
// int64 cents) and service lines (SVC: REF*6R is our line item control number), and
// the provider-level adjustments (PLB). Reading streams one transaction set at a
// time, so a file of any size is read in bounded memory:
//
//	err := x835.ParseEach(f, func(rem *x835.Remittance) error {
//		if probs := x835.Balance(rem); len(probs) > 0 {
//			return quarantine(rem, probs) // never post money that does not add up
//		}
//		for _, c := range rem.Claims {
//			for _, a := range c.Adjustments {
//				fmt.Println(c.PCN, a.Text()) // "CO-45 contractual obligation (...): the charge exceeds ..."
//			}
//		}
//		return post(rem)
//	})
//
// Reader reads the same remittances (for every transaction set the guide finds no
// fault with) without building loop trees, a few times cheaper; the remit stage
// reads every file with it, and refuses a file with any guide error:
//
//	rd := x835.NewReader(f)
//	for {
//		rem, err := rd.Next()
//		if err == io.EOF {
//			break
//		}
//		...
//	}
//
// Build writes remittances (the clearinghouse simulator), one transaction set each:
//
//	var isa x12.Counter // storage keeps the real ISA13 sequence
//	err := x835.Build(w, x835.Envelope{SenderID: "DEMOCH", ReceiverID: "CLAIMFLOW", Interchanges: &isa}, rems...)
//
// TS3 and TS2 (institutional provider summaries) are not in the model: Parse lists
// them in Origin.Unmapped.
package x835
