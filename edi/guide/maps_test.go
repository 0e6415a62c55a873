package guide_test

import (
	"bufio"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/internal/sharedtest"
)

// The pyx12 maps in ../shared/x12-maps are another project's reading of the guides. This
// test holds our schemas against them: every difference must be one we settled against
// the guide and listed in testdata/map-differences.txt with the reason. A new difference
// fails the test, and so does a listed one that no longer occurs.

type mapNode struct {
	XMLName  xml.Name
	XID      string    `xml:"xid,attr"`
	Usage    string    `xml:"usage"`
	Repeat   string    `xml:"repeat"`
	MaxUse   string    `xml:"max_use"`
	Pos      string    `xml:"pos"`
	DataEle  string    `xml:"data_ele"`
	Codes    []string  `xml:"valid_codes>code"`
	Children []mapNode `xml:",any"`
}

func readMap(t *testing.T, path string) mapNode {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var root mapNode
	if err := xml.NewDecoder(bufio.NewReader(f)).Decode(&root); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return root
}

func maxOf(s string) int {
	if s == ">1" || s == "" {
		return guide.Unbounded
	}
	n, _ := strconv.Atoi(s)
	return n
}

// compareMaps walks the map's loops and compares each segment found in our loop of the
// same id at the same position.
func compareMaps(g *guide.Guide, m mapNode) []string {
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, g.Name+" "+fmt.Sprintf(format, args...)) }
	var walk func(n mapNode, loopID string)
	walk = func(n mapNode, loopID string) {
		for _, c := range n.Children {
			switch c.XMLName.Local {
			case "loop":
				id := c.XID
				if id == "ISA_LOOP" || id == "GS_LOOP" || id == "ST_LOOP" {
					walk(c, loopID)
					continue
				}
				if id != "HEADER" && id != "DETAIL" && id != "FOOTER" {
					l := g.LoopByID(id)
					if l == nil {
						add("loop %s: missing", id)
						continue
					}
					if string(l.Usage) != c.Usage && c.Usage != "" {
						add("loop %s: usage %s, map %s", id, l.Usage, c.Usage)
					}
					if l.Repeat != maxOf(c.Repeat) {
						add("loop %s: repeat %d, map %s", id, l.Repeat, c.Repeat)
					}
				} else {
					id = "HEADER"
				}
				walk(c, id)
			case "segment":
				compareSegment(g, loopID, c, add)
			}
		}
	}
	walk(m, "HEADER")
	sort.Strings(diffs)
	return diffs
}

func ourSegments(g *guide.Guide, loopID, segID string) []*guide.Segment {
	l := g.Root
	if loopID != "HEADER" {
		l = g.LoopByID(loopID)
	}
	if l == nil {
		return nil
	}
	var out []*guide.Segment
	for _, it := range l.Items {
		if it.Segment != nil && it.Segment.ID == segID {
			out = append(out, it.Segment)
		}
	}
	return out
}

func compareSegment(g *guide.Guide, loopID string, m mapNode, add func(string, ...any)) {
	if m.XID == "ISA" || m.XID == "IEA" || m.XID == "GS" || m.XID == "GE" {
		return
	}
	cands := ourSegments(g, loopID, m.XID)
	var s *guide.Segment
	best := -1
	for _, c := range cands {
		score := 0
		if c.Pos == m.Pos {
			score += 2
		}
		if c.KeyElement > 0 && overlaps(c.KeyCodes, mapCodesAt(m, c.KeyElement, c.KeyComponent)) {
			score += 4
		}
		if score > best {
			s, best = c, score
		}
	}
	if s == nil {
		add("loop %s segment %s pos %s: not found", loopID, m.XID, m.Pos)
		return
	}
	where := fmt.Sprintf("loop %s %s@%s", loopID, m.XID, m.Pos)
	if s.Pos != m.Pos {
		add("%s: our position %s", where, s.Pos)
	}
	if string(s.Usage) != m.Usage {
		add("%s: usage %s, map %s", where, s.Usage, m.Usage)
	}
	if s.Max != maxOf(m.MaxUse) {
		add("%s: max use %d, map %s", where, s.Max, m.MaxUse)
	}
	for _, c := range m.Children {
		if c.XMLName.Local != "element" && c.XMLName.Local != "composite" {
			continue
		}
		pos, err := strconv.Atoi(strings.TrimPrefix(c.XID, m.XID))
		if err != nil || pos < 1 {
			continue
		}
		if pos > len(s.Elements) {
			add("%s: element %s missing", where, c.XID)
			continue
		}
		compareElement(where, s.Elements[pos-1], c, add)
		for _, sub := range c.Children {
			if sub.XMLName.Local != "element" {
				continue
			}
			_, compStr, ok := strings.Cut(sub.XID, "-")
			comp, err := strconv.Atoi(compStr)
			if !ok || err != nil || comp < 1 {
				continue
			}
			if comp > len(s.Elements[pos-1].Components) {
				if sub.Usage != "N" && s.Elements[pos-1].Usage != guide.NotUsed {
					add("%s: component %s missing", where, sub.XID)
				}
				continue
			}
			compareElement(where, s.Elements[pos-1].Components[comp-1], sub, add)
		}
	}
}

