package x835_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/fixtures"
)

func env() x835.Envelope {
	return x835.Envelope{
		SenderID: "DEMOCH", ReceiverID: "CLAIMFLOWDEMO", Test: true,
		Time:         time.Date(2025, 3, 28, 6, 10, 0, 0, time.UTC),
		Interchanges: &x12.Counter{N: 300},
	}
}

func day(m time.Month, d int) time.Time { return time.Date(2025, m, d, 0, 0, 0, 0, time.UTC) }

func header() x835.Remittance {
	return x835.Remittance{
		Payment: x835.Payment{
			Handling: "I", CreditDebit: "C", Method: "ACH", Format: "CCP",
			Sender:   x835.BankAccount{DFIQualifier: "01", DFI: "111111118", AccountQualifier: "DA", Account: "1234567890"},
			PayerID:  "1990000101",
			Receiver: x835.BankAccount{DFIQualifier: "01", DFI: "122222229", AccountQualifier: "DA", Account: "000123456789"},
			Date:     day(3, 28),
		},
		Trace:          x835.Trace{Type: "1", Number: "1000000101", PayerID: "1990000101"},
		ReceiverID:     "CLAIMFLOWDEMO",
		ProductionDate: day(3, 27),
		Payer: x835.Payer{
			Name:       "ACME HEALTH PLAN",
			Address:    x835.Address{Line1: "100 INSURANCE WAY", City: "COLUMBUS", State: "OH", Zip: "432150001"},
			References: []x835.Reference{{Qualifier: "2U", Value: "AHP01"}},
			Contacts: []x835.Contact{
				{Function: "CX", Name: "PROVIDER SERVICES", Numbers: []x835.Number{{Qualifier: "TE", Value: "8005550100"}, {Qualifier: "EX", Value: "12"}}},
				{Function: "BL", Name: "EDI SUPPORT", Numbers: []x835.Number{{Qualifier: "TE", Value: "8005550199"}, {Qualifier: "EM", Value: "EDI@EXAMPLE.COM"}}},
				{Function: "IC", Numbers: []x835.Number{{Qualifier: "UR", Value: "WWW.EXAMPLE.COM"}}},
			},
		},
		Payee: x835.Payee{
			Name: "EXAMPLE FAMILY MEDICINE", IDQualifier: "XX", ID: "1234567893",
			Address:    x835.Address{Line1: "123 MAIN ST", Line2: "SUITE 4", City: "SPRINGFIELD", State: "IL", Zip: "627011234"},
			References: []x835.Reference{{Qualifier: "TJ", Value: "991234567"}},
		},
	}
}

func patient(last, first, id string) x835.Name {
	return x835.Name{Type: "1", Last: last, First: first, IDQualifier: "MI", ID: id}
}

// paid is the worked example of X12-GUIDE.md 6.6, with interest.
func paid() x835.ClaimPayment {
	return x835.ClaimPayment{
		Header: 1, PCN: "A17", Status: x835.StatusPrimary, Charge: 20000, Paid: 12000, PatientResponsibility: 3000,
		FilingIndicator: "12", PayerClaimNumber: "ICN1", FacilityCode: "11", Frequency: "1",
		Patient:           patient("SAMPLE", "ALEX", "XYZ100000001"),
		Insured:           &x835.Name{Type: "1", Last: "SAMPLE", First: "JORDAN", Middle: "Q", Suffix: "JR", IDQualifier: "MI", ID: "XYZ100000000"},
		RenderingProvider: &x835.Name{Type: "1", Last: "DEMO", First: "CASEY", IDQualifier: "XX", ID: "1932104098"},
		References:        []x835.Reference{{Qualifier: "1L", Value: "GRP12345"}, {Qualifier: "1G", Value: "A12345"}},
		Dates:             []x835.Date{{Qualifier: "232", Date: day(3, 3)}, {Qualifier: "233", Date: day(3, 3)}, {Qualifier: "050", Date: day(3, 10)}},
		Amounts:           []x835.Amount{{Qualifier: "I", Amount: 215}, {Qualifier: "AU", Amount: 15000}},
		Lines: []x835.ServicePayment{{
			Procedure: x835.Procedure{Qualifier: "HC", Code: "99213", Modifiers: []string{"25", "GT"}},
			Charge:    20000, Paid: 12000, Units: "1",
			Dates:             []x835.Date{{Qualifier: "472", Date: day(3, 3)}},
			Adjustments:       []x835.Adjustment{{Group: "CO", Reason: "45", Amount: 5000}, {Group: "PR", Reason: "2", Amount: 3000}},
			LineControlNumber: "A17L1",
			References:        []x835.Reference{{Qualifier: "HPI", Value: "1932104098"}},
			Amounts:           []x835.Amount{{Qualifier: "B6", Amount: 15000}},
		}},
	}
}

