package guide

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/claimflow/claimflow/edi/x12"
)

// The guide schemas, written by hand from the implementation guides in the format that
// schemas/FORMAT.md describes.
//
//go:embed schemas/*.guide schemas/*.dict schemas/*.rules
var schemaFiles embed.FS

// Registry holds the parsed guides.
type Registry struct {
	guides  []*Guide
	byKey   map[string]*Guide // ST01 + "/" + version
	control *Guide
	dict    map[string]*DataElement
}

var (
	defaultOnce sync.Once
	defaultReg  *Registry
	defaultErr  error
)

// Default returns the registry of the guides embedded in claimflow. It is parsed once;
// a broken schema file is a programming error reported by the first call.
func Default() (*Registry, error) {
	defaultOnce.Do(func() { defaultReg, defaultErr = ParseFS(schemaFiles, "schemas") })
	return defaultReg, defaultErr
}

// MustDefault is Default for callers that cannot go on without the schemas.
func MustDefault() *Registry {
	r, err := Default()
	if err != nil {
		panic(err)
	}
	return r
}

// Guides lists the transaction-set guides (not CONTROL), sorted by name.
func (r *Registry) Guides() []*Guide { return r.guides }

// Control returns the guide of the envelope and TA1 segments.
func (r *Registry) Control() *Guide { return r.control }

// Element returns a data element of the dictionary.
func (r *Registry) Element(ref string) *DataElement { return r.dict[ref] }

// Lookup finds the guide for a transaction set by ST01 and the implementation convention
// reference (ST03, or GS08 when ST03 is absent). A version without the addenda suffix
// ("005010X222" for "005010X222A1") finds the guide too.
func (r *Registry) Lookup(st01, version string) *Guide {
	if g := r.byKey[st01+"/"+version]; g != nil {
		return g
	}
	for _, g := range r.guides {
		if g.ST01 == st01 && version != "" && strings.HasPrefix(g.Version, version) && len(g.Version)-len(version) <= 2 {
			return g
		}
	}
	return nil
}

// ByName returns the guide with our short name (837P, 835, 999, 277CA), or nil.
func (r *Registry) ByName(name string) *Guide {
	for _, g := range r.guides {
		if g.Name == name {
			return g
		}
	}
	if name == r.control.Name {
		return r.control
	}
	return nil
}

// ParseFS reads every *.dict and *.guide file in dir of fsys.
func ParseFS(fsys fs.FS, dir string) (*Registry, error) {
	r := &Registry{byKey: map[string]*Guide{}, dict: map[string]*DataElement{}}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading guide schemas: %w", err)
	}
	var guideFiles []string
	rules := map[string][]Rule{}
	for _, e := range entries {
		name := path.Join(dir, e.Name())
		switch path.Ext(name) {
		case ".rules":
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", name, err)
			}
			if err := parseRules(name, string(data), rules); err != nil {
				return nil, err
			}
		case ".dict":
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", name, err)
			}
			if err := r.parseDict(name, string(data)); err != nil {
				return nil, err
			}
		case ".guide":
			guideFiles = append(guideFiles, name)
		}
	}
	for _, name := range guideFiles {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		g, err := r.parseGuide(name, string(data))
		if err != nil {
			return nil, err
		}
		if g.Name == "CONTROL" {
			r.control = g
			continue
		}
		key := g.ST01 + "/" + g.Version
		if r.byKey[key] != nil {
			return nil, fmt.Errorf("%s: guide %s %s defined twice", name, g.ST01, g.Version)
		}
		r.byKey[key] = g
		r.guides = append(r.guides, g)
	}
	if r.control == nil {
		return nil, errors.New("guide schemas: no CONTROL guide (control.guide)")
	}
	for _, g := range append(r.guides, r.control) {
		g.attachRules(rules)
		g.buildStates()
	}
	sort.Slice(r.guides, func(i, j int) bool { return r.guides[i].Name < r.guides[j].Name })
	return r, nil
}

// schemaError is a mistake in a schema file, with its place.
type schemaError struct {
	file string
	line int
	msg  string
}

func (e *schemaError) Error() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

