package simulator_test

import (
	"slices"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/edi/x835"
)

// Parties of the coordination-of-benefits claims.
var (
	cobPrimary   = billing.Payer{Name: "FIRST HEALTH PLAN", ID: "FHP01"}
	cobSecondary = billing.Payer{Name: "SECOND HEALTH PLAN", ID: "SHP02"}
	cobTertiary  = billing.Payer{Name: "STATE AID PLAN", ID: "SAP03"}
)

// cobRules price 99214 at $128.00 and 80053 at $14.00 a unit, anything else at 60%
// of its charge; no denials, reversals or interest, so that every amount can be
// worked out by hand.
func cobRules(secondaryCoinsurance int) *simulator.Rules {
	return &simulator.Rules{
		FeeSchedule:                 map[string]int64{"99214": 12800, "80053": 1400},
		DefaultAllowedPercent:       60,
		Deductible:                  50000,
		Copay:                       2500,
		CoinsurancePercent:          20,
		SecondaryCoinsurancePercent: secondaryCoinsurance,
	}
}

// cobClaim is a claim of three lines, $390.00 in all: 99214 $200.00, 80053 $40.00
// and 20610 $150.00, for coverages in the order of their payers.
func cobClaim(pcn string, covs ...billing.Coverage) billing.Claim {
	dos := billing.Period{From: billing.NewDate(2026, 2, 20)}
	line := func(code string, cents int64, n string) billing.Line {
		return billing.Line{Procedure: billing.Procedure{Code: code}, Charge: billing.Money(cents), Units: billing.Units(1),
			ServiceDates: dos, DiagnosisPointers: []int{1}, ControlNumber: pcn + "-" + n}
	}
	return billing.Claim{
		PatientControlNumber: pcn, PlaceOfService: "11", Charge: 39000,
		Diagnoses: []billing.Diagnosis{{Code: "M17.11"}},
		Patient: billing.Person{LastName: "SENIOR", FirstName: "PAT", BirthDate: billing.NewDate(1950, 2, 28), Gender: "M",
			Address: billing.Address{Line1: "12 PINE RD", City: "SPRINGFIELD", State: "IL", PostalCode: "627050012"}},
		Coverages: covs,
		BillingProvider: billing.Provider{NPI: "1234567893", Name: "EXAMPLE FAMILY MEDICINE", Taxonomy: "207Q00000X", TaxID: "991234567",
			Address: billing.Address{Line1: "123 MAIN ST", City: "SPRINGFIELD", State: "IL", PostalCode: "627011234"}},
		Lines: []billing.Line{line("99214", 20000, "1"), line("80053", 4000, "2"), line("20610", 15000, "3")},
	}
}

func adj(group, reason string, cents int64) billing.Adjustment {
	return billing.Adjustment{Group: group, Reason: reason, Amount: billing.Money(cents)}
}

// primaryByLine is the first payer's remittance line by line (2430), as an 835 of
// ours says it (allowed, CO-45 the rest, PR deductible and coinsurance):
//
//	line 1 99214 $200.00: CO-45 50.00, PR-1 80.00, PR-2 14.00, paid 56.00 (left to the patient 94.00)
//	line 2 80053  $40.00: CO-45 10.00, PR-2 6.00, paid 24.00            (left 6.00)
//	line 3 20610 $150.00: CO-45 60.00, PR-2 18.00, paid 72.00           (left 18.00)
//	claim: paid 152.00 = 390.00 - 238.00 of line adjustments; CO 120.00, PR 118.00
func primaryByLine() *billing.OtherPayerAdjudication {
	d := billing.NewDate(2026, 2, 27)
	return &billing.OtherPayerAdjudication{PaidAmount: 15200, ClaimNumber: "FHP0001", Date: d,
		Lines: []billing.LineAdjudication{
			{Line: 1, PaidAmount: 5600, Date: d, Adjustments: []billing.Adjustment{adj("CO", "45", 5000), adj("PR", "1", 8000), adj("PR", "2", 1400)}},
			{Line: 2, PaidAmount: 2400, Date: d, Adjustments: []billing.Adjustment{adj("CO", "45", 1000), adj("PR", "2", 600)}},
			{Line: 3, PaidAmount: 7200, Date: d, Adjustments: []billing.Adjustment{adj("CO", "45", 6000), adj("PR", "2", 1800)}},
		}}
}

