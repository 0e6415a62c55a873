// Package cputime measures the CPU time benchmarks spend, in this process and in
// the PostgreSQL backends serving it when the server runs on the same machine: on a
// shared machine CPU times hold still when wall-clock rates do not.
package cputime

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Meter measures the CPU time spent between Start and Stop by this process and,
// when PostgreSQL runs on this machine, by the backends serving one application
// name. On a shared machine these hold still when wall-clock rates do not.
type Meter struct {
	db      *sql.DB
	app     string
	client0 time.Duration
	server0 map[int]time.Duration
}

// WithApplicationName returns url (a PostgreSQL URL) naming a new, random
// application, and that name, for a Meter to find the backends by.
func WithApplicationName(url string) (string, string) {
	var r [4]byte
	rand.Read(r[:])
	app := "claimflow-bench-" + hex.EncodeToString(r[:])
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "application_name=" + app, app
}

// Start starts measuring this process and the backends of db serving app ("" for
// this process only).
func Start(ctx context.Context, db *sql.DB, app string) *Meter {
	m := &Meter{db: db, app: app, client0: Process()}
	m.server0 = m.backends(ctx)
	return m
}

// Stop returns the CPU time this process and the backends used since Start;
// server is 0 when the backends' processes cannot be read (another machine,
// SQLite). Backends that ended in between are not counted.
func (m *Meter) Stop(ctx context.Context) (client, server time.Duration) {
	client = Process() - m.client0
	for pid, d := range m.backends(ctx) {
		server += d - m.server0[pid]
	}
	return client, server
}

// Process returns the CPU time this process has used, user and system.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m *Meter) backends(ctx context.Context) map[int]time.Duration {
	return Backends(ctx, m.db, m.app)
}

// Backends returns the CPU time used so far by each PostgreSQL backend of db
// serving application app; nil when app is "" or their processes cannot be read
// (another machine, another OS).
func Backends(ctx context.Context, db *sql.DB, app string) map[int]time.Duration {
	if app == "" || db == nil {
		return nil
	}
	rows, err := db.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return nil
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil
		}
		// After the parenthesized command name, fields 14 and 15 of the line: user
		// and system time in clock ticks (100 a second on Linux).
		fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
		if len(fields) < 13 {
			return nil
		}
		ut, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		out[pid] = time.Duration(ut+st) * 10 * time.Millisecond
	}
	return out
}
