package x277ca

import (
	"time"

	"github.com/claimflow/claimflow/edi/guide"
)

// Version is the implementation guide of the 277CAs built and parsed here.
const Version = "005010X214"

// STC03 action codes.
const (
	ActionAccept = "WQ" // accepted
	ActionReject = "U"  // rejected
)

// 2100A NM101 entity codes of the information source.
const (
	SourcePayer         = "PR"
	SourceClearinghouse = "AY"
)

// Ack is one 277CA: one information source answering one information receiver
// (one 2000A and its 2000B).
type Ack struct {
	BatchID string    // BHT03: the 277CA's own id
	Created time.Time // BHT04, BHT05 HHMM or HHMMSS (Build uses the envelope's time when zero)

	InformationSource Entity    // 2100A NM1: PR payer or AY clearinghouse (AY when Code is empty)
	Receipt           Receipt   // 2200A
	Submitter         Submitter // 2000B: the information receiver, us
	Providers         []Provider

	// Origin is the envelope the 277CA came in. Parse fills it; Build ignores it.
	Origin Origin
}

// Entity is an NM1 segment: a person or an organization with an identifier.
// Build writes the loop's fixed NM101 when Code is empty.
type Entity struct {
	Code        string // NM101 entity identifier code
	Type        string // NM102: 1 person, 2 organization
	Name        string // NM103: last or organization name
	First       string // NM104
	Middle      string // NM105
	Suffix      string // NM107
	IDQualifier string // NM108, e.g. 46, PI, XX, FI, MI
	ID          string // NM109
}

// Receipt is loop 2200A: the source's trace of the file and its dates.
type Receipt struct {
	Trace     string    // TRN02: the information source's trace identifier
	Received  time.Time // DTP*050: when the source received the claims
	Processed time.Time // DTP*009: when it processed them
}

// Totals are the accepted and rejected counts and amounts of a level (QTY and AMT).
// Zero means not sent.
type Totals struct {
	AcceptedCount  int   // QTY*90 (2200B) or QTY*QA (2200C)
	RejectedCount  int   // QTY*AA (2200B) or QTY*QC (2200C)
	AcceptedAmount int64 // AMT*YU, cents
	RejectedAmount int64 // AMT*YY, cents
}

// Submitter is loop 2000B: the information receiver (the claims' submitter) and
// the status of the batch.
type Submitter struct {
	Entity   Entity   // 2100B NM1*41
	Trace    string   // 2200B TRN02: the batch's id, our 837's BHT03
	Statuses []Status // 2200B STC
	Totals
}

// Provider is loop 2000C: a billing provider and its claims.
type Provider struct {
	Entity     Entity      // 2100C NM1*85: XX NPI or FI tax id
	Trace      string      // 2200C TRN02 (2200C is written only when Trace is set)
	Statuses   []Status    // 2200C STC
	References []Reference // 2200C REF: provider secondary identifiers
	Totals
	Claims []Claim
}

// Reference is a REF segment.
type Reference struct {
	Qualifier string // REF01
	Value     string // REF02
}

// Claim is loop 2200D: the status of one claim. Consecutive claims with the same
// patient share a 2000D level.
type Claim struct {
	Patient          Entity   // 2100D NM1*QC
	PCN              string   // TRN02: the 837's CLM01 patient control number
	Statuses         []Status // STC
	PayerClaimNumber string   // REF*1K: the payer's claim control number (ICN)
	ClearinghouseID  string   // REF*D9: the clearinghouse's trace number
	BillType         string   // REF*BLT: institutional bill type
	ServiceDates     Period   // DTP*472
	Lines            []Line   // loop 2220D
}

// Line is loop 2220D: the status of one service line.
type Line struct {
	Procedure          Procedure // SVC01
	Charge             int64     // SVC02 line item charge amount, cents
	RevenueCode        string    // SVC04
	Units              string    // SVC07 original units of service
	Statuses           []Status  // STC
	LineControlNumber  string    // REF*FJ: the 837's REF*6R
	PrescriptionNumber string    // REF*XZ
	ServiceDates       Period    // DTP*472
}

// Procedure is a composite medical procedure identifier (C003).
type Procedure struct {
	Qualifier string   // -1, e.g. HC
	Code      string   // -2
	Modifiers []string // -3 to -6
}

// Period is a date (D8) or a range of dates (RD8, when To is set).
type Period struct {
	From, To time.Time
}

// StatusCode is one health care claim status composite (C043).
type StatusCode struct {
	Category  string // -1: claim status category code, e.g. A7
	Code      string // -2: claim status code, e.g. 562
	Entity    string // -3: entity identifier code, e.g. 85
	Qualifier string // -4: code list qualifier (not used by 005010X214)
}

// Status is an STC segment.
type Status struct {
	StatusCode              // STC01
	Date       time.Time    // STC02 effective date (claim, batch levels)
	Action     string       // STC03: WQ accepted, U rejected
	Charge     int64        // STC04 total charge, cents (written at every level but the line)
	More       []StatusCode // STC10 and STC11 (at most two)
	FreeText   string       // STC12
}

// Codes returns STC01 and the further statuses of STC10 and STC11.
func (s *Status) Codes() []StatusCode {
	return append([]StatusCode{s.StatusCode}, s.More...)
}

// Rejected reports whether any status of the STC is a rejection (A3, A6, A7, A8).
func (s *Status) Rejected() bool {
	for _, c := range s.Codes() {
		if c.Rejected() {
			return true
		}
	}
	return false
}

// Accepted reports whether the STC acknowledges or accepts (A0, A1, A2, A5) and
// rejects nothing.
func (s *Status) Accepted() bool { return s.StatusCode.Accepted() && !s.Rejected() }

// Rejected reports whether the category is a rejection (A3, A6, A7, A8).
func (c StatusCode) Rejected() bool {
	switch c.Category {
	case "A3", "A6", "A7", "A8":
		return true
	}
	return false
}

// Accepted reports whether the category acknowledges or accepts (A0, A1, A2, A5).
func (c StatusCode) Accepted() bool {
	switch c.Category {
	case "A0", "A1", "A2", "A5":
		return true
	}
	return false
}

// Rejected reports whether any status of the claim, or of one of its lines, is a
// rejection.
func (c *Claim) Rejected() bool {
	for i := range c.Statuses {
		if c.Statuses[i].Rejected() {
			return true
		}
	}
	for i := range c.Lines {
		for j := range c.Lines[i].Statuses {
			if c.Lines[i].Statuses[j].Rejected() {
				return true
			}
		}
	}
	return false
}

// Origin is the envelope a parsed 277CA came in and what the guide found wrong with it.
type Origin struct {
	SenderID, ReceiverID string // ISA06, ISA08 (trailing blanks trimmed)
	ISA13, GS06, ST02    string // the 277CA's own control numbers
	Test                 bool   // ISA15 T
	Errors               guide.List
	Unread               []string // values that could not be read, by position
}
