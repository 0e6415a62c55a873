package x12

import (
	"bytes"
)

// Segment is one X12 segment. Its elements are split from the segment's text on first
// use: Elements()[0] holds the segment id and Elements()[i] element i, so that
// Elements()[1] is element 01. An element's bytes still contain its component and
// repetition separators; Component and Repetition split them.
//
// A Segment returned by Reader.Next is valid only until the next call: its memory is
// reused. Clone makes a copy that may be kept. A Segment is not safe for concurrent use
// (the first access splits it).
type Segment struct {
	ID        string
	Delims    Delimiters
	Offset    int64 // byte offset of the segment's first byte in the stream
	Line      int   // 1-based line of Offset
	Ordinal   int64 // 1-based ordinal of the segment in the stream
	STOrdinal int   // ordinal inside ST..SE (ST = 1); 0 outside a transaction set

	raw   []byte   // the segment's text without its terminator
	elems [][]byte // the split elements, valid when split is true
	split bool
	key   uint32 // ID packed (IDKey), when the Reader or NewSegment made the segment; else 0
}

// IDKey returns the segment id packed with its length into an integer: the id's bytes
// little-endian in the low 24 bits, its length in the top byte; 0 when the id is empty
// or longer than three bytes. Segments from a Reader carry it, so that a look-up by id
// need not read the id's string. (A segment whose ID is changed after a Reader or
// NewSegment made it keeps the key of its old id: set ID only on segments built as
// struct values.)
func (s *Segment) IDKey() uint32 {
	if s.key != 0 {
		return s.key
	}
	return packIDOf(s)
}

// packIDOf is PackID(s.ID), kept out of IDKey so that IDKey stays cheap to inline.
//
//go:noinline
func packIDOf(s *Segment) uint32 { return PackID(s.ID) }

// PackID packs a segment id as IDKey does.
func PackID(id string) uint32 {
	if len(id) == 0 || len(id) > 3 {
		return 0
	}
	key := uint32(len(id)) << 24
	for i := 0; i < len(id); i++ {
		key |= uint32(id[i]) << (8 * i)
	}
	return key
}

// Raw returns the segment's text without its terminator.
func (s *Segment) Raw() []byte { return s.raw }

// Elements returns the segment id and the elements: Elements()[i] is element i.
func (s *Segment) Elements() [][]byte {
	if !s.split {
		if s.elems == nil {
			// A kept copy splits once: one allocation of the right size rather than
			// the doublings of append.
			s.elems = make([][]byte, 0, bytes.Count(s.raw, []byte{s.Delims.Element})+1)
		}
		s.elems = splitElements(s.raw, s.Delims.Element, s.elems[:0])
		s.split = true
	}
	return s.elems
}

// splitElements appends the elements of raw, cut at sep. Segments are short, so a
// plain loop beats a call to bytes.IndexByte per element.
func splitElements(raw []byte, sep byte, elems [][]byte) [][]byte {
	n := len(raw)
	for i := 0; ; {
		j := i
		for j < n && raw[j] != sep {
			j++
		}
		elems = append(elems, raw[i:j:j])
		if j >= n {
			return elems
		}
		i = j + 1
	}
}

// Len is the number of elements (not counting the segment id).
func (s *Segment) Len() int { return len(s.Elements()) - 1 }

// Element returns element i (1-based) with its separators, or nil when absent.
func (s *Segment) Element(i int) []byte {
	e := s.Elements()
	if i < 1 || i >= len(e) {
		return nil
	}
	return e[i]
}

// Value returns element i as a string ("" when absent).
func (s *Segment) Value(i int) string { return string(s.Element(i)) }

// Has reports whether element i is present and not empty.
func (s *Segment) Has(i int) bool { return len(s.Element(i)) > 0 }

// Component returns component j (1-based) of the first repetition of element i.
func (s *Segment) Component(i, j int) []byte { return s.RepComponent(i, 1, j) }

// RepComponent returns component j of repetition r of element i (all 1-based).
func (s *Segment) RepComponent(i, r, j int) []byte {
	return nth(s.Repetition(i, r), s.Delims.Component, j)
}

// Repetition returns repetition r (1-based) of element i.
func (s *Segment) Repetition(i, r int) []byte {
	e := s.Element(i)
	if s.Delims.Repetition == 0 || s.ID == "ISA" {
		if r == 1 {
			return e
		}
		return nil
	}
	return nth(e, s.Delims.Repetition, r)
}

// Repetitions is the number of repetitions of element i (0 when absent or empty).
func (s *Segment) Repetitions(i int) int {
	e := s.Element(i)
	if len(e) == 0 {
		return 0
	}
	if s.Delims.Repetition == 0 || s.ID == "ISA" {
		return 1
	}
	return bytes.Count(e, []byte{s.Delims.Repetition}) + 1
}

// Components is the number of components of repetition r of element i.
func (s *Segment) Components(i, r int) int {
	e := s.Repetition(i, r)
	if len(e) == 0 {
		return 0
	}
	if s.ID == "ISA" {
		return 1
	}
	return bytes.Count(e, []byte{s.Delims.Component}) + 1
}

// nth returns the n-th (1-based) part of b split at sep, or nil.
func nth(b []byte, sep byte, n int) []byte {
	if n < 1 || b == nil {
		return nil
	}
	for k := 1; ; k++ {
		i := bytes.IndexByte(b, sep)
		if k == n {
			if i < 0 {
				return b
			}
			return b[:i]
		}
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
}

// Clone returns a deep copy of the segment that stays valid after the next Reader call.
func (s *Segment) Clone() *Segment {
	c := *s
	c.raw = bytes.Clone(s.raw)
	if c.raw == nil {
		c.raw = []byte{}
	}
	c.elems = nil
	c.split = false
	return &c
}

// String renders the segment with its own delimiters, without the terminator.
func (s *Segment) String() string { return string(s.raw) }

// NewSegment builds a segment from an id and element strings, for tests and callers
// that assemble segments by hand. Components must already be joined with d.Component.
func NewSegment(d Delimiters, id string, elements ...string) *Segment {
	raw := []byte(id)
	for _, e := range elements {
		raw = append(raw, d.Element)
		raw = append(raw, e...)
	}
	return &Segment{ID: id, Delims: d, raw: raw, key: PackID(id)}
}
