package deploy_test

import (
	"bytes"
	"github.com/claimflow/claimflow/internal/heapfloor"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/connectors/connection"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/nats-io/nats-server/v2/server"
	"gopkg.in/yaml.v3"
)

var secretPath = regexp.MustCompile(`/run/secrets/[A-Za-z0-9/_-]+`)

// withSecrets copies the configuration file at path to a temporary directory with
// each secret file it names (/run/secrets/...) replaced by a file of the test, as a
// deployment's secret mounts provide them, and returns the copy's path.
func withSecrets(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text := secretPath.ReplaceAllStringFunc(string(data), func(p string) string {
		value := "n4ts\n"
		if strings.Contains(p, "database-url") {
			value = "postgres://claimflow:s3cret@db:5432/claimflow?sslmode=require\n"
		}
		local := filepath.Join(dir, strings.ReplaceAll(strings.TrimPrefix(p, "/run/secrets/"), "/", "_"))
		if err := os.WriteFile(local, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
		return local
	})
	out := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(out, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExampleConfig: deploy/claimflow.yaml loads, with the cluster, the replicas and
// both clearinghouses, and keeps its secrets out of the dump.
func TestExampleConfig(t *testing.T) {
	cfg, err := config.Load(withSecrets(t, "claimflow.yaml"), nil)
	if err != nil {
		t.Fatalf("loading the example configuration: %v", err)
	}
	if len(cfg.Warnings) > 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	if cfg.NATS.Embedded || len(cfg.NATS.URLs) != 3 || cfg.NATS.Replicas != 3 || cfg.NATS.Password != "n4ts" {
		t.Errorf("nats: embedded %v, %d urls, %d replicas, password set %v", cfg.NATS.Embedded, len(cfg.NATS.URLs), cfg.NATS.Replicas, cfg.NATS.Password != "")
	}
	var names []string
	for _, ch := range cfg.Clearinghouses {
		names = append(names, ch.Name)
	}
	if !slices.Equal(names, []string{"availity", "office-ally"}) {
		t.Errorf("clearinghouses %v", names)
	}
	var dump bytes.Buffer
	if err := cfg.Dump(&dump); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump.String(), "s3cret") || strings.Contains(dump.String(), "n4ts") {
		t.Error("the dump shows a secret")
	}
}

// TestExampleConnections: connections.yaml names a connection per clearinghouse of
// the configuration, and its profile overrides load.
func TestExampleConnections(t *testing.T) {
	cs, err := connection.Load("connections.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Name != "availity" || cs[1].Name != "office-ally" {
		t.Fatalf("connections %+v", cs)
	}
	for _, c := range cs {
		if _, _, err := c.Resolve("connections.yaml"); err != nil {
			t.Errorf("connection %s: %v", c.Name, err)
		}
	}
	p, err := profile.Load("availity", "connections.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Usage != "P" || p.Envelope.ISA06 != "ACME123" {
		t.Errorf("availity override not applied: usage %q, ISA06 %q", p.Usage, p.Envelope.ISA06)
	}
}

// manifests reads every YAML document of the files matching pattern.
func manifests(t *testing.T, pattern string) map[string][]map[string]any {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files %s (%v)", pattern, err)
	}
	docs := map[string][]map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); err != nil {
				if err.Error() == "EOF" {
					break
				}
				t.Fatalf("%s: %v", f, err)
			}
			docs[f] = append(docs[f], doc)
		}
	}
	return docs
}

