package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is claimflow's configuration, checked: every field holds a valid value.
type Config struct {
	// DataDir holds the SQLite database, the embedded NATS store and received files.
	DataDir  string
	Log      Log
	Database Database
	NATS     NATS
	HTTP     HTTP
	// Submitter is us in the 837P files we send.
	Submitter Submitter
	// Clearinghouses, sorted by name.
	Clearinghouses []Clearinghouse
	// Warnings are problems that do not stop claimflow, such as an unknown
	// CLAIMFLOW_ variable (a misspelt override).
	Warnings []string

	sources map[string]string // key -> where its value came from, for Dump
}

// Log is how claimflow logs.
type Log struct {
	Level  slog.Level
	Format string // text or json
}

// Database is where the system of record lives.
type Database struct {
	// URL is postgres://... or sqlite://PATH; empty means claimflow.db in DataDir.
	// Secret: it may hold a password.
	URL string
}

// NATS is the bus: the embedded server, or a cluster.
type NATS struct {
	Embedded bool
	URLs     []string
	// CredsFile, or User and Password, authenticate to a cluster.
	CredsFile      string
	User, Password string
	TLS            TLS
	Replicas       int
	// DuplicateWindow is how long streams remember message ids.
	DuplicateWindow time.Duration
	// AckWait is how long a delivered message waits for an answer before it is
	// delivered again (its worker died or hangs); BackOff, when not empty, replaces
	// it per delivery (the n-th waits BackOff[n-1], the last step repeating);
	// MaxDeliver is how many deliveries a message gets before the dead letter.
	AckWait    time.Duration
	BackOff    []time.Duration
	MaxDeliver int
	// Namespace prefixes every subject, stream and bucket.
	Namespace string
}

// Submitter is the installation as the sender of 837P files (loop 1000A).
type Submitter struct {
	Name  string // NM103
	ID    string // NM109, the ETIN the clearinghouse assigned
	Phone string // PER, ten digits
	Email string // PER
}

// TLS names PEM files for connections to a NATS cluster.
type TLS struct {
	CAFile, CertFile, KeyFile string
}

// HTTP is the HTTP listener for the API, metrics and health.
type HTTP struct {
	Listen string // host:port
}

// Clearinghouse is one clearinghouse's schedules and alarms.
type Clearinghouse struct {
	Name    string // the key under clearinghouses; matches connections.yaml
	Profile string // defaults to Name
	// Schedule runs in the process's local time; only the leader runs them.
	Schedule Schedule
	Alarms   Alarms
}

// Schedule is when a clearinghouse's recurring work runs; a zero Cron is off.
type Schedule struct {
	Submit, Poll, Post Cron
}

// Alarms say how long to wait for acknowledgements before raising an alarm;
// zero means the clearinghouse profile's expectation.
type Alarms struct {
	Ack999Within   time.Duration
	Ack277CAWithin time.Duration
}

// ErrInvalid is matched (errors.Is) by every error about a configuration value.
var ErrInvalid = errors.New("invalid configuration")

// FieldError is a bad value: which option, where the value came from, and why.
type FieldError struct {
	Field  string // YAML key, dotted: "nats.urls", "clearinghouses.availity.schedule.poll"
	Source string // "claimflow.yaml:12", "CLAIMFLOW_NATS_URLS", "default"
	Err    error
}

func (e *FieldError) Error() string {
	if e.Source == "" {
		return e.Field + ": " + e.Err.Error()
	}
	return e.Field + " (" + e.Source + "): " + e.Err.Error()
}

// Unwrap returns the reason.
func (e *FieldError) Unwrap() error { return e.Err }

// Is matches ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Errors is every problem Load found, sorted by field.
type Errors []*FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the field errors, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	list := make([]error, len(es))
	for i, e := range es {
		list[i] = e
	}
	return list
}

// EnvConfig names the variable that may hold the configuration file's path.
const EnvConfig = "CLAIMFLOW_CONFIG"

