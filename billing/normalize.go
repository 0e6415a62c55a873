package billing

import (
	"slices"
	"strconv"
	"strings"
)

// The defaults Normalize fills in, and that edi/x837p writes for empty fields.
const (
	DefaultProviderSignature    = "Y"  // CLM06
	DefaultAssignment           = "A"  // CLM07
	DefaultBenefitsAssignment   = "Y"  // CLM08
	DefaultReleaseOfInformation = "Y"  // CLM09
	DefaultProcedureQualifier   = "HC" // SV101-1
	DefaultUnit                 = "UN" // SV103, CTP05-1
	DefaultPayerIDQualifier     = "PI" // NM108 of the payer
	DefaultTaxIDType            = "EI" // 2010AA REF01
	DefaultNoteCode             = "ADD"
)

// responsibilityByPosition is the SBR01 of the first, second, ... coverage.
var responsibilityByPosition = [...]string{"P", "S", "T", "A", "B", "C", "D", "E", "F", "G", "H"}

// ResponsibilityAt returns the default SBR01 of the coverage at index i: P, S, T, A-H.
func ResponsibilityAt(i int) string {
	if i >= 0 && i < len(responsibilityByPosition) {
		return responsibilityByPosition[i]
	}
	return "U"
}

// Normalize fills in the claim's defaults so that it reads the same whatever the
// source (JSON, CSV or 837P): text cleaned (CleanText: accents to ASCII letters,
// line breaks and tabs to spaces, no leading or trailing spaces, one space between
// the words of names, addresses and notes), so that a value of blanks is empty;
// frequency 1; CLM06-CLM09; the total charge when zero;
// diagnosis codes without dots, in upper case; SBR01 by position; the patient's
// relationship 18 when a coverage has no subscriber; gender U with a birth date
// and no gender; payer id qualifier PI; provider entity types (referring and
// supervising providers are persons), no first or middle name or suffix for an
// organization, tax ids without hyphens; no country code US; procedure qualifier
// HC, unit UN, 1 unit and diagnosis pointer 1 on lines; line control numbers;
// one-day periods without a To date; other payers' adjustments grouped by group
// code and line adjudications in line order, with the line's procedure, units and
// the claim-level date when not given. What the 837P sends only when it differs is
// dropped when it does not: a line's place of service equal to the claim's, a
// rendering provider that repeats the billing provider (Provider.Repeats), a line's
// rendering provider that repeats the claim's, a service facility at the billing
// provider's address.
func (c *Claim) Normalize() {
	c.cleanTexts()
	if c.Frequency == "" {
		c.Frequency = FrequencyOriginal
	}
	c.ProviderSignature = or(c.ProviderSignature, DefaultProviderSignature)
	c.Assignment = or(c.Assignment, DefaultAssignment)
	c.BenefitsAssignment = or(c.BenefitsAssignment, DefaultBenefitsAssignment)
	c.ReleaseOfInformation = or(c.ReleaseOfInformation, DefaultReleaseOfInformation)
	if c.Note.Text != "" {
		c.Note.Code = or(c.Note.Code, DefaultNoteCode)
	}
	for i := range c.Diagnoses {
		c.Diagnoses[i].Code = DiagnosisCode(c.Diagnoses[i].Code)
	}
	normalizeProvider(&c.BillingProvider)
	if c.BillingProvider.TaxID != "" {
		c.BillingProvider.TaxIDType = or(c.BillingProvider.TaxIDType, DefaultTaxIDType)
	}
	for _, p := range []*Provider{c.ReferringProvider, c.SupervisingProvider} {
		if p != nil {
			p.EntityType = EntityPerson // 2310A and 2310D name persons only
		}
	}
	for _, p := range []*Provider{c.ReferringProvider, c.RenderingProvider, c.ServiceFacility, c.SupervisingProvider} {
		normalizeProvider(p)
	}
	if p := c.RenderingProvider; p != nil && p.Repeats(&c.BillingProvider) {
		c.RenderingProvider = nil
	}
	if f := c.ServiceFacility; f != nil && f.Address.Line1 != "" && f.Address == c.BillingProvider.Address {
		c.ServiceFacility = nil
	}
	rendering := c.RenderingProvider // the claim's rendering provider, for the lines
	if rendering == nil {
		rendering = &c.BillingProvider
	}
	normalizePerson(&c.Patient)
	for k := range c.Coverages {
		cov := &c.Coverages[k]
		normalizePerson(&cov.Subscriber)
		cov.Responsibility = or(cov.Responsibility, ResponsibilityAt(k))
		cov.Payer.IDQualifier = or(cov.Payer.IDQualifier, DefaultPayerIDQualifier)
		if cov.Relationship == "" && cov.Subscriber.IsZero() {
			cov.Relationship = RelationshipSelf
		}
	}
	ids := c.LineControlNumbers(nil)
	for i := range c.Lines {
		l := &c.Lines[i]
		l.ControlNumber = ids[i]
		l.Procedure.Qualifier = or(l.Procedure.Qualifier, DefaultProcedureQualifier)
		l.Unit = or(l.Unit, DefaultUnit)
		if l.Units == 0 {
			l.Units = Units(1)
		}
		if len(l.DiagnosisPointers) == 0 {
			l.DiagnosisPointers = []int{1}
		}
		if l.ServiceDates.To == l.ServiceDates.From {
			l.ServiceDates.To = Date{}
		}
		if l.Drug != nil {
			l.Drug.Unit = or(l.Drug.Unit, DefaultUnit)
		}
		if l.PlaceOfService == c.PlaceOfService {
			l.PlaceOfService = ""
		}
		normalizeProvider(l.RenderingProvider)
		if p := l.RenderingProvider; p != nil && p.Repeats(rendering) {
			l.RenderingProvider = nil
		}
	}
	if c.Charge == 0 {
		c.Charge = c.LineTotal()
	}
	for k := range c.Coverages {
		if a := c.Coverages[k].Adjudication; a != nil {
			c.normalizeAdjudication(a)
		}
	}
}

