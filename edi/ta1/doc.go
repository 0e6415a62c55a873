// Package ta1 reads and writes TA1 interchange acknowledgments: the answer to an
// interchange as a whole (its ISA/IEA envelope), before any functional group is looked
// at. TA101 names the ISA13 acknowledged, TA104 says accepted (A), accepted with errors
// (E) or rejected (R), and TA105 says why.
//
// Building: a TA1 travels alone in its own ISA/IEA, without a functional group.
//
//	var isa x12.Counter // storage keeps the real ISA13 sequence
//	err := ta1.Build(w, ta1.Envelope{SenderID: "CLAIMFLOW", ReceiverID: "PARTNER", Interchanges: &isa},
//		ta1.Ack{ControlNumber: "000000104", Date: "250312", Time: "0755", Code: ta1.Rejected, Note: "025"})
//
// Reading: Parse finds every TA1 of a file, alone in its interchange or ahead of the
// functional groups of an interchange that carries other transaction sets too.
//
//	acks, err := ta1.Parse(f)
//	for _, a := range acks {
//		fmt.Println(a.ControlNumber, a.Code, ta1.NoteText(a.Note))
//	}
package ta1
