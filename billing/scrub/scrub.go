package scrub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/codes"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
)

// ErrOption is returned, wrapped, by New for an option it cannot use.
var ErrOption = errors.New("scrub: invalid option")

// Scrubber checks claims before they are sent. Build it with New; it does not change
// afterwards and is safe for concurrent use.
type Scrubber struct {
	codes   *codes.Set
	now     func() time.Time
	payers  map[string]*PayerRule
	auths   AuthorizationUsage
	history SubmittedPCNs
	off     []string
	rules   []rule
	build   *x837p.Checker // what the 837P builder refuses, with the batches' delimiters
	has     struct{ icd, hcpcs, pos, tax bool }
	// coverage says which dates of service the loaded releases answer for, for the
	// notices ("ICD-10-CM FY2025, ICD-10-CM FY2026: 2024-10-01 to 2026-09-30").
	icdCoverage, hcpcsCoverage string
}

// Option configures a Scrubber.
type Option func(*Scrubber) error

// WithCodes checks codes against the loaded code sets; nil (the default) checks their
// format only, and the report says so.
func WithCodes(set *codes.Set) Option {
	return func(s *Scrubber) error {
		s.codes = set
		return nil
	}
}

// WithClock sets the clock that says what "in the future" means (default time.Now);
// today is the date of its time in that time's location.
func WithClock(now func() time.Time) Option {
	return func(s *Scrubber) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrOption)
		}
		s.now = now
		return nil
	}
}

// WithPayerRules sets the payers' own edits. The scrubber keeps a copy.
func WithPayerRules(rules PayerRules) Option {
	return func(s *Scrubber) error {
		pr, err := rules.clone()
		if err != nil {
			return err
		}
		s.payers = pr
		return nil
	}
}

// WithAuthorizations checks prior authorizations against what is left of them.
func WithAuthorizations(u AuthorizationUsage) Option {
	return func(s *Scrubber) error {
		if u == nil {
			return fmt.Errorf("%w: nil authorization usage", ErrOption)
		}
		s.auths = u
		return nil
	}
}

// WithSubmittedPCNs also refuses patient control numbers already used by claims a
// payer accepted, on original claims (frequency 1).
func WithSubmittedPCNs(h SubmittedPCNs) Option {
	return func(s *Scrubber) error {
		if h == nil {
			return fmt.Errorf("%w: nil submitted PCNs", ErrOption)
		}
		s.history = h
		return nil
	}
}

// WithoutRules turns rules off by id (a clearinghouse that fixes the ZIP itself, a
// deployment that allows P.O. boxes).
func WithoutRules(ids ...string) Option {
	return func(s *Scrubber) error {
		s.off = append(s.off, ids...)
		return nil
	}
}

// New returns a Scrubber with the options applied.
func New(opts ...Option) (*Scrubber, error) {
	s := &Scrubber{now: time.Now}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	all := ruleTable()
	for _, id := range s.off {
		if !slices.ContainsFunc(all, func(r rule) bool { return r.ID == id }) {
			return nil, fmt.Errorf("%w: no rule %q to turn off", ErrOption, id)
		}
	}
	for _, r := range all {
		if !slices.Contains(s.off, r.ID) {
			s.rules = append(s.rules, r)
		}
	}
	build, err := x837p.NewChecker(x12.DefaultDelimiters)
	if err != nil {
		return nil, fmt.Errorf("scrub: %w", err)
	}
	s.build = build
	s.has.icd = s.codes.Has(codes.KindICD10CM)
	s.has.hcpcs = s.codes.Has(codes.KindHCPCS)
	s.has.pos = s.codes.Has(codes.KindPOS)
	s.has.tax = s.codes.Has(codes.KindTaxonomy)
	s.icdCoverage, s.hcpcsCoverage = coverage(s.codes)
	return s, nil
}

