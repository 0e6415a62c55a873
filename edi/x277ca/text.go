package x277ca

import (
	"fmt"
	"strings"
)

// The plain-English meanings of the common claim status codes, in our own short
// words (X12-GUIDE.md section 5). The official code lists (claim status category,
// claim status, entity identifier) change on the X12 schedule and are loaded at run
// time elsewhere; these tables cover what a 277CA usually says.

var categoryTexts = map[string]string{
	"A0": "acknowledged: forwarded to another entity",
	"A1": "acknowledged: received, not yet accepted for adjudication",
	"A2": "accepted into the adjudication system",
	"A3": "rejected: returned as unprocessable",
	"A4": "not found",
	"A5": "accepted: split upon acceptance",
	"A6": "rejected: missing information",
	"A7": "rejected: invalid information",
	"A8": "rejected: relational field in error",
	"E0": "response not possible: error in the submitted request",
	"E1": "response not possible: system status",
	"E2": "information holder not responding: send again later",
	"E3": "correction required: relational fields in error",
	"E4": "trading partner agreement requirement not met",
}

var statusTexts = map[string]string{
	"0":   "no further status can be given electronically",
	"1":   "see the remittance advice for details",
	"3":   "adjudicated, waiting for the payment cycle",
	"16":  "forwarded to the entity",
	"17":  "forwarded by a third party to the entity",
	"18":  "the entity received it but returned an invalid status",
	"19":  "the entity acknowledges receipt",
	"20":  "accepted for processing",
	"21":  "missing or invalid information",
	"23":  "returned to the entity",
	"24":  "the entity is not approved as an electronic submitter",
	"25":  "the entity is not approved",
	"26":  "the entity was not found",
	"29":  "subscriber and policy or contract number do not match",
	"30":  "subscriber and subscriber id do not match",
	"31":  "subscriber and policyholder name do not match",
	"32":  "subscriber and policy or contract number not found",
	"33":  "subscriber and subscriber id not found",
	"34":  "subscriber and policyholder name not found",
	"35":  "claim not found",
	"54":  "duplicate of a claim already processed",
	"145": "the entity's specialty or taxonomy code",
	"158": "the entity's date of birth",
	"164": "the entity's contract or member number",
	"187": "the dates of service",
	"400": "the claim is out of balance",
	"401": "the source of payment is not valid",
	"402": "the amount must be greater than zero",
	"453": "the procedure code modifiers",
	"454": "the procedure code",
	"476": "the units of service",
	"477": "the diagnosis code pointer",
	"478": "the claim submitter's identifier",
	"479": "the other carrier's payer id",
	"562": "the entity's National Provider Identifier (NPI)",
}

var entityTexts = map[string]string{
	"03": "dependent",
	"40": "receiver",
	"41": "submitter",
	"77": "service facility",
	"82": "rendering provider",
	"85": "billing provider",
	"87": "pay-to provider",
	"AY": "clearinghouse",
	"DK": "ordering provider",
	"DN": "referring provider",
	"DQ": "supervising provider",
	"IL": "insured or subscriber",
	"PR": "payer",
	"QC": "patient",
}

// CategoryText returns the meaning of a claim status category code (STC01-1), or "".
func CategoryText(code string) string { return categoryTexts[code] }

// StatusCodeText returns the meaning of a common claim status code (STC01-2), or "".
func StatusCodeText(code string) string { return statusTexts[code] }

// EntityText returns the meaning of a common entity identifier code (STC01-3), or "".
func EntityText(code string) string { return entityTexts[code] }

// Text says what the status means in plain words, e.g. "A7:562:85 rejected: invalid
// information: the entity's National Provider Identifier (NPI) (billing provider)".
// Codes the tables do not know are given as codes.
func (c StatusCode) Text() string {
	var b strings.Builder
	b.WriteString(c.Category)
	if c.Code != "" {
		b.WriteString(":" + c.Code)
	}
	if c.Entity != "" {
		b.WriteString(":" + c.Entity)
	}
	b.WriteString(" ")
	if t := CategoryText(c.Category); t != "" {
		b.WriteString(t)
	} else {
		fmt.Fprintf(&b, "category %s", c.Category)
	}
	if c.Code != "" {
		if t := StatusCodeText(c.Code); t != "" {
			b.WriteString(": " + t)
		} else {
			fmt.Fprintf(&b, ": status %s", c.Code)
		}
	}
	if c.Entity != "" {
		if t := EntityText(c.Entity); t != "" {
			fmt.Fprintf(&b, " (%s)", t)
		} else {
			fmt.Fprintf(&b, " (entity %s)", c.Entity)
		}
	}
	return b.String()
}

// Text says what the STC means: its status and any further ones (STC10, STC11),
// separated by "; ". The free text of STC12 is not included (it may hold PHI).
func (s *Status) Text() string {
	codes := s.Codes()
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = c.Text()
	}
	return strings.Join(parts, "; ")
}
