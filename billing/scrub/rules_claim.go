package scrub

import (
	"fmt"
	"strconv"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/codes"
)

// checkPCNFormat: the patient control number (CLM01) is given and at most 20
// characters; above 17 some payers truncate it, which breaks matching the 835.
func checkPCNFormat(ck *checker, c *billing.Claim) {
	n := len(c.PatientControlNumber)
	switch {
	case n == 0:
		ck.add(-1, ck.path().Field("patient_control_number"), "2300 CLM01", Error, "A6:478",
			"The patient control number is missing: every claim needs our own unique number.")
	case n > 20:
		ck.add(-1, ck.path().Field("patient_control_number"), "2300 CLM01", Error, "A7:478",
			fmt.Sprintf("The patient control number has %d characters; the 837P allows at most 20.", n))
	case n > 17:
		ck.add(-1, ck.path().Field("patient_control_number"), "2300 CLM01", Warning, "",
			fmt.Sprintf("The patient control number has %d characters; some payers keep only 17, so their payment may not match the claim.", n))
	}
}

// checkPCNUnique: no two claims of the batch share a patient control number, and an
// original claim does not reuse one a payer already accepted (SubmittedPCNs).
func checkPCNUnique(ck *checker, c *billing.Claim) {
	pcn := c.PatientControlNumber
	if pcn == "" {
		return
	}
	if first, dup := ck.pcns[pcn]; dup {
		ck.add(-1, ck.path().Field("patient_control_number"), "2300 CLM01", Error, "A7:54",
			fmt.Sprintf("Another claim of this batch (claims[%d]) has the same patient control number: each claim needs its own.", first))
		return
	}
	ck.pcns[pcn] = ck.i
	if ck.submitted != nil && ck.submitted[ck.i] && !c.Frequency.ReplacesClaim() {
		ck.add(-1, ck.path().Field("patient_control_number"), "2300 CLM01", Error, "A7:54",
			"A claim with this patient control number was already accepted by the payer: the payer will reject this one as a duplicate. To correct that claim, send a replacement (frequency 7).")
	}
}

// checkFrequency: the frequency code (CLM05-3) is 1, 7 or 8, and a replacement (7)
// or void (8) names the payer's claim number of the claim it replaces (REF*F8).
func checkFrequency(ck *checker, c *billing.Claim) {
	switch c.Frequency {
	case "", billing.FrequencyOriginal, billing.FrequencyReplacement, billing.FrequencyVoid:
	default:
		ck.add(-1, ck.path().Field("frequency"), "2300 CLM05-3", Error, "A7:535",
			fmt.Sprintf("Claim frequency %q is not used on professional claims: use 1 (original), 7 (replacement) or 8 (void).", string(c.Frequency)))
		return
	}
	if c.Frequency.ReplacesClaim() && c.OriginalPayerClaimNumber == "" {
		what := "replacement"
		if c.Frequency == billing.FrequencyVoid {
			what = "void"
		}
		ck.add(-1, ck.path().Field("original_payer_claim_number"), "2300 REF*F8 REF02", Error, "A6:464",
			"A "+what+" claim needs the payer's claim number of the claim it replaces (from the remittance or the 277CA).")
	}
}

// checkBilledCoverage: the claim has a coverage to bill, one no earlier payer has
// adjudicated.
func checkBilledCoverage(ck *checker, c *billing.Claim) {
	if ck.billed >= 0 {
		return
	}
	msg := "The claim has no insurance to bill: add the patient's coverage."
	if len(c.Coverages) > 0 {
		msg = "Every coverage of the claim already has a payer's adjudication: add the coverage to bill next, or bill the patient."
	}
	ck.add(-1, ck.path().Field("coverages"), "2010BB NM109", Error, "", msg)
}

