package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress shows how far each phase of the demo is: a bar redrawn in place on a
// terminal, one plain line per finished phase otherwise. It shows counts only.
type progress struct {
	w        io.Writer
	terminal bool
	phase    string
	started  time.Time
	last     time.Time
	drawn    bool
	// busy, when set, tells how long the database writer has been held in all;
	// busyAt is its reading when the phase started.
	busy   func() time.Duration
	busyAt time.Duration
}

func newProgress(w io.Writer, terminal bool) *progress {
	return &progress{w: w, terminal: terminal}
}

// update reports done of total in the phase; a new phase ends the previous one.
func (p *progress) update(phase string, done, total int64) {
	now := time.Now()
	if phase != p.phase {
		p.end()
		p.phase, p.started = phase, now
		if p.busy != nil {
			p.busyAt = p.busy()
		}
	}
	if !p.terminal || now.Sub(p.last) < 100*time.Millisecond && done < total {
		return
	}
	p.last = now
	const width = 30
	filled := 0
	if total > 0 {
		filled = int(min(done, total) * width / total)
	}
	fmt.Fprintf(p.w, "\r%-22s [%s%s] %d/%d ", phase, strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total)
	p.drawn = true
}

// end finishes the current phase: the bar's line, or a plain line with its time.
func (p *progress) end() {
	if p.phase == "" {
		return
	}
	took := time.Since(p.started)
	busy := ""
	if p.busy != nil && took > 0 {
		busy = fmt.Sprintf(", database writer busy %.0f%%", 100*float64(p.busy()-p.busyAt)/float64(took))
	}
	took = took.Round(10 * time.Millisecond)
	if p.terminal && p.drawn {
		fmt.Fprintf(p.w, "%v%s\n", took, busy)
	} else {
		fmt.Fprintf(p.w, "%-22s done in %v%s\n", p.phase, took, busy)
	}
	p.phase, p.drawn = "", false
}

// note prints a line between phases.
func (p *progress) note(format string, args ...any) {
	p.end()
	fmt.Fprintf(p.w, format+"\n", args...)
}