// Load reads the YAML file at path (none when path is empty), applies the
// CLAIMFLOW_* variables in env (as from os.Environ) over it, fills in defaults and
// checks every value. Precedence, highest first: VAR, VAR_FILE, key, key_file,
// default. A bad configuration returns Errors, naming each field at fault.
func Load(path string, env []string) (*Config, error) {
	l := loader{env: map[string]string{}, used: map[string]bool{}, sources: map[string]string{}}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			l.env[k] = v
		}
	}
	l.home = l.env["HOME"]
	doc := map[string]*yamlValue{}
	var names []string // clearinghouses, in file order
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading configuration: %w", err)
		}
		l.file, l.dir = path, filepath.Dir(path)
		if names, err = l.flatten(data, doc); err != nil {
			return nil, err
		}
	}

	c := &Config{}
	for _, o := range options() {
		apply(&l, c, o, o.key, o.env, doc)
	}
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		h := Clearinghouse{Name: name}
		envPrefix := "CLAIMFLOW_CLEARINGHOUSE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_"
		for _, o := range clearinghouseOptions() {
			apply(&l, &h, o, "clearinghouses."+name+"."+o.key, envPrefix+o.env, doc)
		}
		c.Clearinghouses = append(c.Clearinghouses, h)
	}
	sort.Slice(c.Clearinghouses, func(i, j int) bool { return c.Clearinghouses[i].Name < c.Clearinghouses[j].Name })
	for key, v := range doc {
		if !v.used && !(v.null && isSection(key)) {
			l.fail(key, l.at(v.line), errors.New("unknown option"))
		}
	}
	l.crossCheck(c)
	for k := range l.env {
		switch {
		case !strings.HasPrefix(k, "CLAIMFLOW_") || l.used[k] || ignoredEnv(k):
		case strings.HasPrefix(k, "CLAIMFLOW_CLEARINGHOUSE_"):
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: no such clearinghouse option, or the clearinghouse is not in the configuration file; ignored", k))
		default:
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: no such option; ignored", k))
		}
	}
	slices.Sort(c.Warnings)
	c.sources = l.sources
	if len(l.errs) > 0 {
		sort.SliceStable(l.errs, func(i, j int) bool { return l.errs[i].Field < l.errs[j].Field })
		return nil, l.errs
	}
	return c, nil
}

// isSection reports whether key holds other options ("nats", "nats.tls"): an
// empty section is allowed.
func isSection(key string) bool {
	for _, o := range options() {
		if strings.HasPrefix(o.key, key+".") {
			return true
		}
	}
	return false
}

// ignoredEnv lists CLAIMFLOW_ variables that are not options of this file.
func ignoredEnv(k string) bool {
	return k == EnvConfig || strings.HasPrefix(k, "CLAIMFLOW_TEST_")
}

type yamlValue struct {
	text string
	line int
	used bool
	null bool // "key:" with nothing after it
}

type loader struct {
	env     map[string]string
	used    map[string]bool // environment variables read
	home    string
	file    string
	dir     string
	errs    Errors
	sources map[string]string
}

func (l *loader) fail(field, source string, err error) {
	l.errs = append(l.errs, &FieldError{Field: field, Source: source, Err: err})
}

func (l *loader) at(line int) string { return fmt.Sprintf("%s:%d", l.file, line) }

// flatten turns the YAML document into dotted keys; it returns the clearinghouse
// names. Lists become comma-separated text.
func (l *loader) flatten(data []byte, doc map[string]*yamlValue) ([]string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("reading configuration %s: %w", l.file, err)
	}
	if len(root.Content) == 0 {
		return nil, nil // empty file: defaults
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("reading configuration %s:%d: want a mapping of options", l.file, top.Line)
	}
	var names []string
	var walk func(prefix string, n *yaml.Node)
	walk = func(prefix string, n *yaml.Node) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := k.Value
			if prefix != "" {
				key = prefix + "." + k.Value
			}
			if prefix == "clearinghouses" {
				if !validName(k.Value) {
					l.fail(key, l.at(k.Line), fmt.Errorf("clearinghouse name %q: want lower-case letters, digits and '-', at most 32", k.Value))
					continue
				}
				names = append(names, k.Value)
				if v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "") {
					continue // "availity:" alone: every default
				}
			}
			switch v.Kind {
			case yaml.MappingNode:
				walk(key, v)
			case yaml.SequenceNode:
				var items []string
				for _, it := range v.Content {
					if it.Kind != yaml.ScalarNode || strings.Contains(it.Value, ",") {
						l.fail(key, l.at(it.Line), errors.New("want a list of plain values"))
						continue
					}
					items = append(items, it.Value)
				}
				doc[key] = &yamlValue{text: strings.Join(items, ","), line: v.Line}
			case yaml.ScalarNode:
				text := v.Value
				if v.Tag == "!!null" {
					text = ""
				}
				doc[key] = &yamlValue{text: text, line: v.Line, null: v.Tag == "!!null"}
			default:
				l.fail(key, l.at(v.Line), errors.New("want a value, a list or a mapping"))
			}
		}
	}
	walk("", top)
	return names, nil
}

// apply finds an option's value (environment, file, default), reads secret files
// and sets it on t, recording failures.
func apply[T any](l *loader, t *T, o option[T], key, env string, doc map[string]*yamlValue) {
	l.applyOne(key, env, doc, o.def, o.secret, o.literalOK, o.path, func(v string) error { return o.set(t, v) })
}

