package x835

import (
	"time"

	"github.com/claimflow/claimflow/edi/guide"
)

// Version is the implementation guide of the 835s built and parsed here. The 835
// does not use ST03: GS08 carries the version.
const Version = "005010X221A1"

// CLP02 claim status codes.
const (
	StatusPrimary            = "1"  // processed as primary
	StatusSecondary          = "2"  // processed as secondary
	StatusTertiary           = "3"  // processed as tertiary
	StatusDenied             = "4"  // denied (patient not recognised, not forwarded)
	StatusPrimaryForwarded   = "19" // processed as primary, forwarded to another payer
	StatusSecondaryForwarded = "20" // processed as secondary, forwarded
	StatusTertiaryForwarded  = "21" // processed as tertiary, forwarded
	StatusReversal           = "22" // reversal of a previous payment
	StatusNotOurClaim        = "23" // not our claim, forwarded
	StatusPredetermination   = "25" // predetermination pricing only, no payment
)

// CAS01 claim adjustment group codes valid in the 835.
const (
	GroupContractual    = "CO" // contractual obligation: the provider writes it off
	GroupPatient        = "PR" // patient responsibility
	GroupOther          = "OA" // other adjustment
	GroupPayerInitiated = "PI" // payer-initiated reduction
)

// Remittance is one 835 transaction set: one payment (or notice) from one payer to
// one payee, with the claims it pays.
type Remittance struct {
	Payment        Payment   // BPR
	Trace          Trace     // TRN reassociation trace number
	Currency       string    // CUR02 (CUR01 PR), when not US dollars
	ReceiverID     string    // REF*EV: receiver identification
	VersionID      string    // REF*F2: version identification
	ProductionDate time.Time // DTM*405
	Payer          Payer     // loop 1000A
	Payee          Payee     // loop 1000B

	Claims              []ClaimPayment       // loops 2000/2100
	ProviderAdjustments []ProviderAdjustment // PLB

	// Origin is the envelope the 835 came in. Parse fills it; Build ignores it.
	Origin Origin
}

// Payment is the BPR segment: the money and how it moves.
type Payment struct {
	Handling    string // BPR01: C payment and remittance, D payment only, H notification only, I remittance only, P prenote, U split, X handler's option
	Amount      int64  // BPR02 total actual provider payment, cents (never negative)
	CreditDebit string // BPR03: C credit, D debit
	Method      string // BPR04: ACH, BOP, CHK, FWT, NON
	Format      string // BPR05: CCP (CCD+) or CTX

	Sender                BankAccount // BPR06-BPR09: the payer's bank
	PayerID               string      // BPR10 originating company identifier
	PayerSupplementalCode string      // BPR11
	Receiver              BankAccount // BPR12-BPR15: the provider's bank

	Date time.Time // BPR16: check issue or EFT effective date
}

// BankAccount is a bank and an account of the BPR.
type BankAccount struct {
	DFIQualifier     string // BPR06 / BPR12: 01 ABA routing, 04 Canadian
	DFI              string // BPR07 / BPR13: the bank's identifier
	AccountQualifier string // BPR08 / BPR14: DA demand deposit, SG savings
	Account          string // BPR09 / BPR15
}

// Trace is the TRN segment, which ties the remittance to the money (EFT or check).
type Trace struct {
	Type         string // TRN01: 1 current transaction trace numbers
	Number       string // TRN02: check or EFT trace number
	PayerID      string // TRN03: 1 followed by the payer's EIN
	Supplemental string // TRN04: originating company supplemental code
}

// Payer is loop 1000A.
type Payer struct {
	Name        string      // N102
	IDQualifier string      // N103: XV CMS plan id
	ID          string      // N104
	Address     Address     // N3, N4 (required)
	References  []Reference // REF: 2U payer id, EO, HI, NF
	Contacts    []Contact   // PER: CX business, BL technical (required), IC web site
}

// Identifier returns the payer's identifier: N104, else REF*2U, else "".
func (p *Payer) Identifier() string {
	if p.ID != "" {
		return p.ID
	}
	return referenceValue(p.References, "2U")
}

// Payee is loop 1000B.
type Payee struct {
	Name        string      // N102
	IDQualifier string      // N103: XX NPI, FI tax id, XV CMS plan id
	ID          string      // N104
	Address     Address     // N3, N4 (written when Line1 or City is set)
	References  []Reference // REF: TJ tax id, 0B, D3, PQ
	Delivery    *Delivery   // RDM remittance delivery method
}

// TaxID returns the payee's federal tax id: N104 when N103 is FI, else REF*TJ, else "".
func (p *Payee) TaxID() string {
	if p.IDQualifier == "FI" {
		return p.ID
	}
	return referenceValue(p.References, "TJ")
}

// Delivery is the RDM segment: how a separate remittance advice is delivered.
type Delivery struct {
	Method string // RDM01: BM by mail, EM e-mail, FT file transfer, OL on line
	Name   string // RDM02
	Number string // RDM03: communication number
}