func primaryCov(a *billing.OtherPayerAdjudication) billing.Coverage {
	return billing.Coverage{Responsibility: "P", Payer: cobPrimary, MemberID: "FHP100000001", FilingIndicator: "CI", Adjudication: a}
}

func secondaryCov(a *billing.OtherPayerAdjudication) billing.Coverage {
	return billing.Coverage{Responsibility: "S", Payer: cobSecondary, MemberID: "SHP200000002", FilingIndicator: "CI", Adjudication: a}
}

func tertiaryCov() billing.Coverage {
	return billing.Coverage{Responsibility: "T", Payer: cobTertiary, MemberID: "SAP300000003", FilingIndicator: "MC"}
}

// remitOf sends claims to a simulator with the rules and returns the claim payments
// of the 835s, by PCN, after holding every response to the guide and to x835.Balance.
func remitOf(t *testing.T, rules *simulator.Rules, isa13 uint64, claims ...billing.Claim) map[string]x835.ClaimPayment {
	t.Helper()
	sim := newSim(t, simulator.Config{Seed: 3, Rules: rules, AutoRespond: true})
	data, _ := build(t, claims, isa13, 50)
	rs, err := sim.Process("COB.x12", data)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, rs) // guide.Validate, x835.Balance, BPR02 >= 0
	out := map[string]x835.ClaimPayment{}
	for _, r := range byKind(rs, profile.Kind835) {
		for _, rem := range parse835(t, r.Data) {
			for _, cp := range rem.Claims {
				out[cp.PCN] = cp
			}
		}
	}
	if len(out) != len(claims) {
		t.Fatalf("%d claims paid of %d: %v", len(out), len(claims), names(rs))
	}
	return out
}

// wantLine is a service line of an 835 as the test works it out.
type wantLine struct {
	paid int64
	adj  []x835.Adjustment
}

func co45(c int64) x835.Adjustment { return x835.Adjustment{Group: "CO", Reason: "45", Amount: c} }
func pr2(c int64) x835.Adjustment  { return x835.Adjustment{Group: "PR", Reason: "2", Amount: c} }
func oa23(c int64) x835.Adjustment { return x835.Adjustment{Group: "OA", Reason: "23", Amount: c} }

// checkCOB compares a claim payment with what was worked out by hand, and holds it to
// the balancing rules: SVC02 = SVC03 + line CAS, CLP03 = CLP04 + every CAS, CLP05 =
// Σ PR.
func checkCOB(t *testing.T, cp x835.ClaimPayment, status string, paid, patient int64, lines []wantLine) {
	t.Helper()
	if cp.Status != status || cp.Charge != 39000 || cp.Paid != paid || cp.PatientResponsibility != patient {
		t.Errorf("%s: CLP02 %s CLP03 %d CLP04 %d CLP05 %d, want %s 39000 %d %d",
			cp.PCN, cp.Status, cp.Charge, cp.Paid, cp.PatientResponsibility, status, paid, patient)
	}
	if len(cp.Lines) != len(lines) {
		t.Fatalf("%s: %d lines, want %d", cp.PCN, len(cp.Lines), len(lines))
	}
	total, pr := cp.Paid, int64(0)
	for _, a := range cp.Adjustments {
		total += a.Amount
	}
	for i, l := range cp.Lines {
		if l.Paid != lines[i].paid || !slices.Equal(l.Adjustments, lines[i].adj) {
			t.Errorf("%s line %d: paid %d %+v, want %d %+v", cp.PCN, i+1, l.Paid, l.Adjustments, lines[i].paid, lines[i].adj)
		}
		sum := l.Paid
		for _, a := range l.Adjustments {
			sum += a.Amount
			total += a.Amount
			if a.Group == x835.GroupPatient {
				pr += a.Amount
			}
		}
		if sum != l.Charge {
			t.Errorf("%s line %d: SVC02 %d != SVC03 + CAS %d", cp.PCN, i+1, l.Charge, sum)
		}
		if l.LineControlNumber != cp.PCN+"-"+string(rune('1'+i)) {
			t.Errorf("%s line %d: REF*6R %q", cp.PCN, i+1, l.LineControlNumber)
		}
	}
	if total != cp.Charge || pr != cp.PatientResponsibility {
		t.Errorf("%s: CLP03 %d, CLP04 + CAS %d; CLP05 %d, Σ PR %d", cp.PCN, cp.Charge, total, cp.PatientResponsibility, pr)
	}
}

