package x837p

import (
	"fmt"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x12"
)

// The text of the fields Build writes: X12 data may hold only the basic and extended
// character sets (printable ASCII), never a delimiter, and Build writes values as
// given, so a value with a space at either end (Normalize removes them) is refused
// too: "   " is not a name. The walk below visits every text field Build writes, in
// the loop it goes to; it must follow build.go.

// sentRendering returns the claim's rendering provider as 2310B sends it: nil when
// there is none or it repeats the billing provider.
func sentRendering(c *billing.Claim) *billing.Provider {
	if p := c.RenderingProvider; p != nil && !p.Repeats(&c.BillingProvider) {
		return p
	}
	return nil
}

// sentFacility returns the service facility as 2310C sends it: nil when there is
// none or it is at the billing provider's address.
func sentFacility(c *billing.Claim) *billing.Provider {
	if f := c.ServiceFacility; f != nil && (f.Address.Line1 == "" || f.Address != c.BillingProvider.Address) {
		return f
	}
	return nil
}

// sentLineRendering returns line l's rendering provider as 2420A sends it: nil when
// there is none or it repeats the claim's (2310B, or the billing provider).
func sentLineRendering(c *billing.Claim, l *billing.Line) *billing.Provider {
	p := l.RenderingProvider
	if p == nil {
		return nil
	}
	claim := sentRendering(c)
	if claim == nil {
		claim = &c.BillingProvider
	}
	if p.Repeats(claim) {
		return nil
	}
	return p
}

// sentLinePOS returns SV105: the line's place of service when it differs from the
// claim's (CLM05-1), "" otherwise.
func sentLinePOS(c *billing.Claim, l *billing.Line) string {
	if l.PlaceOfService == c.PlaceOfService {
		return ""
	}
	return l.PlaceOfService
}

// walkTexts checks the text of every field Build writes, adding a problem for each
// value that cannot be written.
func (cc *claimCheck) walkTexts() {
	c := cc.c
	cc.nsteps = 0
	cc.loop = "2300"
	cc.text(c.PatientControlNumber, "patient_control_number", "CLM01")
	cc.text(c.PlaceOfService, "place_of_service", "CLM05-1")
	cc.text(string(c.Frequency), "frequency", "CLM05-3")
	cc.text(c.ProviderSignature, "provider_signature", "CLM06")
	cc.text(c.Assignment, "assignment", "CLM07")
	cc.text(c.BenefitsAssignment, "benefits_assignment", "CLM08")
	cc.text(c.ReleaseOfInformation, "release_of_information", "CLM09")
	cc.text(c.PatientSignatureSource, "patient_signature_source", "CLM10")
	cc.list(c.RelatedCauses, "related_causes", "CLM11")
	cc.text(c.AccidentState, "accident_state", "CLM11-4")
	cc.text(c.AccidentCountry, "accident_country", "CLM11-5")
	cc.text(c.SpecialProgram, "special_program", "CLM12")
	cc.text(c.DelayReason, "delay_reason", "CLM20")
	cc.authorization(&c.Authorization)
	if c.Frequency.ReplacesClaim() {
		cc.text(c.OriginalPayerClaimNumber, "original_payer_claim_number", "REF*F8 REF02")
	}
	cc.text(c.CLIANumber, "clia_number", "REF*X4 REF02")
	cc.text(c.MedicalRecordNumber, "medical_record_number", "REF*EA REF02")
	if c.Note.Text != "" {
		cc.text(c.Note.Code, "note.code", "NTE01")
		cc.text(c.Note.Text, "note.text", "NTE02")
	}
	for n := range c.Diagnoses {
		cc.enter("diagnoses", n)
		cc.text(c.Diagnoses[n].Code, "code", "HI")
		cc.leave()
	}

	bp := &c.BillingProvider
	cc.enter("billing_provider", -1)
	cc.loop = "2000A"
	cc.text(bp.Taxonomy, "taxonomy", "PRV03")
	cc.loop = "2010AA"
	cc.provider(bp, bp.Code())
	cc.address(&bp.Address)
	cc.text(bp.TaxIDType, "tax_id_type", "REF01")
	cc.text(bp.TaxID, "tax_id", "REF02")
	if ct := &bp.Contact; ct.Phone != "" || ct.Email != "" {
		cc.text(ct.Name, "contact.name", "PER02")
		cc.text(ct.Phone, "contact.phone", "PER04")
		cc.text(ct.Email, "contact.email", "PER06")
	}
	cc.leave()
	if a := c.PayToAddress; a != nil {
		cc.enter("pay_to_address", -1)
		cc.loop = "2010AB"
		cc.address(a)
		cc.leave()
	}

	cc.enter("patient", -1)
	cc.loop = cc.patientLoop()
	cc.person(&c.Patient, true)
	cc.leave()
	billed, _ := c.BilledCoverage()
	for k := range c.Coverages {
		cc.coverageTexts(k, k == billed)
	}

	if p := c.ReferringProvider; p != nil {
		cc.enter("referring_provider", -1)
		cc.loop = "2310A"
		cc.provider(p, string(billing.EntityPerson))
		cc.leave()
	}
	if p := sentRendering(c); p != nil {
		cc.enter("rendering_provider", -1)
		cc.loop = "2310B"
		cc.provider(p, p.Code())
		cc.text(p.Taxonomy, "taxonomy", "PRV03")
		cc.leave()
	}
	if p := sentFacility(c); p != nil {
		cc.enter("service_facility", -1)
		cc.loop = "2310C"
		cc.provider(p, string(billing.EntityOrganization))
		cc.address(&p.Address)
		cc.leave()
	}
	if p := c.SupervisingProvider; p != nil {
		cc.enter("supervising_provider", -1)
		cc.loop = "2310D"
		cc.provider(p, string(billing.EntityPerson))
		cc.leave()
	}

	for j := range c.Lines {
		l := &c.Lines[j]
		cc.enter("lines", j)
		cc.loop = "2400"
		cc.text(l.ControlNumber, "control_number", "REF*6R REF02")
		cc.procedure(&l.Procedure, &sv101)
		cc.text(l.Unit, "unit", "SV103")
		cc.text(sentLinePOS(c, l), "place_of_service", "SV105")
		cc.authorization(&l.Authorization)
		cc.text(l.Note, "note", "NTE02")
		if d := l.Drug; d != nil {
			cc.enter("drug", -1)
			cc.loop = "2410"
			cc.text(d.NDC, "ndc", "LIN03")
			cc.text(d.Unit, "unit", "CTP05-1")
			cc.text(d.PrescriptionNumber, "prescription_number", "REF*XZ REF02")
			cc.leave()
		}
		if p := sentLineRendering(c, l); p != nil {
			cc.enter("rendering_provider", -1)
			cc.loop = "2420A"
			cc.provider(p, p.Code())
			cc.text(p.Taxonomy, "taxonomy", "PRV03")
			cc.leave()
		}
		cc.leave()
	}
}