// reversal takes back an earlier payment of A18: negated amounts, the original CAS
// negated, no CLP05.
func reversal() x835.ClaimPayment {
	return x835.ClaimPayment{
		Header: 1, PCN: "A18", Status: x835.StatusReversal, Charge: -20000, Paid: -12000,
		FilingIndicator: "12", PayerClaimNumber: "ICN2", FacilityCode: "11", Frequency: "1",
		Patient: patient("EXAMPLE", "TAYLOR", "XYZ200000002"),
		Lines: []x835.ServicePayment{{
			Procedure: x835.Procedure{Qualifier: "HC", Code: "99214"}, Charge: -20000, Paid: -12000, Units: "1",
			Dates:             []x835.Date{{Qualifier: "472", Date: day(2, 3)}},
			Adjustments:       []x835.Adjustment{{Group: "CO", Reason: "45", Amount: -5000}, {Group: "PR", Reason: "2", Amount: -3000}},
			LineControlNumber: "A18L1",
		}},
	}
}

// correction pays A18 again, as if it were the original.
func correction() x835.ClaimPayment {
	return x835.ClaimPayment{
		Header: 1, PCN: "A18", Status: x835.StatusPrimary, Charge: 20000, Paid: 13000, PatientResponsibility: 3000,
		FilingIndicator: "12", PayerClaimNumber: "ICN3", FacilityCode: "11", Frequency: "1",
		Patient:    patient("EXAMPLE", "TAYLOR", "XYZ200000002"),
		Outpatient: &x835.Outpatient{Remarks: []string{"N130"}},
		References: []x835.Reference{{Qualifier: "F8", Value: "ICN2"}},
		Lines: []x835.ServicePayment{{
			Procedure: x835.Procedure{Qualifier: "HC", Code: "99214"}, Charge: 20000, Paid: 13000, Units: "1",
			Dates:             []x835.Date{{Qualifier: "472", Date: day(2, 3)}},
			Adjustments:       []x835.Adjustment{{Group: "CO", Reason: "45", Amount: 4000}, {Group: "PR", Reason: "2", Amount: 3000}},
			LineControlNumber: "A18L1",
		}},
	}
}

// crossover was paid as primary and forwarded to a Medigap plan, without lines.
func crossover() x835.ClaimPayment {
	return x835.ClaimPayment{
		Header: 2, PCN: "A19", Status: x835.StatusPrimaryForwarded, Charge: 10000, Paid: 7000, PatientResponsibility: 1000,
		FilingIndicator: "MB", PayerClaimNumber: "ICN4", FacilityCode: "11", Frequency: "1",
		Adjustments:      []x835.Adjustment{{Group: "CO", Reason: "45", Amount: 2000}, {Group: "PR", Reason: "1", Amount: 1000, Quantity: "1"}},
		Patient:          patient("EXAMPLE", "RILEY", "XYZ300000003"),
		CrossoverCarrier: &x835.Name{Type: "2", Last: "MEDIGAP PLAN", IDQualifier: "PI", ID: "MG001"},
		Outpatient:       &x835.Outpatient{ReimbursementRate: "0.8", HCPCSPayable: 8000, Remarks: []string{"MA18", "MA01"}},
		Dates:            []x835.Date{{Qualifier: "232", Date: day(3, 1)}, {Qualifier: "036", Date: day(12, 31)}},
	}
}

