package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// baseEnv is the environment every test starts from.
var baseEnv = []string{"HOME=/home/billing", "PATH=/usr/bin"}

func env(kv ...string) []string { return append(append([]string{}, baseEnv...), kv...) }

// writeFile writes content to name in dir and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fieldErr returns the error for field, failing the test when there is none.
func fieldErr(t *testing.T, err error, field string) *FieldError {
	t.Helper()
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %v, want Errors with %s", err, field)
	}
	for _, e := range es {
		if e.Field == field {
			return e
		}
	}
	t.Fatalf("no error for %s in:\n%v", field, err)
	return nil
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load("", env())
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		DataDir: "/home/billing/.claimflow",
		Log:     Log{Level: slog.LevelInfo, Format: "text"},
		NATS: NATS{Embedded: true, Replicas: 1, DuplicateWindow: 2 * time.Minute, Namespace: "claimflow",
			AckWait: 30 * time.Second, BackOff: []time.Duration{30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute}, MaxDeliver: 10},
		HTTP:      HTTP{Listen: "127.0.0.1:8080"},
		Submitter: Submitter{Name: "CLAIMFLOW"},
		sources:   c.sources,
		Warnings:  nil,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
	// Without HOME the data directory is relative to the working directory.
	c, err = Load("", nil)
	if err != nil || c.DataDir != ".claimflow" {
		t.Errorf("no HOME: %q, %v", c.DataDir, err)
	}
}