// sumGroups adds up the adjustments of a claim payment by group.
func sumGroups(cp x835.ClaimPayment) map[string]int64 {
	m := map[string]int64{}
	for _, l := range cp.Lines {
		for _, a := range l.Adjustments {
			m[a.Group] += a.Amount
		}
	}
	for _, a := range cp.Adjustments {
		m[a.Group] += a.Amount
	}
	return m
}

// TestSecondaryLineLevel: a claim billed to its secondary payer, the primary's
// remittance sent line by line (2430), is answered CLP02 2: the secondary pays what
// the primary left to the patient, up to its own allowed amount minus the primary's
// payment, keeps 10% of what it covers for the patient (PR-2), writes off the excess
// over its allowed amount (CO-45), and reports the primary's share as OA-23.
func TestSecondaryLineLevel(t *testing.T) {
	t.Parallel()
	claim := cobClaim("COB1S", primaryCov(primaryByLine()), secondaryCov(nil))
	cp := remitOf(t, cobRules(10), 1100, claim)["COB1S"]
	// line 1: allowed 128.00 - primary paid 56.00 = 72.00 < left 94.00: covers 72.00;
	//   PR-2 10% = 7.20, paid 64.80; CO-45 94.00 - 72.00 = 22.00; OA-23 200.00 - 94.00 = 106.00
	//   64.80 + 22.00 + 7.20 + 106.00 = 200.00
	// line 2: allowed 14.00 - primary paid 24.00 < 0: covers nothing; CO-45 6.00;
	//   OA-23 40.00 - 6.00 = 34.00
	// line 3: allowed 60% of 150.00 = 90.00 - 72.00 = 18.00 >= left 18.00: covers 18.00;
	//   PR-2 1.80, paid 16.20; OA-23 150.00 - 18.00 = 132.00
	// claim: paid 64.80 + 16.20 = 81.00; CLP05 7.20 + 1.80 = 9.00
	checkCOB(t, cp, x835.StatusSecondary, 8100, 900, []wantLine{
		{6480, []x835.Adjustment{co45(2200), pr2(720), oa23(10600)}},
		{0, []x835.Adjustment{co45(600), oa23(3400)}},
		{1620, []x835.Adjustment{pr2(180), oa23(13200)}},
	})
	// The money of both payers adds up to the charge, each part counted once:
	// primary paid 152.00 + secondary paid 81.00 + contractual (primary CO 120.00 +
	// secondary CO 28.00) + patient 9.00 = 390.00.
	g := sumGroups(cp)
	if g["CO"] != 2800 || 15200+cp.Paid+12000+g["CO"]+g["PR"] != cp.Charge {
		t.Errorf("primary 15200 + secondary %d + CO 12000 + %d + PR %d != charge %d", cp.Paid, g["CO"], g["PR"], cp.Charge)
	}
	if g["OA"] != 15200+12000 { // what the primary paid and wrote off: 272.00
		t.Errorf("OA-23 %d, want 27200", g["OA"])
	}
	if a, ok := cp.Lines[0].Allowed(); !ok || a != 12800 {
		t.Errorf("AMT*B6 %d, want the secondary's allowed 12800", a)
	}
}

