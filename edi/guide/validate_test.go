package guide_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/fixtures"
)

// fixSE recomputes SE01 of each transaction set of a newline-separated sample, so that
// a test's edit does not also produce a count error.
func fixSE(s string) string {
	lines := strings.Split(s, "\n")
	n := 0
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "ST*"):
			n = 1
		case strings.HasPrefix(l, "SE*"):
			n++
			parts := strings.SplitN(l, "*", 3)
			lines[i] = fmt.Sprintf("SE*%d*%s", n, parts[2])
			n = 0
		case n > 0 && l != "":
			n++
		}
	}
	return strings.Join(lines, "\n")
}

func validate(t *testing.T, s string) guide.List {
	t.Helper()
	errs, err := guide.Validate(strings.NewReader(s), guide.MustDefault())
	if err != nil {
		t.Fatalf("reading: %v", err)
	}
	return errs
}

func TestSamplesAreValid(t *testing.T) {
	t.Parallel()
	for _, name := range fixtures.SampleNames() {
		if errs := validate(t, string(fixtures.Sample(name))); len(errs) > 0 {
			t.Errorf("%s: %v", name, errs[0])
		}
	}
}

// TestValidatorFindsEachError edits a valid 837P to hold one defect at a time and checks
// that the validator reports it with the right 999 code, segment, loop and element.
func TestValidatorFindsEachError(t *testing.T) {
	t.Parallel()
	base := string(fixtures.Sample("837p-basic.x12"))
	cases := []struct {
		name, old, new string
		code           string // IK304=, IK403=, IK502=, TA105=...
		segment        string
		loop           string
		position       string // element position like CLM05-3; "" for segment errors
	}{
		{"required element missing", "CLM*DEMO0002*195", "CLM**195", "IK403=1", "CLM", "2300", "CLM01"},
		{"invalid code", "SBR*P*18*GRP12345", "SBR*Q*18*GRP12345", "IK403=7", "SBR", "2000B", "SBR01"},
		{"invalid component code", "CLM*DEMO0001*250***11:B:1", "CLM*DEMO0001*250***11:B:5", "IK403=7", "CLM", "2300", "CLM05-3"},
		{"too long", "CLM*DEMO0001*", "CLM*DEMO0001DEMO0001DEMO0001*", "IK403=5", "CLM", "2300", "CLM01"},
		{"bad date", "DMG*D8*19800115*F", "DMG*D8*19801315*F", "IK403=8", "DMG", "2010BA", "DMG02"},
		{"bad date range", "DTP*472*D8*20250303~\nREF*6R*DEMO0001L1", "DTP*472*RD8*20250303-20250301~\nREF*6R*DEMO0001L1", "IK403=8", "DTP", "2400", "DTP03"},
		{"bad time", "BHT*0019*00*BATCH0101*20250310*0930*CH", "BHT*0019*00*BATCH0101*20250310*2561*CH", "IK403=9", "BHT", "HEADER", "BHT05"},
		{"not a number", "SV1*HC:83036*65*UN*1", "SV1*HC:83036*6X5*UN*1", "IK403=6", "SV1", "2400", "SV102"},
		{"too many elements", "PAT*19", "PAT*19*********X*Y*Z", "IK403=3", "PAT", "2000C", "PAT10"},
		{"too many components", "SBR*P*18*GRP12345", "SBR*P:X*18*GRP12345", "IK403=13", "SBR", "2000B", "SBR01"},
		{"too many repetitions", "SBR*P*18*GRP12345", "SBR*P^S*18*GRP12345", "IK403=12", "SBR", "2000B", "SBR01 rep 2"},
		{"not-used element present", "NM1*41*2*CLAIMFLOW DEMO SUBMITTER*****46", "NM1*41*2*CLAIMFLOW DEMO SUBMITTER***X**46", "IK403=I10", "NM1", "1000A", "NM106"},
		{"unrecognized segment", "REF*G1*PA20250001", "R3F*G1*PA20250001", "IK304=6", "R3F", "2300", ""},
		{"bad segment id", "REF*G1*PA20250001", "ref*G1*PA20250001", "IK304=1", "ref", "2300", ""},
		{"unexpected segment", "REF*G1*PA20250001", "BPR*G1*PA20250001", "IK304=6", "BPR", "2300", ""},
		{"out of order", "N3*123 MAIN ST~\nN4*SPRINGFIELD*IL*627011234", "N4*SPRINGFIELD*IL*627011234~\nN3*123 MAIN ST", "IK304=7", "N3", "2010AA", ""},
		{"required segment missing", "N4*SPRINGFIELD*IL*627011234~\n", "", "IK304=3", "N4", "2010AA", ""},
		{"required loop missing", "NM1*PR*2*ACME HEALTH PLAN*****PI*AHP01~\nCLM*DEMO0001", "CLM*DEMO0001", "IK304=3", "NM1", "2010BB", ""},
		{"segment over max use", "REF*EI*991234567", "REF*EI*991234567~\nREF*EI*991234568", "IK304=5", "REF", "2010AA", ""},
		{"loop over max", "NM1*40*2*DEMO CLEARINGHOUSE*****46*DEMOCH", "NM1*40*2*DEMO CLEARINGHOUSE*****46*DEMOCH~\nNM1*40*2*AGAIN*****46*DEMOCH", "IK304=4", "NM1", "1000B", ""},
		{"wrong qualifier", "NM1*PR*2*ACME", "NM1*XX*2*ACME", "IK403=7", "NM1", "2010BA", "NM101"},
		{"paired elements (P0809)", "NM1*85*2*EXAMPLE FAMILY MEDICINE*****XX*1234567893", "NM1*85*2*EXAMPLE FAMILY MEDICINE*****XX", "IK403=2", "NM1", "2010AA", "NM109"},
		{"paired elements (P0304)", "PER*IC*EDI DESK*TE*5555550100", "PER*IC*EDI DESK*TE", "IK403=2", "PER", "1000A", "PER04"},
		{"HL parent", "HL*4*3*23*0", "HL*4*1*23*0", "IK403=7", "HL", "2000C", "HL02"},
		{"HL numbering", "HL*3*1*22*1", "HL*7*1*22*1", "IK403=7", "HL", "2000B", "HL01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(base, c.old) {
				t.Fatalf("sample does not contain %q", c.old)
			}
			errs := validate(t, fixSE(strings.Replace(base, c.old, c.new, 1)))
			for _, e := range errs {
				if e.Code() == c.code && e.SegmentID == c.segment && e.LoopID == c.loop && (c.position == "" || e.Position() == c.position) {
					if e.STOrdinal == 0 || e.Transaction != "0001" || e.Interchange != "000000101" {
						t.Errorf("error lacks its place: %+v", e)
					}
					return
				}
			}
			t.Errorf("want %s at %s (loop %s) %s; got:\n%s", c.code, c.segment, c.loop, c.position, firstErrors(errs))
		})
	}
}