// Address is an N3 and an N4 segment.
type Address struct {
	Line1, Line2       string // N301, N302
	City               string // N401
	State              string // N402
	Zip                string // N403
	Country            string // N404
	CountrySubdivision string // N407
}

// Contact is a PER segment.
type Contact struct {
	Function string   // PER01: CX, BL, IC
	Name     string   // PER02
	Numbers  []Number // PER03-PER08 (at most three)
}

// Number is a communication number of a PER segment.
type Number struct {
	Qualifier string // TE phone, EM e-mail, FX fax, UR web address, EX extension
	Value     string
}

// Reference is a REF segment.
type Reference struct {
	Qualifier string // REF01
	Value     string // REF02
}

// Date is a DTM segment.
type Date struct {
	Qualifier string // DTM01, e.g. 232 statement from, 472 service
	Date      time.Time
}

// Amount is an AMT segment.
type Amount struct {
	Qualifier string // AMT01, e.g. B6 allowed, I interest, AU coverage
	Amount    int64  // AMT02, cents
}

// Quantity is a QTY segment.
type Quantity struct {
	Qualifier string // QTY01
	Value     string // QTY02, as the file writes it
}

// ClaimPayment is loop 2100: what the payer did with one claim.
type ClaimPayment struct {
	// Header is LX01 of the loop 2000 holding the claim; consecutive claims with the
	// same number share one LX. Build writes 1 for 0.
	Header int

	PCN                   string // CLP01 patient control number (our CLM01)
	Status                string // CLP02 claim status code
	Charge                int64  // CLP03 total claim charge, cents (negative on a reversal)
	Paid                  int64  // CLP04 claim payment, cents (may be negative)
	PatientResponsibility int64  // CLP05, cents (written when not zero; not used on a reversal)
	FilingIndicator       string // CLP06 claim filing indicator
	PayerClaimNumber      string // CLP07 payer claim control number (ICN)
	FacilityCode          string // CLP08 facility type (place of service for professional claims)
	Frequency             string // CLP09 claim frequency code
	DRG                   string // CLP11 diagnosis related group
	DRGWeight             string // CLP12
	DischargeFraction     string // CLP13

	Adjustments []Adjustment // claim-level CAS

	Patient                Name  // NM1*QC
	Insured                *Name // NM1*IL
	Corrected              *Name // NM1*74 corrected patient or insured
	RenderingProvider      *Name // NM1*82
	CrossoverCarrier       *Name // NM1*TT: the payer the claim was forwarded to
	CorrectedPriorityPayer *Name // NM1*PR: the payer this payer thinks is primary
	OtherSubscriber        *Name // NM1*GB

	Inpatient  *Inpatient  // MIA
	Outpatient *Outpatient // MOA

	References []Reference // REF: other claim ids (F8, 1L, ...), then rendering provider ids
	Dates      []Date      // DTM: 232 and 233 statement dates, 036 coverage expiration, 050 received
	Contacts   []Contact   // PER*CX claim contact
	Amounts    []Amount    // AMT: AU coverage, I interest, F5 patient paid, ...
	Quantities []Quantity  // QTY

	Lines []ServicePayment // loop 2110
}

// Reversal reports whether the claim reverses an earlier payment (CLP02 22).
func (c *ClaimPayment) Reversal() bool { return c.Status == StatusReversal }

// Forwarded reports whether the payer forwarded the claim to another payer (CLP02
// 19, 20, 21 or 23; NM1*TT names it).
func (c *ClaimPayment) Forwarded() bool {
	switch c.Status {
	case StatusPrimaryForwarded, StatusSecondaryForwarded, StatusTertiaryForwarded, StatusNotOurClaim:
		return true
	}
	return false
}

// Date returns the claim's date with the DTM01 qualifier, or the zero time.
func (c *ClaimPayment) Date(qualifier string) time.Time { return dateOf(c.Dates, qualifier) }

// Amount returns the claim's AMT with the qualifier (I interest, AU coverage...).
func (c *ClaimPayment) Amount(qualifier string) (int64, bool) { return amountOf(c.Amounts, qualifier) }

// Remarks returns the claim-level remark codes (RARC) of MOA and MIA.
func (c *ClaimPayment) Remarks() []string {
	var out []string
	if c.Outpatient != nil {
		out = append(out, c.Outpatient.Remarks...)
	}
	if c.Inpatient != nil {
		out = append(out, c.Inpatient.Remarks...)
	}
	return out
}

// Name is an NM1 segment of loop 2100. NM101 is implied by the field holding it.
type Name struct {
	Type        string // NM102: 1 person, 2 organization
	Last        string // NM103: last or organization name
	First       string // NM104
	Middle      string // NM105
	Suffix      string // NM107
	IDQualifier string // NM108
	ID          string // NM109
}

// Adjustment is one reason of a CAS segment.
type Adjustment struct {
	Group    string // CAS01: CO, PR, OA, PI
	Reason   string // CARC, e.g. 45
	Amount   int64  // cents: positive reduces the payment, negative increases it
	Quantity string // units adjusted, as the file writes them
}