// TestSecondaryClaimLevel: the primary's remittance sent at claim level only (2320
// CAS, AMT*D and AMT*EAF): its payment and the remaining liability are shared out
// over the lines by charge, and a secondary that keeps nothing for the patient pays
// the rest up to its allowed amounts.
func TestSecondaryClaimLevel(t *testing.T) {
	t.Parallel()
	left := billing.Money(11800)
	primary := &billing.OtherPayerAdjudication{PaidAmount: 15200, RemainingPatientLiability: &left,
		ClaimNumber: "FHP0002", Date: billing.NewDate(2026, 2, 27),
		Adjustments: []billing.Adjustment{adj("CO", "45", 12000), adj("PR", "1", 8000), adj("PR", "2", 3800)}}
	claim := cobClaim("COB2S", primaryCov(primary), secondaryCov(nil))
	cp := remitOf(t, cobRules(0), 1200, claim)["COB2S"]
	// Shares by charge 200:40:150 of 390, in cents, largest remainders first:
	//   paid 15200: 7794.87, 1558.97, 5846.15 -> 7794, 1558, 5846 (+2: line 2, line 1) = 7795, 1559, 5846
	//   left 11800: 6051.28, 1210.26, 4538.46 -> 6051, 1210, 4538 (+1: line 3) = 6051, 1210, 4539
	// line 1: 128.00 - 77.95 = 50.05 < 60.51: paid 50.05; CO-45 60.51 - 50.05 = 10.46; OA-23 200.00 - 60.51 = 139.49
	// line 2: 14.00 - 15.59 < 0: paid 0; CO-45 12.10; OA-23 40.00 - 12.10 = 27.90
	// line 3: 90.00 - 58.46 = 31.54 < 45.39: paid 31.54; CO-45 45.39 - 31.54 = 13.85; OA-23 150.00 - 45.39 = 104.61
	// claim: paid 50.05 + 31.54 = 81.59, nothing left to the patient
	checkCOB(t, cp, x835.StatusSecondary, 8159, 0, []wantLine{
		{5005, []x835.Adjustment{co45(1046), oa23(13949)}},
		{0, []x835.Adjustment{co45(1210), oa23(2790)}},
		{3154, []x835.Adjustment{co45(1385), oa23(10461)}},
	})
	// 152.00 + 81.59 + CO (120.00 + 10.46 + 12.10 + 13.85) + 0 = 390.00
	g := sumGroups(cp)
	if g["CO"] != 3641 || g["PR"] != 0 || 15200+cp.Paid+12000+g["CO"] != cp.Charge {
		t.Errorf("primary 15200 + secondary %d + CO 12000 + %d + PR %d != charge %d", cp.Paid, g["CO"], g["PR"], cp.Charge)
	}
}

