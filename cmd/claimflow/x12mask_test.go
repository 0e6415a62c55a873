package main

import (
	"strings"
	"testing"
)

// TestInspectMasksShiftedElements: x12 inspect shows a coded element only when it
// holds one of its codes, a number only when it is one. In a malformed file (an
// element left out, so the rest shift left) the subscriber's last name lands in
// NM102, the member id in NM108 and the birth date in DMG03, and a diagnosis code
// whose qualifier is missing in HI01-1: none is shown without --show-phi, while the
// codes of the well-formed segments still are.
func TestInspectMasksShiftedElements(t *testing.T) {
	t.Parallel()
	path := writeSampleEdits(t, "837p-basic.x12",
		"NM1*IL*1*SAMPLE*ALEX*J***MI*XYZ100000001=>NM1*IL*SAMPLE*ALEX*J***MI*XYZ100000001",
		"DMG*D8*19800115*F=>DMG*D8*F*19800115",
		"HI*ABK:E119*ABF:I10=>HI*E119*ABF:I10", // the qualifier left out: the code lands in HI01-1
	)
	_, out, errOut := runCLI(t, "x12", "inspect", path)
	if !strings.Contains(out, "2010BA Subscriber Name") {
		t.Fatalf("inspect did not print the tree:\n%s%s", out, errOut)
	}
	for _, code := range []string{"NM1*IL*xxx", "DMG*D8*xxx*xxx", "HI*xxx*ABF:xxx", "CLM*"} {
		if !strings.Contains(out, code) {
			t.Errorf("x12 inspect lost %q:\n%s", code, out)
		}
	}
	for _, phi := range []string{"SAMPLE", "XYZ100000001", "19800115", "E119"} {
		if strings.Contains(out, phi) {
			t.Errorf("x12 inspect shows %q without --show-phi", phi)
		}
	}
}