// TestKubernetesManifests: the manifests parse, the StatefulSet runs three NATS
// nodes, the workers, the serve and the submit CronJob are there, and the ConfigMap's
// configuration and connections load.
func TestKubernetesManifests(t *testing.T) {
	kinds := map[string]map[string]any{}
	for _, docs := range manifests(t, "kubernetes/*.yaml") {
		for _, d := range docs {
			meta, _ := d["metadata"].(map[string]any)
			kind, _ := d["kind"].(string)
			name, _ := meta["name"].(string)
			kinds[kind+"/"+name] = d
		}
	}
	for _, want := range []string{"StatefulSet/nats", "Deployment/claimflow-worker", "Deployment/claimflow-serve",
		"CronJob/claimflow-submit-availity", "ConfigMap/claimflow", "Secret/claimflow", "Job/claimflow-migrate", "Service/nats"} {
		if kinds[want] == nil {
			t.Errorf("no %s", want)
		}
	}
	if n := kinds["StatefulSet/nats"]["spec"].(map[string]any)["replicas"]; n != 3 {
		t.Errorf("NATS replicas %v", n)
	}
	data := kinds["ConfigMap/claimflow"]["data"].(map[string]any)
	dir := t.TempDir()
	for name, body := range data {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body.(string)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(withSecrets(t, filepath.Join(dir, "claimflow.yaml")), nil)
	if err != nil {
		t.Fatalf("the ConfigMap's configuration: %v", err)
	}
	if cfg.NATS.Replicas != 3 || len(cfg.Clearinghouses) != 1 {
		t.Errorf("ConfigMap configuration: %+v", cfg.NATS)
	}
	if cs, err := connection.Load(filepath.Join(dir, "connections.yaml")); err != nil || len(cs) != 1 {
		t.Errorf("the ConfigMap's connections: %v %v", cs, err)
	}
}

// TestComposeFile: the compose file parses and runs PostgreSQL, three NATS nodes,
// the workers and one serve; the configuration its environment makes loads.
func TestComposeFile(t *testing.T) {
	docs := manifests(t, "compose/compose.yaml")["compose/compose.yaml"]
	services := docs[0]["services"].(map[string]any)
	for _, s := range []string{"postgres", "nats-1", "nats-2", "nats-3", "migrate", "worker", "serve"} {
		if services[s] == nil {
			t.Errorf("no service %s", s)
		}
	}
	var env []string
	serve := services["serve"].(map[string]any)["environment"].(map[string]any)
	for k, v := range serve {
		if !strings.HasSuffix(k, "_FILE") && k != config.EnvConfig && k != "CLAIMFLOW_DATA_DIR" {
			env = append(env, k+"="+v.(string))
		}
	}
	env = append(env, "CLAIMFLOW_DATA_DIR="+t.TempDir())
	cfg, err := config.Load(withSecrets(t, "claimflow.yaml"), env)
	if err != nil {
		t.Fatalf("the serve's environment: %v", err)
	}
	if cfg.NATS.Embedded || len(cfg.NATS.URLs) != 3 || cfg.HTTP.Listen != "0.0.0.0:8080" {
		t.Errorf("serve configuration: nats %+v, http %q", cfg.NATS.URLs, cfg.HTTP.Listen)
	}
}

var claimflowVar = regexp.MustCompile(`(?:^|[^A-Z0-9_])(CLAIMFLOW_[A-Z0-9_]+)`)

// TestVariablesKnown: every CLAIMFLOW_ variable the deployment files set is an
// option of the config package (or its _FILE form for a secret), CLAIMFLOW_CONFIG,
// the heap floor's or CLAIMFLOW_IMAGE (compose's own), so that a misspelt one cannot
// go unnoticed.
func TestVariablesKnown(t *testing.T) {
	known := map[string]bool{config.EnvConfig: true, heapfloor.Env: true, "CLAIMFLOW_IMAGE": true, "CLAIMFLOW_OFFICEALLY_PASSWORD": true}
	for _, o := range config.Options() {
		known[o.Env] = true
		if o.Secret {
			known[o.Env+"_FILE"] = true
		}
	}
	files, _ := filepath.Glob("*/*")
	files = append(files, "claimflow.yaml", "connections.yaml")
	seen := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range claimflowVar.FindAllStringSubmatch(string(data), -1) {
			v := m[1]
			seen++
			if !known[v] && !strings.Contains(v, "_CLEARINGHOUSE_") {
				t.Errorf("%s: unknown variable %s", f, v)
			}
		}
	}
	if seen < 10 {
		t.Fatalf("found only %d variables: the files moved?", seen)
	}
}

// TestNATSClusterConfig: nats-server reads the cluster configuration: JetStream on,
// a cluster of three routes, the claimflow user.
func TestNATSClusterConfig(t *testing.T) {
	t.Setenv("NATS_SERVER_NAME", "nats-1")
	t.Setenv("NATS_CLAIMFLOW_PASSWORD", "n4ts")
	opts, err := server.ProcessConfigFile("nats/nats-cluster.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !opts.JetStream || opts.Cluster.Name != "claimflow" || len(opts.Routes) != 3 || opts.ServerName != "nats-1" {
		t.Errorf("nats options: jetstream %v, cluster %q, %d routes, name %q", opts.JetStream, opts.Cluster.Name, len(opts.Routes), opts.ServerName)
	}
	if len(opts.Users) != 1 || opts.Users[0].Username != "claimflow" || opts.Users[0].Password != "n4ts" {
		t.Errorf("nats users: %d", len(opts.Users))
	}
}

// TestSystemdUnits: the units run the commands the configuration expects and read
// their secrets from credentials.
func TestSystemdUnits(t *testing.T) {
	for file, cmd := range map[string]string{
		"systemd/claimflow-serve.service":   "ExecStart=/usr/local/bin/claimflow serve",
		"systemd/claimflow-worker@.service": "ExecStart=/usr/local/bin/claimflow worker",
		"systemd/claimflow-submit@.service": "ExecStart=/usr/local/bin/claimflow submit %i",
	} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		for _, want := range []string{cmd, "[Unit]", "[Service]", "User=claimflow", "CLAIMFLOW_DATABASE_URL_FILE=%d/database-url"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %q", file, want)
			}
		}
	}
}