func (l *loader) applyOne(key, env string, doc map[string]*yamlValue, def string, secret, literalOK, isPath bool, set func(string) error) {
	value, source := def, "default"
	if def != "" && strings.HasPrefix(def, "(") {
		value = "" // a described default, such as "(the clearinghouse's name)"
	}
	if isPath && value != "" {
		value = l.expandHome(value)
	}
	fromFileLiteral := false
	if v, ok := doc[key]; ok {
		v.used = true
		value, source = v.text, l.at(v.line)
		fromFileLiteral = true
		if isPath {
			value = l.resolve(value)
		}
	}
	if secret {
		if v, ok := doc[key+"_file"]; ok {
			v.used = true
			if fromFileLiteral {
				l.fail(key, l.at(v.line), fmt.Errorf("both %s and %s_file set", key, key))
				return
			}
			// A variable overrides the file: the file is not read, so a deployment
			// may leave the configured path absent when it sets the variable.
			_, byEnv := l.env[env]
			_, byEnvFile := l.env[env+"_FILE"]
			if !byEnv && !byEnvFile {
				s, err := readSecret(l.resolve(v.text))
				if err != nil {
					l.fail(key+"_file", l.at(v.line), err)
					return
				}
				value = s
			}
			source, fromFileLiteral = l.at(v.line), false
		}
		if fromFileLiteral && !literalOK && value != "" {
			l.fail(key, source, fmt.Errorf("a secret is not written in the configuration file; set %s, %s_FILE or %s_file", env, env, key))
			return
		}
	}
	if v, ok := l.env[env]; ok {
		l.used[env] = true
		value, source, fromFileLiteral = v, env, false
		if isPath {
			value = l.expandHome(value)
		}
	}
	if secret {
		if p, ok := l.env[env+"_FILE"]; ok {
			l.used[env+"_FILE"] = true
			if source == env {
				l.fail(key, env, fmt.Errorf("both %s and %s_FILE set", env, env))
				return
			}
			s, err := readSecret(l.expandHome(p))
			if err != nil {
				l.fail(key, env+"_FILE", err)
				return
			}
			value, source, fromFileLiteral = s, env+"_FILE", false
		}
	}
	if secret && fromFileLiteral && HasPassword(value) {
		l.fail(key, source, fmt.Errorf("holds a password; set %s, %s_FILE or %s_file instead", env, env, key))
		return
	}
	l.sources[key] = source
	if err := set(value); err != nil {
		l.fail(key, source, err)
	}
}

// expandHome turns a leading "~/" into the home directory.
func (l *loader) expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok && l.home != "" {
		return filepath.Join(l.home, rest)
	}
	if p == "~" && l.home != "" {
		return l.home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(".", p[2:]) // no home directory: relative to the working one
	}
	return p
}

// resolve makes a path from the file absolute against the file's directory.
func (l *loader) resolve(p string) string {
	p = l.expandHome(p)
	if p == "" || filepath.IsAbs(p) || l.dir == "" {
		return p
	}
	return filepath.Join(l.dir, p)
}

// HasPassword reports whether a URL carries a password (user:password@ before its
// host; an empty one is none), whether or not the rest of it parses: a URL with a
// typo must not slip a password past the check.
func HasPassword(v string) bool {
	i := strings.Index(v, "://")
	if i < 0 {
		return false
	}
	rest := v[i+3:]
	at := strings.IndexByte(rest, '@')
	if at < 0 {
		return false
	}
	if slash := strings.IndexByte(rest, '/'); slash >= 0 && slash < at {
		return false
	}
	colon := strings.IndexByte(rest[:at], ':')
	return colon >= 0 && colon < at-1
}

// readSecret reads a secret from a file, without the trailing newline.
func readSecret(path string) (string, error) {
	if path == "" {
		return "", errors.New("empty file name")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading secret: %w", err)
	}
	s := strings.TrimRight(string(data), "\r\n")
	if s == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return s, nil
}

