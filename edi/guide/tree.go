package guide

import (
	"io"

	"github.com/claimflow/claimflow/edi/x12"
)

// Transaction is one transaction set (ST..SE) as a tree of loops, with the envelopes
// it came in and the validation errors found in it.
type Transaction struct {
	Guide       *Guide // nil when no guide matched (then Root is nil)
	ST01, ST02  string
	Version     string       // ST03, or GS08 when ST03 is absent
	Interchange *x12.Segment // the ISA
	Group       *x12.Segment // the GS
	Root        *Node        // the transaction set's own level (loop HEADER)
	Errors      List
}

// Node is one instance of a loop: its segments and child loops in file order.
type Node struct {
	Loop     *Loop
	Parent   *Node
	Children []Child
}

// Child is a segment of a loop instance, or a child loop instance.
type Child struct {
	Node    *Node        // a child loop instance, or nil
	Segment *x12.Segment // a segment (a copy that may be kept), or nil
	Schema  *Segment     // the guide's segment it was placed as; nil when unplaced
}

// Segments returns the loop's own segments with the id (not those of child loops).
func (n *Node) Segments(id string) []*x12.Segment {
	var out []*x12.Segment
	for _, c := range n.Children {
		if c.Segment != nil && c.Segment.ID == id {
			out = append(out, c.Segment)
		}
	}
	return out
}

// Segment returns the loop's first own segment with the id whose element key (if
// given, as position and value) matches, or nil.
func (n *Node) Segment(id string, keyPos int, keyValues ...string) *x12.Segment {
	for _, c := range n.Children {
		s := c.Segment
		if s == nil || s.ID != id {
			continue
		}
		if keyPos == 0 || len(keyValues) == 0 {
			return s
		}
		for _, v := range keyValues {
			if s.Value(keyPos) == v {
				return s
			}
		}
	}
	return nil
}

// Loops returns the child loop instances with the id, in order.
func (n *Node) Loops(id string) []*Node {
	var out []*Node
	for _, c := range n.Children {
		if c.Node != nil && c.Node.Loop.ID == id {
			out = append(out, c.Node)
		}
	}
	return out
}

// Trigger returns the loop instance's first segment.
func (n *Node) Trigger() *x12.Segment {
	for _, c := range n.Children {
		if c.Segment != nil {
			return c.Segment
		}
	}
	return nil
}

// Walk calls fn for every segment of the tree in file order with the loop instance
// holding it.
func (n *Node) Walk(fn func(node *Node, c Child)) {
	for _, c := range n.Children {
		if c.Node != nil {
			c.Node.Walk(fn)
		} else {
			fn(n, c)
		}
	}
}

// treeBuilder assembles a Node tree from the walker's placements.
type treeBuilder struct {
	root  *Node
	stack []*Node
}

func newTreeBuilder(g *Guide) *treeBuilder {
	root := &Node{Loop: g.Root}
	return &treeBuilder{root: root, stack: []*Node{root}}
}

func (b *treeBuilder) pop(depth int) {
	if depth < 0 {
		b.stack = b.stack[:1]
		return
	}
	if len(b.stack) > depth+1 {
		b.stack = b.stack[:depth+1]
	}
}

func (b *treeBuilder) push(l *Loop) {
	parent := b.stack[len(b.stack)-1]
	n := &Node{Loop: l, Parent: parent}
	parent.Children = append(parent.Children, Child{Node: n})
	b.stack = append(b.stack, n)
}

func (b *treeBuilder) place(s *Segment, seg *x12.Segment, placed bool) {
	n := b.stack[len(b.stack)-1]
	n.Children = append(n.Children, Child{Segment: seg.Clone(), Schema: s})
}

// ReadTransactions reads an X12 stream and hands each transaction set to fn as a loop
// tree, validated, one at a time: memory holds one transaction set, whatever the file
// size. Envelope errors outside any transaction set are returned in the list; a syntax
// error stops the reading and is returned.
func ReadTransactions(r io.Reader, reg *Registry, fn func(*Transaction) error) (List, error) {
	c := NewChecker(reg)
	c.OnTransaction = fn
	return c.Run(r)
}
