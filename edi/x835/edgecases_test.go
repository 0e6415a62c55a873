package x835_test

// Edge cases of 835 reading and balancing edge cases against X12-GUIDE section 6
// (6.1 BPR, 6.3 CAS, 6.4 RARC, 6.5 PLB, 6.6 balancing). Pure: no database.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/x835"
)

// edge835 returns an 835 interchange with one transaction set: BPR02 bpr02,
// BPR03 credit, the claim loops and PLBs of body ("~"-terminated).
func edge835(bpr02, credit, body string) string {
	st := "ST*835*0001~" +
		"BPR*I*" + bpr02 + "*" + credit + "*ACH*CCP*01*111111118*DA*1234567890*1990000101**01*122222229*DA*000123456789*20250328~" +
		"TRN*1*AUDIT1*1990000101~" +
		"DTM*405*20250327~" +
		"N1*PR*ACME HEALTH PLAN~N3*100 INSURANCE WAY~N4*COLUMBUS*OH*432150001~REF*2U*AHP01~PER*BL*EDI SUPPORT*TE*8005550199~" +
		"N1*PE*EXAMPLE FAMILY MEDICINE*XX*1234567893~N3*123 MAIN ST~N4*SPRINGFIELD*IL*627011234~REF*TJ*991234567~" + body
	n := strings.Count(st, "~") + 1
	return "ISA*00*          *00*          *ZZ*DEMOCH         *ZZ*CLAIMFLOWDEMO  *250328*0610*^*00501*000000301*0*T*:~" +
		"GS*HP*DEMOCH*CLAIMFLOWDEMO*20250328*0610*301*X*005010X221A1~" + st +
		fmt.Sprintf("SE*%d*0001~", n) + "GE*1*301~IEA*1*000000301~"
}

// refused says why the file check of pipeline/remit (guide errors, values not
// read, balancing) would quarantine the remittance, "" when it would post it.
func refused(rem *x835.Remittance) string {
	switch {
	case len(rem.Origin.Errors) > 0:
		return fmt.Sprintf("guide: %v", rem.Origin.Errors)
	case len(rem.Origin.Unread) > 0:
		return fmt.Sprintf("unread: %v", rem.Origin.Unread)
	}
	if p := x835.Balance(rem); len(p) > 0 {
		return fmt.Sprintf("balance: %v", p)
	}
	return ""
}

// bothWays reads the text with ParseEach and with Reader (pipeline/remit uses the
// Reader) and hands each single remittance to fn.
func bothWays(t *testing.T, text string, fn func(how string, rem *x835.Remittance)) {
	t.Helper()
	a, err := parseAll([]byte(text))
	if err != nil || len(a) != 1 {
		t.Fatalf("ParseEach: %d, %v", len(a), err)
	}
	b, err := readAll([]byte(text))
	if err != nil || len(b) != 1 {
		t.Fatalf("Reader: %d, %v", len(b), err)
	}
	fn("ParseEach", a[0])
	fn("Reader", b[0])
}

const auditReversal = "LX*1~CLP*A17*22*-200*-120**12*ICN1~NM1*QC*1*DOE*PAT~" +
	"SVC*HC:99213*-200*-120**-1~DTM*472*20250120~CAS*CO*45*-50~CAS*PR*2*-30~REF*6R*A17-1~" +
	"CLP*A17*1*200*100*50*12*ICN1B~NM1*QC*1*DOE*PAT~" +
	"SVC*HC:99213*200*100**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*50~REF*6R*A17-1~"

// TestNegativeBPR02Refused: the claims net -20.00 (reversal -120, correction
// 100). BPR02 is never negative (6.1); the payer must forward the balance with
// PLB FB (6.6, RFI 222). An 835 with BPR02 -20 breaks the guide: it must not post.
func TestNegativeBPR02Refused(t *testing.T) {
	t.Parallel()
	bothWays(t, edge835("-20", "C", auditReversal), func(how string, rem *x835.Remittance) {
		if rem.Payment.Amount >= 0 {
			t.Fatalf("%s: BPR02 read as %d", how, rem.Payment.Amount)
		}
		if why := refused(rem); why == "" {
			t.Errorf("%s: BPR02 -20.00 accepted: the file would be posted", how)
		}
	})
}

