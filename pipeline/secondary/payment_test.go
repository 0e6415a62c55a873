package secondary_test

import (
	"context"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/secondary"
	"github.com/claimflow/claimflow/storage"
)

// TestNextClaimFromStoredPayment: what the claim for the next payer takes from the
// earlier payer's stored claim payment beyond its amounts. Its 2320 SBR09 is the
// payment's claim filing indicator (CLP06) when the coverage has none, and a line
// the payer adjudicated by its drug's NDC (SVC01 N4, which SVD03 cannot carry: ER,
// HC, IV or WK only) is sent with the procedure billed.
func TestNextClaimFromStoredPayment(t *testing.T) {
	t.Parallel()
	st := testenv.SQLite(t)
	w := newWorld(t, st)
	s := newStage(t, st)
	c := w.claimWith("N4CLP06", func(b *billing.Claim) {
		b.Coverages = b.Coverages[:2]
		b.Coverages[0].FilingIndicator = ""
		b.Lines[0].Procedure = billing.Procedure{Code: "J1100"}
		b.Lines[0].Drug = &billing.Drug{NDC: "99999012303", Quantity: billing.Units(1)}
	})
	// The stored payment says CLP06 CI.
	w.adjudicate(c, decision{payer: primaryPlan, status: "1", paid: 120_00, icn: "ICN1", date: adjudicated, code: "99999012303",
		lineAdj: []billing.Adjustment{adj("CO", "45", 50_00), adj("PR", "2", 30_00)}}, storage.StatePartiallyPaid)
	p, err := s.Plan(context.Background(), &st.Conn, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Action != secondary.ActionBillNext {
		t.Fatalf("plan = %s (%s), findings %v; want bill-next", p.Action, p.Reason, p.Findings)
	}
	if got := p.Claim.Coverages[0].FilingIndicator; got != "CI" {
		t.Errorf("the primary's filing indicator is %q, want CI from CLP06", got)
	}
	out := build(t, p.Claim)
	for _, seg := range []string{"SBR*P*18*GRP1******CI~", "SVD*12345*120*HC:J1100**1~"} {
		if !strings.Contains(out, seg) {
			t.Errorf("837P lacks %s\n%s", seg, out)
		}
	}
}