// mapCodesAt returns the map's code list of an element or component of a segment.
func mapCodesAt(m mapNode, el, comp int) []string {
	for _, c := range m.Children {
		pos, err := strconv.Atoi(strings.TrimPrefix(c.XID, m.XID))
		if err != nil || pos != el {
			continue
		}
		if comp == 0 {
			return c.Codes
		}
		for _, sub := range c.Children {
			if _, cs, ok := strings.Cut(sub.XID, "-"); ok {
				if n, _ := strconv.Atoi(cs); n == comp {
					return sub.Codes
				}
			}
		}
	}
	return nil
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func compareElement(where string, e *guide.Element, m mapNode, add func(string, ...any)) {
	if string(e.Usage) != m.Usage {
		add("%s: %s usage %s, map %s", where, e.Label, e.Usage, m.Usage)
	}
	if e.Usage == guide.NotUsed {
		return
	}
	if e.Ref != "" && m.DataEle != "" && e.Ref != m.DataEle {
		add("%s: %s element %s, map %s", where, e.Label, e.Ref, m.DataEle)
	}
	if len(m.Codes) > 0 || len(e.Codes) > 0 {
		a := append([]string(nil), e.Codes...)
		b := append([]string(nil), m.Codes...)
		sort.Strings(a)
		sort.Strings(b)
		if strings.Join(a, " ") != strings.Join(b, " ") {
			add("%s: %s codes differ: ours [%s], map [%s]", where, e.Label, strings.Join(a, " "), strings.Join(b, " "))
		}
	}
}

func TestSchemasAgainstMaps(t *testing.T) {
	t.Parallel()
	dir := sharedtest.Dir(t, "x12-maps")
	reg := guide.MustDefault()
	files := map[string]string{
		"837P":  "837.5010.X222.A1.xml",
		"835":   "835.5010.X221.A1.xml",
		"999":   "999.5010X231.A1.xml",
		"277CA": "277.5010.X214.xml",
	}
	var got []string
	for name, file := range files {
		g := reg.ByName(name)
		if g == nil {
			t.Fatalf("no guide %s", name)
		}
		got = append(got, compareMaps(g, readMap(t, filepath.Join(dir, file)))...)
	}
	sort.Strings(got)
	got = slices.Compact(got) // a loop used in two places (837P 2300) differs twice
	known := readKnown(t)
	for _, d := range got {
		if _, ok := known[d]; !ok {
			t.Errorf("unsettled difference from the pyx12 map: %s", d)
		}
		delete(known, d)
	}
	for d := range known {
		t.Errorf("listed difference no longer occurs (remove it from testdata/map-differences.txt): %s", d)
	}
	if *update {
		writeKnown(t, got)
	}
}

// readKnown reads testdata/map-differences.txt: one difference a line, then " # " and
// the reason it was settled that way.
func readKnown(t *testing.T) map[string]string {
	data, err := os.ReadFile("testdata/map-differences.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		d, why, _ := strings.Cut(line, " # ")
		out[strings.TrimSpace(d)] = why
	}
	return out
}

func writeKnown(t *testing.T, diffs []string) {
	old := readKnown(t)
	sort.Strings(diffs)
	var b strings.Builder
	b.WriteString("# Differences between our guide schemas and the pyx12 maps, each settled against the guide.\n# Format: difference # reason. Regenerate the list with go test -run TestSchemasAgainstMaps -update, then give every new line its reason.\n")
	for _, d := range diffs {
		fmt.Fprintf(&b, "%s # %s\n", d, old[d])
	}
	if err := os.WriteFile("testdata/map-differences.txt", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

var update = flag.Bool("update", false, "rewrite testdata/map-differences.txt")