// TestForwardBalanceFB: the same claims with PLB FB -20.00 and BPR02 0
// balance (BPR02 = sum CLP04 - sum PLB = -20 - -20 = 0).
func TestForwardBalanceFB(t *testing.T) {
	t.Parallel()
	bothWays(t, edge835("0", "C", auditReversal+"PLB*1234567893*20251231*FB:ICN1*-20~"), func(how string, rem *x835.Remittance) {
		if why := refused(rem); why != "" {
			t.Errorf("%s: %s", how, why)
		}
		if p := rem.ProviderAdjustments; len(p) != 1 || p[0].Adjustments[0] != (x835.PLBAdjustment{Reason: "FB", Reference: "ICN1", Amount: -2000}) {
			t.Errorf("%s: PLB %+v", how, p)
		}
	})
	// Without the FB the same file does not balance.
	bothWays(t, edge835("0", "C", auditReversal), func(how string, rem *x835.Remittance) {
		p := x835.Balance(rem)
		if len(p) != 1 || p[0].Kind != x835.TransactionBalance {
			t.Errorf("%s: %v", how, p)
		}
	})
}

// TestCLP05NotPR: CLP05 must equal the PR adjustments of claim and lines
// (6.6); a CLP05 the PR amounts do not back is a balancing problem.
func TestCLP05NotPR(t *testing.T) {
	t.Parallel()
	body := "LX*1~CLP*A17*1*200*120*40*12*ICN1~CAS*PR*3*10~NM1*QC*1*DOE*PAT~" +
		"SVC*HC:99213*200*130**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*20~REF*6R*A17-1~"
	bothWays(t, edge835("120", "C", body), func(how string, rem *x835.Remittance) {
		p := x835.Balance(rem)
		if len(p) != 1 || p[0].Kind != x835.PatientResponsibility || p[0].Got != 4000 || p[0].Want != 3000 {
			t.Errorf("%s: %v", how, p)
		}
	})
}

// TestMixedCASBalance: claim-level and line-level CAS both count in the
// claim balance; a claim without lines balances on its own CAS.
func TestMixedCASBalance(t *testing.T) {
	t.Parallel()
	body := "LX*1~CLP*A17*1*200*118*30*12*ICN1~CAS*CO*253*2~NM1*QC*1*DOE*PAT~" +
		"SVC*HC:99213*200*120**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*30~REF*6R*A17-1~" +
		"CLP*A18*1*100*60*10*12*ICN2~CAS*CO*45*30~CAS*PR*3*10~NM1*QC*1*DOE*PAT~"
	bothWays(t, edge835("178", "C", body), func(how string, rem *x835.Remittance) {
		if why := refused(rem); why != "" {
			t.Errorf("%s: %s", how, why)
		}
	})
	// The line-less claim's CLP04 off by one cent.
	bad := strings.Replace(body, "CLP*A18*1*100*60*", "CLP*A18*1*100*60.01*", 1)
	bothWays(t, edge835("178.01", "C", bad), func(how string, rem *x835.Remittance) {
		p := x835.Balance(rem)
		if len(p) != 1 || p[0].Kind != x835.ClaimBalance || p[0].Claim != 1 {
			t.Errorf("%s: %v", how, p)
		}
	})
}

// TestCASSixTrios: one CAS with six trios (6.3) is read as six adjustments of
// its group, quantities kept.
func TestCASSixTrios(t *testing.T) {
	t.Parallel()
	body := "LX*1~CLP*A17*1*200*179*0*12*ICN1~NM1*QC*1*DOE*PAT~" +
		"SVC*HC:99213*200*179**1~DTM*472*20250120~CAS*CO*45*10*1*253*2**97*3**16*1**42*1**59*4*2~REF*6R*A17-1~"
	bothWays(t, edge835("179", "C", body), func(how string, rem *x835.Remittance) {
		if why := refused(rem); why != "" {
			t.Fatalf("%s: %s", how, why)
		}
		as := rem.Claims[0].Lines[0].Adjustments
		var got []string
		for _, a := range as {
			got = append(got, fmt.Sprintf("%s-%s:%d:%s", a.Group, a.Reason, a.Amount, a.Quantity))
		}
		want := "CO-45:1000:1 CO-253:200: CO-97:300: CO-16:100: CO-42:100: CO-59:400:2"
		if strings.Join(got, " ") != want {
			t.Errorf("%s: %s, want %s", how, strings.Join(got, " "), want)
		}
	})
}

