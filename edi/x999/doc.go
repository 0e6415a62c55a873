// Package x999 reads and writes 999 implementation acknowledgments, guide
// 005010X231A1: the answer to one functional group of X12 transaction sets, saying
// for each set whether it was accepted and, when not, which segment (IK3) and which
// element (IK4) broke which rule.
//
// Answering an 837P file with what our own validator found (what the clearinghouse
// simulator does):
//
//	groups, errs, err := x999.Check(bytes.NewReader(file), guide.MustDefault())
//	acks := x999.FromValidation(errs, groups, func(gs06, st02 string, ordinal int) string {
//		loc, ok := res.Locate(gs06, st02, ordinal, "", 0, 0) // res: the x837p.Result of the file
//		if !ok || loc.Claim < 0 {
//			return ""
//		}
//		return res.Claims[loc.Claim].PatientControlNumber // CTX*CLM01
//	})
//	var isa x12.Counter // storage keeps the real ISA13 sequence
//	err = x999.Build(w, x999.Envelope{SenderID: "DEMOCH", ReceiverID: "CLAIMFLOW", Interchanges: &isa}, acks...)
//
// Reading a 999 that came back:
//
//	acks, err := x999.Parse(f)
//	for _, a := range acks { // one per acknowledged group: AK102 is our GS06
//		for _, s := range a.Sets { // AK202 is our ST02
//			if !s.Accepted() {
//				for _, e := range s.Segments {
//					fmt.Println(e.Position, e.ID, x999.SegmentCodeText(e.Code), e.BusinessUnit())
//				}
//			}
//		}
//	}
package x999
