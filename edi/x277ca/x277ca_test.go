package x277ca_test

import (
	"bytes"
	"fmt"
	"github.com/claimflow/claimflow/internal/x12test"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x277ca"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

func env() x277ca.Envelope {
	return x277ca.Envelope{
		SenderID: "DEMOCH", ReceiverID: "CLAIMFLOWDEMO", Test: true,
		Time:         time.Date(2025, 3, 12, 10, 15, 0, 0, time.UTC),
		Interchanges: &x12.Counter{N: 700},
	}
}

func day(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC) }

// build writes acks, checks the 277CA against the guide and parses it back.
func build(t *testing.T, acks ...x277ca.Ack) ([]x277ca.Ack, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := x277ca.Build(&buf, env(), acks...); err != nil {
		t.Fatal(err)
	}
	errs, err := guide.Validate(bytes.NewReader(buf.Bytes()), guide.MustDefault())
	if err != nil || len(errs) > 0 {
		t.Fatalf("the 277CA does not validate: %v\n%v\n%s", err, errs, strings.ReplaceAll(buf.String(), "~", "~\n"))
	}
	got, err := x277ca.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		o := got[i].Origin
		if o.ISA13 != "000000701" || o.GS06 != "1" || o.ST02 != fmt.Sprintf("%04d", i+1) || o.ReceiverID != "CLAIMFLOWDEMO" || len(o.Errors) > 0 || len(o.Unread) > 0 {
			t.Errorf("origin %+v", o)
		}
		got[i].Origin = x277ca.Origin{}
	}
	return got, buf.Bytes()
}

var submitter = x277ca.Entity{Code: "41", Type: "2", Name: "CLAIMFLOW DEMO SUBMITTER", IDQualifier: "46", ID: "CLAIMFLOWDEMO"}

func clearinghouseAck() x277ca.Ack {
	return x277ca.Ack{
		BatchID: "CH20250312A", Created: time.Date(2025, 3, 12, 10, 15, 0, 0, time.UTC),
		InformationSource: x277ca.Entity{Code: x277ca.SourceClearinghouse, Type: "2", Name: "DEMO CLEARINGHOUSE", IDQualifier: "46", ID: "DEMOCH"},
		Receipt:           x277ca.Receipt{Trace: "CH20250312A", Received: day(12), Processed: day(12)},
		Submitter: x277ca.Submitter{
			Entity: submitter, Trace: "BATCH0103",
			Statuses: []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A1", Code: "19", Entity: "AY"}, Date: day(12), Action: x277ca.ActionAccept, Charge: 34500}},
			Totals:   x277ca.Totals{AcceptedCount: 1, RejectedCount: 1, AcceptedAmount: 25000, RejectedAmount: 9500},
		},
		Providers: []x277ca.Provider{
			{
				Entity: x277ca.Entity{Code: "85", Type: "2", Name: "EXAMPLE FAMILY MEDICINE", IDQualifier: "XX", ID: "1234567893"},
				Trace:  "0", Totals: x277ca.Totals{AcceptedCount: 1, AcceptedAmount: 25000},
				Claims: []x277ca.Claim{{
					Patient:         x277ca.Entity{Code: "QC", Type: "1", Name: "SAMPLE", First: "ALEX", IDQualifier: "MI", ID: "XYZ100000001"},
					PCN:             "DEMO0004",
					Statuses:        []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A1", Code: "20"}, Date: day(12), Action: x277ca.ActionAccept, Charge: 25000}},
					ClearinghouseID: "CH0000000004", ServiceDates: x277ca.Period{From: day(5), To: day(5)},
				}},
			},
			{
				Entity: x277ca.Entity{Code: "85", Type: "2", Name: "EXAMPLE URGENT CARE", IDQualifier: "XX", ID: "1234567890"},
				Trace:  "0", Totals: x277ca.Totals{RejectedCount: 1, RejectedAmount: 9500},
				Claims: []x277ca.Claim{{
					Patient:         x277ca.Entity{Code: "QC", Type: "1", Name: "EXAMPLE", First: "JORDAN", IDQualifier: "MI", ID: "XYZ200000002"},
					PCN:             "DEMO0005",
					Statuses:        []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A7", Code: "562", Entity: "85"}, Date: day(12), Action: x277ca.ActionReject, Charge: 9500}},
					ClearinghouseID: "CH0000000005", ServiceDates: x277ca.Period{From: day(6), To: day(6)},
				}},
			},
		},
	}
}

