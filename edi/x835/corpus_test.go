package x835_test

import (
	"bytes"
	"github.com/claimflow/claimflow/internal/x12test"
	"os"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

// TestCorpus parses every 835 of the shared corpus (those not marked invalid) and
// logs what does not map (segments the model does not carry, and those
// Build(Parse(file)) does not give back) and, for the files marked valid, what
// Balance finds. Real samples have real defects: only the stupidedi X221A1 samples,
// which balance, must keep balancing.
func TestCorpus(t *testing.T) {
	t.Parallel()
	for _, f := range sharedtest.Corpus(t) {
		if f.Type != "835" || f.Invalid() {
			continue
		}
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		rems, err := x835.Parse(bytes.NewReader(data))
		if err != nil {
			if strings.HasPrefix(f.Version, "00501") {
				t.Errorf("%s (%s): %v", f.Name, f.Version, err)
			} else {
				t.Logf("%s (%s): not read: %v", f.Name, f.Version, err)
			}
			continue
		}
		claims, balanced := 0, 0
		for _, r := range rems {
			claims += len(r.Claims)
			o := r.Origin
			if len(o.Errors) > 0 {
				t.Logf("%s: ST %s: %d guide errors, first: %v", f.Name, o.ST02, len(o.Errors), o.Errors[0])
			}
			if len(o.Unread) > 0 {
				t.Logf("%s: ST %s: unread values: %v", f.Name, o.ST02, o.Unread)
			}
			if len(o.Unmapped) > 0 {
				t.Logf("%s: ST %s: segments not in the model: %v", f.Name, o.ST02, o.Unmapped)
			}
			if f.Marking != "valid" {
				continue
			}
			probs := x835.Balance(&r)
			if len(probs) > 0 {
				for _, p := range probs {
					t.Logf("%s: ST %s: %v", f.Name, o.ST02, p)
				}
				if strings.Contains(f.Name, "kputnam__stupidedi") && strings.Contains(f.Name, "X221A1") {
					t.Errorf("%s: the stupidedi sample no longer balances", f.Name)
				}
			} else {
				balanced++
			}
		}
		if f.Marking == "valid" {
			t.Logf("%s: %d of %d remittances balance", f.Name, balanced, len(rems))
		}
		var buf bytes.Buffer
		if err := x835.Build(&buf, env(), rems...); err != nil {
			t.Logf("%s: cannot be rebuilt: %v", f.Name, err)
			continue
		}
		if lost := bodyDiff(data, buf.Bytes()); len(lost) > 0 {
			t.Logf("%s: %d remittances, %d claims; does not map: %v", f.Name, len(rems), claims, lost)
		} else {
			t.Logf("%s: %d remittances, %d claims, every segment maps", f.Name, len(rems), claims)
		}
	}
}

// bodyDiff returns the segments of a's transaction sets (envelopes excluded) that b
// does not have in the same order, numbers compared by value and adjustments one a
// line (how adjustments are cut into CAS and PLB segments is form).
func bodyDiff(a, b []byte) []string {
	return x12test.Lost(x12test.Body(a, x12test.Number, adjustments), x12test.Body(b, x12test.Number, adjustments))
}

// adjustments renders the adjustments of a CAS ("CAS*CO*45*50*") or a PLB
// ("PLB*id*date*L6:ref*-2.15") one by one.
func adjustments(seg *x12.Segment) []string {
	if seg.ID != "CAS" && seg.ID != "PLB" {
		return nil
	}
	out := []string{}
	if seg.ID == "CAS" {
		for el := 2; el <= 17; el += 3 {
			if seg.Has(el) || seg.Has(el+1) {
				out = append(out, strings.Join([]string{"CAS", seg.Value(1), seg.Value(el), x12test.Number(seg.Value(el + 1)), seg.Value(el + 2)}, "*"))
			}
		}
		return out
	}
	for el := 3; el <= 13; el += 2 {
		if seg.Has(el) || seg.Has(el+1) {
			id := string(seg.Component(el, 1))
			if ref := seg.Component(el, 2); len(ref) > 0 {
				id += ":" + string(ref)
			}
			out = append(out, strings.Join([]string{"PLB", seg.Value(1), seg.Value(2), id, x12test.Number(seg.Value(el + 1))}, "*"))
		}
	}
	return out
}