// TestTertiary: a claim billed to its third payer, after the primary (line by line)
// and the secondary of TestSecondaryLineLevel (its 835 sent back as 2430 lines), is
// answered CLP02 3: the tertiary covers what the secondary left to the patient, up
// to its allowed amount minus both payments, and the four parts add up to the charge.
func TestTertiary(t *testing.T) {
	t.Parallel()
	d := billing.NewDate(2026, 3, 2)
	secondary := &billing.OtherPayerAdjudication{PaidAmount: 8100, ClaimNumber: "SHP0001", Date: d,
		Lines: []billing.LineAdjudication{
			{Line: 1, PaidAmount: 6480, Date: d, Adjustments: []billing.Adjustment{adj("CO", "45", 2200), adj("PR", "2", 720), adj("OA", "23", 10600)}},
			{Line: 2, PaidAmount: 0, Date: d, Adjustments: []billing.Adjustment{adj("CO", "45", 600), adj("OA", "23", 3400)}},
			{Line: 3, PaidAmount: 1620, Date: d, Adjustments: []billing.Adjustment{adj("PR", "2", 180), adj("OA", "23", 13200)}},
		}}
	claim := cobClaim("COB3T", primaryCov(primaryByLine()), secondaryCov(secondary), tertiaryCov())
	// The same claim to a tertiary that keeps 10% for the patient.
	shared := cobClaim("COB4T", primaryCov(primaryByLine()), secondaryCov(secondary), tertiaryCov())
	full := remitOf(t, cobRules(0), 1300, claim)["COB3T"]
	part := remitOf(t, cobRules(10), 1400, shared)["COB4T"]
	// Paid before: line 1 56.00 + 64.80 = 120.80, line 2 24.00, line 3 72.00 + 16.20 = 88.20.
	// Left by the secondary: 7.20, 0, 1.80.
	// line 1: 128.00 - 120.80 = 7.20 >= 7.20: paid 7.20; OA-23 200.00 - 7.20 = 192.80
	// line 2: nothing left: OA-23 40.00
	// line 3: 90.00 - 88.20 = 1.80 >= 1.80: paid 1.80; OA-23 150.00 - 1.80 = 148.20
	// claim: paid 9.00, nothing left to the patient
	checkCOB(t, full, x835.StatusTertiary, 900, 0, []wantLine{
		{720, []x835.Adjustment{oa23(19280)}},
		{0, []x835.Adjustment{oa23(4000)}},
		{180, []x835.Adjustment{oa23(14820)}},
	})
	// 152.00 + 81.00 + 9.00 + CO (120.00 + 28.00 + 0) + 0 = 390.00
	if g := sumGroups(full); 15200+8100+full.Paid+12000+2800+g["CO"]+g["PR"] != full.Charge {
		t.Errorf("payments and adjustments of the three payers do not add up to %d: %+v", full.Charge, g)
	}
	// With 10%: line 1 PR-2 0.72, paid 6.48; line 3 PR-2 (18 cents rounded) 0.18, paid 1.62;
	// claim paid 8.10, CLP05 0.90: 152.00 + 81.00 + 8.10 + 148.00 + 0.90 = 390.00.
	checkCOB(t, part, x835.StatusTertiary, 810, 90, []wantLine{
		{648, []x835.Adjustment{pr2(72), oa23(19280)}},
		{0, []x835.Adjustment{oa23(4000)}},
		{162, []x835.Adjustment{pr2(18), oa23(14820)}},
	})
	if g := sumGroups(part); 15200+8100+part.Paid+12000+2800+g["CO"]+g["PR"] != part.Charge {
		t.Errorf("payments and adjustments of the three payers do not add up to %d: %+v", part.Charge, g)
	}
}