// coverageTexts walks coverage k: 2000B (and 2000C), 2010BA and 2010BB when it is
// billed, 2320, 2330A and 2330B otherwise.
func (cc *claimCheck) coverageTexts(k int, billed bool) {
	c := cc.c
	cov := &c.Coverages[k]
	cc.enter("coverages", k)
	subLoop, payerLoop := "2330A", "2330B"
	if billed {
		subLoop, payerLoop = "2010BA", "2010BB"
		cc.loop = "2000B"
		if !c.PatientIsSubscriber(k) {
			cc.loop = "2000C"
			cc.text(cov.Relationship, "relationship", "PAT01")
			cc.loop = "2000B"
		}
	} else {
		cc.loop = "2320"
		cc.text(cov.Relationship, "relationship", "SBR02")
	}
	cc.text(cov.Responsibility, "responsibility", "SBR01")
	cc.text(cov.GroupNumber, "group_number", "SBR03")
	cc.text(cov.GroupName, "group_name", "SBR04")
	cc.text(cov.InsuranceType, "insurance_type", "SBR05")
	cc.text(cov.FilingIndicator, "filing_indicator", "SBR09")
	if a := cov.Adjudication; a != nil {
		cc.enter("adjudication", -1)
		cc.adjustments(a.Adjustments)
		cc.list(a.RemarkCodes, "remark_codes", "MOA")
		cc.loop = "2330B"
		cc.text(a.ClaimNumber, "claim_number", "REF*F8 REF02")
		for n := range a.Lines {
			cc.enter("lines", n)
			cc.loop = "2430"
			cc.procedure(&a.Lines[n].Procedure, &svd03)
			cc.adjustments(a.Lines[n].Adjustments)
			cc.leave()
		}
		cc.leave()
	}
	cc.loop = subLoop
	cc.text(cov.MemberID, "member_id", "NM109")
	if !cov.Subscriber.IsZero() {
		cc.enter("subscriber", -1)
		cc.person(&cov.Subscriber, billed)
		cc.leave()
	}
	cc.enter("payer", -1)
	cc.loop = payerLoop
	cc.text(cov.Payer.Name, "name", "NM103")
	cc.text(cov.Payer.IDQualifier, "id_qualifier", "NM108")
	cc.text(cov.Payer.ID, "id", "NM109")
	cc.address(&cov.Payer.Address)
	cc.leave()
	cc.leave()
}

// person walks a person's NM1, N3, N4 and (with dmg, when a birth date makes Build
// write it) DMG.
func (cc *claimCheck) person(p *billing.Person, dmg bool) {
	cc.text(p.LastName, "last_name", "NM103")
	cc.text(p.FirstName, "first_name", "NM104")
	cc.text(p.MiddleName, "middle_name", "NM105")
	cc.text(p.Suffix, "suffix", "NM107")
	cc.address(&p.Address)
	if dmg && !p.BirthDate.IsZero() {
		cc.text(p.Gender, "gender", "DMG03")
	}
}

