package x837p_test

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCase is one golden 837P file: the claims, the options and the first ISA13.
type goldenCase struct {
	name   string
	claims func(t *testing.T) []billing.Claim
	opt    func() x837p.BuildOptions
	isa13  uint64
}

func goldenCases() []goldenCase {
	return []goldenCase{
		{
			// Every feature; at most three claims per transaction set.
			name:   "features",
			claims: func(*testing.T) []billing.Claim { return featureClaims() },
			opt: func() x837p.BuildOptions {
				o := goldenOptions()
				o.ClaimsPerST = 3
				return o
			},
			isa13: 1000,
		},
		{
			// The JSON import example of billing/SCHEMA.md.
			name:   "examples",
			claims: exampleClaims,
			opt:    goldenOptions,
			isa13:  100,
		},
		{
			// Claims to Medicare go through another clearinghouse: two interchanges.
			name:   "receivers",
			claims: func(*testing.T) []billing.Claim { return featureClaims() },
			opt: func() x837p.BuildOptions {
				o := goldenOptions()
				o.ReceiverFor = func(c *billing.Claim) x837p.Party {
					if k, _ := c.BilledCoverage(); c.Coverages[k].Payer.ID == medicare.ID {
						return x837p.Party{Name: "EXAMPLE MEDICARE GATEWAY", ID: "MCRGW", InterchangeQualifier: "27"}
					}
					return o.Receiver
				}
				return o
			},
			isa13: 2000,
		},
	}
}

func exampleClaims(t *testing.T) []billing.Claim {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "billing", "examples", "claims.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	claims, err := billing.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return claims
}

func build(t testing.TB, claims []billing.Claim, opt x837p.BuildOptions, isa13 uint64) ([]byte, *x837p.Result) {
	t.Helper()
	var buf bytes.Buffer
	res, err := x837p.Build(claims, opt, &buf, &x12.Counter{N: isa13 - 1})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return buf.Bytes(), res
}

// checkGolden compares data with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking the change):\n%s", name, firstDiff(data, want))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b []byte
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if !bytes.Equal(a, b) {
			return "line " + itoa(i+1) + ":\n got: " + string(a) + "\nwant: " + string(b)
		}
	}
	return "(same lines)"
}

func itoa(n int) string { return string(x12.AppendCents(nil, int64(n)*100)) }

// validate fails the test for every SNIP 1-2 error in data.
func validate(t testing.TB, name string, data []byte) {
	t.Helper()
	errs, err := guide.Validate(bytes.NewReader(data), guide.MustDefault())
	if err != nil {
		t.Errorf("%s: %v", name, err)
	}
	for i, e := range errs {
		if i == 20 {
			t.Errorf("%s: %d errors in all", name, len(errs))
			break
		}
		t.Errorf("%s: %v", name, e)
	}
}

// fileOrder returns the indexes of the claims in the order Build wrote them.
func fileOrder(res *x837p.Result) []int {
	var out []int
	for _, tx := range res.Transactions {
		out = append(out, tx.Claims...)
	}
	return out
}

func normalized(claims []billing.Claim) []billing.Claim {
	var buf bytes.Buffer
	if err := billing.WriteJSON(&buf, claims); err != nil {
		panic(err)
	}
	out, err := billing.ReadJSON(&buf) // a deep copy
	if err != nil {
		panic(err)
	}
	for i := range out {
		out[i].Normalize()
	}
	return out
}

// TestGolden builds the golden files, checks them against testdata/golden (-update
// rewrites them), validates them (SNIP 1-2: zero errors), parses them back to the
// claims that made them and builds them again to the same bytes.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, gc := range goldenCases() {
		t.Run(gc.name, func(t *testing.T) {
			t.Parallel()
			claims := gc.claims(t)
			data, res := build(t, claims, gc.opt(), gc.isa13)
			checkGolden(t, gc.name+".x12", data)
			validate(t, gc.name, data)
			checkTrace(t, data, claims, res)

			parsed, err := x837p.Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := normalized(claims)
			order := fileOrder(res)
			if len(parsed) != len(order) {
				t.Fatalf("parsed %d claims, built %d", len(parsed), len(order))
			}
			for i, ci := range order {
				if !reflect.DeepEqual(parsed[i], want[ci]) {
					t.Errorf("claim %s: parse(build(claim)) differs from the normalized claim:\n%s", want[ci].PatientControlNumber, diffJSON(parsed[i], want[ci]))
				}
			}
			again, _ := build(t, parsed, gc.opt(), gc.isa13)
			if !bytes.Equal(again, data) {
				t.Errorf("build(parse(file)) differs from the file:\n%s", firstDiff(again, data))
			}
			if gc.name == "features" {
				var buf bytes.Buffer
				if err := billing.WriteJSON(&buf, want); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, "features.json", buf.Bytes())
			}
		})
	}
}

