// Package x277ca reads and writes 277CA health care claim acknowledgments, guide
// 005010X214: the clearinghouse's or the payer's answer, claim by claim (and line by
// line), to the claims of an 837 batch: accepted into adjudication, or rejected with
// the reason and the entity at fault.
//
// The model follows the guide's HL tree: the information source (2000A: the payer,
// NM1*PR, or the clearinghouse, NM1*AY) > the information receiver, us (2000B, with
// the batch's status: TRN02 is our 837's BHT03) > billing providers (2000C) > claims
// (2000D/2200D: TRN02 is our CLM01) > service lines (2220D: REF*FJ is our REF*6R).
//
//	acks, err := x277ca.Parse(f)
//	for _, a := range acks {
//		for _, p := range a.Providers {
//			for _, c := range p.Claims {
//				for _, s := range c.Statuses {
//					fmt.Println(c.PCN, s.Rejected(), s.Text()) // "A7:562:85 rejected: invalid information: ..."
//				}
//			}
//		}
//	}
//
// Build writes them (the clearinghouse simulator), numbering the HL levels
// (20 > 21 > 19 > PT):
//
//	var isa x12.Counter // storage keeps the real ISA13 sequence
//	err := x277ca.Build(w, x277ca.Envelope{SenderID: "DEMOCH", ReceiverID: "CLAIMFLOW", Interchanges: &isa}, acks...)
package x277ca
