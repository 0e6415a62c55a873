package billing

import (
	"strings"
	"unicode/utf8"
)

// Text cleaning. An 837P carries only the X12 basic and extended character sets:
// printable ASCII. Normalize cleans every text field of a claim so that data typed or
// imported with accents, pasted line breaks or stray blanks still fits: Latin letters
// with diacritics become their ASCII base letters, line breaks and tabs become
// spaces, and leading and trailing spaces go. What is still outside printable ASCII
// (a Greek or Chinese name, a symbol) is left as it is, for the 837P builder and the
// scrubber to refuse, naming the field.

// textKind says how Normalize cleans a text field.
type textKind uint8

const (
	textCode textKind = iota // codes and identifiers: trimmed
	textFree                 // names, addresses and notes: trimmed, runs of spaces made one
)

// CleanText returns s as Normalize leaves a name or an address: letters with
// diacritics of the Latin-1 Supplement and Latin Extended-A blocks as their ASCII
// base letters, keeping their case (É -> E, ñ -> n, ß -> ss, Æ -> AE), a no-break
// space, carriage return, line feed or tab as a space, leading and trailing spaces
// removed and runs of spaces made one. Other characters are kept. A clean s is
// returned as it is, without allocating.
func CleanText(s string) string { return cleanText(s, textFree) }

// cleanText cleans s as its kind says.
func cleanText(s string, kind textKind) string {
	if isCleanText(s, kind) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending: written before the next other character
	for i := 0; i < len(s); {
		c := s[i]
		var repl string
		size := 1
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			repl = " "
		case c < utf8.RuneSelf:
			repl = s[i : i+1]
		default:
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			repl = latinASCII(r)
			if repl == "" {
				repl = s[i : i+size] // kept: the check refuses it
			}
		}
		i += size
		if repl == " " {
			if kind == textCode && b.Len() > 0 {
				b.WriteByte(' ') // codes keep their inner spaces as they are
				continue
			}
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(repl)
	}
	out := b.String()
	if kind == textCode {
		out = strings.TrimRight(out, " ")
	}
	return out
}

// isCleanText reports whether cleanText would return s unchanged: printable ASCII,
// no space at either end, and for free text no two spaces in a row.
func isCleanText(s string, kind textKind) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= utf8.RuneSelf {
			return false
		}
		if c == ' ' && kind == textFree && s[i+1] == ' ' {
			return false
		}
	}
	return true
}

// latin1 maps U+00C0-U+00FF to ASCII letters; '*' marks the characters latinASCII
// handles itself (two letters, or a symbol that is kept).
const latin1 = "AAAAAA*CEEEEIIII" + "DNOOOOO*OUUUUY**" + "aaaaaa*ceeeeiiii" + "dnooooo*ouuuuy*y"

// latinExtA maps U+0100-U+017F (Latin Extended-A) in the same way.
const latinExtA = "AaAaAaCcCcCcCcDd" + "DdEeEeEeEeEeGgGg" + "GgGgHhHhIiIiIiIi" + "Ii**JjKkkLlLlLlL" +
	"lLlNnNnNnnNnOoOo" + "Oo**RrRrRrSsSsSs" + "SsTtTtTtUuUuUuUu" + "UuUuWwYyYZzZzZzs"

// latinASCII returns the ASCII spelling of a Latin letter with a diacritic (or of a
// no-break space), or "" when r has none.
func latinASCII(r rune) string {
	var letter string // a one-letter slice of the tables: no allocation
	switch {
	case r == 0xA0:
		return " "
	case r >= 0xC0 && r <= 0xFF:
		letter = latin1[r-0xC0 : r-0xC0+1]
	case r >= 0x100 && r <= 0x17F:
		letter = latinExtA[r-0x100 : r-0x100+1]
	default:
		return ""
	}
	if letter != "*" {
		return letter
	}
	switch r {
	case 'Æ':
		return "AE"
	case 'æ':
		return "ae"
	case 'Þ':
		return "TH"
	case 'þ':
		return "th"
	case 'ß':
		return "ss"
	case 'Ĳ':
		return "IJ"
	case 'ĳ':
		return "ij"
	case 'Œ':
		return "OE"
	case 'œ':
		return "oe"
	}
	return "" // × and ÷: not letters
}

