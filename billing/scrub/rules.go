package scrub

import (
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/billing"
)

// Rule describes one edit of the scrubber.
type Rule struct {
	// ID is the stable id findings carry ("npi-check-digit").
	ID string
	// SNIP is the WEDI SNIP type of the edit: 2 implementation-guide requirements,
	// 3 balancing, 4 inter-segment situations, 5 external code sets, 7 trading partner
	// (payer) specific.
	SNIP int
	// Description says what the rule checks.
	Description string
}

// rule is a Rule with its check.
type rule struct {
	Rule
	check func(*checker, *billing.Claim)
}

// Rules lists every rule, in the order they run.
func Rules() []Rule {
	t := ruleTable()
	out := make([]Rule, len(t))
	for i, r := range t {
		out[i] = r.Rule
	}
	return out
}

// RuleTable renders Rules as a Markdown table (id, SNIP type, description), as
// README.md prints it.
func RuleTable() string {
	var b strings.Builder
	b.WriteString("| rule | SNIP | checks |\n| --- | --- | --- |\n")
	for _, r := range Rules() {
		b.WriteString("| `" + r.ID + "` | " + strconv.Itoa(r.SNIP) + " | " + strings.ReplaceAll(r.Description, "|", "\\|") + " |\n")
	}
	return b.String()
}

// ruleTable is the table of rules: claim-level rules first, then line-level rules,
// code-set rules, coordination of benefits and payer rules, and last what the 837P
// builder would still refuse.
func ruleTable() []rule {
	return []rule{
		{Rule{"pcn-format", 2, "Patient control number (CLM01) present, at most 20 characters; warning above 17, which some payers truncate"}, checkPCNFormat},
		{Rule{"pcn-unique", 7, "Patient control number unique within the batch and, on original claims, not already used by an accepted claim"}, checkPCNUnique},
		{Rule{"claim-frequency", 4, "Frequency code (CLM05-3) 1, 7 or 8; replacements and voids carry the payer's claim number (REF*F8)"}, checkFrequency},
		{Rule{"billed-coverage", 2, "A coverage to bill: at least one coverage without an earlier payer's adjudication"}, checkBilledCoverage},
		{Rule{"member-id", 7, "Member id (NM109) of each coverage present, letters, digits and dashes, and in the billed payer's format"}, checkMemberID},
		{Rule{"birth-date", 4, "Patient and subscriber birth dates (DMG02) present for the patient, real dates, not in the future nor after the date of service"}, checkBirthDate},
		{Rule{"npi-check-digit", 5, "NPIs (NM109) of billing, referring, rendering, facility and supervising providers: 10 digits with a valid check digit; billing NPI required"}, checkNPI},
		{Rule{"taxonomy-format", 5, "Provider taxonomy codes (PRV03): nine letters or digits then X, and in the NUCC list when loaded"}, checkTaxonomyFormat},
		{Rule{"billing-address", 4, "Billing provider address (2010AA N3): present and a street address, never a P.O. box or lock box"}, checkBillingAddress},
		{Rule{"billing-zip", 7, "Billing provider ZIP code (2010AA N403): 9 digits; 5 digits is a warning"}, checkBillingZIP},
		{Rule{"tax-id-format", 2, "Billing provider tax id (2010AA REF02): 9 digits (Normalize removes hyphens), type (REF01) EI or SY"}, checkTaxID},
		{Rule{"address", 4, "Patient address (2010BA or 2010CA N3, N4) present; US addresses of the patient, subscribers and service facility with a state (N402) and a 5- or 9-digit ZIP code (N403)"}, checkAddresses},
		{Rule{"place-of-service", 5, "Place of service (CLM05-1, SV105): present on the claim, two digits, and an assigned CMS code when the list is loaded"}, checkPlaceOfService},
		{Rule{"diagnosis-count", 2, "Diagnoses (HI): at least 1, at most 12"}, checkDiagnosisCount},
		{Rule{"line-count", 2, "Service lines (LX): at least 1, at most 50"}, checkLineCount},
		{Rule{"charge-balance", 3, "Total charge (CLM02) equals the sum of the line charges (SV102)"}, checkChargeBalance},
		{Rule{"charge-positive", 2, "Total charge positive; line charges not negative (a zero line charge is a warning)"}, checkChargePositive},
		{Rule{"units-positive", 2, "Service units (SV104) not negative, unit code (SV103) UN or MJ"}, checkUnits},
		{Rule{"service-date", 4, "Dates of service (DTP*472) present, real dates, not in the future, the last not before the first"}, checkServiceDates},
		{Rule{"diagnosis-pointer", 4, "Diagnosis pointers (SV107): at most 4, each pointing at a diagnosis of the claim, none twice"}, checkDiagnosisPointers},
		{Rule{"line-control-number", 4, "Line item control numbers (REF*6R): at most 30 characters, unique within the claim"}, checkLineControlNumbers},
		{Rule{"procedure-format", 5, "Procedure codes (SV101-2): CPT 5 characters (99213, 3074F, 0042T), HCPCS Level II a letter A-V and 4 digits"}, checkProcedureFormat},
		{Rule{"modifier-format", 5, "Procedure modifiers (SV101-3 to -6): at most 4, each 2 letters or digits"}, checkModifierFormat},
		{Rule{"icd10-format", 5, "Diagnosis codes (HI): ICD-10-CM shape, without the dot; no ICD-9-CM"}, checkICD10Format},
		{Rule{"icd10-valid", 5, "Diagnosis codes valid and billable (not a header code) in the ICD-10-CM release of the date of service"}, checkICD10Valid},
		{Rule{"hcpcs-valid", 5, "HCPCS Level II codes known, already effective and not terminated on the date of service"}, checkHCPCSValid},
		{Rule{"modifier-valid", 5, "HCPCS Level II modifiers known, effective and not terminated on the date of service"}, checkModifierValid},
		{Rule{"cob-payer-id", 4, "Each earlier payer (2330B NM109) has its payer id"}, checkCOBPayerID},
		{Rule{"cob-balance", 3, "Earlier payers' amounts balance: CLM02 - claim CAS - line CAS = AMT*D, and per line SV102 - line CAS = SVD02; each adjustment reported once; a payer bypassed for cost avoidance has AMT*A8 = CLM02"}, checkCOBBalance},
		{Rule{"taxonomy-required", 7, "Billing and rendering provider taxonomy present when the payer requires it"}, checkTaxonomyRequired},
		{Rule{"prior-auth-missing", 7, "Prior authorization number (REF*G1) present on lines whose procedure the payer authorizes in advance"}, checkPriorAuthMissing},
		{Rule{"prior-auth-usage", 7, "Prior authorization covers the procedure and dates of service and has visits and units left, counting the batch"}, checkPriorAuthUsage},
		{Rule{"timely-filing", 7, "Claim sent within the payer's timely filing limit, or with a delay reason (CLM20)"}, checkTimelyFiling},
		{Rule{"837p-build", 2, "Anything else the 837P builder would refuse (x837p.Checker), each with its field: required fields (a subscriber when the relationship is not 18, the patient's birth date), the guide's codes (PAT01, DMG03, CLM11) and lengths (SV104), characters outside the X12 set (printable ASCII) and delimiters (* ^ : ~)"}, checkBuildable},
	}
}