// coverage describes the dates of service the loaded ICD-10-CM and HCPCS releases
// answer for.
func coverage(set *codes.Set) (icd, hcpcs string) {
	var icdNames, hcpcsNames []string
	var icdFrom, icdTo, hcpcsTo codes.Date
	for _, r := range set.Loaded() {
		switch r.Kind {
		case codes.KindICD10CM:
			icdNames = append(icdNames, r.Name)
			if icdFrom == 0 || r.From < icdFrom {
				icdFrom = r.From
			}
			icdTo = max(icdTo, r.Through)
		case codes.KindHCPCS:
			hcpcsNames = append(hcpcsNames, r.Name)
			hcpcsTo = max(hcpcsTo, r.Through)
		}
	}
	if len(icdNames) > 0 {
		icd = strings.Join(icdNames, ", ") + " cover " + icdFrom.String() + " to " + icdTo.String()
	}
	if len(hcpcsNames) > 0 {
		hcpcs = strings.Join(hcpcsNames, ", ") + " cover dates of service through " + hcpcsTo.String()
	}
	return icd, hcpcs
}

// Check checks a batch of claims, which it expects normalized (billing.Claim.Normalize),
// and reports every problem found. Patient control numbers must be unique within the
// batch, and prior authorizations are counted across it. The error is not about the
// claims: it says that a usage store or the submitted-PCN store failed.
func (s *Scrubber) Check(ctx context.Context, claims []billing.Claim) (Report, error) {
	ck := &checker{s: s, ctx: ctx, today: billing.DateOf(s.now())}
	ck.rep.Releases = make([]Releases, len(claims))
	ck.pcns = make(map[string]int, len(claims))
	if s.history != nil {
		pcns := make([]string, len(claims))
		for i := range claims {
			pcns[i] = claims[i].PatientControlNumber
		}
		seen, err := s.history.Submitted(ctx, pcns)
		if err != nil {
			return Report{}, fmt.Errorf("scrub: reading submitted patient control numbers: %w", err)
		}
		if len(seen) != len(pcns) {
			return Report{}, fmt.Errorf("scrub: reading submitted patient control numbers: %d answers for %d claims", len(seen), len(pcns))
		}
		ck.submitted = seen
	}
	for i := range claims {
		ck.claim(i, &claims[i])
		if ck.err != nil {
			return Report{}, ck.err
		}
	}
	ck.notices()
	return ck.rep, nil
}

// CheckOne checks a single claim, as a batch of one (its findings name it claims[0]).
func (s *Scrubber) CheckOne(ctx context.Context, c *billing.Claim) (Report, error) {
	return s.Check(ctx, []billing.Claim{*c})
}

// checker is the state of one Check call.
type checker struct {
	s     *Scrubber
	ctx   context.Context
	rep   Report
	today billing.Date
	err   error // first error of a store

	// batch state
	pcns      map[string]int // patient control number -> first claim
	submitted []bool         // per claim: PCN already accepted (SubmittedPCNs)
	authUsed  map[authKey]authUse
	icdGap    gap
	hcpcsGap  gap
	sawCPT    bool // a CPT code was seen (format checks only)

	// the claim being checked
	i        int
	c        *billing.Claim
	rule     *Rule
	start    int // its first finding
	held     bool
	billed   int          // index of the billed coverage, -1 when none
	payer    *PayerRule   // the billed payer's rules, nil when none
	firstDOS billing.Date // the earliest valid date of service, zero when none
}

// authUse is what the batch has used of an authorization so far.
type authUse struct {
	visits int
	units  billing.Quantity
}

// gap counts the claims whose dates of service no loaded release covers.
type gap struct {
	claims int
	last   int // 1 + index of the last claim counted
}

func (g *gap) add(claim int) {
	if g.last != claim+1 {
		g.claims++
		g.last = claim + 1
	}
}