func TestEnvelopeErrorsReported(t *testing.T) {
	t.Parallel()
	base := string(fixtures.Sample("837p-basic.x12"))
	errs := validate(t, strings.Replace(base, "SE*59*0001", "SE*58*0001", 1))
	if len(errs) != 1 || errs[0].Code() != "IK502=4" || errs[0].Level != guide.LevelTransaction {
		t.Fatalf("SE01 wrong: got %v", errs)
	}
	errs = validate(t, strings.Replace(base, "IEA*1*000000101", "IEA*1*000000102", 1))
	if len(errs) != 1 || errs[0].Code() != "TA105=001" {
		t.Fatalf("IEA02 wrong: got %v", errs)
	}
}

func TestSyntaxErrorEndsValidation(t *testing.T) {
	t.Parallel()
	base := string(fixtures.Sample("837p-basic.x12"))
	cut := base[:strings.Index(base, "HL*3")+5]
	errs, err := guide.Validate(strings.NewReader(cut), guide.MustDefault())
	if err == nil || len(errs) == 0 || errs[len(errs)-1].Level != guide.LevelFile {
		t.Fatalf("truncated file: err %v, errs %v", err, errs)
	}
}

// TestTreeFloatsClaimUnderPatient checks the loop tree: the second claim belongs to the
// patient level 2000C, the first to the subscriber level 2000B.
func TestTreeFloatsClaimUnderPatient(t *testing.T) {
	t.Parallel()
	var trees []*guide.Transaction
	errs, err := guide.ReadTransactions(strings.NewReader(string(fixtures.Sample("837p-basic.x12"))), guide.MustDefault(), func(tx *guide.Transaction) error {
		trees = append(trees, tx)
		return nil
	})
	if err != nil || len(errs) != 0 || len(trees) != 1 {
		t.Fatalf("err %v, errs %v, %d trees", err, errs, len(trees))
	}
	root := trees[0].Root
	a := root.Loops("2000A")
	if len(a) != 1 {
		t.Fatalf("%d 2000A loops", len(a))
	}
	subs := a[0].Loops("2000B")
	if len(subs) != 2 {
		t.Fatalf("%d 2000B loops", len(subs))
	}
	if c := subs[0].Loops("2300"); len(c) != 1 || c[0].Trigger().Value(1) != "DEMO0001" || len(c[0].Loops("2400")) != 2 {
		t.Errorf("first subscriber's claim misplaced")
	}
	pats := subs[1].Loops("2000C")
	if len(pats) != 1 || len(subs[1].Loops("2300")) != 0 {
		t.Fatalf("dependent's claim not under 2000C")
	}
	claim := pats[0].Loops("2300")
	if len(claim) != 1 || claim[0].Trigger().Value(1) != "DEMO0002" || len(claim[0].Loops("2400")) != 3 || len(claim[0].Loops("2310B")) != 1 {
		t.Errorf("patient's claim misplaced")
	}
	if n := pats[0].Loops("2010CA"); len(n) != 1 || n[0].Segment("DMG", 0) == nil {
		t.Errorf("2010CA without its DMG")
	}
	count := 0
	root.Walk(func(n *guide.Node, c guide.Child) { count++ })
	if count != 59 {
		t.Errorf("walked %d segments, want 59 (ST..SE)", count)
	}
}

