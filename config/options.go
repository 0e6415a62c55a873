package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// option is one setting: its YAML key, its environment variable, its default, what
// it is for, how it is checked and whether it is a secret.
type option[T any] struct {
	key    string // YAML path under its section, dotted: "nats.tls.ca_file"
	env    string // environment variable (for a clearinghouse: the suffix after its name)
	def    string // default, as text; "" is empty
	desc   string
	secret bool // hidden by Dump; also read from KEY_file / ENV_FILE
	// literalOK, for a secret, allows the value itself in the YAML file (when
	// set returns no error for it, see database.url); otherwise only KEY_file.
	literalOK bool
	list      bool // a YAML sequence, or comma-separated in the environment
	path      bool // a file path: relative ones in the YAML file are relative to it
	set       func(t *T, v string) error
	get       func(t *T) any
}

// options is the table of global settings, in the order Dump prints them.
func options() []option[Config] {
	return []option[Config]{
		{
			key: "data_dir", env: "CLAIMFLOW_DATA_DIR", def: "~/.claimflow", path: true,
			desc: "Directory for the SQLite database, the embedded NATS store and received files.",
			set: func(c *Config, v string) error {
				if v == "" {
					return fmt.Errorf("empty")
				}
				c.DataDir = v
				return nil
			},
			get: func(c *Config) any { return c.DataDir },
		},
		{
			key: "log.level", env: "CLAIMFLOW_LOG_LEVEL", def: "info",
			desc: "Least severe log level written: debug, info, warn or error.",
			set: func(c *Config, v string) error {
				var l slog.Level
				if err := l.UnmarshalText([]byte(v)); err != nil || strings.ContainsAny(v, "+-") {
					return fmt.Errorf("%q: want debug, info, warn or error", v)
				}
				c.Log.Level = l
				return nil
			},
			get: func(c *Config) any { return strings.ToLower(c.Log.Level.String()) },
		},
		{
			key: "log.format", env: "CLAIMFLOW_LOG_FORMAT", def: "text",
			desc: "Log line format: text (key=value) or json.",
			set: func(c *Config, v string) error {
				if v != "text" && v != "json" {
					return fmt.Errorf("%q: want text or json", v)
				}
				c.Log.Format = v
				return nil
			},
			get: func(c *Config) any { return c.Log.Format },
		},
		{
			key: "database.url", env: "CLAIMFLOW_DATABASE_URL", secret: true, literalOK: true,
			desc: "postgres://user@host:5432/claimflow?sslmode=require, or sqlite:///path/claimflow.db; empty: claimflow.db in data_dir. " +
				"A URL with a password belongs in CLAIMFLOW_DATABASE_URL or a file (database.url_file, CLAIMFLOW_DATABASE_URL_FILE), not in this file.",
			set: func(c *Config, v string) error {
				if v == "" {
					c.Database.URL = ""
					return nil
				}
				switch {
				case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
					u, err := url.Parse(v)
					if err != nil {
						return fmt.Errorf("not a URL: %v", redactURLError(err))
					}
					if u.Host == "" {
						return fmt.Errorf("no host in the PostgreSQL URL")
					}
				case strings.HasPrefix(v, "sqlite:"):
					p := strings.TrimPrefix(strings.TrimPrefix(v, "sqlite://"), "sqlite:")
					if p == "" || strings.ContainsAny(p, "?#") {
						return fmt.Errorf("a SQLite URL names a file, without parameters")
					}
				default:
					return fmt.Errorf("want a postgres:// or sqlite:// URL")
				}
				c.Database.URL = v
				return nil
			},
			get: func(c *Config) any { return c.Database.URL },
		},
		{
			key: "nats.embedded", env: "CLAIMFLOW_NATS_EMBEDDED", def: "true",
			desc: "Run a NATS server with JetStream inside claimflow, storing under data_dir; false: connect to nats.urls.",
			set: func(c *Config, v string) (err error) {
				c.NATS.Embedded, err = parseBool(v)
				return err
			},
			get: func(c *Config) any { return c.NATS.Embedded },
		},
		{
			key: "nats.urls", env: "CLAIMFLOW_NATS_URLS", list: true,
			desc: "NATS cluster servers, nats://host:4222 or tls://host:4222 (comma-separated in the environment). No credentials here: use creds_file or user and password.",
			set: func(c *Config, v string) error {
				c.NATS.URLs = nil
				for _, s := range splitList(v) {
					u, err := url.Parse(s)
					if err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
						return fmt.Errorf("%q: want nats://host:port or tls://host:port", redactUserinfo(s))
					}
					if u.User != nil {
						return fmt.Errorf("%q: credentials in a URL; use nats.user and nats.password or nats.creds_file", u.Redacted())
					}
					c.NATS.URLs = append(c.NATS.URLs, s)
				}
				return nil
			},
			get: func(c *Config) any { return nonNil(c.NATS.URLs) },
		},
		{
			key: "nats.creds_file", env: "CLAIMFLOW_NATS_CREDS_FILE", path: true,
			desc: "NATS credentials file (JWT and nkey seed).",
			set:  fileSetter(func(c *Config) *string { return &c.NATS.CredsFile }),
			get:  func(c *Config) any { return c.NATS.CredsFile },
		},
		{
			key: "nats.user", env: "CLAIMFLOW_NATS_USER",
			desc: "NATS user name, with nats.password.",
			set:  func(c *Config, v string) error { c.NATS.User = v; return nil },
			get:  func(c *Config) any { return c.NATS.User },
		},
		{
			key: "nats.password", env: "CLAIMFLOW_NATS_PASSWORD", secret: true,
			desc: "NATS password: from CLAIMFLOW_NATS_PASSWORD, CLAIMFLOW_NATS_PASSWORD_FILE or nats.password_file, never written in this file.",
			set:  func(c *Config, v string) error { c.NATS.Password = v; return nil },
			get:  func(c *Config) any { return c.NATS.Password },
		},
		{
			key: "nats.tls.ca_file", env: "CLAIMFLOW_NATS_TLS_CA_FILE", path: true,
			desc: "PEM certificates that sign the NATS servers' certificates.",
			set:  fileSetter(func(c *Config) *string { return &c.NATS.TLS.CAFile }),
			get:  func(c *Config) any { return c.NATS.TLS.CAFile },
		},
		{
			key: "nats.tls.cert_file", env: "CLAIMFLOW_NATS_TLS_CERT_FILE", path: true,
			desc: "PEM client certificate, with nats.tls.key_file.",
			set:  fileSetter(func(c *Config) *string { return &c.NATS.TLS.CertFile }),
			get:  func(c *Config) any { return c.NATS.TLS.CertFile },
		},
		{
			key: "nats.tls.key_file", env: "CLAIMFLOW_NATS_TLS_KEY_FILE", path: true,
			desc: "PEM private key of the client certificate.",
			set:  fileSetter(func(c *Config) *string { return &c.NATS.TLS.KeyFile }),
			get:  func(c *Config) any { return c.NATS.TLS.KeyFile },
		},
		{
			key: "nats.replicas", env: "CLAIMFLOW_NATS_REPLICAS", def: "1",
			desc: "Copies of each stream and consumer: 1 embedded, 3 on a three-node cluster.",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 5 {
					return fmt.Errorf("%q: want 1 to 5", v)
				}
				c.NATS.Replicas = n
				return nil
			},
			get: func(c *Config) any { return c.NATS.Replicas },
		},
		{
			key: "nats.duplicate_window", env: "CLAIMFLOW_NATS_DUPLICATE_WINDOW", def: "2m",
			desc: "How long the streams remember message ids to drop a message published twice (1s to 24h).",
			set: func(c *Config, v string) (err error) {
				c.NATS.DuplicateWindow, err = parseDuration(v, time.Second, 24*time.Hour)
				return err
			},
			get: func(c *Config) any { return formatDuration(c.NATS.DuplicateWindow) },
		},
		{
			key: "nats.ack_wait", env: "CLAIMFLOW_NATS_ACK_WAIT", def: "30s",
			desc: "How long a delivered message waits for its worker's answer before it is delivered again, when nats.back_off is empty (the worker died or hangs; a busy one tells the server it is still working), 1s to 1h.",
			set: func(c *Config, v string) (err error) {
				c.NATS.AckWait, err = parseDuration(v, time.Second, time.Hour)
				return err
			},
			get: func(c *Config) any { return formatDuration(c.NATS.AckWait) },
		},
		{
			key: "nats.back_off", env: "CLAIMFLOW_NATS_BACK_OFF", def: "30s,1m,5m,15m", list: true,
			desc: "Replaces ack_wait per delivery: the n-th delivery waits the n-th step for an answer, the last step repeating (1s to 1d each; comma-separated in the environment; an empty list: ack_wait every time).",
			set: func(c *Config, v string) error {
				c.NATS.BackOff = []time.Duration{}
				for _, s := range splitList(v) {
					d, err := parseDuration(s, time.Second, 24*time.Hour)
					if err != nil {
						return err
					}
					c.NATS.BackOff = append(c.NATS.BackOff, d)
				}
				return nil
			},
			get: func(c *Config) any {
				out := []string{}
				for _, d := range c.NATS.BackOff {
					out = append(out, formatDuration(d))
				}
				return out
			},
		},
		{
			key: "nats.max_deliver", env: "CLAIMFLOW_NATS_MAX_DELIVER", def: "10",
			desc: "Deliveries of a message before it goes to the dead letter (more than the back-off steps, at most 9999).",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 9999 {
					return fmt.Errorf("%q: want 1 to 9999", v)
				}
				c.NATS.MaxDeliver = n
				return nil
			},
			get: func(c *Config) any { return c.NATS.MaxDeliver },
		},
		{
			key: "nats.namespace", env: "CLAIMFLOW_NATS_NAMESPACE", def: "claimflow",
			desc: "Prefix of every subject, stream and bucket claimflow uses: installations sharing a NATS cluster each take their own (lower-case letters, digits, - and _, starting with a letter, at most 32).",
			set: func(c *Config, v string) error {
				if !validNamespace(v) {
					return fmt.Errorf("%q: want lower-case letters, digits, - and _, starting with a letter, at most 32", v)
				}
				c.NATS.Namespace = v
				return nil
			},
			get: func(c *Config) any { return c.NATS.Namespace },
		},
		{
			key: "http.listen", env: "CLAIMFLOW_HTTP_LISTEN", def: "127.0.0.1:8080",
			desc: "Address of the HTTP API, metrics (/metrics) and health (/healthz): host:port; an empty host listens on every interface.",
			set: func(c *Config, v string) error {
				host, port, err := net.SplitHostPort(v)
				if err != nil {
					return fmt.Errorf("%q: want host:port", v)
				}
				if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
					return fmt.Errorf("%q: port %q: want 0 to 65535", v, port)
				}
				if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
					return fmt.Errorf("%q: host %q is not an IP address or a host name", v, host)
				}
				c.HTTP.Listen = v
				return nil
			},
			get: func(c *Config) any { return c.HTTP.Listen },
		},
		{
			key: "submitter.name", env: "CLAIMFLOW_SUBMITTER_NAME", def: "CLAIMFLOW",
			desc: "Our name as the submitter of 837P files (1000A NM103).",
			set: func(c *Config, v string) error {
				if v == "" || len(v) > 60 {
					return fmt.Errorf("%q: want 1 to 60 characters", v)
				}
				c.Submitter.Name = v
				return nil
			},
			get: func(c *Config) any { return c.Submitter.Name },
		},
		{
			key: "submitter.id", env: "CLAIMFLOW_SUBMITTER_ID",
			desc: "Our submitter id, the ETIN the clearinghouse gave us (1000A NM109; ISA06 and GS02 when the clearinghouse profile sets none).",
			set: func(c *Config, v string) error {
				if len(v) > 15 || strings.ContainsAny(v, " *~:^|") {
					return fmt.Errorf("%q: want at most 15 characters without spaces or X12 delimiters", v)
				}
				c.Submitter.ID = v
				return nil
			},
			get: func(c *Config) any { return c.Submitter.ID },
		},
		{
			key: "submitter.phone", env: "CLAIMFLOW_SUBMITTER_PHONE",
			desc: "EDI contact phone for the 837P (1000A PER), ten digits; the batch stage needs it or submitter.email.",
			set: func(c *Config, v string) error {
				if v != "" && (len(v) != 10 || strings.Trim(v, "0123456789") != "") {
					return fmt.Errorf("%q: want ten digits", v)
				}
				c.Submitter.Phone = v
				return nil
			},
			get: func(c *Config) any { return c.Submitter.Phone },
		},
		{
			key: "submitter.email", env: "CLAIMFLOW_SUBMITTER_EMAIL",
			desc: "EDI contact e-mail for the 837P (1000A PER).",
			set: func(c *Config, v string) error {
				if v != "" && (!strings.Contains(v, "@") || strings.ContainsAny(v, " *~:^|")) {
					return fmt.Errorf("%q: want an e-mail address", v)
				}
				c.Submitter.Email = v
				return nil
			},
			get: func(c *Config) any { return c.Submitter.Email },
		},
	}
}