// Outpatient is the MOA segment.
type Outpatient struct {
	ReimbursementRate      string   // MOA01
	HCPCSPayable           int64    // MOA02, cents
	Remarks                []string // MOA03-MOA07 remark codes (RARC)
	ESRDPayment            int64    // MOA08, cents
	NonpayableProfessional int64    // MOA09, cents
}

// Inpatient is the MIA segment. Amounts are cents.
type Inpatient struct {
	CoveredDays                  string   // MIA01
	PPSOperatingOutlier          int64    // MIA02
	LifetimePsychiatricDays      string   // MIA03
	DRGAmount                    int64    // MIA04
	Remarks                      []string // MIA05, MIA20-MIA23 remark codes (RARC)
	DisproportionateShare        int64    // MIA06
	MSPPassThrough               int64    // MIA07
	PPSCapital                   int64    // MIA08
	CapitalFSPDRG                int64    // MIA09
	CapitalHSPDRG                int64    // MIA10
	CapitalDSHDRG                int64    // MIA11
	OldCapital                   int64    // MIA12
	CapitalIME                   int64    // MIA13
	OperatingHospitalSpecificDRG int64    // MIA14
	CostReportDays               string   // MIA15
	OperatingFederalSpecificDRG  int64    // MIA16
	CapitalOutlier               int64    // MIA17
	IndirectTeaching             int64    // MIA18
	NonpayableProfessional       int64    // MIA19
	CapitalException             int64    // MIA24
}

// ServicePayment is loop 2110: what the payer did with one service line.
type ServicePayment struct {
	Procedure         Procedure    // SVC01 adjudicated procedure
	Charge            int64        // SVC02 line item charge, cents
	Paid              int64        // SVC03 line item payment, cents
	RevenueCode       string       // SVC04
	Units             string       // SVC05 units paid
	OriginalProcedure *Procedure   // SVC06: the submitted procedure, when the payer changed it
	OriginalUnits     string       // SVC07 original units of service
	Dates             []Date       // DTM: 472 service date, 150 and 151 service period
	Adjustments       []Adjustment // line-level CAS
	LineControlNumber string       // REF*6R: our 837 REF*6R
	References        []Reference  // other REF: service ids, rendering provider ids, 0K policy
	Amounts           []Amount     // AMT: B6 allowed, KH late filing reduction, ...
	Quantities        []Quantity   // QTY
	Remarks           []Remark     // LQ
}

// Allowed returns AMT*B6, the allowed amount, and whether the line has one.
func (s *ServicePayment) Allowed() (int64, bool) { return amountOf(s.Amounts, "B6") }

// Date returns the line's date with the DTM01 qualifier, or the zero time.
func (s *ServicePayment) Date(qualifier string) time.Time { return dateOf(s.Dates, qualifier) }

// Procedure is a composite medical procedure identifier (C003).
type Procedure struct {
	Qualifier   string   // -1, e.g. HC
	Code        string   // -2
	Modifiers   []string // -3 to -6
	Description string   // -7 (SVC06 only)
}

// Remark is an LQ segment: a line-level remark.
type Remark struct {
	Qualifier string // LQ01: HE remittance advice remark code (RARC), RX NCPDP reject code
	Code      string // LQ02
}

// ProviderAdjustment is a PLB segment: money moved for the provider, not for a claim.
type ProviderAdjustment struct {
	ProviderID   string          // PLB01, the payee's NPI or other id
	FiscalPeriod time.Time       // PLB02: last day of the provider's fiscal year
	Adjustments  []PLBAdjustment // PLB03-PLB14 (Build writes more than six as several PLBs)
}

// PLBAdjustment is one adjustment of a PLB segment.
type PLBAdjustment struct {
	Reason    string // PLB03-1 adjustment reason, e.g. L6 interest, WO overpayment recovery
	Reference string // PLB03-2, e.g. the claim (CLP07 or CLP01) a recovery is for
	Amount    int64  // PLB04, cents: positive decreases the payment, negative increases it
}

// Origin is the envelope a parsed 835 came in and what the guide found wrong with it.
type Origin struct {
	SenderID, ReceiverID string // ISA06, ISA08 (trailing blanks trimmed)
	ISA13, GS06, ST02    string // the 835's own control numbers
	Test                 bool   // ISA15 T
	Errors               guide.List
	Unread               []string // values that could not be read, by position
	// Unmapped lists segments of the transaction set the model does not carry (TS3,
	// TS2, and segments the guide does not place), by ordinal and id: "12 TS3".
	Unmapped []string
}

func referenceValue(refs []Reference, qual string) string {
	for _, r := range refs {
		if r.Qualifier == qual {
			return r.Value
		}
	}
	return ""
}

func dateOf(ds []Date, qual string) time.Time {
	for _, d := range ds {
		if d.Qualifier == qual {
			return d.Date
		}
	}
	return time.Time{}
}

func amountOf(as []Amount, qual string) (int64, bool) {
	for _, a := range as {
		if a.Qualifier == qual {
			return a.Amount, true
		}
	}
	return 0, false
}