func (c *Claim) normalizeAdjudication(a *OtherPayerAdjudication) {
	a.Adjustments = GroupAdjustments(a.Adjustments)
	slices.SortStableFunc(a.Lines, func(x, y LineAdjudication) int { return x.Line - y.Line })
	if a.Date.IsZero() && len(a.Lines) > 0 {
		a.Date = a.Lines[0].Date
	}
	for j := range a.Lines {
		la := &a.Lines[j]
		la.Adjustments = GroupAdjustments(la.Adjustments)
		if la.Date.IsZero() {
			la.Date = a.Date
		}
		if la.Line < 1 || la.Line > len(c.Lines) {
			continue
		}
		l := &c.Lines[la.Line-1]
		if la.Procedure.IsZero() {
			la.Procedure = l.Procedure
			la.Procedure.Modifiers = slices.Clone(l.Procedure.Modifiers)
		}
		la.Procedure.Qualifier = or(la.Procedure.Qualifier, DefaultProcedureQualifier)
		if la.Units == 0 {
			la.Units = l.Units
		}
	}
}

// normalizePerson sets the gender U (unknown) when a birth date is given without one:
// X12 sends them together (DMG).
func normalizePerson(p *Person) {
	if !p.BirthDate.IsZero() && p.Gender == "" {
		p.Gender = "U"
	}
}

// normalizeProvider sets the entity type, leaves an organization without the parts
// of a person's name (NM104, NM105, NM107), and takes the hyphens out of a tax id.
func normalizeProvider(p *Provider) {
	if p == nil {
		return
	}
	if p.EntityType == "" {
		p.EntityType = EntityType(p.Code())
	}
	if p.EntityType == EntityOrganization {
		p.FirstName, p.MiddleName, p.Suffix = "", "", ""
	}
	if strings.IndexByte(p.TaxID, '-') >= 0 {
		p.TaxID = strings.ReplaceAll(p.TaxID, "-", "")
	}
}

// Repeats reports whether p says nothing that q does not: the same entity type, NPI
// and name, and no taxonomy other than q's. The 837P sends a rendering provider only
// when it differs from the billing provider (2310B), and a line's only when it
// differs from the claim's (2420A).
func (p *Provider) Repeats(q *Provider) bool {
	return p.Code() == q.Code() && p.NPI == q.NPI && p.Name == q.Name && p.FirstName == q.FirstName &&
		p.MiddleName == q.MiddleName && p.Suffix == q.Suffix && (p.Taxonomy == "" || p.Taxonomy == q.Taxonomy)
}

// GroupAdjustments orders adjustments by group code, groups in the order they first
// appear and adjustments in their order within a group: the order in which CAS
// segments carry them (one group per segment). It returns adj itself when it is
// already in that order.
func GroupAdjustments(adj []Adjustment) []Adjustment {
	grouped := true
	for i := 1; i < len(adj) && grouped; i++ {
		if adj[i].Group != adj[i-1].Group {
			for _, e := range adj[:i-1] {
				if e.Group == adj[i].Group {
					grouped = false
					break
				}
			}
		}
	}
	if grouped {
		return adj
	}
	out := make([]Adjustment, 0, len(adj))
	done := map[string]bool{}
	for _, a := range adj {
		if done[a.Group] {
			continue
		}
		done[a.Group] = true
		for _, b := range adj {
			if b.Group == a.Group {
				out = append(out, b)
			}
		}
	}
	return out
}

// DiagnosisCode returns an ICD-10-CM code as X12 wants it: without the dot, in upper
// case, without surrounding spaces ("f32.9" -> "F329").
func DiagnosisCode(code string) string {
	code = strings.TrimSpace(code)
	clean := true
	for i := 0; i < len(code); i++ {
		if c := code[i]; c == '.' || c >= 'a' && c <= 'z' {
			clean = false
			break
		}
	}
	if clean {
		return code
	}
	return strings.ToUpper(strings.ReplaceAll(code, ".", ""))
}

// LineControlNumbers appends to dst the line item control number (REF*6R) of each
// line: its own when given, otherwise "<patient control number>-<line number>" (or
// "L<n>" when that would be longer than 30 characters), changed if needed so that
// the numbers are unique within the claim.
func (c *Claim) LineControlNumbers(dst []string) []string {
	missing := false
	for i := range c.Lines {
		if c.Lines[i].ControlNumber == "" {
			missing = true
			break
		}
	}
	if !missing {
		for i := range c.Lines {
			dst = append(dst, c.Lines[i].ControlNumber)
		}
		return dst
	}
	used := make(map[string]bool, len(c.Lines))
	for i := range c.Lines {
		used[c.Lines[i].ControlNumber] = true
	}
	for i := range c.Lines {
		id := c.Lines[i].ControlNumber
		if id == "" {
			base := c.PatientControlNumber + "-" + strconv.Itoa(i+1)
			if c.PatientControlNumber == "" || len(base) > 27 {
				base = "L" + strconv.Itoa(i+1)
			}
			id = base
			for k := 2; used[id]; k++ {
				id = base + "-" + strconv.Itoa(k)
			}
			used[id] = true
		}
		dst = append(dst, id)
	}
	return dst
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