// provider walks a provider's NM1, whose NM102 is entity (p.Code(), or what the
// loop allows): the parts of a person's name only for a person.
func (cc *claimCheck) provider(p *billing.Provider, entity string) {
	cc.text(entity, "entity_type", "NM102")
	cc.text(p.Name, "name", "NM103")
	if entity == string(billing.EntityPerson) {
		cc.text(p.FirstName, "first_name", "NM104")
		cc.text(p.MiddleName, "middle_name", "NM105")
		cc.text(p.Suffix, "suffix", "NM107")
	}
	cc.text(p.NPI, "npi", "NM109")
}

// address walks N3 and N4, which Build writes when the address has a first line.
func (cc *claimCheck) address(a *billing.Address) {
	if a.Line1 == "" {
		return
	}
	cc.enter("address", -1)
	cc.text(a.Line1, "line1", "N301")
	cc.text(a.Line2, "line2", "N302")
	cc.text(a.City, "city", "N401")
	cc.text(a.State, "state", "N402")
	cc.text(a.PostalCode, "postal_code", "N403")
	if !a.IsUS() {
		cc.text(a.Country, "country", "N404")
	}
	cc.text(a.CountrySubdivision, "country_subdivision", "N407")
	cc.leave()
}

func (cc *claimCheck) authorization(a *billing.Authorization) {
	cc.text(a.Referral, "authorization.referral", "REF*9F REF02")
	cc.text(a.PriorAuthorization, "authorization.prior_authorization", "REF*G1 REF02")
}

// The positions of a procedure's parts: qualifier, code, modifiers, description.
var (
	sv101 = [4]string{"SV101-1", "SV101-2", "SV101", "SV101-7"}
	svd03 = [4]string{"SVD03-1", "SVD03-2", "SVD03", "SVD03-7"}
)

// procedure walks a composite HC:code:mod1:...:mod4:description (SV101, SVD03).
func (cc *claimCheck) procedure(p *billing.Procedure, el *[4]string) {
	cc.enter("procedure", -1)
	cc.text(p.Qualifier, "qualifier", el[0])
	cc.text(p.Code, "code", el[1])
	cc.list(p.Modifiers, "modifiers", el[2])
	cc.text(p.Description, "description", el[3])
	cc.leave()
}

func (cc *claimCheck) adjustments(adj []billing.Adjustment) {
	for n := range adj {
		cc.enter("adjustments", n)
		cc.text(adj[n].Group, "group", "CAS01")
		cc.text(adj[n].Reason, "reason", "CAS02")
		cc.leave()
	}
}

// list walks the values of a list field.
func (cc *claimCheck) list(vs []string, name, el string) {
	for n, v := range vs {
		cc.enter(name, n)
		cc.text(v, "", el)
		cc.leave()
	}
}

// enter starts the fields of a record (index < 0) or of element index of a list.
func (cc *claimCheck) enter(name string, index int) {
	cc.steps[cc.nsteps] = step{name, index}
	cc.nsteps++
}

func (cc *claimCheck) leave() { cc.nsteps-- }

// text checks one value: printable ASCII without the delimiters, and no space at
// either end. It is small enough to be inlined: many values are empty.
func (cc *claimCheck) text(v, field, el string) {
	if v != "" {
		cc.value(v, field, el)
	}
}

func (cc *claimCheck) value(v, field, el string) {
	if !cc.k.writable(v) {
		cc.badValue(v, field, el)
	}
}

// writable reports whether v (not empty) holds only allowed bytes and no space at
// either end.
func (k *Checker) writable(v string) bool {
	if v[0] == ' ' || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !k.allowed[v[i]] {
			return false
		}
	}
	return true
}

// badValue reports a value text refused.
func (cc *claimCheck) badValue(v, field, el string) {
	cc.probs = append(cc.probs, &billing.Problem{Path: cc.at(field), Where: cc.loop + " " + el, Err: cc.textError(v)})
}

// at returns the path of field of the record being walked.
func (cc *claimCheck) at(field string) billing.Path {
	p := cc.path()
	for _, s := range cc.steps[:cc.nsteps] {
		if s.index < 0 {
			p = p.Field(s.name)
		} else {
			p = p.At(s.name, s.index)
		}
	}
	if field != "" {
		p = p.Field(field)
	}
	return p
}

// textError says what keeps v from being written, without quoting v (patient data).
func (cc *claimCheck) textError(v string) error {
	for i := 0; i < len(v); i++ {
		switch b := v[i]; {
		case cc.k.allowed[b]:
		case b == '\n' || b == '\r' || b == '\t':
			return fmt.Errorf("%w: %w: holds a line break or a tab (Normalize makes them spaces)", ErrInvalid, x12.ErrCharacterInData)
		case b >= 0x20 && b <= 0x7e:
			return fmt.Errorf("%w: %w: holds %q, which the 837P uses as a delimiter", ErrInvalid, x12.ErrDelimiterInData, b)
		default:
			return fmt.Errorf("%w: %w: holds a character outside the X12 character set (letters without accents, digits, spaces and common punctuation)",
				ErrInvalid, x12.ErrCharacterInData)
		}
	}
	return fmt.Errorf("%w: begins or ends with a space (Normalize removes them)", ErrInvalid)
}
