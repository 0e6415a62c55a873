// Package x837p maps claims (package billing) to and from X12 837 Professional
// transaction sets, implementation guide 005010X222A1.
//
// Build writes claims as one interchange per receiver (the clearinghouse), with one
// functional group whose GS06 is the interchange's ISA13 number, and transaction sets
// of at most BuildOptions.ClaimsPerST claims that share a billing provider and a
// payer. It records, for every claim, the ISA13, GS06 and ST02 it went out in and the
// ordinals of its CLM and LX segments, and for every segment which claim, line and
// loop it belongs to, so that a 999 error (AK102 GS06, AK202 ST02, IK302 ordinal,
// IK4 element) leads back to the field to fix:
//
//	var isa x12.Counter // storage keeps the real ISA13 sequence
//	res, err := x837p.Build(claims, x837p.BuildOptions{
//		Submitter: x837p.Party{Name: "CLAIMFLOW", ID: "CFSUB", Contact: billing.Contact{Phone: "5555550100"}},
//		Receiver:  x837p.Party{Name: "DEMO CLEARINGHOUSE", ID: "DEMOCH"},
//	}, f, &isa)
//	...
//	loc, ok := res.Locate("101", "0001", 24, "DMG", 2, 0) // claims[1].patient.birth_date
//
// Build refuses, all at once and each naming its field, the claims it cannot write as
// a valid 837P; a Checker runs the same checks alone, as the scrubber does to hold
// such claims before they reach a batch:
//
//	ck, _ := x837p.NewChecker(x12.DefaultDelimiters)
//	probs := ck.Check(nil, &claims[i], i) // billing.Problems: claims[i].patient.last_name (2010BA NM103): ...
//
// Parse reads 837P files (ours or other systems') back into claims:
//
//	claims, err := x837p.Parse(f)
//
// For a file Build wrote, Build(Parse(file)) with the same options, time and control
// numbers gives the file back byte for byte.
package x837p