// TestEveryOption sets each option through its variable, checks the value, then
// gives it a bad value and checks that the error names the option and the
// variable. Every option in the table must have a case here.
func TestEveryOption(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	creds := writeFile(t, dir, "nats.creds", "creds")
	ca := writeFile(t, dir, "ca.pem", "ca")
	cert := writeFile(t, dir, "cert.pem", "cert")
	key := writeFile(t, dir, "key.pem", "key")
	cluster := []string{"CLAIMFLOW_NATS_EMBEDDED=false", "CLAIMFLOW_NATS_URLS=nats://127.0.0.1:4222"}

	cases := []struct {
		key, env, good string
		extra          []string // other variables the good value needs
		get            func(c *Config) any
		want           any
		bad            string
		badSays        string
	}{
		{"data_dir", "CLAIMFLOW_DATA_DIR", "/srv/claimflow", nil, func(c *Config) any { return c.DataDir }, "/srv/claimflow", "", "empty"},
		{"log.level", "CLAIMFLOW_LOG_LEVEL", "warn", nil, func(c *Config) any { return c.Log.Level }, slog.LevelWarn, "loud", "want debug, info, warn or error"},
		{"log.format", "CLAIMFLOW_LOG_FORMAT", "json", nil, func(c *Config) any { return c.Log.Format }, "json", "xml", "want text or json"},
		{"database.url", "CLAIMFLOW_DATABASE_URL", "postgres://cf:pw@127.0.0.1:5432/cf?sslmode=disable", nil,
			func(c *Config) any { return c.Database.URL }, "postgres://cf:pw@127.0.0.1:5432/cf?sslmode=disable", "mysql://x/y", "want a postgres:// or sqlite:// URL"},
		{"nats.embedded", "CLAIMFLOW_NATS_EMBEDDED", "false", []string{"CLAIMFLOW_NATS_URLS=nats://127.0.0.1:4222"},
			func(c *Config) any { return c.NATS.Embedded }, false, "maybe", "want true or false"},
		{"nats.urls", "CLAIMFLOW_NATS_URLS", "nats://127.0.0.1:4222, tls://127.0.0.1:4223", []string{"CLAIMFLOW_NATS_EMBEDDED=false"},
			func(c *Config) any { return c.NATS.URLs }, []string{"nats://127.0.0.1:4222", "tls://127.0.0.1:4223"}, "http://127.0.0.1:4222", "want nats://host:port"},
		{"nats.creds_file", "CLAIMFLOW_NATS_CREDS_FILE", creds, cluster,
			func(c *Config) any { return c.NATS.CredsFile }, creds, filepath.Join(dir, "missing.creds"), "cannot read"},
		{"nats.user", "CLAIMFLOW_NATS_USER", "claimflow", append([]string{"CLAIMFLOW_NATS_PASSWORD=pw"}, cluster...),
			func(c *Config) any { return c.NATS.User }, "claimflow", "", "required with nats.password"},
		{"nats.password", "CLAIMFLOW_NATS_PASSWORD", "pw", append([]string{"CLAIMFLOW_NATS_USER=claimflow"}, cluster...),
			func(c *Config) any { return c.NATS.Password }, "pw", "", "required with nats.user"},
		{"nats.tls.ca_file", "CLAIMFLOW_NATS_TLS_CA_FILE", ca, cluster,
			func(c *Config) any { return c.NATS.TLS.CAFile }, ca, dir, "is not a regular file"},
		{"nats.tls.cert_file", "CLAIMFLOW_NATS_TLS_CERT_FILE", cert, append([]string{"CLAIMFLOW_NATS_TLS_KEY_FILE=" + key}, cluster...),
			func(c *Config) any { return c.NATS.TLS.CertFile }, cert, filepath.Join(dir, "nope.pem"), "cannot read"},
		{"nats.tls.key_file", "CLAIMFLOW_NATS_TLS_KEY_FILE", key, append([]string{"CLAIMFLOW_NATS_TLS_CERT_FILE=" + cert}, cluster...),
			func(c *Config) any { return c.NATS.TLS.KeyFile }, key, filepath.Join(dir, "nope.pem"), "cannot read"},
		{"nats.replicas", "CLAIMFLOW_NATS_REPLICAS", "3", cluster, func(c *Config) any { return c.NATS.Replicas }, 3, "9", "want 1 to 5"},
		{"nats.duplicate_window", "CLAIMFLOW_NATS_DUPLICATE_WINDOW", "10m", nil,
			func(c *Config) any { return c.NATS.DuplicateWindow }, 10 * time.Minute, "2d", "want 1s to 1d"},
		{"nats.ack_wait", "CLAIMFLOW_NATS_ACK_WAIT", "2m", nil,
			func(c *Config) any { return c.NATS.AckWait }, 2 * time.Minute, "500ms", "want 1s to 1h"},
		{"nats.back_off", "CLAIMFLOW_NATS_BACK_OFF", "5s, 1m", nil,
			func(c *Config) any { return c.NATS.BackOff }, []time.Duration{5 * time.Second, time.Minute}, "5s,soon", "want a duration"},
		{"nats.max_deliver", "CLAIMFLOW_NATS_MAX_DELIVER", "20", nil,
			func(c *Config) any { return c.NATS.MaxDeliver }, 20, "0", "want 1 to 9999"},
		{"http.listen", "CLAIMFLOW_HTTP_LISTEN", ":9090", nil, func(c *Config) any { return c.HTTP.Listen }, ":9090", "localhost", "want host:port"},
		{"nats.namespace", "CLAIMFLOW_NATS_NAMESPACE", "clinic_b", nil, func(c *Config) any { return c.NATS.Namespace }, "clinic_b", "Clinic-B", "want lower-case letters"},
		{"submitter.name", "CLAIMFLOW_SUBMITTER_NAME", "ACME BILLING", nil, func(c *Config) any { return c.Submitter.Name }, "ACME BILLING", "", "want 1 to 60"},
		{"submitter.id", "CLAIMFLOW_SUBMITTER_ID", "ACME123", nil, func(c *Config) any { return c.Submitter.ID }, "ACME123", "AC*ME", "without spaces or X12 delimiters"},
		{"submitter.phone", "CLAIMFLOW_SUBMITTER_PHONE", "5555550100", nil, func(c *Config) any { return c.Submitter.Phone }, "5555550100", "555-0100", "want ten digits"},
		{"submitter.email", "CLAIMFLOW_SUBMITTER_EMAIL", "edi@example.com", nil, func(c *Config) any { return c.Submitter.Email }, "edi@example.com", "nobody", "want an e-mail address"},
	}
	tested := map[string]bool{}
	for _, tc := range cases {
		tested[tc.key] = true
		c, err := Load("", env(append([]string{tc.env + "=" + tc.good}, tc.extra...)...))
		if err != nil {
			t.Errorf("%s=%s: %v", tc.env, tc.good, err)
			continue
		}
		if got := tc.get(c); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s=%s: got %v, want %v", tc.env, tc.good, got, tc.want)
		}
		if len(c.Warnings) > 0 {
			t.Errorf("%s: warnings %v", tc.env, c.Warnings)
		}
		badEnv := env(tc.env + "=" + tc.bad)
		if tc.key == "nats.user" || tc.key == "nats.password" {
			// Empty is fine alone; the partner set without it is the error.
			partner := map[string]string{"nats.user": "CLAIMFLOW_NATS_PASSWORD=pw", "nats.password": "CLAIMFLOW_NATS_USER=claimflow"}[tc.key]
			badEnv = env(append([]string{partner}, cluster...)...)
		} else if tc.key != "nats.embedded" && tc.key != "nats.urls" {
			badEnv = append(badEnv, tc.extra...)
		}
		_, err = Load("", badEnv)
		if err == nil {
			t.Errorf("%s=%q accepted", tc.env, tc.bad)
			continue
		}
		fe := fieldErr(t, err, tc.key)
		if !strings.Contains(fe.Error(), tc.badSays) {
			t.Errorf("%s=%q: %v, want it to say %q", tc.env, tc.bad, fe, tc.badSays)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error does not match ErrInvalid", tc.key)
		}
	}
	for _, o := range options() {
		if !tested[o.key] {
			t.Errorf("option %s has no test case", o.key)
		}
	}
}

func TestClearinghouseOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "claimflow.yaml", `
clearinghouses:
  availity:
    schedule:
      submit: "30 22 * * mon-fri"
      post: "off"
    alarms:
      ack_999_within: 4h
      ack_277ca_within: 3d
  office-ally:
    profile: officeally
  stedi:
`)
	c, err := Load(path, env("CLAIMFLOW_CLEARINGHOUSE_OFFICE_ALLY_SCHEDULE_POLL=*/5 * * * *",
		"CLAIMFLOW_CLEARINGHOUSE_AVAILITY_ALARMS_ACK_999_WITHIN=90m"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Clearinghouses) != 3 {
		t.Fatalf("%d clearinghouses", len(c.Clearinghouses))
	}
	av, oa, st := c.Clearinghouses[0], c.Clearinghouses[1], c.Clearinghouses[2]
	if av.Name != "availity" || oa.Name != "office-ally" || st.Name != "stedi" {
		t.Fatalf("names %s %s %s", av.Name, oa.Name, st.Name)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"availity profile", av.Profile, "availity"},
		{"availity submit", av.Schedule.Submit.String(), "30 22 * * mon-fri"},
		{"availity poll default", av.Schedule.Poll.String(), "*/15 * * * *"},
		{"availity post off", av.Schedule.Post.IsZero(), true},
		{"availity 999 from env", av.Alarms.Ack999Within, 90 * time.Minute},
		{"availity 277CA", av.Alarms.Ack277CAWithin, 72 * time.Hour},
		{"office-ally profile", oa.Profile, "officeally"},
		{"office-ally poll from env", oa.Schedule.Poll.String(), "*/5 * * * *"},
		{"office-ally 999 default", oa.Alarms.Ack999Within, time.Duration(0)},
		{"stedi submit default", st.Schedule.Submit.String(), "0 * * * *"},
		{"stedi post default", st.Schedule.Post.String(), "0 2 * * *"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %v, want %v", ch.what, ch.got, ch.want)
		}
	}

	// Bad values, each named with its full key and source.
	bad := writeFile(t, dir, "bad.yaml", `
clearinghouses:
  availity:
    profile: Not_A_Name
    schedule:
      submit: "0 25 * * *"
    alarms:
      ack_999_within: 10s
      ack_277ca_within: soon
  Bad_Name: {}
`)
	_, err = Load(bad, env("CLAIMFLOW_CLEARINGHOUSE_AVAILITY_SCHEDULE_POLL=every minute"))
	for field, says := range map[string]string{
		"clearinghouses.availity.profile":                 "want lower-case letters",
		"clearinghouses.availity.schedule.submit":         "hour (field 2): 25 out of range",
		"clearinghouses.availity.schedule.poll":           "want 5 fields",
		"clearinghouses.availity.alarms.ack_999_within":   "want 1m to 30d",
		"clearinghouses.availity.alarms.ack_277ca_within": "want a duration",
		"clearinghouses.Bad_Name":                         "clearinghouse name",
	} {
		fe := fieldErr(t, err, field)
		if !strings.Contains(fe.Error(), says) {
			t.Errorf("%s: %v, want %q", field, fe, says)
		}
	}
	if fe := fieldErr(t, err, "clearinghouses.availity.schedule.submit"); fe.Source != bad+":6" {
		t.Errorf("source %q, want the file and line", fe.Source)
	}
	if fe := fieldErr(t, err, "clearinghouses.availity.schedule.poll"); fe.Source != "CLAIMFLOW_CLEARINGHOUSE_AVAILITY_SCHEDULE_POLL" {
		t.Errorf("source %q, want the variable", fe.Source)
	}

	// A variable for a clearinghouse the file does not declare is a warning.
	c, err = Load(path, env("CLAIMFLOW_CLEARINGHOUSE_CLAIMMD_SCHEDULE_POLL=* * * * *"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "CLAIMFLOW_CLEARINGHOUSE_CLAIMMD_SCHEDULE_POLL") {
		t.Errorf("warnings %v", c.Warnings)
	}
}

func TestFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "nats.creds", "creds")
	writeFile(t, dir, "db-url", "postgres://cf:s3cret@127.0.0.1:5432/cf\n")
	writeFile(t, dir, "nats-pass", "n4ts-pass\n")
	path := writeFile(t, dir, "claimflow.yaml", `# claimflow
data_dir: data
log:
  level: debug
database:
  url_file: db-url
nats:
  embedded: false
  urls:
    - nats://127.0.0.1:4222
    - nats://127.0.0.1:4223
  user: claimflow
  password_file: nats-pass
  replicas: 3
  duplicate_window: 5m
http:
  listen: 0.0.0.0:8080
`)
	c, err := Load(path, env())
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != filepath.Join(dir, "data") {
		t.Errorf("data_dir %q: relative paths are relative to the file", c.DataDir)
	}
	if c.Database.URL != "postgres://cf:s3cret@127.0.0.1:5432/cf" || c.NATS.Password != "n4ts-pass" {
		t.Errorf("secrets from files: %q %q", c.Database.URL, c.NATS.Password)
	}
	if c.Log.Level != slog.LevelDebug || c.NATS.Replicas != 3 || c.NATS.DuplicateWindow != 5*time.Minute || len(c.NATS.URLs) != 2 {
		t.Errorf("values: %+v", c)
	}
	// The environment wins over the file.
	c, err = Load(path, env("CLAIMFLOW_LOG_LEVEL=error", "CLAIMFLOW_NATS_URLS=nats://127.0.0.1:5222"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Level != slog.LevelError || !reflect.DeepEqual(c.NATS.URLs, []string{"nats://127.0.0.1:5222"}) {
		t.Errorf("env over file: %v %v", c.Log.Level, c.NATS.URLs)
	}

	for name, tc := range map[string]struct{ yaml, field, says string }{
		"unknown key":        {"nats:\n  embeded: false\n", "nats.embeded", "unknown option"},
		"unknown section":    {"databse:\n  url: x\n", "databse.url", "unknown option"},
		"password literal":   {"nats:\n  password: hunter2\n", "nats.password", "a secret is not written in the configuration file"},
		"url with password":  {"database:\n  url: postgres://cf:pw@127.0.0.1/cf\n", "database.url", "holds a password"},
		"both key and file":  {"database:\n  url: postgres://127.0.0.1/cf\n  url_file: db-url\n", "database.url", "both database.url and database.url_file"},
		"missing file":       {"nats:\n  password_file: nowhere\n", "nats.password_file", "reading secret"},
		"urls and embedded":  {"nats:\n  urls: [nats://127.0.0.1:4222]\n", "nats.urls", "set while nats.embedded is true"},
		"cluster needs urls": {"nats:\n  embedded: false\n", "nats.urls", "required when nats.embedded is false"},
		"embedded replicas":  {"nats:\n  replicas: 3\n", "nats.replicas", "single node"},
		"embedded creds":     {"nats:\n  creds_file: nats.creds\n", "nats.creds_file", "only for a cluster"},
		"creds and user":     {"nats:\n  embedded: false\n  urls: [nats://127.0.0.1:4222]\n  creds_file: nats.creds\n  user: u\n  password_file: nats-pass\n", "nats.creds_file", "use one"},
		"cert without key":   {"nats:\n  embedded: false\n  urls: [nats://127.0.0.1:4222]\n  tls:\n    cert_file: nats.creds\n", "nats.tls.key_file", "go together"},
		"url with user info": {"nats:\n  embedded: false\n  urls: [nats://u:p@127.0.0.1:4222]\n", "nats.urls", "credentials in a URL"},
		"list of maps":       {"nats:\n  embedded: false\n  urls:\n    - {a: b}\n", "nats.urls", "want a list of plain values"},
	} {
		p := writeFile(t, dir, strings.ReplaceAll(name, " ", "-")+".yaml", tc.yaml)
		_, err := Load(p, env())
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		fe := fieldErr(t, err, tc.field)
		if !strings.Contains(fe.Error(), tc.says) {
			t.Errorf("%s: %v, want %q", name, fe, tc.says)
		}
		if !strings.HasPrefix(fe.Source, p+":") && !strings.HasPrefix(fe.Source, "default") && fe.Source != "" {
			t.Errorf("%s: source %q, want the file and line", name, fe.Source)
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), ":pw@") {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}

	if _, err := Load(filepath.Join(dir, "none.yaml"), env()); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("missing file: %v", err)
	}
	p := writeFile(t, dir, "broken.yaml", "nats: [\n")
	if _, err := Load(p, env()); err == nil {
		t.Error("broken YAML accepted")
	}
	p = writeFile(t, dir, "list.yaml", "- a\n- b\n")
	if _, err := Load(p, env()); err == nil || !strings.Contains(err.Error(), "want a mapping") {
		t.Errorf("top-level list: %v", err)
	}
	p = writeFile(t, dir, "empty.yaml", "")
	if _, err := Load(p, env()); err != nil {
		t.Errorf("empty file: %v", err)
	}
}

func TestSecretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pass := writeFile(t, dir, "pass", "from-file\r\n")
	empty := writeFile(t, dir, "empty", "\n")
	cluster := []string{"CLAIMFLOW_NATS_EMBEDDED=false", "CLAIMFLOW_NATS_URLS=nats://127.0.0.1:4222", "CLAIMFLOW_NATS_USER=cf"}

	c, err := Load("", env(append(cluster, "CLAIMFLOW_NATS_PASSWORD_FILE="+pass)...))
	if err != nil || c.NATS.Password != "from-file" {
		t.Fatalf("password file: %q, %v", c.NATS.Password, err)
	}
	dbFile := writeFile(t, dir, "db", "sqlite:///var/lib/claimflow/claimflow.db\n")
	c, err = Load("", env("CLAIMFLOW_DATABASE_URL_FILE="+dbFile))
	if err != nil || c.Database.URL != "sqlite:///var/lib/claimflow/claimflow.db" {
		t.Fatalf("database url file: %q, %v", c.Database.URL, err)
	}
	_, err = Load("", env(append(cluster, "CLAIMFLOW_NATS_PASSWORD=x", "CLAIMFLOW_NATS_PASSWORD_FILE="+pass)...))
	if fe := fieldErr(t, err, "nats.password"); !strings.Contains(fe.Error(), "both CLAIMFLOW_NATS_PASSWORD and CLAIMFLOW_NATS_PASSWORD_FILE") {
		t.Errorf("both: %v", fe)
	}
	_, err = Load("", env(append(cluster, "CLAIMFLOW_NATS_PASSWORD_FILE="+empty)...))
	if fe := fieldErr(t, err, "nats.password"); !strings.Contains(fe.Error(), "is empty") || fe.Source != "CLAIMFLOW_NATS_PASSWORD_FILE" {
		t.Errorf("empty: %v", fe)
	}
	_, err = Load("", env("CLAIMFLOW_DATABASE_URL_FILE="+filepath.Join(dir, "missing")))
	if fe := fieldErr(t, err, "database.url"); !strings.Contains(fe.Error(), "reading secret") {
		t.Errorf("missing: %v", fe)
	}
	// A variable overrides a key_file in the file, which is then not read: a
	// deployment may keep the file's path absent.
	cfgFile := writeFile(t, dir, "claimflow.yaml", "database:\n  url_file: "+filepath.Join(dir, "absent")+"\n")
	c, err = Load(cfgFile, env("CLAIMFLOW_DATABASE_URL_FILE="+dbFile))
	if err != nil || c.Database.URL != "sqlite:///var/lib/claimflow/claimflow.db" {
		t.Fatalf("variable over url_file: %q, %v", c.Database.URL, err)
	}
	_, err = Load(cfgFile, env())
	if fe := fieldErr(t, err, "database.url_file"); !strings.Contains(fe.Error(), "reading secret") {
		t.Errorf("url_file absent without a variable: %v", fe)
	}
	// A non-secret has no _FILE variant: it is an unknown variable.
	c, err = Load("", env("CLAIMFLOW_LOG_LEVEL_FILE="+pass))
	if err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "CLAIMFLOW_LOG_LEVEL_FILE") {
		t.Errorf("warnings %v, %v", c.Warnings, err)
	}
	// The environment's secret is shown nowhere in an error about it.
	_, err = Load("", env("CLAIMFLOW_DATABASE_URL=mysql://root:t0psecret@127.0.0.1/x"))
	if err == nil || strings.Contains(err.Error(), "t0psecret") {
		t.Errorf("error shows the secret: %v", err)
	}
	_, err = Load("", env("CLAIMFLOW_DATABASE_URL=postgres://root:t0psecret@127.0.0.1:bad/x"))
	if err == nil || strings.Contains(err.Error(), "t0psecret") {
		t.Errorf("error shows the secret: %v", err)
	}
}

func TestDumpHidesSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "claimflow.yaml", "nats:\n  embedded: false\n  urls: [nats://127.0.0.1:4222]\n  user: cf\nclearinghouses:\n  availity:\n    schedule: {post: \"off\"}\n")
	c, err := Load(path, env("CLAIMFLOW_NATS_PASSWORD=hunter2", "CLAIMFLOW_HTTP_LISTEN=127.0.0.1:9090"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Dump(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"password: (set) # from CLAIMFLOW_NATS_PASSWORD",
		"url: (not set)",
		"listen: 127.0.0.1:9090 # from CLAIMFLOW_HTTP_LISTEN",
		"user: cf # from " + path + ":4",
		"urls: # from " + path + ":3",
		"    - nats://127.0.0.1:4222",
		"post: \"off\"",
		"duplicate_window: 2m",
		"poll: '*/15 * * * *'",
		"data_dir: /home/billing/.claimflow\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("dump shows the password:\n%s", out)
	}
	// Every option is in the dump.
	for _, o := range Options() {
		last := o.Key[strings.LastIndex(o.Key, ".")+1:]
		if !strings.Contains(out, last+":") {
			t.Errorf("dump lacks %s", o.Key)
		}
	}
	// The dump of a configuration without secrets reads back the same.
	c, err = Load("", env("CLAIMFLOW_LOG_FORMAT=json"))
	if err != nil {
		t.Fatal(err)
	}
	c.Database.URL = "" // "(not set)" is what a dump says for it; drop the line below
	buf.Reset()
	if err := c.Dump(&buf); err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(buf.String(), "  url: (not set)\n", "", 1)
	text = strings.Replace(text, "  password: (not set)\n", "", 1)
	again, err := Load(writeFile(t, dir, "again.yaml", text), env())
	if err != nil {
		t.Fatalf("reading the dump back: %v\n%s", err, text)
	}
	again.sources, c.sources = nil, nil
	if !reflect.DeepEqual(again, c) {
		t.Errorf("dump round trip:\n got %+v\nwant %+v", again, c)
	}
}

func TestOptionsDocumented(t *testing.T) {
	t.Parallel()
	keys := map[string]bool{}
	for _, o := range Options() {
		if o.Key == "" || o.Env == "" || o.Description == "" {
			t.Errorf("option %+v lacks a key, variable or description", o)
		}
		if keys[o.Key] {
			t.Errorf("option %s twice", o.Key)
		}
		keys[o.Key] = true
		if !strings.HasPrefix(o.Env, "CLAIMFLOW_") {
			t.Errorf("%s: variable %s", o.Key, o.Env)
		}
	}
	if !keys["nats.password"] || !keys["clearinghouses.NAME.schedule.submit"] {
		t.Error("options missing")
	}
}

func TestFieldErrorFormat(t *testing.T) {
	t.Parallel()
	e := &FieldError{Field: "nats.urls", Source: "CLAIMFLOW_NATS_URLS", Err: fmt.Errorf("bad")}
	if e.Error() != "nats.urls (CLAIMFLOW_NATS_URLS): bad" || !errors.Is(e, ErrInvalid) {
		t.Errorf("%v", e)
	}
	es := Errors{e, &FieldError{Field: "x", Err: errors.New("y")}}
	if es.Error() != "nats.urls (CLAIMFLOW_NATS_URLS): bad\nx: y" {
		t.Errorf("%q", es.Error())
	}
}

func TestRedeliveryOptions(t *testing.T) {
	t.Parallel()
	// An empty back-off list is allowed: every delivery waits ack_wait.
	c, err := Load("", env("CLAIMFLOW_NATS_BACK_OFF=", "CLAIMFLOW_NATS_MAX_DELIVER=1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.NATS.BackOff) != 0 || c.NATS.BackOff == nil || c.NATS.MaxDeliver != 1 {
		t.Errorf("empty back-off: got %v (nil %v), max deliver %d", c.NATS.BackOff, c.NATS.BackOff == nil, c.NATS.MaxDeliver)
	}
	// As many back-off steps as deliveries leaves no delivery for the last step.
	_, err = Load("", env("CLAIMFLOW_NATS_BACK_OFF=1s,2s,3s", "CLAIMFLOW_NATS_MAX_DELIVER=3"))
	if err == nil {
		t.Fatal("3 back-off steps with max deliver 3 accepted")
	}
	if fe := fieldErr(t, err, "nats.max_deliver"); !strings.Contains(fe.Error(), "want more deliveries than steps") {
		t.Errorf("got %v", fe)
	}
}
