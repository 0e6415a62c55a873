package guide

import "testing"

// TestSchemasParse loads every embedded schema file: a mistake in one fails here with
// its file and line.
func TestSchemasParse(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range r.Guides() {
		n := 0
		var count func(l *Loop)
		count = func(l *Loop) {
			for _, it := range l.Items {
				if it.Loop != nil {
					count(it.Loop)
				} else {
					n++
				}
			}
		}
		count(g.Root)
		t.Logf("%s %s %s: %d loops, %d segment places", g.Name, g.ST01, g.Version, len(g.loops), n)
	}
	if r.Control().ControlSegment("ISA") == nil {
		t.Fatal("control guide has no ISA")
	}
}
