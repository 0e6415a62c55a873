// Package profile describes clearinghouses as data: where to connect, which folders to
// use, what to call uploaded files (and how test files are named), the interchange ids
// they expect in ISA and GS, how to tell their response files apart and what may be
// done with them. Profiles for Availity, Office Ally, Claim.MD, Stedi and a generic
// SFTP clearinghouse are embedded (profiles/*.yaml); an installation overrides any
// field, or adds profiles, in its own YAML file:
//
//	p, err := profile.Load("officeally", "/var/lib/claimflow/connections.yaml")
//	layout, err := p.Layout()
//	name, err := p.FileName(profile.NameData{Prefix: "ACME", Time: time.Now()})
//
// Facts about clearinghouses are of uneven quality, so each profile says where each
// one comes from (Confidence): "tr3" implementation guide, "doc" the vendor's public
// documentation, "2nd" second-hand (other people's code or notes), "unverified" (an
// inference, check it), "site" set by the installation.
package profile

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/claimflow/claimflow/connectors"
	"gopkg.in/yaml.v3"
)

//go:embed profiles/*.yaml
var embedded embed.FS

// Profile is one clearinghouse's conventions.
type Profile struct {
	Name  string `yaml:"name"`
	Title string `yaml:"title"`
	Host  string `yaml:"host"`
	Port  int    `yaml:"port"` // 22 when zero
	// Usage is ISA15: "T" test or "P" production. With T, the profile's test section
	// applies (test host, test receiver id, test file names).
	Usage    string   `yaml:"usage"`
	Folders  Folders  `yaml:"folders"`
	Upload   Upload   `yaml:"upload"`
	Envelope Envelope `yaml:"envelope"`
	// Responses classify inbound files by name, first match wins; files no rule
	// names (or a rule of kind x12) are classified by content (ST01).
	Responses     []Response          `yaml:"responses"`
	AfterDownload connectors.Disposal `yaml:"after_download"`
	MayDelete     bool                `yaml:"may_delete"`
	MayArchive    bool                `yaml:"may_archive"`
	// Expect lists the responses every submitted file should get, and how soon;
	// the pipeline raises an alarm when one is late.
	Expect []Expectation `yaml:"expect"`
	// Confidence says where facts come from, by field path ("host", "folders",
	// "envelope.isa08", "responses"); a field without an entry takes its parent's.
	Confidence map[string]string `yaml:"confidence"`
	Notes      []string          `yaml:"notes"`

	test []yaml.Node // test sections, applied in order when Usage is T
}

// Folders are the remote folders.
type Folders struct {
	Upload   string `yaml:"upload"`
	Download string `yaml:"download"`
	// DownloadSubfolders lists one level of sub-folders of Download too (Claim.MD
	// TaxID folders).
	DownloadSubfolders bool   `yaml:"download_subfolders"`
	Archive            string `yaml:"archive"`
	// Notifications are files the clearinghouse writes elsewhere than Download
	// (Availity writes upload results into SendFiles/).
	Notifications Notifications `yaml:"notifications"`
}

// Notifications are inbound files in another folder, selected by name.
type Notifications struct {
	Dir     string `yaml:"dir"`
	Pattern string `yaml:"pattern"`
}

// Upload says how uploaded files are named.
type Upload struct {
	// TempSuffix is added while uploading; the file is renamed when complete. Empty:
	// upload straight to the final name (servers that do not allow rename).
	TempSuffix string `yaml:"temp_suffix"`
	// Name is a text/template over NameData for the final name.
	Name string `yaml:"name"`
	// NamePattern is a regular expression every upload name must match.
	NamePattern   string `yaml:"name_pattern"`
	MaxNameLength int    `yaml:"max_name_length"`
}

// Envelope holds the interchange and group ids the clearinghouse expects.
type Envelope struct {
	ISA05 string `yaml:"isa05"` // interchange sender id qualifier
	ISA06 string `yaml:"isa06"` // interchange sender id (ours; set per installation)
	ISA07 string `yaml:"isa07"` // interchange receiver id qualifier
	ISA08 string `yaml:"isa08"` // interchange receiver id
	GS02  string `yaml:"gs02"`  // application sender's code (ours)
	GS03  string `yaml:"gs03"`  // application receiver's code
}

// Response is a rule that classifies inbound files by name.
type Response struct {
	Pattern string `yaml:"pattern"` // regular expression over the base name
	Kind    Kind   `yaml:"kind"`
}