// clearinghouseOptions is the table of settings each clearinghouse has, under
// clearinghouses.NAME in the file and CLAIMFLOW_CLEARINGHOUSE_NAME_ in the
// environment (NAME upper-cased, '-' as '_').
func clearinghouseOptions() []option[Clearinghouse] {
	return []option[Clearinghouse]{
		{
			key: "profile", env: "PROFILE", def: "(the clearinghouse's name)",
			desc: "Clearinghouse profile (availity, officeally, claimmd, stedi, generic, or one defined in connections.yaml).",
			set: func(h *Clearinghouse, v string) error {
				if v == "" {
					v = h.Name
				}
				if !validName(v) {
					return fmt.Errorf("%q: want lower-case letters, digits and '-'", v)
				}
				h.Profile = v
				return nil
			},
			get: func(h *Clearinghouse) any { return h.Profile },
		},
		{
			key: "schedule.submit", env: "SCHEDULE_SUBMIT", def: "0 * * * *",
			desc: "When to batch ready claims into 837P files and upload them (cron, or off).",
			set:  cronSetter(func(h *Clearinghouse) *Cron { return &h.Schedule.Submit }),
			get:  func(h *Clearinghouse) any { return h.Schedule.Submit.String() },
		},
		{
			key: "schedule.poll", env: "SCHEDULE_POLL", def: "*/15 * * * *",
			desc: "When to fetch acknowledgements and remittances (cron, or off).",
			set:  cronSetter(func(h *Clearinghouse) *Cron { return &h.Schedule.Poll }),
			get:  func(h *Clearinghouse) any { return h.Schedule.Poll.String() },
		},
		{
			key: "schedule.post", env: "SCHEDULE_POST", def: "0 2 * * *",
			desc: "When to post the 835 remittances received (cron, or off: post as they arrive).",
			set:  cronSetter(func(h *Clearinghouse) *Cron { return &h.Schedule.Post }),
			get:  func(h *Clearinghouse) any { return h.Schedule.Post.String() },
		},
		{
			key: "alarms.ack_999_within", env: "ALARMS_ACK_999_WITHIN",
			desc: "Raise a missing-acknowledgement alarm when a file has no 999 this long after upload (1m to 30 days); empty: the profile's expectation.",
			set:  alarmSetter(func(h *Clearinghouse) *time.Duration { return &h.Alarms.Ack999Within }),
			get:  func(h *Clearinghouse) any { return formatDuration(h.Alarms.Ack999Within) },
		},
		{
			key: "alarms.ack_277ca_within", env: "ALARMS_ACK_277CA_WITHIN",
			desc: "Raise an alarm when a claim has no 277CA this long after upload (1m to 30 days); empty: the profile's expectation.",
			set:  alarmSetter(func(h *Clearinghouse) *time.Duration { return &h.Alarms.Ack277CAWithin }),
			get:  func(h *Clearinghouse) any { return formatDuration(h.Alarms.Ack277CAWithin) },
		},
	}
}