// TestCrossover: with Rules.CrossoverRate the primary forwards a claim that names a
// secondary payer (CLP02 19, NM1*TT, MOA MA18), and the secondary's own 835 follows
// in the next run (CLP02 2) priced from the primary's adjudication; without it
// (the default) the primary answers CLP02 1 and forwards nothing.
func TestCrossover(t *testing.T) {
	t.Parallel()
	claim := cobClaim("COB5X", billing.Coverage{Responsibility: "P", Payer: cobPrimary, MemberID: "FHP100000001", FilingIndicator: "CI"},
		secondaryCov(nil))
	rules := cobRules(0)
	rules.Deductible = 10000
	rules.CrossoverRate = 1
	sim := newSim(t, simulator.Config{Seed: 3, Rules: rules, AutoRespond: true})
	data, _ := build(t, []billing.Claim{claim}, 1500, 50)
	rs, err := sim.Process("XOVER.x12", data)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, rs)
	eras := byKind(rs, profile.Kind835)
	if len(eras) != 1 || sim.Pending(simulator.StageRemittance) != 1 {
		t.Fatalf("%d 835s, %d claims waiting for the secondary", len(eras), sim.Pending(simulator.StageRemittance))
	}
	prim := parse835(t, eras[0].Data)[0]
	cp := prim.Claims[0]
	// Primary (deductible 100.00, copay 25.00, coinsurance 20%):
	//   line 1: allowed 128.00, CO-45 72.00; PR-1 100.00, PR-3 25.00, PR-2 20% of 3.00 = 0.60; paid 2.40
	//   line 2: allowed 14.00, CO-45 26.00; PR-2 2.80; paid 11.20
	//   line 3: allowed 90.00, CO-45 60.00; PR-2 18.00; paid 72.00
	//   claim: paid 85.60, CLP05 146.40, CO 158.00
	if prim.Payer.References[0].Value != cobPrimary.ID || cp.Status != x835.StatusPrimaryForwarded || cp.Paid != 8560 || cp.PatientResponsibility != 14640 ||
		cp.CrossoverCarrier == nil || cp.CrossoverCarrier.ID != cobSecondary.ID || cp.CrossoverCarrier.IDQualifier != "PI" ||
		!slices.Equal(cp.Remarks(), []string{"MA18"}) {
		t.Fatalf("primary: CLP02 %s paid %d CLP05 %d NM1*TT %+v remarks %v", cp.Status, cp.Paid, cp.PatientResponsibility, cp.CrossoverCarrier, cp.Remarks())
	}
	rs, err = sim.Flush(simulator.StageRemittance)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, rs)
	if len(rs) != 1 || sim.Pending(simulator.StageRemittance) != 0 {
		t.Fatalf("second run: %v", names(rs))
	}
	sec := parse835(t, rs[0].Data)[0]
	if sec.Payer.References[0].Value != cobSecondary.ID {
		t.Errorf("second 835 from payer %+v", sec.Payer.References)
	}
	// Secondary (same fee schedule, keeps nothing for the patient):
	//   line 1: 128.00 - 2.40 = 125.60 = left 125.60: paid 125.60; OA-23 200.00 - 125.60 = 74.40
	//   line 2: 14.00 - 11.20 = 2.80 = left: paid 2.80; OA-23 37.20
	//   line 3: 90.00 - 72.00 = 18.00 = left: paid 18.00; OA-23 132.00
	//   claim: paid 146.40: 85.60 + 146.40 + CO 158.00 + PR 0 = 390.00
	checkCOB(t, sec.Claims[0], x835.StatusSecondary, 14640, 0, []wantLine{
		{12560, []x835.Adjustment{oa23(7440)}},
		{280, []x835.Adjustment{oa23(3720)}},
		{1800, []x835.Adjustment{oa23(13200)}},
	})
	if sec.Claims[0].PayerClaimNumber == cp.PayerClaimNumber {
		t.Errorf("secondary claim number %s is the primary's", cp.PayerClaimNumber)
	}

	// Default: no crossover.
	rules.CrossoverRate = 0
	plain := remitOf(t, rules, 1600, claim)["COB5X"]
	if plain.Status != x835.StatusPrimary || plain.CrossoverCarrier != nil || plain.Paid != 8560 {
		t.Errorf("without crossover: CLP02 %s NM1*TT %+v paid %d", plain.Status, plain.CrossoverCarrier, plain.Paid)
	}
}

// TestSecondaryWithoutPrimaryPayment: a secondary claim whose 2320 names the primary
// but says nothing of what it decided (AMT*D 0, no CAS, no 2430; only the 2330B
// DTP*573 the 837P requires) is denied CO-16 MA04 on every line, CLP02 2.
func TestSecondaryWithoutPrimaryPayment(t *testing.T) {
	t.Parallel()
	claim := cobClaim("COB6S", primaryCov(&billing.OtherPayerAdjudication{Date: billing.NewDate(2026, 2, 27)}), secondaryCov(nil))
	cp := remitOf(t, cobRules(0), 1700, claim)["COB6S"]
	deny := func(c int64) []x835.Adjustment { return []x835.Adjustment{{Group: "CO", Reason: "16", Amount: c}} }
	checkCOB(t, cp, x835.StatusSecondary, 0, 0, []wantLine{{0, deny(20000)}, {0, deny(4000)}, {0, deny(15000)}})
	for _, l := range cp.Lines {
		if len(l.Remarks) != 1 || l.Remarks[0].Code != "MA04" {
			t.Errorf("remarks %+v, want MA04", l.Remarks)
		}
	}
}