// denial pays nothing: CO-50 with a remark, claim and line.
func denial() x835.ClaimPayment {
	return x835.ClaimPayment{
		Header: 2, PCN: "A20", Status: x835.StatusPrimary, Charge: 15000, Paid: 0,
		FilingIndicator: "12", PayerClaimNumber: "ICN5", FacilityCode: "11", Frequency: "1",
		Patient:                patient("EXAMPLE", "MORGAN", "XYZ400000004"),
		CorrectedPriorityPayer: &x835.Name{Type: "2", Last: "OTHER HEALTH PLAN", IDQualifier: "PI", ID: "OHP02"},
		Outpatient:             &x835.Outpatient{Remarks: []string{"N130"}},
		Contacts:               []x835.Contact{{Function: "CX", Name: "APPEALS", Numbers: []x835.Number{{Qualifier: "TE", Value: "8005550111"}}}},
		Lines: []x835.ServicePayment{{
			Procedure: x835.Procedure{Qualifier: "HC", Code: "97110", Modifiers: []string{"GP"}},
			Charge:    15000, Units: "4",
			OriginalProcedure: &x835.Procedure{Qualifier: "HC", Code: "97112", Description: "NEUROMUSCULAR REEDUCATION"},
			OriginalUnits:     "5",
			Dates:             []x835.Date{{Qualifier: "150", Date: day(3, 4)}, {Qualifier: "151", Date: day(3, 6)}},
			Adjustments:       []x835.Adjustment{{Group: "CO", Reason: "50", Amount: 15000, Quantity: "4"}},
			LineControlNumber: "A20L1",
			Remarks:           []x835.Remark{{Qualifier: "HE", Code: "N130"}, {Qualifier: "HE", Code: "M15"}},
		}},
	}
}

// bundled has seven CO reasons on one line: two CAS segments.
func bundled() x835.ClaimPayment {
	var adj []x835.Adjustment
	for i, reason := range []string{"45", "97", "4", "5", "6", "11", "253"} {
		adj = append(adj, x835.Adjustment{Group: "CO", Reason: reason, Amount: int64(100 * (i + 1))})
	}
	return x835.ClaimPayment{
		Header: 2, PCN: "A21", Status: x835.StatusSecondary, Charge: 5000, Paid: 2200,
		FilingIndicator: "HM", PayerClaimNumber: "ICN6",
		Patient: patient("EXAMPLE", "JESSE", "XYZ500000005"),
		Lines: []x835.ServicePayment{{
			Procedure: x835.Procedure{Qualifier: "HC", Code: "99212"}, Charge: 5000, Paid: 2200,
			Adjustments: adj,
		}},
	}
}

// full is a balanced remittance with every kind of claim and provider adjustments:
// interest owed (L6, negative: it increases the payment) and an overpayment recovery
// (WO, with the claim it recovers).
func full() x835.Remittance {
	r := header()
	r.Claims = []x835.ClaimPayment{paid(), reversal(), correction(), crossover(), denial(), bundled()}
	r.ProviderAdjustments = []x835.ProviderAdjustment{{
		ProviderID: "1234567893", FiscalPeriod: day(12, 31),
		Adjustments: []x835.PLBAdjustment{{Reason: "L6", Reference: "A17", Amount: -215}, {Reason: "WO", Reference: "ICN0099", Amount: 5000}},
	}}
	// 120 - 120 + 130 + 70 + 0 + 22 = 222; less PLB 47.85 = 174.15
	r.Payment.Amount = 17415
	return r
}