// diffJSON shows the first JSON line where two claims differ.
func diffJSON(got, want billing.Claim) string {
	var a, b bytes.Buffer
	billing.WriteJSON(&a, []billing.Claim{got})
	billing.WriteJSON(&b, []billing.Claim{want})
	return firstDiff(a.Bytes(), b.Bytes())
}

// checkTrace reads the file back and checks every claim's trace: its CLM is where
// the trace says, with its patient control number, and each line's LX is where the
// trace says; the segment map has one entry per segment, with the right loops.
func checkTrace(t *testing.T, data []byte, claims []billing.Claim, res *x837p.Result) {
	t.Helper()
	type key struct {
		isa, gs, st string
		ord         int
	}
	segs := map[key]string{} // "CLM*..." text by position
	r := x12.NewReader(bytes.NewReader(data))
	var isa, gs, st string
	var tx *x837p.Transaction
	for {
		seg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch seg.ID {
		case "ISA":
			isa = seg.Value(13)
		case "GS":
			gs = seg.Value(6)
		case "ST":
			st = seg.Value(2)
			tx = res.Transaction(gs, st)
			if tx == nil || tx.ISA13 != isa {
				t.Fatalf("no transaction %s/%s/%s in the result", isa, gs, st)
			}
		}
		if seg.STOrdinal == 0 {
			continue
		}
		segs[key{isa, gs, st, seg.STOrdinal}] = seg.String()
		if seg.STOrdinal > len(tx.Segments) {
			t.Fatalf("ST %s: segment %d (%s) is not in the segment map (%d entries)", st, seg.STOrdinal, seg.ID, len(tx.Segments))
		}
		ref := tx.Segments[seg.STOrdinal-1]
		wantLoop := map[string]x837p.Loop{"CLM": x837p.Loop2300, "LX": x837p.Loop2400, "SV1": x837p.Loop2400,
			"SVD": x837p.Loop2430, "LIN": x837p.Loop2410, "CTP": x837p.Loop2410, "PAT": x837p.Loop2000C,
			"SBR": ref.Loop, "BHT": x837p.LoopHeader, "ST": x837p.LoopHeader, "SE": x837p.LoopHeader, "OI": x837p.Loop2320}[seg.ID]
		if seg.ID == "SBR" && ref.Loop != x837p.Loop2000B && ref.Loop != x837p.Loop2320 {
			t.Errorf("ST %s segment %d SBR: loop %s", st, seg.STOrdinal, ref.Loop)
		}
		if wantLoop != 0 || seg.ID == "BHT" {
			if ref.Loop != wantLoop {
				t.Errorf("ST %s segment %d %s: loop %s, want %s", st, seg.STOrdinal, seg.ID, ref.Loop, wantLoop)
			}
		}
		if seg.ID == "SE" && seg.Value(1) != itoa(len(tx.Segments)) {
			t.Errorf("ST %s: SE01 %s, segment map has %d entries", st, seg.Value(1), len(tx.Segments))
		}
	}
	for i, tr := range res.Claims {
		c := &claims[i]
		clm := segs[key{tr.ISA13, tr.GS06, tr.ST02, tr.CLM}]
		if want := "CLM*" + c.PatientControlNumber + "*"; len(clm) < len(want) || clm[:len(want)] != want || tr.PatientControlNumber != c.PatientControlNumber {
			t.Errorf("claim %d: the trace points at %q", i, clm)
		}
		if len(tr.Lines) != len(c.Lines) {
			t.Fatalf("claim %d: %d line ordinals for %d lines", i, len(tr.Lines), len(c.Lines))
		}
		for j, ord := range tr.Lines {
			if lx := segs[key{tr.ISA13, tr.GS06, tr.ST02, ord}]; lx != "LX*"+itoa(j+1) {
				t.Errorf("claim %d line %d: the trace points at %q", i, j, lx)
			}
		}
	}
}
