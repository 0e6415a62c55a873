package guide

import (
	"bytes"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/fixtures"
)

// stackFor sets up the walker's open loops as loop state s describes them.
func stackFor(w *walker, s int32) {
	var chain []int32
	for f := s; f != noState; f = w.g.states[f].parent {
		chain = append(chain, f)
	}
	w.stack = w.stack[:0]
	for k := len(chain) - 1; k >= 0; k-- {
		st := &w.g.states[chain[k]]
		w.pushFrame(st.loop, Required, Unbounded, chain[k])
		w.stack[len(w.stack)-1].idx = st.idx
	}
}

// TestPlacementTableAgrees puts every segment id of every guide, with every qualifier
// value the guide names (and some it does not) at the usual qualifier places, in every
// loop state, with random items at their maximum, and checks that wherever the table
// answers, the careful search gives the same place and the state the table names.
func TestPlacementTableAgrees(t *testing.T) {
	t.Parallel()
	reg := MustDefault()
	rnd := rand.New(rand.NewPCG(1, 2))
	delims := []x12.Delimiters{x12.DefaultDelimiters, {Element: '*', Component: ':', Segment: '~'}}
	for _, g := range append(reg.Guides(), reg.Control()) {
		if len(g.states) == 0 {
			t.Fatalf("guide %s has no placement table", g.Name)
		}
		// The values to try for each id: those the guide names for it, and some others.
		values := map[string][]string{}
		seen := map[string]bool{}
		for _, st := range g.states {
			for _, it := range st.loop.Items {
				seg := it.first()
				for _, c := range seg.KeyCodes {
					if !seen[seg.ID+"/"+c] {
						seen[seg.ID+"/"+c] = true
						values[seg.ID] = append(values[seg.ID], c)
					}
				}
			}
		}
		for _, v := range values {
			sort.Strings(v)
		}
		ids := make([]string, len(g.idNum))
		for id, n := range g.idNum {
			ids[n] = id
		}
		w := newWalker(g, func(*Error) {})
		answered, total := 0, 0
		for s := range g.states {
			for num, id := range ids {
				for _, v := range append([]string{"", "Q", "ZZZZZZZ", "TOOLONGVALUE"}, values[id]...) {
					for _, shape := range [][]string{{v}, {"X", v}, {"X", "Y", v}, {v + ":Z"}, {v + "^R"}, {"X", v + ":Z:W"}} {
						d := delims[rnd.IntN(len(delims))]
						seg := x12.NewSegment(d, id, shape...)
						stackFor(w, int32(s))
						for k := range w.stack {
							f := &w.stack[k]
							for i := range f.counts {
								if rnd.IntN(8) == 0 {
									f.counts[i] = 1 << 20 // at its maximum, whatever that is
								}
							}
						}
						w.seg = seg
						w.ct = classesFor(w.ct, d)
						w.p.parse(w.ct, seg)
						w.num = num
						total++
						tr := g.states[s].trans[num]
						if tr == 0 {
							continue
						}
						pl := g.trans[tr-1].lookup(&w.p)
						if !pl.ok || w.stack[pl.depth].itemFull(int(pl.item)) {
							continue
						}
						answered++
						func() {
							defer func() {
								if p := recover(); p != nil {
									t.Fatalf("%s state %d (loop %s item %d): %v", g.Name, s, g.states[s].loop.ID, g.states[s].idx, p)
								}
							}()
							w.verifyPlacement(pl, seg)
						}()
					}
				}
			}
		}
		t.Logf("%s: %d loop states, %d transitions; the table answered %d of %d placements", g.Name, len(g.states), len(g.trans), answered, total)
		if answered == 0 {
			t.Fatalf("%s: the table never answered", g.Name)
		}
	}
}

// TestPlacementTableCovers: the table places every segment of generated 835 and 837P
// files, so that the careful search is left for the unusual.
func TestPlacementTableCovers(t *testing.T) {
	t.Parallel()
	reg := MustDefault()
	for _, typ := range []string{"835", "837P"} {
		var buf bytes.Buffer
		var err error
		if typ == "835" {
			_, err = fixtures.Write835(&buf, fixtures.Options{Seed: 7, Size: 1 << 20})
		} else {
			_, err = fixtures.Write837P(&buf, fixtures.Options{Seed: 7, Size: 1 << 20})
		}
		if err != nil {
			t.Fatal(err)
		}
		c := NewChecker(reg)
		if errs, err := c.Run(&buf); err != nil || len(errs) != 0 {
			t.Fatalf("%s: %v %v", typ, err, errs.Err())
		}
		searches := 0
		for _, w := range c.walkers {
			searches += w.searches
		}
		if searches != 0 {
			t.Errorf("%s: the careful search placed %d segments of a valid generated file", typ, searches)
		}
	}
}
