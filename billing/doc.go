// Package billing is claimflow's domain model of a professional claim: the claim, its
// service lines and diagnoses, the patient, the coverages in order (primary, secondary,
// tertiary) with their payers and, for a claim to a later payer, what the earlier
// payers decided; the billing, rendering, referring and supervising providers and the
// service facility. Field names are plain English; each field's comment names the X12
// 837P element that carries it (CLM02, SV101-2, 2320 AMT*D). Money is int64 cents
// (Money), dates are civil dates without a time zone (Date), and every field has a
// stable path (Path) such as "claims[3].lines[1].procedure.modifiers[0]" by which
// scrubber findings and 999 errors name it.
//
// Claims come in as JSON (the schema is in SCHEMA.md, with examples/claims.json), as
// CSV with one row per service line, or as 837P files (package edi/x837p):
//
//	claims, err := billing.ReadJSON(f) // or billing.ReadCSV(f)
//	if err != nil {
//		return err // a billing.Problems list names each bad field by its path
//	}
//	for i := range claims {
//		claims[i].Normalize() // fill the defaults: frequency 1, CLM06-09, line ids...
//	}
//
// The package knows nothing of X12 syntax: edi/x837p maps claims to and from 837P.
package billing