func payerAck() x277ca.Ack {
	patient := x277ca.Entity{Code: "QC", Type: "1", Name: "SAMPLE", First: "ALEX", Middle: "J", Suffix: "JR", IDQualifier: "MI", ID: "XYZ100000001"}
	return x277ca.Ack{
		BatchID: "PAYER0001", Created: time.Date(2025, 3, 14, 6, 30, 0, 0, time.UTC),
		InformationSource: x277ca.Entity{Code: x277ca.SourcePayer, Type: "2", Name: "ACME HEALTH PLAN", IDQualifier: "PI", ID: "AHP01"},
		Receipt:           x277ca.Receipt{Trace: "AHP-TRACE-77", Received: day(13), Processed: day(14)},
		Submitter: x277ca.Submitter{
			Entity: x277ca.Entity{Code: "41", Type: "1", Name: "SMITH", First: "PAT", Middle: "Q", IDQualifier: "46", ID: "CLAIMFLOWDEMO"},
			Trace:  "BATCH0101",
			Statuses: []x277ca.Status{{
				StatusCode: x277ca.StatusCode{Category: "A2", Code: "20", Entity: "PR"}, Date: day(14), Action: x277ca.ActionAccept, Charge: 44500,
				More: []x277ca.StatusCode{{Category: "A7", Code: "21", Entity: "41"}},
			}},
		},
		Providers: []x277ca.Provider{
			{
				Entity:     x277ca.Entity{Code: "85", Type: "2", Name: "EXAMPLE FAMILY MEDICINE", IDQualifier: "XX", ID: "1234567893"},
				Trace:      "PRV-1",
				Statuses:   []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A2", Code: "20", Entity: "85"}, Action: x277ca.ActionAccept, Charge: 44500}},
				References: []x277ca.Reference{{Qualifier: "TJ", Value: "991234567"}},
				Totals:     x277ca.Totals{AcceptedCount: 1, RejectedCount: 1, AcceptedAmount: 25000, RejectedAmount: 19500},
				Claims: []x277ca.Claim{
					{
						Patient: patient, PCN: "DEMO0001",
						Statuses:         []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A2", Code: "20"}, Date: day(14), Action: x277ca.ActionAccept, Charge: 25000}},
						PayerClaimNumber: "2025073000101", ClearinghouseID: "CH0000000001",
						ServiceDates: x277ca.Period{From: day(3)},
						Lines: []x277ca.Line{{
							Procedure: x277ca.Procedure{Qualifier: "HC", Code: "99214", Modifiers: []string{"25"}},
							Charge:    18500, Units: "1",
							Statuses: []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A3", Code: "453", Entity: "85"}, Action: x277ca.ActionReject,
								More: []x277ca.StatusCode{{Category: "A3", Code: "454"}, {Category: "A3", Code: "21", Entity: "QC"}}, FreeText: "MODIFIER NOT VALID WITH CODE"}},
							LineControlNumber: "DEMO0001L1", ServiceDates: x277ca.Period{From: day(3)},
						}},
					},
					{
						// The same patient: one 2000D, two 2200D.
						Patient: patient, PCN: "DEMO0009",
						Statuses: []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A7", Code: "562", Entity: "85"}, Date: day(14), Action: x277ca.ActionReject, Charge: 19500,
							FreeText: "NPI FAILS CHECK DIGIT"}},
						BillType:     "131",
						ServiceDates: x277ca.Period{From: day(1), To: day(4)},
						Lines: []x277ca.Line{{
							Procedure: x277ca.Procedure{Qualifier: "NU", Code: "0450"}, Charge: 19500, RevenueCode: "0450",
							Statuses:          []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A7", Code: "476"}, Action: x277ca.ActionReject}},
							LineControlNumber: "DEMO0009L1", PrescriptionNumber: "RX1234",
						}},
					},
				},
			},
			{
				// A provider-level rejection with no claims under it (HL04 0).
				Entity:   x277ca.Entity{Code: "85", Type: "1", Name: "DOE", First: "CASEY", IDQualifier: "FI", ID: "991234568"},
				Trace:    "PRV-2",
				Statuses: []x277ca.Status{{StatusCode: x277ca.StatusCode{Category: "A3", Code: "24", Entity: "85"}, Action: x277ca.ActionReject, Charge: 0}},
			},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		acks []x277ca.Ack
	}{
		{"clearinghouse", []x277ca.Ack{clearinghouseAck()}},
		{"payer with lines", []x277ca.Ack{payerAck()}},
		{"both in one file", []x277ca.Ack{clearinghouseAck(), payerAck()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, out := build(t, tc.acks...)
			if !reflect.DeepEqual(got, tc.acks) {
				t.Errorf("round trip:\n got %+v\nwant %+v\n%s", got, tc.acks, out)
			}
		})
	}
}

