package guide

import (
	"fmt"
	"testing"
	"time"
)

// TestCodeTable: every code list of the guides that fits a perfect hash finds each of
// its codes and nothing else, including the codes of other lists.
func TestCodeTable(t *testing.T) {
	t.Parallel()
	reg := MustDefault()
	var lists [][]string
	var walk func(l *Loop)
	seen := map[*Loop]bool{}
	walk = func(l *Loop) {
		if seen[l] {
			return
		}
		seen[l] = true
		for _, it := range l.Items {
			if it.Loop != nil {
				walk(it.Loop)
				continue
			}
			for _, e := range it.Segment.Elements {
				lists = append(lists, e.Codes)
				for _, c := range e.Components {
					lists = append(lists, c.Codes)
				}
			}
		}
	}
	for _, g := range reg.guides {
		walk(g.Root)
	}
	all := map[string]bool{"": true, "X": true, "ZZZZZZZ": true, "1234567": true}
	for _, l := range lists {
		for _, c := range l {
			all[c] = true
		}
	}
	tables := 0
	for _, l := range lists {
		if len(l) == 0 {
			continue
		}
		tab, ok := newCodeTable(l)
		if !ok {
			continue
		}
		tables++
		in := map[string]bool{}
		for _, c := range l {
			in[c] = true
		}
		for c := range all {
			if len(c) > 7 {
				continue
			}
			if got := tab.has(codeKey(c)); got != in[c] || tab.has(bytesKey([]byte(c))) != got {
				t.Fatalf("list %v: has(%q) = %v", l, c, got)
			}
		}
	}
	if tables == 0 {
		t.Fatal("no code list made a table")
	}
	t.Logf("%d code tables checked", tables)
	if _, ok := newCodeTable([]string{"TOOLONGCODE"}); ok {
		t.Error("a code of more than seven bytes made a table")
	}
	if _, ok := newCodeTable([]string{fmt.Sprint("A")}); !ok {
		t.Error("a single code made no table")
	}
}

// TestValidDate holds the word-at-a-time date check against time.Parse over every day
// of four years around a leap day, and against bad dates of every shape.
func TestValidDate(t *testing.T) {
	t.Parallel()
	for d := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2003; d = d.AddDate(0, 0, 1) {
		if s := d.Format("20060102"); !validDate([]byte(s)) {
			t.Fatalf("%s refused", s)
		}
	}
	for _, s := range []string{"20010229", "20001301", "20000001", "20000100", "20000431", "2000010", "2000-101", "200001011", "2000O101", "2000 101", "\xb0\x00\x00\x00\x00\x00\x00\x00", "19000229"} {
		_, err := time.Parse("20060102", s)
		if got := validDate([]byte(s)); got != (err == nil) {
			t.Errorf("validDate(%q) = %v", s, got)
		}
	}
}
