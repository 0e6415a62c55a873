package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/fixtures"
)

// TestFetchCommandClassifies: files waiting at the clearinghouse are fetched and
// named by their content, whatever their names say; a file that is not X12 is set
// aside with the reason, and the run still succeeds.
func TestFetchCommandClassifies(t *testing.T) {
	t.Parallel()
	s := newOneShotSite(t)
	download := filepath.Join(s.simRoot, s.sim.Layout().Inbound[0].Dir)
	files := map[string][]byte{
		"RESPONSE_1.txt": fixtures.Sample("999-rejected.x12"), // named by no rule: read from the content
		"R2.835":         fixtures.Sample("835-basic.x12"),
		"ta1_notice.277": fixtures.Sample("ta1-rejected.x12"), // the name lies, the content tells
		"README.txt":     []byte("Welcome to the clearinghouse.\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(download, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runCLI(t, "fetch", "--config", s.config, "--data-dir", s.dataDir, "--clearinghouse", "sim")
	if code != 0 {
		t.Fatalf("fetch: %d\n%s%s", code, out, errOut)
	}
	for name, want := range map[string]string{"RESPONSE_1.txt": "999", "R2.835": "835", "ta1_notice.277": "ta1",
		"README.txt": "set aside: not an X12"} {
		if !regexp.MustCompile(`(?m)^sim  ` + regexp.QuoteMeta(name) + `  \d+ bytes  ` + regexp.QuoteMeta(want)).MatchString(out) {
			t.Errorf("no line for %s as %q:\n%s", name, want, out)
		}
	}
	// The bytes are kept in the data directory by their hash.
	kept, err := os.ReadDir(filepath.Join(s.dataDir, "inbound"))
	if err != nil || len(kept) != len(files) {
		t.Fatalf("inbound folder holds %d files (%v)", len(kept), err)
	}
	for _, e := range kept {
		if !strings.HasSuffix(e.Name(), ".x12") || len(e.Name()) != 64+4 {
			t.Errorf("kept as %s", e.Name())
		}
	}
}