// checkMemberID: each coverage's member id is given, holds only letters, digits and
// dashes (at most 80), and has the billed payer's format (PayerRule.MemberID).
func checkMemberID(ck *checker, c *billing.Claim) {
	for k := range c.Coverages {
		cov := &c.Coverages[k]
		x12 := "2330A NM109"
		if k == ck.billed {
			x12 = "2010BA NM109"
		}
		id := cov.MemberID
		switch {
		case id == "":
			ck.add(-1, ck.path().At("coverages", k).Field("member_id"), x12, Error, "A6:164:IL",
				"The member id for "+payerName(cov)+" is missing: copy it from the insurance card.")
		case len(id) > 80 || !memberIDChars(id):
			ck.add(-1, ck.path().At("coverages", k).Field("member_id"), x12, Error, "A7:164:IL",
				"The member id for "+payerName(cov)+" holds characters payers refuse: use only the letters and digits on the card.")
		case k == ck.billed && ck.payer != nil && !ck.payer.MemberID.IsZero() && !ck.payer.MemberID.match(id):
			msg := "The member id does not have " + payerName(cov) + "'s format"
			if d := ck.payer.MemberID.Description; d != "" {
				msg += " (" + d + ")"
			}
			ck.add(-1, ck.path().At("coverages", k).Field("member_id"), x12, Error, "A7:164:IL",
				msg+": check it against the insurance card.")
		}
	}
}

// memberIDChars reports whether id holds only letters, digits and dashes.
func memberIDChars(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

// match reports whether id has the shape the rule describes.
func (m *MemberIDRule) match(id string) bool {
	if len(id) < m.MinLength || (m.MaxLength > 0 && len(id) > m.MaxLength) {
		return false
	}
	if m.Alphanumeric {
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
				return false
			}
		}
	}
	return m.Pattern == nil || m.Pattern.MatchString(id)
}

// payerName names a coverage's payer for a clerk: its name, or its id.
func payerName(cov *billing.Coverage) string {
	switch {
	case cov.Payer.Name != "":
		return cov.Payer.Name
	case cov.Payer.ID != "":
		return "payer " + cov.Payer.ID
	}
	return "the payer"
}

// checkBirthDate: the patient's birth date is given (2010BA or 2010CA DMG02), is a
// real date, not in the future and not after the first date of service; a
// subscriber's birth date, when given, is a real date not in the future.
func checkBirthDate(ck *checker, c *billing.Claim) {
	x12, entity := "2010CA DMG02", "QC"
	if ck.billed >= 0 && c.PatientIsSubscriber(ck.billed) {
		x12, entity = "2010BA DMG02", "IL"
	}
	d := c.Patient.BirthDate
	var problem, stc string
	switch {
	case d.IsZero():
		problem, stc = "The patient's birth date is missing.", "A6:158:"+entity
	case !d.Valid():
		problem = "The patient's birth date is not a calendar date."
	case d.After(ck.today):
		problem = "The patient's birth date is in the future."
	case !ck.firstDOS.IsZero() && d.After(ck.firstDOS):
		problem = "The patient's birth date is after the date of service: check both dates."
	}
	if problem != "" {
		if stc == "" {
			stc = "A7:158:" + entity
		}
		ck.add(-1, ck.path().Field("patient").Field("birth_date"), x12, Error, stc, problem)
	}
	if ck.billed < 0 {
		return
	}
	sub := &c.Coverages[ck.billed].Subscriber
	switch d := sub.BirthDate; {
	case d.IsZero():
		return
	case !d.Valid():
		problem = "The subscriber's birth date is not a calendar date."
	case d.After(ck.today):
		problem = "The subscriber's birth date is in the future."
	default:
		return
	}
	ck.add(-1, ck.path().At("coverages", ck.billed).Field("subscriber").Field("birth_date"), "2010BA DMG02", Error, "A7:158:IL", problem)
}

// checkNPI: every NPI given (billing, referring, rendering, facility, supervising,
// and the lines' rendering providers) has 10 digits and a valid check digit; the
// billing provider's is required.
func checkNPI(ck *checker, c *billing.Claim) {
	for r := roleBilling; r < roleLineRendering; r++ {
		if p := r.of(c); p != nil {
			ck.npi(r, p, -1)
		}
	}
	for j := range c.Lines {
		if p := c.Lines[j].RenderingProvider; p != nil {
			ck.npi(roleLineRendering, p, j)
		}
	}
}

