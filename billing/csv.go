package billing

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// csvColumn is a column of the CSV import format.
type csvColumn struct {
	name  string
	claim bool   // a claim-level column, repeated on each row of the claim
	path  string // the field's path below the claim (claim-level) or the line
	set   func(c *Claim, l *Line, v string) error
}

// CSVColumns lists the columns of the CSV import format in their documented order,
// each with whether it is claim-level (repeated on every row of the claim) and the
// path of the field it fills, below the claim or the line.
func CSVColumns() (names []string, claimLevel []bool, paths []string) {
	for _, c := range csvColumns {
		names = append(names, c.name)
		claimLevel = append(claimLevel, c.claim)
		paths = append(paths, c.path)
	}
	return names, claimLevel, paths
}

var csvColumns = buildCSVColumns()

var csvByName = func() map[string]*csvColumn {
	m := map[string]*csvColumn{}
	for i := range csvColumns {
		m[csvColumns[i].name] = &csvColumns[i]
	}
	return m
}()

func str(f func(c *Claim, l *Line) *string) func(*Claim, *Line, string) error {
	return func(c *Claim, l *Line, v string) error { *f(c, l) = v; return nil }
}

func money(f func(c *Claim, l *Line) *Money) func(*Claim, *Line, string) error {
	return func(c *Claim, l *Line, v string) error {
		m, err := ParseMoney(v)
		*f(c, l) = m
		return err
	}
}

func date(f func(c *Claim, l *Line) *Date) func(*Claim, *Line, string) error {
	return func(c *Claim, l *Line, v string) error {
		d, err := ParseDate(v)
		*f(c, l) = d
		return err
	}
}

func qty(f func(c *Claim, l *Line) *Quantity) func(*Claim, *Line, string) error {
	return func(c *Claim, l *Line, v string) error {
		q, err := ParseQuantity(v)
		*f(c, l) = q
		return err
	}
}

// splitList splits a list cell at ';' (or ':' or ','), dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ':' || r == ',' || r == ' ' }) {
		out = append(out, p)
	}
	return out
}

func cov(c *Claim) *Coverage {
	if len(c.Coverages) == 0 {
		c.Coverages = append(c.Coverages, Coverage{})
	}
	return &c.Coverages[0]
}

func prov(p **Provider) *Provider {
	if *p == nil {
		*p = &Provider{}
	}
	return *p
}

func drug(l *Line) *Drug {
	if l.Drug == nil {
		l.Drug = &Drug{}
	}
	return l.Drug
}