// notification is a remittance without money (BPR01 H).
func notification() x835.Remittance {
	r := header()
	r.Payment = x835.Payment{Handling: "H", CreditDebit: "C", Method: "NON", Date: day(3, 28)}
	r.Trace.Number = "REMIT0002"
	r.Currency = "USD"
	r.VersionID = "V2"
	r.Payer.ID, r.Payer.IDQualifier = "12345", "XV"
	r.Payee = x835.Payee{Name: "EXAMPLE FAMILY MEDICINE", IDQualifier: "FI", ID: "991234567",
		Delivery: &x835.Delivery{Method: "EM", Name: "BILLING OFFICE", Number: "BILLING@EXAMPLE.COM"}}
	c := denial()
	c.Header = 1
	c.Status = x835.StatusDenied
	c.Inpatient = &x835.Inpatient{CoveredDays: "0", Remarks: []string{"MA130", "N56"}, DRGAmount: 150, CostReportDays: "2", CapitalException: 1}
	r.Claims = []x835.ClaimPayment{c}
	return r
}

// build writes rems, checks the 835 against the guide and parses it back.
func build(t testing.TB, rems ...x835.Remittance) ([]x835.Remittance, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := x835.Build(&buf, env(), rems...); err != nil {
		t.Fatal(err)
	}
	errs, err := guide.Validate(bytes.NewReader(buf.Bytes()), guide.MustDefault())
	if err != nil || len(errs) > 0 {
		t.Fatalf("the 835 does not validate: %v\n%v\n%s", err, errs, strings.ReplaceAll(buf.String(), "~", "~\n"))
	}
	if strings.Contains(buf.String(), "ST*835*0001*") {
		t.Errorf("ST03 is not used in the 835")
	}
	got, err := x835.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		o := got[i].Origin
		if o.ISA13 != "000000301" || o.GS06 != "1" || o.ST02 != fmt.Sprintf("%04d", i+1) || o.SenderID != "DEMOCH" ||
			len(o.Errors) > 0 || len(o.Unread) > 0 || len(o.Unmapped) > 0 {
			t.Errorf("origin %+v", o)
		}
		got[i].Origin = x835.Origin{}
	}
	return got, buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rems []x835.Remittance
	}{
		{"worked example", func() []x835.Remittance {
			r := header()
			r.Claims = []x835.ClaimPayment{paid()}
			r.Payment.Amount = 12000
			return []x835.Remittance{r}
		}()},
		{"every kind of claim", []x835.Remittance{full()}},
		{"several remittances", []x835.Remittance{full(), notification()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, out := build(t, tc.rems...)
			if !reflect.DeepEqual(got, tc.rems) {
				for i := range min(len(got), len(tc.rems)) {
					for j := range min(len(got[i].Claims), len(tc.rems[i].Claims)) {
						if !reflect.DeepEqual(got[i].Claims[j], tc.rems[i].Claims[j]) {
							t.Errorf("claim %d.%d:\n got %+v\nwant %+v", i, j, got[i].Claims[j], tc.rems[i].Claims[j])
						}
					}
				}
				t.Fatalf("round trip:\n got %+v\nwant %+v\n%s", got, tc.rems, out)
			}
			for i := range got {
				if probs := x835.Balance(&got[i]); len(probs) > 0 {
					t.Errorf("remittance %d does not balance: %v", i, probs)
				}
			}
		})
	}
}

func TestBuildOrdersAndSplits(t *testing.T) {
	t.Parallel()
	r := full()
	// The claim's REF and DTM given out of the guide's order are written in it.
	c := &r.Claims[0]
	c.References = []x835.Reference{{Qualifier: "1G", Value: "A12345"}, {Qualifier: "1L", Value: "GRP12345"}}
	c.Dates = []x835.Date{{Qualifier: "050", Date: day(3, 10)}, {Qualifier: "232", Date: day(3, 3)}, {Qualifier: "233", Date: day(3, 3)}}
	r.Payer.Contacts[0], r.Payer.Contacts[1] = r.Payer.Contacts[1], r.Payer.Contacts[0]
	got, out := build(t, r)
	if want := full(); !reflect.DeepEqual(got[0], want) {
		t.Errorf("not in the guide's order:\n got %+v\nwant %+v", got[0], want)
	}
	if !strings.Contains(string(out), "CAS*CO*45*1**97*2**4*3**5*4**6*5**11*6~CAS*CO*253*7~") {
		t.Errorf("seven CO adjustments must take two CAS segments:\n%s", out)
	}
	// More than six provider adjustments take several PLBs.
	r = header()
	r.Claims = []x835.ClaimPayment{paid()}
	pa := x835.ProviderAdjustment{ProviderID: "1234567893", FiscalPeriod: day(12, 31)}
	for i := range 8 {
		pa.Adjustments = append(pa.Adjustments, x835.PLBAdjustment{Reason: "CS", Reference: fmt.Sprintf("R%d", i), Amount: 100})
	}
	r.ProviderAdjustments = []x835.ProviderAdjustment{pa}
	r.Payment.Amount = 12000 - 800
	got, _ = build(t, r)
	if n := len(got[0].ProviderAdjustments); n != 2 || len(got[0].ProviderAdjustments[0].Adjustments) != 6 {
		t.Errorf("got %d PLBs: %+v", n, got[0].ProviderAdjustments)
	}
	if probs := x835.Balance(&got[0]); len(probs) > 0 {
		t.Error(probs)
	}
}