// claim runs every rule on claim i.
func (ck *checker) claim(i int, c *billing.Claim) {
	ck.i, ck.c = i, c
	ck.start = len(ck.rep.Findings)
	ck.held = false
	ck.billed = -1
	ck.payer = nil
	if k, ok := c.BilledCoverage(); ok {
		ck.billed = k
		ck.payer = ck.s.payers[c.Coverages[k].Payer.ID]
	}
	ck.firstDOS = billing.Date{}
	for j := range c.Lines {
		from := c.Lines[j].ServiceDates.From
		if from.Valid() && (ck.firstDOS.IsZero() || from.Before(ck.firstDOS)) {
			ck.firstDOS = from
		}
	}
	for k := range ck.s.rules {
		r := &ck.s.rules[k]
		ck.rule = &r.Rule
		r.check(ck, c)
		if ck.err != nil {
			return
		}
	}
	if f := ck.rep.Findings[ck.start:]; len(f) > 1 {
		slices.SortStableFunc(f, func(a, b Finding) int { return cmp.Compare(a.Line, b.Line) })
	}
	if ck.held {
		ck.rep.Held = append(ck.rep.Held, i)
	}
}

// add records a finding of the current rule. Rules call it only for a problem found,
// so that a clean claim builds no path and no message.
func (ck *checker) add(line int, field billing.Path, x12 string, sev Severity, stc, msg string) {
	if sev == Error {
		ck.held = true
	}
	ck.rep.Findings = append(ck.rep.Findings, Finding{
		Claim:    ck.i,
		PCN:      ck.c.PatientControlNumber,
		Line:     line,
		Field:    field,
		X12:      x12,
		Rule:     ck.rule.ID,
		Severity: sev,
		STC:      stc,
		Message:  msg,
	})
}

// path returns the path of the claim being checked.
func (ck *checker) path() billing.Path { return billing.ClaimPath(ck.i) }

// linePath returns the path of line j of the claim being checked.
func (ck *checker) linePath(j int) billing.Path { return ck.path().At("lines", j) }

// release records that the claim's codes were checked against a release.
func release(have *string, name string) {
	switch {
	case name == "" || *have == name:
	case *have == "":
		*have = name
	case !strings.Contains(*have, name):
		*have += ", " + name
	}
}

// notices says, once each, what the batch could not check.
func (ck *checker) notices() {
	s := ck.s
	if !s.has.icd {
		ck.rep.Notices = append(ck.rep.Notices, "ICD-10-CM not loaded: diagnosis codes checked for format only")
	}
	if !s.has.hcpcs {
		ck.rep.Notices = append(ck.rep.Notices, "HCPCS Level II not loaded: HCPCS codes and modifiers checked for format only")
	}
	if !s.has.pos {
		ck.rep.Notices = append(ck.rep.Notices, "place of service list not loaded: place of service codes checked for format only")
	}
	if !s.has.tax {
		ck.rep.Notices = append(ck.rep.Notices, "NUCC taxonomy not loaded: taxonomy codes checked for format only")
	}
	if n := ck.icdGap.claims; n > 0 {
		ck.rep.Notices = append(ck.rep.Notices, "ICD-10-CM not checked for "+claimsText(n)+
			" with dates of service outside the loaded releases ("+s.icdCoverage+
			"): their diagnosis codes were checked for format only; load the release for those dates")
	}
	if n := ck.hcpcsGap.claims; n > 0 {
		ck.rep.Notices = append(ck.rep.Notices, "HCPCS Level II not checked for "+claimsText(n)+
			" with dates of service after the loaded releases ("+s.hcpcsCoverage+
			"): their HCPCS codes and modifiers were checked for format only; load the current quarter")
	}
	if ck.sawCPT {
		ck.rep.Notices = append(ck.rep.Notices,
			"CPT codes and CPT modifiers checked for format only: CPT is licensed by the AMA and never loaded")
	}
}

func claimsText(n int) string {
	if n == 1 {
		return "1 claim"
	}
	return strconv.Itoa(n) + " claims"
}

// dosTime returns the date of service as the time the code-set lookups take.
func dosTime(d billing.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}