func TestHLNumbering(t *testing.T) {
	t.Parallel()
	_, out := build(t, payerAck())
	var hls []string
	rd := x12.NewReader(bytes.NewReader(out))
	for {
		seg, err := rd.Next()
		if err != nil {
			break
		}
		if seg.ID == "HL" {
			hls = append(hls, seg.String())
		}
	}
	want := []string{"HL*1**20*1", "HL*2*1*21*1", "HL*3*2*19*1", "HL*4*3*PT", "HL*5*2*19*0"}
	if !reflect.DeepEqual(hls, want) {
		t.Errorf("HL segments %q, want %q", hls, want)
	}
}

// TestSample reads the hand-written sample of the fixtures and builds it back
// segment for segment.
func TestSample(t *testing.T) {
	t.Parallel()
	sample := fixtures.Sample("277ca-mixed.x12")
	acks, err := x277ca.Parse(bytes.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	acks[0].Origin = x277ca.Origin{}
	if want := clearinghouseAck(); !reflect.DeepEqual(acks[0], want) {
		t.Errorf("sample:\n got %+v\nwant %+v", acks[0], want)
	}
	var buf bytes.Buffer
	e := env()
	e.Groups, e.Newline = &x12.Counter{N: 700}, true // GS06 = ISA13, one segment a line
	if err := x277ca.Build(&buf, e, acks...); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), sample) {
		t.Errorf("Build(Parse(sample)) differs:\n%s\nwant\n%s", buf.Bytes(), sample)
	}
}

func TestStatusText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s                  x277ca.Status
		accepted, rejected bool
		text               []string
	}{
		{x277ca.Status{StatusCode: x277ca.StatusCode{Category: "A7", Code: "562", Entity: "85"}}, false, true,
			[]string{"A7:562:85", "rejected: invalid information", "National Provider Identifier", "(billing provider)"}},
		{x277ca.Status{StatusCode: x277ca.StatusCode{Category: "A1", Code: "20"}}, true, false, []string{"A1:20", "accepted for processing"}},
		{x277ca.Status{StatusCode: x277ca.StatusCode{Category: "A2", Code: "20"}, More: []x277ca.StatusCode{{Category: "A8", Code: "9999", Entity: "ZZ"}}}, false, true,
			[]string{"; A8:9999:ZZ", "relational field", "status 9999", "(entity ZZ)"}},
		{x277ca.Status{StatusCode: x277ca.StatusCode{Category: "A4", Code: "35"}}, false, false, []string{"not found: claim not found"}},
		{x277ca.Status{StatusCode: x277ca.StatusCode{Category: "A0", Code: "16", Entity: "PR"}}, true, false, []string{"forwarded", "(payer)"}},
		{x277ca.Status{StatusCode: x277ca.StatusCode{Category: "A5"}}, true, false, []string{"split"}},
		{x277ca.Status{StatusCode: x277ca.StatusCode{Category: "A6", Code: "21"}}, false, true, []string{"missing information"}},
		{x277ca.Status{StatusCode: x277ca.StatusCode{Category: "A3", Code: "24"}}, false, true, []string{"unprocessable"}},
	}
	for _, tc := range tests {
		if tc.s.Accepted() != tc.accepted || tc.s.Rejected() != tc.rejected {
			t.Errorf("%v: Accepted %v Rejected %v", tc.s.StatusCode, tc.s.Accepted(), tc.s.Rejected())
		}
		got := tc.s.Text()
		for _, w := range tc.text {
			if !strings.Contains(got, w) {
				t.Errorf("Text() = %q, want it to hold %q", got, w)
			}
		}
	}
	for _, c := range []string{"A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"} {
		if x277ca.CategoryText(c) == "" {
			t.Errorf("no text for category %s", c)
		}
	}
	for _, c := range []string{"0", "1", "3", "16", "17", "18", "19", "20", "21", "23", "24", "25", "26", "29", "30", "31", "32", "33", "34", "35", "54",
		"145", "158", "164", "187", "400", "401", "402", "453", "454", "476", "477", "478", "479", "562"} {
		if x277ca.StatusCodeText(c) == "" {
			t.Errorf("no text for status code %s", c)
		}
	}
	for _, c := range []string{"40", "41", "85", "82", "77", "IL", "QC", "PR", "DN", "DQ", "DK", "AY"} {
		if x277ca.EntityText(c) == "" {
			t.Errorf("no text for entity %s", c)
		}
	}
	c := payerAck().Providers[0].Claims[0]
	if !c.Rejected() {
		t.Error("a claim with a rejected line must report Rejected")
	}
}