// tokenize splits a schema line into words, "quoted strings" and [lists]; a # outside
// quotes starts a comment.
func tokenize(line string) ([]string, error) {
	var toks []string
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			return toks, nil
		case c == '"':
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				return nil, errors.New("unterminated quoted string")
			}
			toks = append(toks, line[i:i+j+2])
			i += j + 2
		case c == '[':
			j := i + 1
			inQuote := false
			for ; j < len(line); j++ {
				if line[j] == '"' {
					inQuote = !inQuote
				}
				if line[j] == ']' && !inQuote {
					break
				}
			}
			if j == len(line) {
				return nil, errors.New("unterminated code list")
			}
			toks = append(toks, line[i:j+1])
			i = j + 1
		default:
			j := i
			for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' {
				j++
			}
			toks = append(toks, line[i:j])
			i = j
		}
	}
	return toks, nil
}

func unquote(s string) (string, bool) {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1], true
	}
	return s, false
}

// parseCodes reads "[A B "C D"]".
func parseCodes(s string) ([]string, error) {
	inner := s[1 : len(s)-1]
	toks, err := tokenize(inner)
	if err != nil {
		return nil, err
	}
	codes := make([]string, 0, len(toks))
	for _, t := range toks {
		v, _ := unquote(t)
		codes = append(codes, v)
	}
	if len(codes) == 0 {
		return nil, errors.New("empty code list")
	}
	return codes, nil
}

func (r *Registry) parseDict(file, text string) error {
	for n, line := range strings.Split(text, "\n") {
		toks, err := tokenize(line)
		if err != nil {
			return &schemaError{file, n + 1, err.Error()}
		}
		if len(toks) == 0 {
			continue
		}
		if len(toks) != 5 {
			return &schemaError{file, n + 1, `want: <ref> <type> <min> <max> "<name>"`}
		}
		ref := toks[0]
		lo, err2 := strconv.Atoi(toks[2])
		hi, err3 := strconv.Atoi(toks[3])
		name, quoted := unquote(toks[4])
		if err2 != nil || err3 != nil || !quoted || lo < 0 || hi < lo || hi == 0 {
			return &schemaError{file, n + 1, "bad data element line"}
		}
		typ := Type(toks[1])
		switch typ {
		case TypeAN, TypeID, TypeDT, TypeTM, TypeN0, TypeN1, TypeN2, TypeR, TypeB:
		default:
			return &schemaError{file, n + 1, fmt.Sprintf("unknown type %q", toks[1])}
		}
		de := &DataElement{Ref: ref, Type: typ, Min: lo, Max: hi, Name: name}
		if old := r.dict[ref]; old != nil {
			if old.Type != de.Type || old.Min != de.Min || old.Max != de.Max {
				return &schemaError{file, n + 1, fmt.Sprintf("element %s disagrees with an earlier definition (%s %d/%d)", ref, old.Type, old.Min, old.Max)}
			}
			continue
		}
		r.dict[ref] = de
	}
	return nil
}

// guideParser holds the state of parsing one .guide file.
type guideParser struct {
	r     *Registry
	file  string
	line  int
	g     *Guide
	stack []*Loop
	seg   *Segment
	comp  *Element // the composite whose components are being read
}

func (p *guideParser) errf(format string, args ...any) error {
	return &schemaError{p.file, p.line, fmt.Sprintf(format, args...)}
}