func (ck *checker) npi(r role, p *billing.Provider, line int) {
	var msg, stc string
	switch npi := p.NPI; {
	case npi == "":
		if r != roleBilling {
			return
		}
		msg, stc = "The billing provider's NPI is missing: enter its 10-digit NPI.", "A6:562:85"
	case codes.ValidNPI(npi):
		return
	case len(npi) != 10 || !digits(npi):
		msg = "The " + r.name() + "'s NPI must be 10 digits, not " + strconv.Quote(npi) + "."
	default:
		msg = "The " + r.name() + "'s NPI " + npi + " fails the NPI check digit: look for a mistyped digit."
	}
	if stc == "" {
		stc = "A7:562:" + r.entity()
	}
	ck.add(line, r.path(ck, line, "npi"), r.loop()+" NM109", Error, stc, msg)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

// checkTaxonomyFormat: every taxonomy code given (billing PRV*BI, rendering PRV*PE on
// the claim and the lines) has the NUCC shape and, when the NUCC list is loaded, is in
// it.
func checkTaxonomyFormat(ck *checker, c *billing.Claim) {
	ck.taxonomy(roleBilling, &c.BillingProvider, -1)
	if p := c.RenderingProvider; p != nil {
		ck.taxonomy(roleRendering, p, -1)
	}
	for j := range c.Lines {
		if p := c.Lines[j].RenderingProvider; p != nil {
			ck.taxonomy(roleLineRendering, p, j)
		}
	}
}

func (ck *checker) taxonomy(r role, p *billing.Provider, line int) {
	t := p.Taxonomy
	switch {
	case t == "":
		return
	case !codes.TaxonomyFormat(t):
		ck.add(line, r.path(ck, line, "taxonomy"), r.prv(), Error, "A7:145:"+r.entity(),
			"The "+r.name()+"'s taxonomy code "+strconv.Quote(t)+" is not a provider taxonomy code: those are 10 characters ending in X, as 207Q00000X.")
	case ck.s.has.tax && !ck.s.codes.Taxonomy(t):
		ck.add(line, r.path(ck, line, "taxonomy"), r.prv(), Error, "A7:145:"+r.entity(),
			"The "+r.name()+"'s taxonomy code "+t+" is not in the NUCC taxonomy list: check the provider's taxonomy in NPPES.")
	}
}

// checkBillingAddress: the billing provider's address (2010AA N301) is given and is a
// street address: a P.O. box or lock box goes in the pay-to address (2010AB).
func checkBillingAddress(ck *checker, c *billing.Claim) {
	a := &c.BillingProvider.Address
	switch {
	case a.Line1 == "":
		ck.add(-1, ck.path().Field("billing_provider").Field("address").Field("line1"), "2010AA N301", Error, "A6:503:85",
			"The billing provider's street address is missing.")
	case isPOBox(a.Line1):
		ck.add(-1, ck.path().Field("billing_provider").Field("address").Field("line1"), "2010AA N301", Error, "A7:503:85",
			"The billing provider's address is a P.O. box: payers require the street address where the practice is; put the P.O. box in the pay-to address.")
	case isPOBox(a.Line2):
		ck.add(-1, ck.path().Field("billing_provider").Field("address").Field("line2"), "2010AA N302", Error, "A7:503:85",
			"The billing provider's address holds a P.O. box: payers require the street address where the practice is; put the P.O. box in the pay-to address.")
	}
}

// checkBillingZIP: the billing provider's ZIP code (2010AA N403) has 9 digits (ZIP+4);
// 5 digits is a warning (many payers reject it), anything else an error.
func checkBillingZIP(ck *checker, c *billing.Claim) {
	a := &c.BillingProvider.Address
	if a.Country != "" && a.Country != "US" {
		return
	}
	z := a.PostalCode
	switch {
	case len(z) == 9 && digits(z):
	case len(z) == 5 && digits(z):
		ck.add(-1, ck.path().Field("billing_provider").Field("address").Field("postal_code"), "2010AA N403", Warning, "A7:500:85",
			"The billing provider's ZIP code has 5 digits: many payers require all 9 (ZIP+4), without the dash.")
	default:
		ck.add(-1, ck.path().Field("billing_provider").Field("address").Field("postal_code"), "2010AA N403", Error, "A7:500:85",
			"The billing provider's ZIP code must be 9 digits (ZIP+4), without the dash.")
	}
}

// checkTaxID: the billing provider's tax id (2010AA REF02) is 9 digits, an employer
// id (REF01 EI) or a social security number (SY). Normalize takes out the hyphens of
// 99-0000001 or 123-45-6789; clearinghouses refuse anything else.
func checkTaxID(ck *checker, c *billing.Claim) {
	p := &c.BillingProvider
	switch id := p.TaxID; {
	case id == "":
		ck.add(-1, ck.path().Field("billing_provider").Field("tax_id"), "2010AA REF02", Error, "A6:128:85",
			"The billing provider's tax id is missing: enter its 9-digit employer id (EIN), or the provider's social security number.")
	case len(id) != 9 || !digits(id):
		ck.add(-1, ck.path().Field("billing_provider").Field("tax_id"), "2010AA REF02", Error, "A7:128:85",
			"The billing provider's tax id must be 9 digits (an EIN or a social security number), without dashes or letters.")
	}
	switch p.TaxIDType {
	case "", "EI", "SY":
	default:
		ck.add(-1, ck.path().Field("billing_provider").Field("tax_id_type"), "2010AA REF01", Error, "A7:128:85",
			"The billing provider's tax id type must be EI (employer id) or SY (social security number), not "+strconv.Quote(p.TaxIDType)+".")
	}
}

// checkAddresses: the patient's address is given (2010BA or 2010CA N3/N4, which the
// 837P requires whether or not the patient is the subscriber), and US addresses (no
// country, or US) of the patient, of the subscribers and of the service facility have
// a state (N402) and a 5- or 9-digit ZIP code (N403). The billing provider's ZIP is
// billing-zip's.
func checkAddresses(ck *checker, c *billing.Claim) {
	patientLoop, patientEntity := "2010CA", "QC"
	if ck.billed < 0 || c.PatientIsSubscriber(ck.billed) {
		patientLoop, patientEntity = "2010BA", "IL"
	}
	a := &c.Patient.Address
	switch {
	case a.Line1 == "":
		ck.add(-1, ck.path().Field("patient").Field("address").Field("line1"), patientLoop+" N301", Error, "A6:503:"+patientEntity,
			"The patient's street address is missing: the claim needs it.")
	case a.City == "":
		ck.add(-1, ck.path().Field("patient").Field("address").Field("city"), patientLoop+" N401", Error, "A6:502:"+patientEntity,
			"The patient's city is missing.")
	default:
		ck.usAddress(a, func() billing.Path { return ck.path().Field("patient") }, patientLoop, patientEntity, "patient")
	}
	for k := range c.Coverages {
		s := &c.Coverages[k].Subscriber
		if s.Address.Line1 == "" {
			continue // a subscriber's address is not required
		}
		loop := "2330A"
		if k == ck.billed {
			loop = "2010BA"
		}
		ck.usAddress(&s.Address, func() billing.Path { return ck.path().At("coverages", k).Field("subscriber") }, loop, "IL", "subscriber")
	}
	if f := c.ServiceFacility; f != nil && f.Address.Line1 != "" {
		ck.usAddress(&f.Address, func() billing.Path { return ck.path().Field("service_facility") }, "2310C", "77", "service facility")
	}
}

// usAddress checks that a US address has a state and a 5- or 9-digit ZIP code; owner
// gives the path of the person or provider whose address it is.
func (ck *checker) usAddress(a *billing.Address, owner func() billing.Path, loop, entity, who string) {
	if !a.IsUS() {
		return
	}
	if a.State == "" {
		ck.add(-1, owner().Field("address").Field("state"), loop+" N402", Error, "A6:501:"+entity,
			"The "+who+"'s state is missing: a US address needs one.")
	}
	switch z := a.PostalCode; {
	case z == "":
		ck.add(-1, owner().Field("address").Field("postal_code"), loop+" N403", Error, "A6:500:"+entity,
			"The "+who+"'s ZIP code is missing: a US address needs one.")
	case (len(z) != 5 && len(z) != 9) || !digits(z):
		ck.add(-1, owner().Field("address").Field("postal_code"), loop+" N403", Error, "A7:500:"+entity,
			"The "+who+"'s ZIP code must be 5 or 9 digits (ZIP+4), without the dash.")
	}
}

// checkPlaceOfService: the claim's place of service (CLM05-1) is given, and it and
// any line's (SV105) are two digits and, when the CMS list is loaded, assigned codes.
func checkPlaceOfService(ck *checker, c *billing.Claim) {
	if c.PlaceOfService == "" {
		ck.add(-1, ck.path().Field("place_of_service"), "2300 CLM05-1", Error, "A6:249",
			"The place of service is missing: use the CMS code, as 11 for the office.")
	} else {
		ck.pos(c.PlaceOfService, -1)
	}
	for j := range c.Lines {
		if p := c.Lines[j].PlaceOfService; p != "" {
			ck.pos(p, j)
		}
	}
}

func (ck *checker) pos(code string, line int) {
	var msg string
	switch {
	case !codes.POSFormat(code):
		msg = "The place of service " + strconv.Quote(code) + " is not a CMS place of service code: those are 2 digits, as 11 for the office."
	case ck.s.has.pos:
		if _, ok := ck.s.codes.POS(code); ok {
			return
		}
		msg = "The place of service " + code + " is not an assigned CMS place of service code."
	default:
		return
	}
	if line < 0 {
		ck.add(-1, ck.path().Field("place_of_service"), "2300 CLM05-1", Error, "A7:249", msg)
		return
	}
	ck.add(line, ck.linePath(line).Field("place_of_service"), "2400 SV105", Error, "A7:249", msg)
}

// checkDiagnosisCount: the claim has 1 to 12 diagnoses (HI).
func checkDiagnosisCount(ck *checker, c *billing.Claim) {
	switch n := len(c.Diagnoses); {
	case n == 0:
		ck.add(-1, ck.path().Field("diagnoses"), "2300 HI01-2", Error, "A6:254",
			"The claim has no diagnosis: at least the principal diagnosis is required.")
	case n > 12:
		ck.add(-1, ck.path().Field("diagnoses"), "2300 HI", Error, "A7:255",
			fmt.Sprintf("The claim has %d diagnoses; a professional claim holds at most 12: keep those the lines point at, or split the claim.", n))
	}
}

// checkLineCount: the claim has 1 to 50 service lines (LX).
func checkLineCount(ck *checker, c *billing.Claim) {
	switch n := len(c.Lines); {
	case n == 0:
		ck.add(-1, ck.path().Field("lines"), "2400 LX01", Error, "",
			"The claim has no service line.")
	case n > 50:
		ck.add(-1, ck.path().Field("lines"), "2400 LX01", Error, "A7:121",
			fmt.Sprintf("The claim has %d service lines; a professional claim holds at most 50: split it into several claims.", n))
	}
}

// checkChargeBalance: the total charge (CLM02) equals the sum of the line charges
// (SV102).
func checkChargeBalance(ck *checker, c *billing.Claim) {
	if t := c.LineTotal(); t != c.Charge {
		ck.add(-1, ck.path().Field("charge"), "2300 CLM02", Error, "A7:400",
			"The claim total "+c.Charge.String()+" does not equal the sum of the line charges "+t.String()+".")
	}
}