// Expectation is a response every submitted file should get within a time.
type Expectation struct {
	Kind   Kind          `yaml:"kind"`
	Within time.Duration `yaml:"within"`
}

// Kind is what an inbound file is.
type Kind string

// Kinds of inbound files.
const (
	KindTA1          Kind = "TA1"          // interchange acknowledgment
	Kind999          Kind = "999"          // implementation acknowledgment
	Kind277CA        Kind = "277CA"        // claim acknowledgment (005010X214)
	Kind277          Kind = "277"          // claim status response (005010X212)
	Kind835          Kind = "835"          // remittance advice
	KindACK          Kind = "ACK"          // a clearinghouse's own file-level acknowledgment
	KindReport       Kind = "report"       // a clearinghouse's own report (EBR, DPR, text status)
	KindNotification Kind = "notification" // upload result notice (Availity -success/-FAILED)
	KindZip          Kind = "zip"          // a bundle of responses to unpack
	KindX12          Kind = "x12"          // X12 of a kind read from its content (rules only)
	KindUnknown      Kind = "unknown"
)

var kinds = []Kind{KindTA1, Kind999, Kind277CA, Kind277, Kind835, KindACK, KindReport, KindNotification, KindZip, KindX12}

var tags = []string{"tr3", "doc", "2nd", "unverified", "site"}

// NameData is what upload name templates see.
type NameData struct {
	Prefix string    // set per installation: submitter or practice short name
	Time   time.Time // when the file was built
	ISA13  string    // interchange control number, 9 digits
	Seq    int       // sequence of the file in its batch run
}

// Timestamp is Time in UTC as CCYYMMDDHHMMSS.
func (d NameData) Timestamp() string { return d.Time.UTC().Format("20060102150405") }

// Date is Time in UTC as CCYYMMDD.
func (d NameData) Date() string { return d.Time.UTC().Format("20060102") }

// Names returns the embedded profiles' names, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(embedded, "profiles")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return names
}

// overrides is the installation file: profiles by name. Other top-level keys (the
// connections) are ignored here.
type overrides struct {
	Profiles map[string]yaml.Node `yaml:"profiles"`
}

type fragment struct {
	Base string    `yaml:"base"`
	Test yaml.Node `yaml:"test"`
}

// Load returns the named profile: the embedded one, with the installation's override
// (from overridePath, when not empty and present) merged over it field by field, then
// the test sections when Usage is T, then validated. An override for a name with no
// embedded profile starts from its `base:` profile, or from generic.
func Load(name, overridePath string) (Profile, error) {
	over, err := readOverrides(overridePath)
	if err != nil {
		return Profile{}, err
	}
	return load(name, over, 0)
}

