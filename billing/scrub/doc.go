// Package scrub checks claims the way a clearinghouse and a payer will, before they
// are sent: the balancing, situational, code-set and payer-specific edits (WEDI SNIP
// types 3, 4, 5 and 7) behind the usual front-end rejections, plus the SNIP 2 limits
// a claim must fit in. Each finding names the claim, the line, the field of the model
// (claims[3].lines[1].procedure.modifiers[0]), its 837P position (2400 SV101-3), the
// rule, whether it holds the claim, the 277CA status it would typically cause, and a
// message a billing clerk understands, without PHI.
//
//	set, _ := codes.Open(codes.StorePath(dataDir)) // nil: format checks only
//	s, err := scrub.New(
//		scrub.WithCodes(set),
//		scrub.WithPayerRules(scrub.PayerRules{"12345": {RequireTaxonomy: true, TimelyFilingDays: 90}}),
//		scrub.WithAuthorizations(store),
//	)
//	if err != nil {
//		return err
//	}
//	rep, err := s.Check(ctx, claims) // claims normalized (billing.Claim.Normalize)
//	if err != nil {
//		return err // a store failed; the claims were not judged
//	}
//	for _, f := range rep.Findings {
//		fmt.Println(f.String())
//	}
//	// rep.Held: claims with an error, for the rejection queue; rep.Notices: what
//	// could not be checked (a code set not loaded, dates outside the loaded releases).
//
// Rules lists the rules (id, SNIP type, description); README.md prints the table.
// Without a loaded code set the codes are checked for format only, and the report says
// so once. A date of service outside every loaded release is not checked, never an
// error. CPT codes and CPT modifiers are AMA-licensed and only ever format-checked.
package scrub