func buildCSVColumns() []csvColumn {
	var cols []csvColumn
	claim := func(name, path string, set func(*Claim, *Line, string) error) {
		cols = append(cols, csvColumn{name: name, claim: true, path: path, set: set})
	}
	line := func(name, path string, set func(*Claim, *Line, string) error) {
		cols = append(cols, csvColumn{name: name, path: path, set: set})
	}
	address := func(prefix, path string, f func(c *Claim) *Address) {
		claim(prefix+"address_line1", path+".line1", str(func(c *Claim, _ *Line) *string { return &f(c).Line1 }))
		claim(prefix+"address_line2", path+".line2", str(func(c *Claim, _ *Line) *string { return &f(c).Line2 }))
		claim(prefix+"city", path+".city", str(func(c *Claim, _ *Line) *string { return &f(c).City }))
		claim(prefix+"state", path+".state", str(func(c *Claim, _ *Line) *string { return &f(c).State }))
		claim(prefix+"postal_code", path+".postal_code", str(func(c *Claim, _ *Line) *string { return &f(c).PostalCode }))
	}
	person := func(prefix, path string, f func(c *Claim) *Person) {
		claim(prefix+"last_name", path+".last_name", str(func(c *Claim, _ *Line) *string { return &f(c).LastName }))
		claim(prefix+"first_name", path+".first_name", str(func(c *Claim, _ *Line) *string { return &f(c).FirstName }))
		claim(prefix+"middle_name", path+".middle_name", str(func(c *Claim, _ *Line) *string { return &f(c).MiddleName }))
		claim(prefix+"birth_date", path+".birth_date", date(func(c *Claim, _ *Line) *Date { return &f(c).BirthDate }))
		claim(prefix+"gender", path+".gender", str(func(c *Claim, _ *Line) *string { return &f(c).Gender }))
		address(prefix, path+".address", func(c *Claim) *Address { return &f(c).Address })
	}
	provider := func(prefix, path string, f func(c *Claim) *Provider, org bool) {
		claim(prefix+"npi", path+".npi", str(func(c *Claim, _ *Line) *string { return &f(c).NPI }))
		if org {
			claim(prefix+"name", path+".name", str(func(c *Claim, _ *Line) *string { return &f(c).Name }))
		} else {
			claim(prefix+"last_name", path+".name", str(func(c *Claim, _ *Line) *string { return &f(c).Name }))
			claim(prefix+"first_name", path+".first_name", str(func(c *Claim, _ *Line) *string { return &f(c).FirstName }))
		}
	}

	claim("patient_control_number", "patient_control_number", str(func(c *Claim, _ *Line) *string { return &c.PatientControlNumber }))
	claim("frequency", "frequency", func(c *Claim, _ *Line, v string) error { return c.Frequency.UnmarshalText([]byte(v)) })
	claim("original_payer_claim_number", "original_payer_claim_number", str(func(c *Claim, _ *Line) *string { return &c.OriginalPayerClaimNumber }))
	claim("place_of_service", "place_of_service", str(func(c *Claim, _ *Line) *string { return &c.PlaceOfService }))
	claim("claim_charge", "charge", money(func(c *Claim, _ *Line) *Money { return &c.Charge }))
	claim("prior_authorization", "authorization.prior_authorization", str(func(c *Claim, _ *Line) *string { return &c.Authorization.PriorAuthorization }))
	claim("referral", "authorization.referral", str(func(c *Claim, _ *Line) *string { return &c.Authorization.Referral }))
	claim("diagnoses", "diagnoses", func(c *Claim, _ *Line, v string) error {
		for _, d := range splitList(v) {
			c.Diagnoses = append(c.Diagnoses, Diagnosis{Code: d})
		}
		return nil
	})
	claim("onset_date", "dates.onset", date(func(c *Claim, _ *Line) *Date { return &c.Dates.Onset }))
	claim("accident_date", "dates.accident", date(func(c *Claim, _ *Line) *Date { return &c.Dates.Accident }))
	claim("related_causes", "related_causes", func(c *Claim, _ *Line, v string) error { c.RelatedCauses = splitList(v); return nil })
	claim("accident_state", "accident_state", str(func(c *Claim, _ *Line) *string { return &c.AccidentState }))
	claim("claim_note", "note.text", str(func(c *Claim, _ *Line) *string { return &c.Note.Text }))
	person("patient_", "patient", func(c *Claim) *Person { return &c.Patient })
	claim("responsibility", "coverages[0].responsibility", str(func(c *Claim, _ *Line) *string { return &cov(c).Responsibility }))
	claim("payer_name", "coverages[0].payer.name", str(func(c *Claim, _ *Line) *string { return &cov(c).Payer.Name }))
	claim("payer_id", "coverages[0].payer.id", str(func(c *Claim, _ *Line) *string { return &cov(c).Payer.ID }))
	claim("member_id", "coverages[0].member_id", str(func(c *Claim, _ *Line) *string { return &cov(c).MemberID }))
	claim("group_number", "coverages[0].group_number", str(func(c *Claim, _ *Line) *string { return &cov(c).GroupNumber }))
	claim("group_name", "coverages[0].group_name", str(func(c *Claim, _ *Line) *string { return &cov(c).GroupName }))
	claim("filing_indicator", "coverages[0].filing_indicator", str(func(c *Claim, _ *Line) *string { return &cov(c).FilingIndicator }))
	claim("relationship", "coverages[0].relationship", str(func(c *Claim, _ *Line) *string { return &cov(c).Relationship }))
	person("subscriber_", "coverages[0].subscriber", func(c *Claim) *Person { return &cov(c).Subscriber })
	provider("billing_", "billing_provider", func(c *Claim) *Provider { return &c.BillingProvider }, true)
	claim("billing_tax_id", "billing_provider.tax_id", str(func(c *Claim, _ *Line) *string { return &c.BillingProvider.TaxID }))
	claim("billing_taxonomy", "billing_provider.taxonomy", str(func(c *Claim, _ *Line) *string { return &c.BillingProvider.Taxonomy }))
	address("billing_", "billing_provider.address", func(c *Claim) *Address { return &c.BillingProvider.Address })
	claim("billing_contact_name", "billing_provider.contact.name", str(func(c *Claim, _ *Line) *string { return &c.BillingProvider.Contact.Name }))
	claim("billing_phone", "billing_provider.contact.phone", str(func(c *Claim, _ *Line) *string { return &c.BillingProvider.Contact.Phone }))
	provider("rendering_", "rendering_provider", func(c *Claim) *Provider { return prov(&c.RenderingProvider) }, false)
	claim("rendering_taxonomy", "rendering_provider.taxonomy", str(func(c *Claim, _ *Line) *string { return &prov(&c.RenderingProvider).Taxonomy }))
	provider("referring_", "referring_provider", func(c *Claim) *Provider { return prov(&c.ReferringProvider) }, false)
	provider("supervising_", "supervising_provider", func(c *Claim) *Provider { return prov(&c.SupervisingProvider) }, false)
	provider("facility_", "service_facility", func(c *Claim) *Provider { return prov(&c.ServiceFacility) }, true)
	address("facility_", "service_facility.address", func(c *Claim) *Address { return &prov(&c.ServiceFacility).Address })

	line("line_control_number", "control_number", str(func(_ *Claim, l *Line) *string { return &l.ControlNumber }))
	line("procedure_code", "procedure.code", str(func(_ *Claim, l *Line) *string { return &l.Procedure.Code }))
	line("modifiers", "procedure.modifiers", func(_ *Claim, l *Line, v string) error { l.Procedure.Modifiers = splitList(v); return nil })
	line("procedure_description", "procedure.description", str(func(_ *Claim, l *Line) *string { return &l.Procedure.Description }))
	line("line_charge", "charge", money(func(_ *Claim, l *Line) *Money { return &l.Charge }))
	line("units", "units", qty(func(_ *Claim, l *Line) *Quantity { return &l.Units }))
	line("unit", "unit", str(func(_ *Claim, l *Line) *string { return &l.Unit }))
	line("service_date", "service_dates.from", date(func(_ *Claim, l *Line) *Date { return &l.ServiceDates.From }))
	line("service_date_to", "service_dates.to", date(func(_ *Claim, l *Line) *Date { return &l.ServiceDates.To }))
	line("diagnosis_pointers", "diagnosis_pointers", func(_ *Claim, l *Line, v string) error {
		for _, p := range splitList(v) {
			n, err := strconv.Atoi(p)
			if err != nil {
				return fmt.Errorf("diagnosis pointer %q is not a number", p)
			}
			l.DiagnosisPointers = append(l.DiagnosisPointers, n)
		}
		return nil
	})
	line("line_place_of_service", "place_of_service", str(func(_ *Claim, l *Line) *string { return &l.PlaceOfService }))
	line("line_prior_authorization", "authorization.prior_authorization", str(func(_ *Claim, l *Line) *string { return &l.Authorization.PriorAuthorization }))
	line("emergency", "emergency", func(_ *Claim, l *Line, v string) error {
		b, err := parseFlag(v)
		l.Emergency = b
		return err
	})
	line("line_note", "note", str(func(_ *Claim, l *Line) *string { return &l.Note }))
	line("ndc", "drug.ndc", str(func(_ *Claim, l *Line) *string { return &drug(l).NDC }))
	line("ndc_quantity", "drug.quantity", qty(func(_ *Claim, l *Line) *Quantity { return &drug(l).Quantity }))
	line("ndc_unit", "drug.unit", str(func(_ *Claim, l *Line) *string { return &drug(l).Unit }))
	return cols
}

