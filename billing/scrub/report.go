package scrub

import (
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/billing"
)

// Severity says what a finding does to its claim: an Error holds it (it goes to the
// rejection queue instead of a batch), a Warning lets it go.
type Severity uint8

// The severities.
const (
	Warning Severity = iota + 1
	Error
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText renders the severity as String does, for JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one problem with one field of one claim.
type Finding struct {
	// Claim is the index of the claim in the batch checked.
	Claim int `json:"claim"`
	// PCN is the claim's patient control number (CLM01), to find it again.
	PCN string `json:"pcn"`
	// Line is the index of the service line in the claim, -1 for the claim as a whole.
	Line int `json:"line"`
	// Field is the model path of the field to fix, as
	// "claims[3].lines[1].procedure.modifiers[0]".
	Field billing.Path `json:"field"`
	// X12 is where the field goes in the 837P: loop and element, as "2400 SV101-3",
	// "2010AA NM109", "2300 CLM02", "2300 REF*G1".
	X12 string `json:"x12"`
	// Rule is the id of the rule that found the problem ("npi-check-digit"); see Rules.
	Rule string `json:"rule"`
	// Severity says whether the problem holds the claim.
	Severity Severity `json:"severity"`
	// STC is the 277CA claim status (category:status[:entity], as "A7:562:85") a
	// clearinghouse or payer typically answers the problem with; empty when the
	// problem rarely causes a front-end rejection.
	STC string `json:"stc,omitempty"`
	// Message says in plain words what is wrong and what to do. It never holds PHI:
	// no names, member ids, birth dates or dates of service; codes and NPIs are fine.
	Message string `json:"message"`
}

// String renders the finding on one line, as
// "claims[3].lines[1].procedure.modifiers[0] (2400 SV101-3): error modifier-format: ...".
func (f *Finding) String() string {
	var b strings.Builder
	b.WriteString(string(f.Field))
	if f.X12 != "" {
		b.WriteString(" (")
		b.WriteString(f.X12)
		b.WriteByte(')')
	}
	b.WriteString(": ")
	b.WriteString(f.Severity.String())
	b.WriteByte(' ')
	b.WriteString(f.Rule)
	b.WriteString(": ")
	b.WriteString(f.Message)
	return b.String()
}

// Releases names the code-set releases a claim's codes were checked against. A claim
// whose dates of service fall in two releases names both ("ICD-10-CM FY2025,
// ICD-10-CM FY2026"); an empty string means nothing of that kind was checked against
// a release (not loaded, no release covers the dates, or no code of that kind).
type Releases struct {
	ICD10CM string `json:"icd10cm,omitempty"`
	HCPCS   string `json:"hcpcs,omitempty"`
}

// Report is what Check found in a batch of claims.
type Report struct {
	// Findings are in claim order; within a claim, claim-level findings come first,
	// then each line's, each in the order of the rule table.
	Findings []Finding `json:"findings"`
	// Held lists, in ascending order, the indexes of the claims with at least one
	// Error: they must be fixed before they are sent.
	Held []int `json:"held"`
	// Notices say, once each, what could not be checked: a code set not loaded, dates
	// of service outside every loaded release.
	Notices []string `json:"notices,omitempty"`
	// Releases has one entry per claim checked: the releases its codes were checked
	// against.
	Releases []Releases `json:"releases"`
}

// IsHeld reports whether claim i has an Error.
func (r *Report) IsHeld(i int) bool {
	lo, hi := 0, len(r.Held)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if r.Held[m] < i {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(r.Held) && r.Held[lo] == i
}

// ClaimFindings returns the findings of claim i (a sub-slice of Findings).
func (r *Report) ClaimFindings(i int) []Finding {
	lo := 0
	for lo < len(r.Findings) && r.Findings[lo].Claim < i {
		lo++
	}
	hi := lo
	for hi < len(r.Findings) && r.Findings[hi].Claim == i {
		hi++
	}
	return r.Findings[lo:hi]
}