// TestSample reads the fixtures' hand-written 835: it balances, and Build gives it
// back byte for byte.
func TestSample(t *testing.T) {
	t.Parallel()
	sample := fixtures.Sample("835-basic.x12")
	rems, err := x835.Parse(bytes.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(rems) != 1 || len(rems[0].Claims) != 2 || rems[0].Payment.Amount != 23615 {
		t.Fatalf("got %+v", rems)
	}
	if probs := x835.Balance(&rems[0]); len(probs) > 0 {
		t.Errorf("the sample does not balance: %v", probs)
	}
	l := rems[0].Claims[1].Lines[2]
	if l.LineControlNumber != "DEMO0002L3" || l.Paid != 0 || l.Adjustments[0].Text() == "" || l.Remarks[0] != (x835.Remark{Qualifier: "HE", Code: "M15"}) {
		t.Errorf("denied line: %+v", l)
	}
	if v, ok := rems[0].Claims[1].Amount("I"); !ok || v != 215 {
		t.Errorf("interest %d %v", v, ok)
	}
	if a, ok := rems[0].Claims[0].Lines[0].Allowed(); !ok || a != 15000 {
		t.Errorf("allowed %d %v", a, ok)
	}
	if rems[0].Payer.Identifier() != "AHP01" || rems[0].Payee.TaxID() != "991234567" {
		t.Errorf("payer %q payee %q", rems[0].Payer.Identifier(), rems[0].Payee.TaxID())
	}
	var buf bytes.Buffer
	e := env()
	e.Groups, e.Newline = &x12.Counter{N: 300}, true
	if err := x835.Build(&buf, e, rems...); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), sample) {
		t.Errorf("Build(Parse(sample)) differs:\n%s\nwant\n%s", buf.Bytes(), sample)
	}
}