// TestSecondInterchangeErrorsNameIt: a bad ISA after an earlier interchange is reported
// with its own control number.
func TestSecondInterchangeErrorsNameIt(t *testing.T) {
	t.Parallel()
	base := string(fixtures.Sample("837p-basic.x12"))
	second := strings.ReplaceAll(base, "000000101", "000000102")
	second = strings.Replace(second, "*ZZ*CLAIMFLOWDEMO  *", "*ZZ*CLAIMFLOWDEMO *", 1) // ISA06 one short
	errs := validate(t, base+second)
	if len(errs) == 0 {
		t.Fatal("the short ISA06 was not reported")
	}
	for _, e := range errs {
		if e.Interchange != "000000102" {
			t.Errorf("error names interchange %q, want 000000102: %v", e.Interchange, e)
		}
	}
}

// TestNoTreesSameTransactions checks that a Checker told not to build loop trees
// hands OnTransaction the same transaction sets, envelopes and errors as one that
// builds them, with Root nil: on the samples, on an 835 with defects, and on input
// cut short (a syntax error ends the reading).
func TestNoTreesSameTransactions(t *testing.T) {
	t.Parallel()
	era := string(fixtures.Sample("835-basic.x12"))
	inputs := map[string]string{
		"835 with defects": strings.Replace(strings.Replace(era, "CLP*", "CLP*X*", 1), "N1*PE*", "N1*ZZ*", 1),
		"835 cut short":    era[:len(era)*2/3] + "\x01",
	}
	for _, name := range fixtures.SampleNames() {
		inputs[name] = string(fixtures.Sample(name))
	}
	for name, in := range inputs {
		var got [2][]string
		var lists [2]string
		for k, noTrees := range []bool{false, true} {
			c := guide.NewChecker(guide.MustDefault())
			c.NoTrees = noTrees
			c.OnTransaction = func(tx *guide.Transaction) error {
				if (tx.Root == nil) != (noTrees || tx.Guide == nil) {
					t.Errorf("%s: NoTrees %v, ST %s: Root %v", name, noTrees, tx.ST02, tx.Root)
				}
				guideName := ""
				if tx.Guide != nil {
					guideName = tx.Guide.Name
				}
				got[k] = append(got[k], fmt.Sprintf("%s %s %s %s %v %v %v", tx.ST01, tx.ST02, tx.Version, guideName, tx.Interchange, tx.Group, tx.Errors))
				return nil
			}
			errs, err := c.Run(strings.NewReader(in))
			lists[k] = fmt.Sprint(errs, err)
		}
		if len(got[0]) == 0 && !strings.HasPrefix(name, "ta1") {
			t.Errorf("%s: no transaction set", name)
		}
		if name == "835 cut short" && strings.HasSuffix(lists[0], "<nil>") {
			t.Errorf("%s: no syntax error: %s", name, lists[0])
		}
		if fmt.Sprint(got[0]) != fmt.Sprint(got[1]) || lists[0] != lists[1] {
			t.Errorf("%s: with trees\n%q %s\nwithout\n%q %s", name, got[0], lists[0], got[1], lists[1])
		}
	}
	if n := len(validate(t, inputs["835 with defects"])); n < 2 {
		t.Errorf("the 835 with defects has %d errors, want at least 2", n)
	}
}