// cleanTexts cleans every text field of the claim (Normalize).
func (c *Claim) cleanTexts() {
	code := func(s *string) { *s = cleanText(*s, textCode) }
	free := func(s *string) { *s = cleanText(*s, textFree) }
	code(&c.PatientControlNumber)
	code((*string)(&c.Frequency))
	code(&c.OriginalPayerClaimNumber)
	code(&c.PlaceOfService)
	code(&c.ProviderSignature)
	code(&c.Assignment)
	code(&c.BenefitsAssignment)
	code(&c.ReleaseOfInformation)
	code(&c.PatientSignatureSource)
	for i := range c.RelatedCauses {
		code(&c.RelatedCauses[i])
	}
	code(&c.AccidentState)
	code(&c.AccidentCountry)
	code(&c.SpecialProgram)
	code(&c.DelayReason)
	c.Authorization.clean()
	code(&c.CLIANumber)
	code(&c.MedicalRecordNumber)
	code(&c.Note.Code)
	free(&c.Note.Text)
	for i := range c.Diagnoses {
		code(&c.Diagnoses[i].Code)
	}
	c.Patient.clean()
	for k := range c.Coverages {
		cov := &c.Coverages[k]
		code(&cov.Responsibility)
		free(&cov.Payer.Name)
		code(&cov.Payer.ID)
		code(&cov.Payer.IDQualifier)
		cov.Payer.Address.clean()
		code(&cov.MemberID)
		code(&cov.GroupNumber)
		free(&cov.GroupName)
		code(&cov.InsuranceType)
		code(&cov.FilingIndicator)
		code(&cov.Relationship)
		cov.Subscriber.clean()
		if a := cov.Adjudication; a != nil {
			cleanAdjustments(a.Adjustments)
			code(&a.ClaimNumber)
			for i := range a.RemarkCodes {
				code(&a.RemarkCodes[i])
			}
			for j := range a.Lines {
				a.Lines[j].Procedure.clean()
				cleanAdjustments(a.Lines[j].Adjustments)
			}
		}
	}
	c.BillingProvider.clean()
	if a := c.PayToAddress; a != nil {
		a.clean()
	}
	for _, p := range []*Provider{c.ReferringProvider, c.RenderingProvider, c.ServiceFacility, c.SupervisingProvider} {
		if p != nil {
			p.clean()
		}
	}
	for j := range c.Lines {
		l := &c.Lines[j]
		code(&l.ControlNumber)
		l.Procedure.clean()
		code(&l.Unit)
		code(&l.PlaceOfService)
		l.Authorization.clean()
		free(&l.Note)
		if d := l.Drug; d != nil {
			code(&d.NDC)
			code(&d.Unit)
			code(&d.PrescriptionNumber)
		}
		if p := l.RenderingProvider; p != nil {
			p.clean()
		}
	}
}

func (a *Authorization) clean() {
	a.PriorAuthorization = cleanText(a.PriorAuthorization, textCode)
	a.Referral = cleanText(a.Referral, textCode)
}

func (p *Person) clean() {
	p.LastName = cleanText(p.LastName, textFree)
	p.FirstName = cleanText(p.FirstName, textFree)
	p.MiddleName = cleanText(p.MiddleName, textFree)
	p.Suffix = cleanText(p.Suffix, textFree)
	p.Gender = cleanText(p.Gender, textCode)
	p.Address.clean()
}

// clean cleans the address's text and drops the country code US: N404 is for
// addresses outside the United States.
func (a *Address) clean() {
	a.Line1 = cleanText(a.Line1, textFree)
	a.Line2 = cleanText(a.Line2, textFree)
	a.City = cleanText(a.City, textFree)
	a.State = cleanText(a.State, textCode)
	a.PostalCode = cleanText(a.PostalCode, textCode)
	a.Country = cleanText(a.Country, textCode)
	a.CountrySubdivision = cleanText(a.CountrySubdivision, textCode)
	if a.IsUS() {
		a.Country = ""
	}
}

// IsUS reports whether the address is in the United States: no country, or US.
func (a *Address) IsUS() bool {
	return a.Country == "" || strings.EqualFold(a.Country, "US") || strings.EqualFold(a.Country, "USA")
}

func (p *Provider) clean() {
	p.EntityType = EntityType(cleanText(string(p.EntityType), textCode))
	p.NPI = cleanText(p.NPI, textCode)
	p.Name = cleanText(p.Name, textFree)
	p.FirstName = cleanText(p.FirstName, textFree)
	p.MiddleName = cleanText(p.MiddleName, textFree)
	p.Suffix = cleanText(p.Suffix, textFree)
	p.Taxonomy = cleanText(p.Taxonomy, textCode)
	p.TaxID = cleanText(p.TaxID, textCode)
	p.TaxIDType = cleanText(p.TaxIDType, textCode)
	p.Address.clean()
	p.Contact.Name = cleanText(p.Contact.Name, textFree)
	p.Contact.Phone = cleanText(p.Contact.Phone, textCode)
	p.Contact.Email = cleanText(p.Contact.Email, textCode)
}

func (p *Procedure) clean() {
	p.Qualifier = cleanText(p.Qualifier, textCode)
	p.Code = cleanText(p.Code, textCode)
	for i := range p.Modifiers {
		p.Modifiers[i] = cleanText(p.Modifiers[i], textCode)
	}
	p.Description = cleanText(p.Description, textFree)
}

func cleanAdjustments(adj []Adjustment) {
	for i := range adj {
		adj[i].Group = cleanText(adj[i].Group, textCode)
		adj[i].Reason = cleanText(adj[i].Reason, textCode)
	}
}