// role is a provider's part in a claim, which names its loop and 277CA entity.
type role uint8

const (
	roleBilling role = iota
	roleReferring
	roleRendering
	roleFacility
	roleSupervising
	roleLineRendering // 2420A, per line
)

// of returns the claim's provider in role r (nil when none; roleLineRendering: nil).
func (r role) of(c *billing.Claim) *billing.Provider {
	switch r {
	case roleBilling:
		return &c.BillingProvider
	case roleReferring:
		return c.ReferringProvider
	case roleRendering:
		return c.RenderingProvider
	case roleFacility:
		return c.ServiceFacility
	case roleSupervising:
		return c.SupervisingProvider
	}
	return nil
}

// field is the model's name of the provider's field.
func (r role) field() string {
	switch r {
	case roleBilling:
		return "billing_provider"
	case roleReferring:
		return "referring_provider"
	case roleRendering, roleLineRendering:
		return "rendering_provider"
	case roleFacility:
		return "service_facility"
	}
	return "supervising_provider"
}

// loop is the 837P loop of the provider's NM1.
func (r role) loop() string {
	switch r {
	case roleBilling:
		return "2010AA"
	case roleReferring:
		return "2310A"
	case roleRendering:
		return "2310B"
	case roleFacility:
		return "2310C"
	case roleSupervising:
		return "2310D"
	}
	return "2420A"
}

// prv is where the provider's taxonomy goes (PRV03).
func (r role) prv() string {
	if r == roleBilling {
		return "2000A PRV03"
	}
	return r.loop() + " PRV03"
}

// entity is the 277CA entity identifier code (STC01-3).
func (r role) entity() string {
	switch r {
	case roleBilling:
		return "85"
	case roleReferring:
		return "DN"
	case roleFacility:
		return "77"
	case roleSupervising:
		return "DQ"
	}
	return "82"
}

// name is how a clerk calls the provider.
func (r role) name() string {
	switch r {
	case roleBilling:
		return "billing provider"
	case roleReferring:
		return "referring provider"
	case roleRendering:
		return "rendering provider"
	case roleFacility:
		return "service facility"
	case roleSupervising:
		return "supervising provider"
	}
	return "line's rendering provider"
}

// path is the path of the provider's field named name (line is used by
// roleLineRendering only).
func (r role) path(ck *checker, line int, name string) billing.Path {
	if r == roleLineRendering {
		return ck.linePath(line).Field(r.field()).Field(name)
	}
	return ck.path().Field(r.field()).Field(name)
}
