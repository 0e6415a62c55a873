package acks

import (
	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x277ca"
)

// statusField names the claim field a 277CA status code points at, when the code
// says which (562 with entity 85: the billing provider's NPI), relative to the
// claim: the path `claimflow claims edit --set` takes. line is the index of the
// service line the status is about (-1 for the claim). It returns "" when the code
// names no one field.
func statusField(c *billing.Claim, sc x277ca.StatusCode, line int) billing.Path {
	var base billing.Path
	if line >= 0 {
		base = billing.Path("").At("lines", line)
	}
	cov := billing.Path("coverages[0]")
	billed, ok := c.BilledCoverage()
	if ok {
		cov = billing.Path("").At("coverages", billed)
	} else {
		billed = 0
	}
	provider := func() billing.Path {
		switch sc.Entity {
		case "85", "":
			return "billing_provider"
		case "82":
			if line >= 0 && c.Lines[line].RenderingProvider != nil {
				return base.Field("rendering_provider")
			}
			return "rendering_provider"
		case "77":
			return "service_facility"
		case "DN":
			return "referring_provider"
		case "DQ":
			return "supervising_provider"
		}
		return ""
	}
	person := func() billing.Path {
		switch sc.Entity {
		case "QC":
			return "patient"
		case "IL", "HK":
			// When the patient is the subscriber, the subscriber record is empty
			// and 2010BA carries the patient's name, birth date and address.
			if len(c.Coverages) > billed && c.PatientIsSubscriber(billed) {
				return "patient"
			}
			return cov.Field("subscriber")
		}
		return ""
	}
	switch sc.Code {
	case "562": // NPI
		if p := provider(); p != "" {
			return p.Field("npi")
		}
	case "145": // taxonomy
		if p := provider(); p != "" {
			return p.Field("taxonomy")
		}
	case "158": // date of birth
		if p := person(); p != "" {
			return p.Field("birth_date")
		}
	case "29", "32": // subscriber and policy number
		return cov.Field("group_number")
	case "30", "33", "164": // subscriber id, member number
		return cov.Field("member_id")
	case "400": // out of balance
		return "charge"
	case "401": // source of payment
		return cov.Field("filing_indicator")
	case "479": // other carrier's payer id: 2330B of the first other coverage (2320)
		for k := range c.Coverages {
			if k != billed {
				return billing.Path("").At("coverages", k).Field("payer.id")
			}
		}
	case "454":
		if line >= 0 {
			return base.Field("procedure.code")
		}
	case "453":
		if line >= 0 {
			return base.Field("procedure.modifiers")
		}
	case "476":
		if line >= 0 {
			return base.Field("units")
		}
	case "477":
		if line >= 0 {
			return base.Field("diagnosis_pointers")
		}
	case "187":
		if line >= 0 {
			return base.Field("service_dates")
		}
	case "478":
		return "patient_control_number"
	}
	if line >= 0 {
		return base
	}
	return ""
}
