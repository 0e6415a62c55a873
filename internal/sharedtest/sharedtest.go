// Package sharedtest finds the team's shared reference material (../shared next to the
// repository: the public X12 corpus, code-set release files and guide maps) for tests.
// The material is other people's data: tests read it in place and never copy it.
package sharedtest

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Dir returns the path of ../shared/<sub> seen from the module root, or skips the test
// with a message when it is absent.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Skipf("shared material not found (%v): skipping", err)
	}
	dir := filepath.Join(root, "..", "shared", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s is absent: skipping the tests that read it (CI provides it)", dir)
	}
	return dir
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// CorpusFile is one row of the corpus manifest.
type CorpusFile struct {
	Type     string // 837P, 835, 999, 277CA, TA1, ...
	Path     string // absolute path
	Name     string // path inside the corpus folder
	Version  string // GS08
	Marking  string // valid, invalid, unmarked
	Basis    string
	Features string
}

// Invalid reports whether the source project marks the file as bad.
func (f CorpusFile) Invalid() bool { return f.Marking == "invalid" }

// Corpus reads ../shared/corpus/MANIFEST.tsv, skipping the test when absent.
func Corpus(t testing.TB) []CorpusFile {
	t.Helper()
	dir := Dir(t, "corpus")
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("corpus manifest absent: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var out []CorpusFile
	var cols map[string]int
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if cols == nil {
			cols = map[string]int{}
			for i, c := range fields {
				cols[c] = i
			}
			continue
		}
		get := func(c string) string {
			if i, ok := cols[c]; ok && i < len(fields) {
				return fields[i]
			}
			return ""
		}
		out = append(out, CorpusFile{
			Type:     get("type"),
			Name:     get("local_file"),
			Path:     filepath.Join(dir, get("local_file")),
			Version:  get("gs08_version"),
			Marking:  get("valid_or_invalid_as_marked"),
			Basis:    get("marking_basis"),
			Features: get("features"),
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading corpus manifest: %v", err)
	}
	return out
}