func TestBalance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(r *x835.Remittance)
		want   []x835.Problem
	}{
		{"balanced", func(r *x835.Remittance) {}, nil},
		{"line paid too much", func(r *x835.Remittance) {
			r.Claims[0].Lines[0].Paid += 100
		}, []x835.Problem{{Kind: x835.LineBalance, Claim: 0, PCN: "A17", Line: 0, Got: 12100, Want: 12000}}},
		{"line adjustment missing", func(r *x835.Remittance) {
			r.Claims[2].Lines[0].Adjustments = r.Claims[2].Lines[0].Adjustments[:1] // drop PR-2 30.00
		}, []x835.Problem{
			{Kind: x835.LineBalance, Claim: 2, PCN: "A18", Line: 0, Got: 13000, Want: 16000},
			{Kind: x835.ClaimBalance, Claim: 2, PCN: "A18", Line: -1, Got: 13000, Want: 16000},
			{Kind: x835.PatientResponsibility, Claim: 2, PCN: "A18", Line: -1, Got: 3000, Want: 0},
		}},
		{"claim paid differs from its lines", func(r *x835.Remittance) {
			r.Claims[0].Paid = 11000
			r.Payment.Amount -= 1000
		}, []x835.Problem{{Kind: x835.ClaimBalance, Claim: 0, PCN: "A17", Line: -1, Got: 11000, Want: 12000}}},
		{"claim without lines", func(r *x835.Remittance) {
			r.Claims[3].Adjustments[0].Amount = 2500 // CO-45 25.00: 100 - 25 - 10 = 65, not 70
		}, []x835.Problem{{Kind: x835.ClaimBalance, Claim: 3, PCN: "A19", Line: -1, Got: 7000, Want: 6500}}},
		{"patient responsibility without PR", func(r *x835.Remittance) {
			r.Claims[4].PatientResponsibility = 500
		}, []x835.Problem{{Kind: x835.PatientResponsibility, Claim: 4, PCN: "A20", Line: -1, Got: 500, Want: 0}}},
		{"PR without CLP05", func(r *x835.Remittance) {
			r.Claims[0].PatientResponsibility = 0
		}, []x835.Problem{{Kind: x835.PatientResponsibility, Claim: 0, PCN: "A17", Line: -1, Got: 0, Want: 3000}}},
		{"reversal carries no CLP05", func(r *x835.Remittance) {
			r.Claims[1].PatientResponsibility = 0 // as it is: the negated PR-2 is not a problem
		}, nil},
		{"interest not counted", func(r *x835.Remittance) {
			r.ProviderAdjustments[0].Adjustments = r.ProviderAdjustments[0].Adjustments[1:] // drop L6 -2.15
		}, []x835.Problem{{Kind: x835.TransactionBalance, Claim: -1, Line: -1, Got: 17415, Want: 17200}}},
		{"total paid differs", func(r *x835.Remittance) {
			r.Payment.Amount = 17400
		}, []x835.Problem{{Kind: x835.TransactionBalance, Claim: -1, Line: -1, Got: 17400, Want: 17415}}},
		{"debit", func(r *x835.Remittance) {
			r.ProviderAdjustments[0].Adjustments[1].Amount = 30000 // recover 300.00: net -75.85
			r.Payment.Amount, r.Payment.CreditDebit = 7585, "D"
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := full()
			tc.change(&r)
			got := x835.Balance(&r)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
			for _, p := range got {
				if p.Error() == "" || strings.Contains(p.Error(), "SAMPLE") {
					t.Errorf("message %q", p.Error())
				}
			}
		})
	}
}

func TestTexts(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"1", "2", "3", "4", "5", "6", "11", "16", "18", "22", "23", "24", "26", "27", "29", "31", "45", "50",
		"96", "97", "109", "119", "197", "204", "253"} {
		if x835.CARCText(c) == "" {
			t.Errorf("no text for CARC %s", c)
		}
	}
	for _, g := range []string{"CO", "PR", "OA", "PI"} {
		if x835.GroupText(g) == "" {
			t.Errorf("no text for group %s", g)
		}
	}
	for _, c := range []string{"MA18", "MA130", "N130", "M15"} {
		if x835.RARCText(c) == "" {
			t.Errorf("no text for RARC %s", c)
		}
	}
	// Every PLB reason the guide allows, and every CLP02.
	g := guide.MustDefault().ByName("835")
	for _, it := range g.Root.Items {
		if it.Segment != nil && it.Segment.ID == "PLB" {
			for _, c := range it.Segment.Elements[2].Components[0].Codes {
				if x835.PLBText(c) == "" {
					t.Errorf("no text for PLB reason %s", c)
				}
			}
		}
	}
	for _, c := range []string{"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"} {
		if x835.StatusText(c) == "" {
			t.Errorf("no text for CLP02 %s", c)
		}
	}
	if got := (x835.Adjustment{Group: "CO", Reason: "45"}).Text(); !strings.Contains(got, "CO-45") || !strings.Contains(got, "fee schedule") {
		t.Errorf("Text() = %q", got)
	}
	if got := (x835.Adjustment{Group: "PR", Reason: "9999"}).Text(); !strings.Contains(got, "reason code 9999") {
		t.Errorf("Text() = %q", got)
	}
}