// TestCorpus parses every 5010 277CA of the shared corpus and says what does not
// map: the segments that Build(Parse(file)) does not give back.
func TestCorpus(t *testing.T) {
	t.Parallel()
	for _, f := range sharedtest.Corpus(t) {
		if f.Type != "277CA" || f.Invalid() || !strings.HasPrefix(f.Version, "00501") {
			continue
		}
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		acks, err := x277ca.Parse(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		claims, rejected := 0, 0
		for _, a := range acks {
			if len(a.Origin.Errors) > 0 {
				t.Logf("%s: ST %s: %d guide errors, first: %v", f.Name, a.Origin.ST02, len(a.Origin.Errors), a.Origin.Errors[0])
			}
			if len(a.Origin.Unread) > 0 {
				t.Logf("%s: unread values: %v", f.Name, a.Origin.Unread)
			}
			for _, p := range a.Providers {
				for _, c := range p.Claims {
					claims++
					if c.Rejected() {
						rejected++
					}
				}
			}
		}
		var buf bytes.Buffer
		if err := x277ca.Build(&buf, env(), acks...); err != nil {
			t.Logf("%s: cannot be rebuilt: %v", f.Name, err)
			continue
		}
		if lost := bodyDiff(data, buf.Bytes()); len(lost) > 0 {
			t.Logf("%s: %d claims (%d rejected); does not map: %v", f.Name, claims, rejected, lost)
		} else {
			t.Logf("%s: %d claims (%d rejected), every segment maps", f.Name, claims, rejected)
		}
	}
}

// bodyDiff returns the segments of a's transaction sets (envelopes excluded) that b
// does not have in the same order, numbers compared by value.
func bodyDiff(a, b []byte) []string {
	return x12test.Lost(x12test.Body(a, x12test.Number, nil), x12test.Body(b, x12test.Number, nil))
}

// wrap277 puts 277CA segments (BHT onwards) in an envelope.
func wrap277(body ...string) string {
	return "ISA*00*          *00*          *ZZ*DEMOCH         *ZZ*CLAIMFLOW      *260302*0930*^*00501*000000900*0*T*:~" +
		"GS*HN*DEMOCH*CLAIMFLOW*20260302*0930*900*X*005010X214~ST*277*0001*005010X214~" + strings.Join(body, "~") + "~" +
		fmt.Sprintf("SE*%d*0001~", len(body)+2) + "GE*1*900~IEA*1*000000900~"
}

// source277 are the segments of a 277CA from source (AY or PR) down to a patient,
// with the HL numbers from first on.
func source277(code string, first int) []string {
	hl := func(n int) string { return fmt.Sprint(first + n) }
	return []string{
		"HL*" + hl(0) + "**20*1", "NM1*" + code + "*2*SOURCE*****46*SRC1", "TRN*1*T1", "DTP*050*D8*20260301", "DTP*009*D8*20260302",
		"HL*" + hl(1) + "*" + hl(0) + "*21*1", "NM1*41*2*CLAIMFLOW*****46*CFTEST", "TRN*2*000000042ABCD",
		"STC*A1:19:" + code + "*20260302*WQ*300", "QTY*90*1", "AMT*YU*300",
		"HL*" + hl(2) + "*" + hl(1) + "*19*1", "NM1*85*2*PROVIDER*****XX*1234567893", "TRN*1*0", "QTY*QA*1", "AMT*YU*300",
		"HL*" + hl(3) + "*" + hl(2) + "*PT", "NM1*QC*1*DOE*JANE****MI*M1",
	}
}

// TestSTC11WithoutSTC10: an STC whose STC10 is empty and STC11 is not reads
// STC11 as a further composite, which here rejects.
func TestSTC11WithoutSTC10(t *testing.T) {
	t.Parallel()
	body := append([]string{"BHT*0085*08*B1*20260302*0930*TH"}, source277("AY", 1)...)
	body = append(body, "TRN*2*PCN0002", "STC*A1:20*20260302*WQ*300*******A7:164:IL")
	acks, err := x277ca.Parse(strings.NewReader(wrap277(body...)))
	if err != nil {
		t.Fatal(err)
	}
	s := acks[0].Providers[0].Claims[0].Statuses[0]
	if len(s.More) != 1 || s.More[0] != (x277ca.StatusCode{Category: "A7", Code: "164", Entity: "IL"}) || !s.Rejected() || s.Accepted() {
		t.Errorf("status %+v, want STC11 A7:164:IL, rejecting", s)
	}
}

// TestTwoSourcesInOneSet: the clearinghouse's (AY) and the payer's (PR) answers in
// one transaction set, two 2000A loops, are two acknowledgements.
func TestTwoSourcesInOneSet(t *testing.T) {
	t.Parallel()
	body := append([]string{"BHT*0085*08*B1*20260302*0930*TH"}, source277("AY", 1)...)
	body = append(body, "TRN*2*PCN0005", "STC*A1:20*20260302*WQ*300")
	body = append(body, source277("PR", 5)...)
	body = append(body, "TRN*2*PCN0005", "STC*A3:33:IL*20260302*U*300")
	acks, err := x277ca.Parse(strings.NewReader(wrap277(body...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(acks) != 2 || acks[0].InformationSource.Code != x277ca.SourceClearinghouse || acks[1].InformationSource.Code != x277ca.SourcePayer {
		t.Fatalf("%d acknowledgements %+v, want the clearinghouse's then the payer's", len(acks), acks)
	}
	if acks[0].Providers[0].Claims[0].Rejected() || !acks[1].Providers[0].Claims[0].Rejected() {
		t.Error("the claims' statuses mixed up between the two sources")
	}
}

// TestComponentSeparatorFromISA: the component separator is ISA16 ('|' in the
// imsweb rejected sample), and a 2200B trace that is not a BHT03 of ours is kept.
func TestComponentSeparatorFromISA(t *testing.T) {
	t.Parallel()
	in := "ISA*00*          *00*          *ZZ*EMEDNYBAT      *ZZ*ETIN           *110311*0512*^*00501*000001120*0*T*|~GS*HN*EMEDNYBAT*ABCD*20110311*051225*1120*X*005010X214~ST*277*000001120*005010X214~BHT*0085*08*3920394930203*20110311*051225*TH~HL*1**20*1~NM1*PR*2*NYSDOH*****FI*141797357~TRN*1*000001120~DTP*050*D8*20110311~DTP*009*D8*20110311~HL*2*1*21*1~NM1*41*1*TEST*TEST****46*ETIN~TRN*2*11200001~STC*A1|20*20110311*WQ*199.14~QTY*90*1~AMT*YU*199.14~HL*3*2*19*1~NM1*85*2*PROVLNAME*****XX*123456789~TRN*1*1107000000000001FF~HL*4*3*PT~NM1*QC*1*CLILNAME*CLIFNAME*CLIMI***MI*XX99999X~TRN*2*3920394930203~STC*A7|562|85*20110311*WQ*199.14~REF*1K*1107000000001120~REF*BLT*731~DTP*472*D8*20090311~SE*24*000001120~GE*1*1120~IEA*1*000001120~"
	acks, err := x277ca.Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	a := acks[0]
	c := a.Providers[0].Claims[0]
	if s := c.Statuses[0]; s.StatusCode != (x277ca.StatusCode{Category: "A7", Code: "562", Entity: "85"}) || !c.Rejected() {
		t.Errorf("status %+v", s)
	}
	if a.Submitter.Trace != "11200001" || c.PayerClaimNumber != "1107000000001120" || c.BillType != "731" {
		t.Errorf("trace %q, claim %+v", a.Submitter.Trace, c)
	}
}