func (r *Registry) parseGuide(file, text string) (*Guide, error) {
	p := &guideParser{r: r, file: file}
	for n, line := range strings.Split(text, "\n") {
		p.line = n + 1
		toks, err := tokenize(line)
		if err != nil {
			return nil, p.errf("%v", err)
		}
		if len(toks) == 0 {
			continue
		}
		if err := p.statement(toks); err != nil {
			return nil, err
		}
	}
	if p.g == nil {
		return nil, p.errf("no guide statement")
	}
	if len(p.stack) != 1 {
		return nil, p.errf("loop %s has no end", p.stack[len(p.stack)-1].ID)
	}
	if err := p.finishSegment(); err != nil {
		return nil, err
	}
	if err := p.g.index(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p.g, nil
}

func (p *guideParser) statement(toks []string) error {
	switch toks[0] {
	case "guide":
		if p.g != nil {
			return p.errf("second guide statement")
		}
		if len(toks) != 5 {
			return p.errf(`want: guide <name> <ST01> <version> "<title>"`)
		}
		title, _ := unquote(toks[4])
		p.g = &Guide{Name: toks[1], ST01: toks[2], Version: toks[3], Title: title}
		p.g.Root = &Loop{ID: "HEADER", Name: "Header", Usage: Required, Repeat: 1}
		p.stack = []*Loop{p.g.Root}
		return nil
	case "loop", "use":
		if err := p.needGuide(); err != nil {
			return err
		}
		if err := p.finishSegment(); err != nil {
			return err
		}
		want := map[string]int{"loop": 5, "use": 4}[toks[0]]
		if len(toks) != want {
			return p.errf(`want: loop <id> <usage> <repeat> "<name>", or use <loop id> <usage> <repeat>`)
		}
		u, err := parseUsage(toks[2])
		if err != nil {
			return p.errf("%v", err)
		}
		rep, err := parseRepeat(toks[3])
		if err != nil {
			return p.errf("%v", err)
		}
		parent := p.stack[len(p.stack)-1]
		if toks[0] == "use" {
			l := p.findLoop(p.g.Root, toks[1])
			if l == nil {
				return p.errf("use %s: no such loop defined before", toks[1])
			}
			parent.Items = append(parent.Items, Item{Loop: l, Usage: u, Repeat: rep})
			return nil
		}
		name, _ := unquote(toks[4])
		l := &Loop{ID: toks[1], Name: name, Usage: u, Repeat: rep, Parent: parent}
		parent.Items = append(parent.Items, Item{Loop: l, Usage: u, Repeat: rep})
		p.stack = append(p.stack, l)
		return nil
	case "end":
		if err := p.finishSegment(); err != nil {
			return err
		}
		if len(p.stack) < 2 {
			return p.errf("end without loop")
		}
		l := p.stack[len(p.stack)-1]
		if len(l.Items) == 0 || l.Items[0].Segment == nil {
			return p.errf("loop %s does not start with a segment", l.ID)
		}
		p.stack = p.stack[:len(p.stack)-1]
		return nil
	case "seg":
		if err := p.needGuide(); err != nil {
			return err
		}
		if err := p.finishSegment(); err != nil {
			return err
		}
		return p.segment(toks)
	}
	if p.seg == nil {
		return p.errf("unknown statement %q", toks[0])
	}
	return p.element(toks)
}

// findLoop looks up an already defined loop by id.
func (p *guideParser) findLoop(l *Loop, id string) *Loop {
	for _, it := range l.Items {
		if it.Loop == nil {
			continue
		}
		if it.Loop.ID == id {
			return it.Loop
		}
		if f := p.findLoop(it.Loop, id); f != nil {
			return f
		}
	}
	return nil
}

func (p *guideParser) needGuide() error {
	if p.g == nil {
		return p.errf("the file must start with a guide statement")
	}
	return nil
}

func (p *guideParser) segment(toks []string) error {
	if len(toks) < 6 {
		return p.errf(`want: seg <ID> <pos> <usage> <max> "<name>" [key <label>[=codes]]`)
	}
	u, err := parseUsage(toks[3])
	if err != nil {
		return p.errf("%v", err)
	}
	max, err := parseRepeat(toks[4])
	if err != nil {
		return p.errf("%v", err)
	}
	name, ok := unquote(toks[5])
	if !ok {
		return p.errf("segment name must be quoted")
	}
	loop := p.stack[len(p.stack)-1]
	s := &Segment{ID: toks[1], Pos: toks[2], Usage: u, Max: max, Name: name, Loop: loop}
	rest := toks[6:]
	if len(rest) > 0 {
		if rest[0] != "key" || len(rest) != 2 {
			return p.errf("after the segment name only `key <label>[=codes]` may follow")
		}
		label, codes, _ := strings.Cut(rest[1], "=")
		pos, comp, err := splitLabel(s.ID, label)
		if err != nil {
			return p.errf("%v", err)
		}
		s.KeyElement, s.KeyComponent = pos, comp
		if codes != "" {
			for _, c := range strings.Split(codes, ",") {
				c, _ = unquote(c)
				s.KeyCodes = append(s.KeyCodes, c)
			}
		}
	}
	if p.g.Name == "CONTROL" {
		if p.g.segments == nil {
			p.g.segments = map[string]*Segment{}
		}
		p.g.segments[s.ID] = s
	}
	loop.Items = append(loop.Items, Item{Segment: s})
	p.seg = s
	p.comp = nil
	return nil
}

func (p *guideParser) element(toks []string) error {
	s := p.seg
	if len(toks) < 3 {
		return p.errf("want: <label> <ref> <usage> [codes] [len=a/b] [rep=n] [\"name\"]")
	}
	pos, comp, err := splitLabel(s.ID, toks[0])
	if err != nil {
		return p.errf("%v", err)
	}
	u, err := parseUsage(toks[2])
	if err != nil {
		return p.errf("%v", err)
	}
	e := &Element{Label: toks[0], Position: pos, Component: comp, Usage: u, Repeat: 1}
	switch ref := toks[1]; {
	case ref == "-":
		if u != NotUsed {
			return p.errf("%s: only a not-used element may omit its reference number", e.Label)
		}
	case len(ref) > 1 && ref[0] == 'C' && ref[1] >= '0' && ref[1] <= '9':
		if comp != 0 {
			return p.errf("%s: a component cannot be a composite", e.Label)
		}
		e.CompositeID = ref
	default:
		de := p.r.dict[ref]
		if de == nil {
			return p.errf("%s: data element %s is not in the dictionary", e.Label, ref)
		}
		e.Ref, e.Type, e.Min, e.Max, e.Name = ref, de.Type, de.Min, de.Max, de.Name
	}
	for _, t := range toks[3:] {
		switch {
		case t[0] == '[':
			if e.Codes, err = parseCodes(t); err != nil {
				return p.errf("%s: %v", e.Label, err)
			}
		case strings.HasPrefix(t, "len="):
			lo, hi, ok := strings.Cut(t[4:], "/")
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if !ok || err1 != nil || err2 != nil || a < 0 || b < a || b == 0 {
				return p.errf("%s: bad %s", e.Label, t)
			}
			e.Min, e.Max = a, b
		case strings.HasPrefix(t, "rep="):
			if e.Repeat, err = parseRepeat(t[4:]); err != nil {
				return p.errf("%s: %v", e.Label, err)
			}
		case t[0] == '"':
			e.Name, _ = unquote(t)
		default:
			return p.errf("%s: unexpected %q", e.Label, t)
		}
	}
	if len(e.Codes) > 8 {
		e.codeSet = make(map[string]struct{}, len(e.Codes))
		for _, c := range e.Codes {
			e.codeSet[c] = struct{}{}
		}
	}
	e.prepare()
	if comp != 0 {
		if p.comp == nil || p.comp.Position != pos {
			return p.errf("%s: component without its composite line before it", e.Label)
		}
		if comp != len(p.comp.Components)+1 {
			return p.errf("%s: components must be listed in order, expected -%d", e.Label, len(p.comp.Components)+1)
		}
		p.comp.Components = append(p.comp.Components, e)
		return nil
	}
	if pos != len(s.Elements)+1 {
		return p.errf("%s: elements must be listed in order, expected %s%02d", e.Label, s.ID, len(s.Elements)+1)
	}
	s.Elements = append(s.Elements, e)
	if e.IsComposite() {
		p.comp = e
	} else {
		p.comp = nil
	}
	return nil
}

// finishSegment checks the segment just read and resolves its key.
func (p *guideParser) finishSegment() error {
	s := p.seg
	if s == nil {
		return nil
	}
	p.seg, p.comp = nil, nil
	for i, e := range s.Elements {
		if e.Usage == Required && i+1 < 64 {
			s.requiredMask |= 1 << uint(i+1)
		}
	}
	switch s.ID {
	case "DTP":
		s.period = 1
	case "DTM":
		s.period = 2
	case "DMG":
		s.period = 3
	}
	for _, e := range s.Elements {
		if e.IsComposite() && len(e.Components) == 0 && e.Usage != NotUsed {
			return p.errf("segment %s: composite %s has no components", s.ID, e.Label)
		}
	}
	if s.KeyElement == 0 {
		return nil
	}
	if s.KeyElement > len(s.Elements) {
		return p.errf("segment %s: key element %02d is not defined", s.ID, s.KeyElement)
	}
	if len(s.KeyCodes) > 0 {
		return nil
	}
	e := s.Elements[s.KeyElement-1]
	if s.KeyComponent > 0 {
		if s.KeyComponent > len(e.Components) {
			return p.errf("segment %s: key component %d is not defined", s.ID, s.KeyComponent)
		}
		e = e.Components[s.KeyComponent-1]
	}
	if len(e.Codes) == 0 {
		return p.errf("segment %s: key %s has no codes", s.ID, e.Label)
	}
	s.KeyCodes = e.Codes
	return nil
}

// index builds the lookup tables of a parsed guide.
func (g *Guide) index() error {
	g.loops = map[string]*Loop{}
	g.segIDs = map[string]bool{}
	var walk func(l *Loop) error
	walk = func(l *Loop) error {
		if l != g.Root {
			if g.loops[l.ID] != nil {
				return nil // a loop used in a second place
			}
			g.loops[l.ID] = l
		}
		for _, it := range l.Items {
			if it.Loop != nil {
				if err := walk(it.Loop); err != nil {
					return err
				}
			} else {
				g.segIDs[it.Segment.ID] = true
			}
		}
		return nil
	}
	if err := walk(g.Root); err != nil {
		return err
	}
	// Number the segment ids, and give every loop, for each id number, the items that
	// can start with that id: one map lookup per segment, then slices.
	// The ids are numbered, and put in the id table, in sorted order, so that every
	// run lays the table out the same way (and counts the same instructions).
	ids := make([]string, 0, len(g.segIDs))
	for id := range g.segIDs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	g.idNum = map[string]int{}
	for _, id := range ids {
		g.idNum[id] = len(g.idNum)
	}
	for _, id := range ids {
		n := g.idNum[id]
		k := x12.PackID(id)
		if k == 0 {
			continue
		}
		for h := idHash(k); ; h++ {
			slot := &g.idTable[h&(idTableSize-1)]
			if slot.num == 0 {
				slot.key, slot.num = k, int32(n+1)
				break
			}
		}
	}
	if len(g.idNum) > idTableSize/2 {
		return fmt.Errorf("guide %s has %d segment ids; the id table holds %d", g.Name, len(g.idNum), idTableSize/2)
	}
	g.Root.indexIDs(g.idNum)
	for _, l := range g.loops {
		l.indexIDs(g.idNum)
	}
	return nil
}

func (l *Loop) indexIDs(idNum map[string]int) {
	l.byNum = make([][]int, len(idNum))
	l.required = 0
	for i, it := range l.Items {
		if i < 64 && (it.Segment != nil && it.Segment.Usage == Required || it.Loop != nil && it.Usage == Required) {
			l.required |= 1 << uint(i)
		}
		n := idNum[it.first().ID]
		l.byNum[n] = append(l.byNum[n], i)
	}
}

// parseRules reads a .rules file: a segment id, then its syntax notes.
func parseRules(file, text string, into map[string][]Rule) error {
	for n, line := range strings.Split(text, "\n") {
		toks, err := tokenize(line)
		if err != nil {
			return &schemaError{file, n + 1, err.Error()}
		}
		if len(toks) == 0 {
			continue
		}
		if len(toks) < 2 {
			return &schemaError{file, n + 1, "want: <segment id> <note>..."}
		}
		for _, t := range toks[1:] {
			r, err := parseRule(t)
			if err != nil {
				return &schemaError{file, n + 1, err.Error()}
			}
			into[toks[0]] = append(into[toks[0]], r)
		}
	}
	return nil
}

func parseRule(t string) (Rule, error) {
	r := Rule{Kind: t[0]}
	switch r.Kind {
	case 'P', 'R', 'E', 'C', 'L':
	default:
		return r, fmt.Errorf("syntax note %q: kind must be P, R, E, C or L", t)
	}
	digits := t[1:]
	if len(digits) < 4 || len(digits)%2 != 0 {
		return r, fmt.Errorf("syntax note %q: positions must be pairs of digits, at least two", t)
	}
	for i := 0; i < len(digits); i += 2 {
		p, err := strconv.Atoi(digits[i : i+2])
		if err != nil || p < 1 {
			return r, fmt.Errorf("syntax note %q: bad position", t)
		}
		r.Elements = append(r.Elements, p)
		if p < 64 {
			r.mask |= 1 << uint(p)
		}
	}
	r.first = 1 << uint(r.Elements[0])
	return r, nil
}

// attachRules gives every segment of the guide the syntax notes of its id.
func (g *Guide) attachRules(rules map[string][]Rule) {
	seen := map[*Loop]bool{}
	var walk func(l *Loop)
	walk = func(l *Loop) {
		if seen[l] {
			return
		}
		seen[l] = true
		for _, it := range l.Items {
			if it.Loop != nil {
				walk(it.Loop)
			} else {
				it.Segment.Rules = rules[it.Segment.ID]
				it.Segment.compilePlan()
			}
		}
	}
	if g.Root != nil {
		walk(g.Root)
	}
	for _, s := range g.segments {
		s.Rules = rules[s.ID]
		s.compilePlan()
	}
}