// checkFile verifies that path is a regular file this process can read.
func checkFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// crossCheck checks options that depend on each other.
func (l *loader) crossCheck(c *Config) {
	n := c.NATS
	src := func(key string) string {
		if s := l.sources[key]; s != "default" {
			return s
		}
		return ""
	}
	failed := map[string]bool{}
	for _, e := range l.errs {
		failed[e.Field] = true
	}
	fail := func(field, source string, err error) {
		if !failed[field] { // its own value is already reported
			l.fail(field, source, err)
		}
	}
	switch {
	case n.Embedded && len(n.URLs) > 0:
		fail("nats.urls", src("nats.urls"), errors.New("set while nats.embedded is true; set nats.embedded: false to use a cluster"))
	case !n.Embedded && len(n.URLs) == 0:
		fail("nats.urls", src("nats.urls"), errors.New("required when nats.embedded is false"))
	}
	if len(n.BackOff) >= n.MaxDeliver {
		fail("nats.max_deliver", src("nats.max_deliver"), fmt.Errorf("%d with %d back-off steps: want more deliveries than steps", n.MaxDeliver, len(n.BackOff)))
	}
	if n.Embedded && n.Replicas != 1 {
		fail("nats.replicas", src("nats.replicas"), fmt.Errorf("%d with the embedded server, which is a single node: want 1", n.Replicas))
	}
	if n.Embedded {
		for key, v := range map[string]string{"nats.creds_file": n.CredsFile, "nats.user": n.User, "nats.tls.ca_file": n.TLS.CAFile, "nats.tls.cert_file": n.TLS.CertFile} {
			if v != "" {
				fail(key, src(key), errors.New("only for a cluster, but nats.embedded is true"))
			}
		}
	}
	if n.User != "" && n.Password == "" {
		fail("nats.password", src("nats.password"), errors.New("required with nats.user"))
	}
	if n.Password != "" && n.User == "" {
		fail("nats.user", src("nats.user"), errors.New("required with nats.password"))
	}
	if n.User != "" && n.CredsFile != "" {
		fail("nats.creds_file", src("nats.creds_file"), errors.New("set together with nats.user; use one"))
	}
	if (n.TLS.CertFile == "") != (n.TLS.KeyFile == "") {
		fail("nats.tls.key_file", src("nats.tls.key_file"), errors.New("nats.tls.cert_file and nats.tls.key_file go together"))
	}
}

// Dump writes c as YAML, every option included, secrets replaced by "(set)" or
// "(not set)". Values that did not come from the default carry a comment naming
// their source (the file and line, or the variable).
func (c *Config) Dump(w io.Writer) error {
	root := &yaml.Node{Kind: yaml.MappingNode}
	for _, o := range options() {
		if err := c.put(root, o.key, o.key, o.secret, o.get(c)); err != nil {
			return err
		}
	}
	if len(c.Clearinghouses) > 0 {
		chs := mapping(root, "clearinghouses")
		for i := range c.Clearinghouses {
			h := &c.Clearinghouses[i]
			node := mapping(chs, h.Name)
			for _, o := range clearinghouseOptions() {
				if err := c.put(node, o.key, "clearinghouses."+h.Name+"."+o.key, o.secret, o.get(h)); err != nil {
					return err
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return fmt.Errorf("writing configuration: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("writing configuration: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// put sets the dotted key under parent.
func (c *Config) put(parent *yaml.Node, key, fullKey string, secret bool, value any) error {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		parent = mapping(parent, p)
	}
	if secret {
		if s, _ := value.(string); s != "" {
			value = "(set)"
		} else {
			value = "(not set)"
		}
	}
	var v yaml.Node
	if err := v.Encode(value); err != nil {
		return fmt.Errorf("writing %s: %w", fullKey, err)
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Value: parts[len(parts)-1]}
	if s := c.sources[fullKey]; s != "" && s != "default" {
		if v.Kind == yaml.SequenceNode {
			k.LineComment = "from " + s
		} else {
			v.LineComment = "from " + s
		}
	}
	parent.Content = append(parent.Content, k, &v)
	return nil
}

// mapping returns the mapping under key in parent, creating it.
func mapping(parent *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(parent.Content); i += 2 {
		if parent.Content[i].Value == key {
			return parent.Content[i+1]
		}
	}
	m := &yaml.Node{Kind: yaml.MappingNode}
	parent.Content = append(parent.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, m)
	return m
}

// Option describes one setting, for documentation (claimflow config options).
type Option struct {
	Key         string // YAML key; "clearinghouses.NAME." prefixes clearinghouse options
	Env         string // environment variable; NAME is the clearinghouse, upper-cased
	Default     string
	Description string
	Secret      bool // hidden by Dump; may be given as KEY_file or ENV_FILE
}

// Options lists every setting in the order of the file.
func Options() []Option {
	var list []Option
	for _, o := range options() {
		list = append(list, Option{Key: o.key, Env: o.env, Default: o.def, Description: o.desc, Secret: o.secret})
	}
	for _, o := range clearinghouseOptions() {
		list = append(list, Option{Key: "clearinghouses.NAME." + o.key, Env: "CLAIMFLOW_CLEARINGHOUSE_NAME_" + o.env,
			Default: o.def, Description: o.desc, Secret: o.secret})
	}
	return list
}
