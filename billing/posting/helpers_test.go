package posting_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/storage"
)

// remit835 wraps claim loops and PLB segments ("~"-terminated, as an 835 writes
// them) in a guide-conformant 835 paying total, and parses it.
func remit835(t *testing.T, total, trace, body string) *x835.Remittance {
	t.Helper()
	rems := parse835(t, Build835(total, trace, body))
	if len(rems) != 1 {
		t.Fatalf("%d remittances", len(rems))
	}
	return rems[0]
}

// Build835 returns the text of an 835 from the body of its one transaction set.
func Build835(total, trace, body string) string {
	head := "ST*835*0001~" +
		"BPR*I*" + total + "*C*ACH*CCP*01*111111118*DA*1234567890*1990000101**01*122222229*DA*000123456789*20250328~" +
		"TRN*1*" + trace + "*1990000101~" +
		"DTM*405*20250327~" +
		"N1*PR*ACME HEALTH PLAN~N3*100 INSURANCE WAY~N4*COLUMBUS*OH*432150001~REF*2U*AHP01~PER*BL*EDI SUPPORT*TE*8005550199~" +
		"N1*PE*EXAMPLE FAMILY MEDICINE*XX*1234567893~N3*123 MAIN ST~N4*SPRINGFIELD*IL*627011234~REF*TJ*991234567~"
	st := head + body
	n := strings.Count(st, "~") + 1
	return "ISA*00*          *00*          *ZZ*DEMOCH         *ZZ*CLAIMFLOWDEMO  *250328*0610*^*00501*000000301*0*T*:~" +
		"GS*HP*DEMOCH*CLAIMFLOWDEMO*20250328*0610*301*X*005010X221A1~" + st +
		fmt.Sprintf("SE*%d*0001~", n) + "GE*1*301~IEA*1*000000301~"
}

func parse835(t *testing.T, text string) []*x835.Remittance {
	t.Helper()
	var rems []*x835.Remittance
	if err := x835.ParseEach(strings.NewReader(text), func(r *x835.Remittance) error {
		if len(r.Origin.Errors) > 0 {
			t.Fatalf("guide errors: %v", r.Origin.Errors)
		}
		if probs := x835.Balance(r); len(probs) > 0 {
			t.Fatalf("does not balance: %v", probs)
		}
		c := *r
		rems = append(rems, &c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return rems
}

// entry is what a test expects of a ledger entry.
type entry struct {
	key    string
	kind   storage.EntryKind
	bucket storage.Bucket
	amount billing.Money
	line   int64
	reason string
}

func (e entry) String() string {
	return fmt.Sprintf("%s %s %s %s line %d %s", e.key, e.kind, e.bucket, e.amount, e.line, e.reason)
}

func checkEntries(t *testing.T, got []storage.Entry, want []entry) {
	t.Helper()
	var g, w []string
	for _, e := range got {
		g = append(g, entry{e.IdempotencyKey, e.Kind, e.Bucket, e.Amount, e.LineID, e.Reason}.String())
	}
	for _, e := range want {
		w = append(w, e.String())
	}
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

func sum(es []storage.Entry, b storage.Bucket) billing.Money {
	var s billing.Money
	for _, e := range es {
		if e.Bucket == b {
			s += e.Amount
		}
	}
	return s
}
