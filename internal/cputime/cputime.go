package testenv

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

// CPUMeter measures the CPU time spent between Start and Stop by this process and,
// when PostgreSQL runs on this machine, by the backends serving one application
// name. On a shared machine these hold still when wall-clock rates do not.
type CPUMeter struct {
	db      *sql.DB
	app     string
	client0 time.Duration
	server0 map[int]time.Duration
}

// WithApplicationName returns url (a PostgreSQL URL) naming a new, random
// application, and that name, for a CPUMeter to find the backends by.
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

// StartCPU starts measuring this process and the backends of db serving app ("" for
// this process only).
func StartCPU(ctx context.Context, db *sql.DB, app string) *CPUMeter {
	m := &CPUMeter{db: db, app: app, client0: processCPU()}
	m.server0 = m.backends(ctx)
	return m
}

// Stop returns the CPU time this process and the backends used since StartCPU;
// server is 0 when the backends' processes cannot be read (another machine,
// SQLite). Backends that ended in between are not counted.
func (m *CPUMeter) Stop(ctx context.Context) (client, server time.Duration) {
	client = processCPU() - m.client0
	for pid, d := range m.backends(ctx) {
		server += d - m.server0[pid]
	}
	return client, server
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backends returns the CPU time used so far by each backend serving m.app.
func (m *CPUMeter) backends(ctx context.Context) map[int]time.Duration {
	if m.app == "" || m.db == nil {
		return nil
	}
	rows, err := m.db.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", m.app)
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