func cronSetter[T any](field func(*T) *Cron) func(*T, string) error {
	return func(t *T, v string) error {
		return field(t).UnmarshalText([]byte(v))
	}
}

func alarmSetter[T any](field func(*T) *time.Duration) func(*T, string) error {
	return func(t *T, v string) error {
		if v == "" {
			*field(t) = 0
			return nil
		}
		d, err := parseDuration(v, time.Minute, 30*24*time.Hour)
		*field(t) = d
		return err
	}
}

// fileSetter checks that a non-empty value names a readable regular file.
func fileSetter[T any](field func(*T) *string) func(*T, string) error {
	return func(t *T, v string) error {
		if v != "" {
			if err := checkFile(v); err != nil {
				return err
			}
		}
		*field(t) = v
		return nil
	}
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q: want true or false", v)
}

// parseDuration reads a Go duration ("90m", "24h") or a number of days ("3d"),
// between lo and hi.
func parseDuration(v string, lo, hi time.Duration) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q: want a duration such as 90m, 24h or 3d", v)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, fmt.Errorf("%q: want a duration such as 90m, 24h or 3d", v)
		}
	}
	if d < lo || d > hi {
		return 0, fmt.Errorf("%s: want %s to %s", v, formatDuration(lo), formatDuration(hi))
	}
	return d, nil
}

// formatDuration writes d as parseDuration reads it, shortest form; "" for 0.
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return ""
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

func splitList(v string) []string {
	var list []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	return list
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// validName: a clearinghouse or profile name.
func validName(s string) bool {
	if s == "" || len(s) > 32 || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func validHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// redactUserinfo hides what stands between "://" and "@".
func redactUserinfo(s string) string {
	i := strings.Index(s, "://")
	at := strings.LastIndexByte(s, '@')
	if i < 0 || at < i {
		return s
	}
	return s[:i+3] + "***" + s[at:]
}

// redactURLError drops the URL text from a url.Parse error: it may hold a password.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// validNamespace: a bus namespace (see pipeline/bus.Config.Namespace).
func validNamespace(v string) bool {
	if v == "" || len(v) > 32 || v[0] < 'a' || v[0] > 'z' {
		return false
	}
	return strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") == ""
}