// TestAmountSpellings: "200", "200.00", ".5" and "0.5" are read alike.
func TestAmountSpellings(t *testing.T) {
	t.Parallel()
	body := "LX*1~CLP*A17*1*200*199.5**12*ICN1~NM1*QC*1*DOE*PAT~" +
		"SVC*HC:99213*200.00*199.50**1~DTM*472*20250120~CAS*CO*45*.5~REF*6R*A17-1~"
	bothWays(t, edge835("199.5", "C", body), func(how string, rem *x835.Remittance) {
		if why := refused(rem); why != "" {
			t.Fatalf("%s: %s", how, why)
		}
		c := rem.Claims[0]
		if c.Charge != 20000 || c.Paid != 19950 || c.Lines[0].Charge != 20000 || c.Lines[0].Adjustments[0].Amount != 50 {
			t.Errorf("%s: %+v", how, c)
		}
	})
}

// TestUnreadableAmount: an amount with fractions of a cent or a thousands
// separator cannot be read: the file must not post (reported, not read as 0).
func TestUnreadableAmount(t *testing.T) {
	t.Parallel()
	for _, amt := range []string{"50.005", "5,0"} {
		body := "LX*1~CLP*A17*1*200*150**12*ICN1~NM1*QC*1*DOE*PAT~" +
			"SVC*HC:99213*200*150**1~DTM*472*20250120~CAS*CO*45*" + amt + "~REF*6R*A17-1~"
		bothWays(t, edge835("150", "C", body), func(how string, rem *x835.Remittance) {
			if why := refused(rem); why == "" {
				t.Errorf("%s: CAS amount %q accepted", how, amt)
			}
		})
	}
}

// TestRemarksMOAMIA: claim-level RARCs from MOA03-07 and MIA05, MIA20-23
// (6.4); line-level from LQ*HE.
func TestRemarksMOAMIA(t *testing.T) {
	t.Parallel()
	mia := "MIA*0***0*MA01" + strings.Repeat("*", 14) + "*N1*N2*N3*N4~"
	body := "LX*1~CLP*A17*1*200*0**12*ICN1~CAS*CO*16*200~NM1*QC*1*DOE*PAT~" + mia +
		"CLP*A18*1*200*0**12*ICN2~NM1*QC*1*DOE*PAT~MOA***MA130*M20*N56*N130*MA18~" +
		"SVC*HC:99213*200*0**1~DTM*472*20250120~CAS*CO*16*200~REF*6R*A18-1~LQ*HE*N382~"
	bothWays(t, edge835("0", "C", body), func(how string, rem *x835.Remittance) {
		if why := refused(rem); why != "" {
			t.Fatalf("%s: %s", how, why)
		}
		if got := strings.Join(rem.Claims[0].Remarks(), ","); got != "MA01,N1,N2,N3,N4" {
			t.Errorf("%s: MIA remarks %s", how, got)
		}
		if got := strings.Join(rem.Claims[1].Remarks(), ","); got != "MA130,M20,N56,N130,MA18" {
			t.Errorf("%s: MOA remarks %s", how, got)
		}
		if r := rem.Claims[1].Lines[0].Remarks; len(r) != 1 || r[0] != (x835.Remark{Qualifier: "HE", Code: "N382"}) {
			t.Errorf("%s: LQ %+v", how, r)
		}
	})
}

// TestPLBSixPairs: a PLB with six reason/amount pairs is read whole and
// counts in the transaction balance.
func TestPLBSixPairs(t *testing.T) {
	t.Parallel()
	body := "LX*1~CLP*A17*1*200*120*30*12*ICN1~NM1*QC*1*DOE*PAT~" +
		"SVC*HC:99213*200*120**1~DTM*472*20250120~CAS*CO*45*50~CAS*PR*2*30~REF*6R*A17-1~" +
		"PLB*1234567893*20251231*L6:A17*-2.15*WO:ICN9*10*72*5*FB:ICN8*-3*CS:X1*1*B2*0.5~"
	// 120 - (-2.15 + 10 + 5 - 3 + 1 + 0.5) = 108.65
	bothWays(t, edge835("108.65", "C", body), func(how string, rem *x835.Remittance) {
		if why := refused(rem); why != "" {
			t.Fatalf("%s: %s", how, why)
		}
		if n := len(rem.ProviderAdjustments[0].Adjustments); n != 6 {
			t.Errorf("%s: %d PLB adjustments", how, n)
		}
	})
}
