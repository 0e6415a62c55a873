package x837p_test

import (
	"bytes"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
)

// generated writes a fixtures 837P file and returns it with its parsed claims and
// build options that reproduce its submitter and receiver.
func generated(t testing.TB, opt fixtures.Options) ([]byte, []billing.Claim, x837p.BuildOptions) {
	t.Helper()
	var gen bytes.Buffer
	st, err := fixtures.Write837P(&gen, opt)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := x837p.Parse(bytes.NewReader(gen.Bytes()))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	lines, charge := 0, billing.Money(0)
	for i := range claims {
		lines += len(claims[i].Lines)
		charge += claims[i].Charge
	}
	if len(claims) != st.Claims || lines != st.Lines || int64(charge) != st.ChargeCents {
		t.Fatalf("parsed %d claims, %d lines, %v; the generator wrote %d, %d, %d cents", len(claims), lines, charge, st.Claims, st.Lines, st.ChargeCents)
	}
	isa, err := x12.NewReader(bytes.NewReader(gen.Bytes())).Next()
	if err != nil {
		t.Fatal(err)
	}
	bo := goldenOptions()
	bo.Submitter.ID = strings.TrimSpace(isa.Value(6))
	bo.Receiver.ID = strings.TrimSpace(isa.Value(8))
	bo.Test, bo.Newline = false, opt.Newline
	return gen.Bytes(), claims, bo
}

// claimBlocks cuts an 837P into the segments of each claim, from its subscriber HL
// to its last line, keyed by CLM01, with HL01 and HL02 blanked (numbering depends on
// how claims are grouped), and collects the distinct billing provider blocks (2000A
// to the first 2000B).
func claimBlocks(t testing.TB, data []byte) (map[string]string, map[string]bool) {
	t.Helper()
	blocks := map[string]string{}
	providers := map[string]bool{}
	r := x12.NewReader(bytes.NewReader(data))
	var cur, pcn strings.Builder
	inClaim, inProvider := false, false
	flush := func() {
		if inClaim {
			blocks[pcn.String()] = cur.String()
		}
		if inProvider {
			providers[cur.String()] = true
		}
		cur.Reset()
		pcn.Reset()
		inClaim, inProvider = false, false
	}
	for {
		seg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		text := seg.String()
		switch seg.ID {
		case "HL":
			if seg.Value(3) == "23" {
				break
			}
			flush()
			inClaim, inProvider = seg.Value(3) == "22", seg.Value(3) == "20"
		case "SE":
			flush()
		case "CLM":
			pcn.WriteString(seg.Value(1))
		}
		if seg.ID == "HL" {
			text = "HL*#*#*" + seg.Value(3) + "*" + seg.Value(4)
		}
		if inClaim || inProvider {
			cur.WriteString(text)
			cur.WriteByte('~')
		}
	}
	return blocks, providers
}

// TestFixtures parses files of the fixtures generator (ours too, but written by hand
// with x12.Writer) and builds them again: every claim comes out with the same
// segments, the billing provider loops are the same, the output validates, and it
// parses to the same claims. The files differ only in grouping: Build puts each payer
// in its own transaction sets, so HL numbers, BHT and the envelopes differ.
func TestFixtures(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 7, 2025} {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			t.Parallel()
			gen, claims, opt := generated(t, fixtures.Options{Seed: seed, Claims: 1200, ClaimsPerST: 40, Newline: seed == 7})
			built, _ := build(t, claims, opt, 1)
			validate(t, "rebuilt fixtures", built)

			want, wantProv := claimBlocks(t, gen)
			got, gotProv := claimBlocks(t, built)
			if len(want) != len(claims) || len(got) != len(want) {
				t.Fatalf("%d claim blocks generated, %d built, %d claims", len(want), len(got), len(claims))
			}
			bad := 0
			for pcn, w := range want {
				if g := got[pcn]; g != w && bad < 3 {
					bad++
					t.Errorf("claim %s:\n got: %s\nwant: %s", pcn, g, w)
				}
			}
			if !reflect.DeepEqual(gotProv, wantProv) {
				t.Errorf("billing provider loops differ:\n got: %v\nwant: %v", gotProv, wantProv)
			}

			again, err := x837p.Parse(bytes.NewReader(built))
			if err != nil {
				t.Fatal(err)
			}
			byPCN := map[string]*billing.Claim{}
			for i := range again {
				byPCN[again[i].PatientControlNumber] = &again[i]
			}
			for i := range claims {
				if g := byPCN[claims[i].PatientControlNumber]; g == nil || !reflect.DeepEqual(*g, claims[i]) {
					t.Fatalf("claim %s parses differently after build", claims[i].PatientControlNumber)
				}
			}
			// Our own output round-trips byte for byte.
			rebuilt, _ := build(t, again, opt, 1)
			if !bytes.Equal(rebuilt, built) {
				t.Errorf("build(parse(built)) differs:\n%s", firstDiff(rebuilt, built))
			}
		})
	}
}

// TestLargeBatch builds a batch of 20,000 claims (generated ones and the feature
// claims with fresh patient control numbers) with the largest transaction sets and
// checks that it validates with zero errors and that every trace holds.
func TestLargeBatch(t *testing.T) {
	t.Parallel()
	_, claims, opt := generated(t, fixtures.Options{Seed: 99, Claims: 19200, ClaimsPerST: 100})
	feat := featureClaims()
	for r := 0; r < 100; r++ {
		for _, c := range feat {
			c.PatientControlNumber = "R" + strconv.Itoa(r) + c.PatientControlNumber
			c.Lines = append([]billing.Line(nil), c.Lines...)
			for j := range c.Lines {
				if c.Lines[j].ControlNumber != "" {
					c.Lines[j].ControlNumber = "R" + strconv.Itoa(r) + c.Lines[j].ControlNumber
				}
			}
			claims = append(claims, c)
		}
	}
	opt.ClaimsPerST = x837p.MaxClaimsPerST
	data, res := build(t, claims, opt, 500)
	validate(t, "large batch", data)
	checkTrace(t, data, claims, res)
	for _, tx := range res.Transactions {
		if len(tx.Claims) > x837p.MaxClaimsPerST {
			t.Errorf("ST %s holds %d claims", tx.ST02, len(tx.Claims))
		}
	}
}