func parseFlag(v string) (bool, error) {
	switch strings.ToUpper(v) {
	case "Y", "YES", "TRUE", "1":
		return true, nil
	case "N", "NO", "FALSE", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not Y or N", v)
}

// ReadCSV reads claims from CSV with one row per service line: the first row names
// the columns (any subset of CSVColumns, in any order; patient_control_number,
// procedure_code and line_charge are required), and each claim's claim-level columns
// are repeated on every row of the claim (or left blank after its first row). Rows
// with the same patient control number make one claim, in the order the rows come.
// CSV carries one coverage per claim; claims to a second payer need JSON. Problems
// name the row, the column and the field's path.
func ReadCSV(r io.Reader) ([]Claim, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, Problems{{Err: errors.New("the CSV file is empty: want a header row")}}
	}
	if err != nil {
		return nil, Problems{{Where: "row 1", Err: fmt.Errorf("reading the CSV header: %w", err)}}
	}
	cols := make([]*csvColumn, len(header))
	var probs Problems
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		c := csvByName[h]
		switch {
		case c == nil:
			probs = append(probs, &Problem{Where: fmt.Sprintf("row 1, column %d", i+1), Err: fmt.Errorf("unknown column %q (see billing/SCHEMA.md)", h)})
		case seen[h]:
			probs = append(probs, &Problem{Where: fmt.Sprintf("row 1, column %d", i+1), Err: fmt.Errorf("column %q appears twice", h)})
		}
		seen[h] = true
		cols[i] = c
	}
	for _, req := range []string{"patient_control_number", "procedure_code", "line_charge"} {
		if !seen[req] {
			probs = append(probs, &Problem{Where: "row 1", Err: fmt.Errorf("the required column %q is missing", req)})
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}

	type claimRows struct {
		index int
		first int               // row number of the claim's first row
		vals  map[string]string // claim-level values as first given
	}
	var claims []Claim
	byPCN := map[string]*claimRows{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			row := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				row = pe.StartLine
			}
			probs = append(probs, &Problem{Where: fmt.Sprintf("row %d", row), Err: fmt.Errorf("reading CSV: %w", err)})
			if pe != nil && errors.Is(pe.Err, csv.ErrFieldCount) {
				continue
			}
			break
		}
		row, _ := cr.FieldPos(0)
		pcn := ""
		for i, c := range cols {
			if c.name == "patient_control_number" {
				pcn = strings.TrimSpace(rec[i])
			}
		}
		if pcn == "" {
			probs = append(probs, &Problem{Where: fmt.Sprintf("row %d", row), Err: errors.New("patient_control_number is empty")})
			continue
		}
		cl := byPCN[pcn]
		if cl == nil {
			cl = &claimRows{index: len(claims), first: row, vals: map[string]string{}}
			byPCN[pcn] = cl
			claims = append(claims, Claim{})
		}
		c := &claims[cl.index]
		c.Lines = append(c.Lines, Line{})
		li := len(c.Lines) - 1
		l := &c.Lines[li]
		for i, col := range cols {
			v := strings.TrimSpace(rec[i])
			if v == "" {
				continue
			}
			var path Path
			if col.claim {
				path = ClaimPath(cl.index).Field(col.path)
				if prev, ok := cl.vals[col.name]; ok {
					if prev != v {
						probs = append(probs, &Problem{Path: path, Where: fmt.Sprintf("row %d, column %s", row, col.name),
							Err: fmt.Errorf("differs from row %d of the same claim: claim-level columns must repeat the same value", cl.first)})
					}
					continue
				}
				cl.vals[col.name] = v
			} else {
				path = ClaimPath(cl.index).At("lines", li).Field(col.path)
			}
			if err := col.set(c, l, v); err != nil {
				probs = append(probs, &Problem{Path: path, Where: fmt.Sprintf("row %d, column %s", row, col.name), Err: err})
			}
		}
	}
	return claims, probs.Err()
}