// LoadAll returns every embedded and installation profile, sorted by name.
func LoadAll(overridePath string) ([]Profile, error) {
	over, err := readOverrides(overridePath)
	if err != nil {
		return nil, err
	}
	names := Names()
	for n := range over.Profiles {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var ps []Profile
	for _, n := range names {
		p, err := load(n, over, 0)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func readOverrides(path string) (overrides, error) {
	var o overrides
	if path == "" {
		return o, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return o, nil
	} else if err != nil {
		return o, fmt.Errorf("reading profile overrides: %w", err)
	}
	if err := yaml.Unmarshal(data, &o); err != nil {
		return o, fmt.Errorf("reading profile overrides %s: %w", path, err)
	}
	return o, nil
}

func load(name string, over overrides, depth int) (Profile, error) {
	if depth > 4 {
		return Profile{}, fmt.Errorf("profile %s: base profiles nest too deep", name)
	}
	var p Profile
	data, err := embedded.ReadFile("profiles/" + name + ".yaml")
	node, overridden := over.Profiles[name]
	switch {
	case err == nil:
		if err := decode(&p, data); err != nil {
			return Profile{}, fmt.Errorf("profile %s: %w", name, err)
		}
	case overridden:
		var frag fragment
		if err := node.Decode(&frag); err != nil {
			return Profile{}, fmt.Errorf("profile %s: %w", name, err)
		}
		base := frag.Base
		if base == "" {
			base = "generic"
		}
		if base == name {
			return Profile{}, fmt.Errorf("profile %s: based on itself", name)
		}
		if p, err = load(base, overrides{}, depth+1); err != nil {
			return Profile{}, fmt.Errorf("profile %s: %w", name, err)
		}
		p.Name, p.Title = name, name
	default:
		return Profile{}, fmt.Errorf("no profile %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	if overridden {
		if err := p.merge(&node); err != nil {
			return Profile{}, fmt.Errorf("profile %s: override: %w", name, err)
		}
		p.markSite(&node, "", explicitFacts(&node))
	}
	p.Name = name
	if p.Usage == "T" {
		for i := range p.test {
			if err := p.decodeNode(&p.test[i]); err != nil {
				return Profile{}, fmt.Errorf("profile %s: test section: %w", name, err)
			}
		}
		if overridden {
			var frag fragment
			if node.Decode(&frag) == nil && frag.Test.Kind != 0 {
				p.markSite(&frag.Test, "", explicitFacts(&frag.Test))
			}
		}
	}
	p.test = nil
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

func decode(p *Profile, data []byte) error {
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return err
	}
	if len(node.Content) == 0 {
		return errors.New("empty profile")
	}
	return p.merge(node.Content[0])
}

// merge decodes a YAML mapping over p, keeping fields it does not name, and keeps
// its test section for later. Fields set by an installation are tagged "site".
func (p *Profile) merge(node *yaml.Node) error {
	var frag fragment
	if err := node.Decode(&frag); err != nil {
		return err
	}
	if err := p.decodeNode(node); err != nil {
		return err
	}
	if frag.Test.Kind != 0 {
		p.test = append(p.test, frag.Test)
	}
	return nil
}

func (p *Profile) decodeNode(node *yaml.Node) error {
	// Decoding into a copy with KnownFields catches misspelt keys, which would
	// otherwise be silently ignored.
	var probe struct {
		Profile `yaml:",inline"`
		Base    string    `yaml:"base"`
		Test    yaml.Node `yaml:"test"`
	}
	probe.Profile = *p
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(node); err != nil {
		return err
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(&probe); err != nil {
		return err
	}
	test := p.test
	*p = probe.Profile
	p.test = test
	return nil
}

// markSite tags the fields an installation's override sets as "site", unless the
// override gives their confidence itself.
func (p *Profile) markSite(node *yaml.Node, prefix string, explicit map[string]string) {
	if node.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		key, val := node.Content[i].Value, node.Content[i+1]
		switch prefix + key {
		case "confidence", "test", "base", "notes", "name", "title":
			continue
		}
		path := prefix + key
		if val.Kind == yaml.MappingNode {
			p.markSite(val, path+".", explicit)
			continue
		}
		if p.Confidence == nil {
			p.Confidence = map[string]string{}
		}
		if _, set := explicit[path]; !set {
			p.Confidence[path] = "site"
		}
	}
}

func explicitFacts(node *yaml.Node) map[string]string {
	var c struct {
		Confidence map[string]string `yaml:"confidence"`
	}
	node.Decode(&c) // already decoded once without error
	return c.Confidence
}

// Fact returns the confidence tag of a field path ("envelope.isa08"): its own entry,
// else its parent's, else "unverified".
func (p Profile) Fact(field string) string {
	for f := field; f != ""; {
		if tag, ok := p.Confidence[f]; ok {
			return tag
		}
		i := strings.LastIndexByte(f, '.')
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return "unverified"
}

// Validate checks the profile's values and that they fit together.
func (p Profile) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if p.Usage != "T" && p.Usage != "P" {
		bad("usage (ISA15) is %q, want T or P", p.Usage)
	}
	if p.Port < 0 || p.Port > 65535 {
		bad("port %d out of range", p.Port)
	}
	if p.Folders.Upload == "" || p.Folders.Download == "" {
		bad("folders: upload and download are required")
	}
	n := p.Folders.Notifications
	if (n.Dir == "") != (n.Pattern == "") {
		bad("folders.notifications needs both dir and pattern")
	}
	for _, pat := range []string{n.Pattern, p.Upload.NamePattern} {
		if _, err := regexp.Compile(pat); err != nil {
			bad("pattern %q: %v", pat, err)
		}
	}
	switch p.AfterDownload {
	case connectors.Keep:
	case connectors.Delete:
		if !p.MayDelete {
			bad("after_download is delete but may_delete is false")
		}
	case connectors.Archive:
		if !p.MayArchive {
			bad("after_download is archive but may_archive is false")
		}
		if p.Folders.Archive == "" {
			bad("after_download is archive but folders.archive is empty")
		}
	default:
		bad("after_download is %q, want keep, archive or delete", p.AfterDownload)
	}
	if strings.Contains(p.Upload.TempSuffix, "/") {
		bad("upload.temp_suffix %q contains a slash", p.Upload.TempSuffix)
	}
	if p.Upload.Name == "" {
		bad("upload.name: no file name template")
	} else if _, err := p.FileName(NameData{Prefix: "CLAIMFLOW", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ISA13: "000000001", Seq: 1}); err != nil {
		bad("upload.name: %v", err)
	}
	e := p.Envelope
	for _, q := range [][2]string{{"isa05", e.ISA05}, {"isa07", e.ISA07}} {
		if q[1] != "" && len(q[1]) != 2 {
			bad("envelope.%s %q: a qualifier has 2 characters", q[0], q[1])
		}
	}
	for _, id := range [][2]string{{"isa06", e.ISA06}, {"isa08", e.ISA08}, {"gs02", e.GS02}, {"gs03", e.GS03}} {
		if len(id[1]) > 15 {
			bad("envelope.%s %q is longer than 15 characters", id[0], id[1])
		}
	}
	for i, r := range p.Responses {
		if _, err := regexp.Compile(r.Pattern); err != nil || r.Pattern == "" {
			bad("responses[%d]: pattern %q: %v", i, r.Pattern, err)
		}
		if !slices.Contains(kinds, r.Kind) {
			bad("responses[%d]: kind %q, want one of %v", i, r.Kind, kinds)
		}
	}
	for i, x := range p.Expect {
		if !slices.Contains(kinds, x.Kind) || x.Kind == KindX12 {
			bad("expect[%d]: kind %q", i, x.Kind)
		}
		if x.Within <= 0 {
			bad("expect[%d]: within must be a positive duration", i)
		}
	}
	for field, tag := range p.Confidence {
		if !slices.Contains(tags, tag) {
			bad("confidence of %s is %q, want one of %v", field, tag, tags)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("profile %s: %w", p.Name, err)
	}
	return nil
}

// Missing lists what an installation must still set before submitting: the host and
// our own interchange ids.
func (p Profile) Missing() []string {
	var m []string
	for _, f := range [][2]string{{"host", p.Host}, {"envelope.isa05", p.Envelope.ISA05}, {"envelope.isa06", p.Envelope.ISA06},
		{"envelope.isa07", p.Envelope.ISA07}, {"envelope.isa08", p.Envelope.ISA08},
		{"envelope.gs02", p.Envelope.GS02}, {"envelope.gs03", p.Envelope.GS03}} {
		if f[1] == "" {
			m = append(m, f[0])
		}
	}
	return m
}

// Layout is the connector layout for the profile.
func (p Profile) Layout() (connectors.Layout, error) {
	l := connectors.Layout{
		UploadDir:  p.Folders.Upload,
		TempSuffix: p.Upload.TempSuffix,
		Inbound:    []connectors.Inbound{{Dir: p.Folders.Download, Subdirs: p.Folders.DownloadSubfolders}},
		ArchiveDir: p.Folders.Archive,
		After:      p.AfterDownload,
	}
	if p.Upload.NamePattern != "" {
		re, err := regexp.Compile(p.Upload.NamePattern)
		if err != nil {
			return l, fmt.Errorf("profile %s: upload.name_pattern: %w", p.Name, err)
		}
		l.NamePattern = re
	}
	if n := p.Folders.Notifications; n.Dir != "" {
		re, err := regexp.Compile(n.Pattern)
		if err != nil {
			return l, fmt.Errorf("profile %s: folders.notifications.pattern: %w", p.Name, err)
		}
		l.Inbound = append(l.Inbound, connectors.Inbound{Dir: n.Dir, Match: re})
	}
	return l, l.Validate()
}

// FileName renders the upload name template and checks the result against the
// profile's name rules.
func (p Profile) FileName(d NameData) (string, error) {
	tmpl, err := template.New("name").Option("missingkey=error").Parse(p.Upload.Name)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, d); err != nil {
		return "", err
	}
	name := b.String()
	if p.Upload.MaxNameLength > 0 && len(name) > p.Upload.MaxNameLength {
		return "", fmt.Errorf("file name %q is longer than %d characters", name, p.Upload.MaxNameLength)
	}
	l, err := p.Layout()
	if err != nil {
		return "", err
	}
	if err := l.CheckName(name); err != nil {
		return "", err
	}
	return name, nil
}
