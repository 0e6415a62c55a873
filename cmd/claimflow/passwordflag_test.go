package main

import (
	"errors"
	"strings"
	"testing"
)

// TestDatabaseFlagPasswordRefused: a password in --database (visible to other users
// in ps and in shell history) is refused before anything connects: secrets come
// from the environment or files, never flags.
func TestDatabaseFlagPasswordRefused(t *testing.T) {
	t.Parallel()
	_, _, errOut := runCLI(t, "queue", "rejections",
		"--database", "postgres://claim:S3cretPW@127.0.0.1:1/claimflow?sslmode=disable&connect_timeout=2")
	if strings.Contains(errOut, "connecting to database") || !strings.Contains(errOut, "CLAIMFLOW_DATABASE_URL") {
		t.Errorf("a password given in --database was not refused:\n%s", errOut)
	}
}

func TestCheckPasswordFlag(t *testing.T) {
	t.Parallel()
	for flag, refused := range map[string]bool{
		"":                                     false,
		"postgres://claim@db.example/cf":       false,
		"postgres://claim:@db.example/cf":      false,
		"postgres://claim:pw@db.example/cf":    true,
		"Postgres://claim:pw@db.example/cf":    true,
		"postgres://claim:pw@db.example:5x/cf": true, // does not parse, still refused
		"sqlite:///var/lib/claimflow/cf.db":    false,
		"/data/with@sign/claimflow.db":         false,
	} {
		if got := errors.Is(checkPasswordFlag(flag), errPasswordFlag); got != refused {
			t.Errorf("checkPasswordFlag(%q) refused %v, want %v", flag, got, refused)
		}
	}
}
