package scrub

import (
	"fmt"
	"regexp"
	"slices"
)

// PayerRules holds the edits particular payers make (SNIP 7), by payer id: the
// 2010BB NM109 of the payer a claim is billed to.
type PayerRules map[string]PayerRule

// PayerRule is what one payer requires beyond the implementation guide.
type PayerRule struct {
	// PriorAuthorization lists the procedure codes (SV101-2) this payer pays only
	// with a prior authorization number (2300 or 2400 REF*G1).
	PriorAuthorization []string
	// RequireTaxonomy: the payer wants the billing provider's taxonomy (2000A
	// PRV*BI) and the rendering providers' (2310B, 2420A PRV*PE).
	RequireTaxonomy bool
	// MemberID is the shape of the payer's member ids (2010BA NM109).
	MemberID MemberIDRule
	// TimelyFilingDays is how many days after the date of service (for a claim to a
	// later payer: after the earlier payer's adjudication) the payer accepts the
	// claim; 0 means no limit is checked.
	TimelyFilingDays int
}

// MemberIDRule is the shape of a payer's member ids. Zero fields check nothing.
type MemberIDRule struct {
	// MinLength and MaxLength bound the length of the id.
	MinLength, MaxLength int
	// Alphanumeric allows only letters and digits.
	Alphanumeric bool
	// Pattern, when set, must match the whole id (New anchors it).
	Pattern *regexp.Regexp
	// Description says the shape in words for the clerk: "3 letters then 9 digits".
	// Never put a real member id here.
	Description string
}

// IsZero reports whether the rule checks nothing.
func (m *MemberIDRule) IsZero() bool {
	return m.MinLength == 0 && m.MaxLength == 0 && !m.Alphanumeric && m.Pattern == nil
}

// clone checks the rules and returns a copy New can keep: the caller may change its
// map afterwards without changing the scrubber.
func (pr PayerRules) clone() (map[string]*PayerRule, error) {
	out := make(map[string]*PayerRule, len(pr))
	for id, r := range pr {
		if id == "" {
			return nil, fmt.Errorf("%w: payer rules for an empty payer id", ErrOption)
		}
		if r.TimelyFilingDays < 0 {
			return nil, fmt.Errorf("%w: payer %s: negative timely filing days %d", ErrOption, id, r.TimelyFilingDays)
		}
		m := &r.MemberID
		if m.MinLength < 0 || m.MaxLength < 0 || (m.MaxLength > 0 && m.MinLength > m.MaxLength) {
			return nil, fmt.Errorf("%w: payer %s: member id length %d to %d", ErrOption, id, m.MinLength, m.MaxLength)
		}
		if m.Pattern != nil {
			re, err := regexp.Compile(`^(?:` + m.Pattern.String() + `)$`)
			if err != nil {
				return nil, fmt.Errorf("%w: payer %s: anchoring member id pattern: %w", ErrOption, id, err)
			}
			m.Pattern = re
		}
		r.PriorAuthorization = slices.Clone(r.PriorAuthorization)
		slices.Sort(r.PriorAuthorization)
		out[id] = &r
	}
	return out, nil
}

// needsAuthorization reports whether the payer wants a prior authorization for code.
func (r *PayerRule) needsAuthorization(code string) bool {
	if len(r.PriorAuthorization) == 0 {
		return false
	}
	_, ok := slices.BinarySearch(r.PriorAuthorization, code)
	return ok
}
