package simulator_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x277ca"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
)

// clock is the fixed time of the simulators under test.
func clock() time.Time { return time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC) }

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newSim makes a simulator with the rules (DefaultRules when nil) and no SSH.
func newSim(t *testing.T, cfg simulator.Config) *simulator.Server {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = clock
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// fixtureClaims are n synthetic claims of a seed, read back from the generator's 837P.
func fixtureClaims(t *testing.T, seed uint64, n int) []billing.Claim {
	t.Helper()
	var buf bytes.Buffer
	if _, err := fixtures.Write837P(&buf, fixtures.Options{Seed: seed, Claims: n, ClaimsPerST: n}); err != nil {
		t.Fatal(err)
	}
	claims, err := x837p.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return claims
}

// build writes claims as one 837P interchange asking for a TA1, with ISA13 isa13.
func build(t *testing.T, claims []billing.Claim, isa13 uint64, perST int) ([]byte, *x837p.Result) {
	t.Helper()
	var buf bytes.Buffer
	res, err := x837p.Build(claims, x837p.BuildOptions{
		Submitter:    x837p.Party{Name: "CLAIMFLOW TEST", ID: "CFTEST", Contact: billing.Contact{Phone: "5555550100"}},
		Receiver:     x837p.Party{Name: "SIMULATED CLEARINGHOUSE", ID: "SIMCH"},
		AckRequested: true, Test: true, ClaimsPerST: perST,
		Now: func() time.Time { return time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC) },
	}, &buf, &x12.Counter{N: isa13 - 1})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), res
}

// checkResponse holds a response to what every file the simulator writes must be:
// no error from our own validator, classified by the generic profile as its kind,
// and, for an 835, balanced with a payment that is not negative.
func checkResponse(t *testing.T, name string, kind profile.Kind, data []byte) {
	t.Helper()
	errs, err := guide.Validate(bytes.NewReader(data), guide.MustDefault())
	if err != nil || len(errs) > 0 {
		t.Fatalf("%s does not validate: %v\n%v\n%s", name, err, errs, strings.ReplaceAll(string(data), "~", "~\n"))
	}
	generic, err := profile.Load("generic", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := generic.Classify(name, data); got != kind {
		t.Errorf("%s is classified %s, want %s", name, got, kind)
	}
	if kind != profile.Kind835 {
		return
	}
	rems, err := x835.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, r := range rems {
		if probs := x835.Balance(&r); len(probs) > 0 {
			t.Errorf("%s ST %s does not balance: %v", name, r.Origin.ST02, probs)
		}
		if r.Payment.Amount < 0 {
			t.Errorf("%s ST %s: BPR02 %d", name, r.Origin.ST02, r.Payment.Amount)
		}
	}
}

func checkAll(t *testing.T, rs []simulator.Response) {
	t.Helper()
	for _, r := range rs {
		checkResponse(t, r.Name, r.Kind, r.Data)
	}
}

// byKind returns the responses of a kind.
func byKind(rs []simulator.Response, kind profile.Kind) []simulator.Response {
	var out []simulator.Response
	for _, r := range rs {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// statuses reads 277CAs: the first STC of each claim by PCN (the payer's when there
// is one), and the payer claim numbers given. A claim answered twice by the same
// source is an error.
func statuses(t *testing.T, files ...[]byte) (map[string]x277ca.Status, map[string]string, []x277ca.Ack) {
	t.Helper()
	st, icn := map[string]x277ca.Status{}, map[string]string{}
	seen := map[string]bool{}
	var all []x277ca.Ack
	for _, data := range files {
		acks, err := x277ca.Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, acks...)
		for _, a := range acks {
			for _, p := range a.Providers {
				for _, c := range p.Claims {
					src := a.InformationSource.Code + " " + c.PCN
					if seen[src] {
						t.Errorf("claim %s answered twice by %s", c.PCN, a.InformationSource.Code)
					}
					seen[src] = true
					if _, ok := st[c.PCN]; !ok || a.InformationSource.Code == x277ca.SourcePayer {
						st[c.PCN] = c.Statuses[0]
					}
					if c.PayerClaimNumber != "" {
						icn[c.PCN] = c.PayerClaimNumber
					}
				}
			}
		}
	}
	return st, icn, all
}

func parse835(t *testing.T, data []byte) []x835.Remittance {
	t.Helper()
	rems, err := x835.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return rems
}
