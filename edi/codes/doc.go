// Package codes holds the code sets the claim scrubber checks against:
// ICD-10-CM diagnoses, HCPCS Level II procedures and modifiers, place of
// service and NUCC provider taxonomy, plus the NPI check digit and format
// checks that need no loaded data (ICD-10-CM, HCPCS, CPT, modifier,
// taxonomy, place of service).
//
// Code sets change on outside schedules (ICD-10-CM every fiscal year,
// HCPCS every quarter), so they are not compiled in: an operator loads the
// official release files as their publishers ship them into one local
// store file, and the scrubber opens that file at start-up.
//
// Loading (what `claimflow codes load` does):
//
//	sums, err := codes.Update(codes.StorePath(dataDir),
//		"2025-code-descriptions-tabular-order.zip",
//		"2026-code-descriptions-tabular-order.zip",
//		"HCPC2025_OCT_ANWEB.xlsx",
//		"place_of_service_codes.csv",
//		"nucc_taxonomy_251.csv")
//	for _, s := range sums {
//		fmt.Println(s.Kind, s.Release, s.Codes)
//	}
//
// Checking (the scrubber; lookups are allocation-free and safe for
// concurrent use):
//
//	set, err := codes.Open(codes.StorePath(dataDir))
//	if errors.Is(err, fs.ErrNotExist) {
//		set = nil // nothing loaded yet: every lookup answers NotChecked
//	} else if err != nil {
//		return err
//	}
//	if !set.Has(codes.KindICD10CM) {
//		log.Print("ICD-10-CM not loaded: format checks only")
//	}
//	r := set.ICD10("E119", dos) // r.Status: Valid, NotBillable, Unknown or NotChecked
//	if r.Status.Invalid() {
//		// reject, naming r.Release ("ICD-10-CM FY2026")
//	}
//	_ = set.HCPCS("G0439", dos)
//	_ = set.Modifier("KX", dos)
//	name, ok := set.POS("11") // "Office", true
//	ok = set.Taxonomy("207Q00000X")
//	ok = codes.ValidNPI("1234567893")
//
// A date of service outside every loaded release answers NotChecked, never
// an invalid status: the scrubber then says which set it could not check.
// CPT (HCPCS Level I) is licensed by the AMA and is never stored: CPT codes
// and CPT modifiers get format checks only, and HCPCS or Modifier answer
// NotChecked for them.
package codes
