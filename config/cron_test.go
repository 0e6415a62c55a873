package config

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // DST tests need zones whatever the machine has
)

func TestParseCronErrorsNameTheField(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string]string{
		"":                   "want 5 fields",
		"* * * *":            "want 5 fields",
		"* * * * * *":        "want 5 fields",
		"60 * * * *":         "minute (field 1): 60 out of range 0-59",
		"* 24 * * *":         "hour (field 2): 24 out of range 0-23",
		"* * 0 * *":          "day of month (field 3): 0 out of range 1-31",
		"* * 32 * *":         "day of month (field 3): 32 out of range",
		"* * * 13 *":         "month (field 4): 13 out of range 1-12",
		"* * * foo *":        `month (field 4): "foo" is not a number or a name (jan-dec)`,
		"* * * * 8":          "day of week (field 5): 8 out of range 0-7",
		"* * * * funday":     "day of week (field 5)",
		"5-1 * * * *":        `range "5-1" runs backwards`,
		"*/0 * * * *":        `step "0"`,
		"*/x * * * *":        `step "x"`,
		"*/60 * * * *":       "step 60 is larger",
		"1,,2 * * * *":       "empty list item",
		"a * * * *":          `minute (field 1): "a" is not a number`,
		"0 0 30 2 *":         "matches no date",
		"0 0 31 apr,jun *":   "matches no date",
		"@every 5m":          "want 5 fields",
		"-1 * * * *":         "minute (field 1)",
		"1-2-3 * * * *":      "minute (field 1)",
		"* * * * mon-sun-tu": "day of week (field 5)",
	} {
		_, err := ParseCron(expr)
		if err == nil {
			t.Errorf("%q: no error, want %q", expr, want)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want it to say %q", expr, err, want)
		}
	}
}

func TestCronNext(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04 Mon", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		expr, from string
		want       []string
	}{
		{"* * * * *", "2026-03-10 10:00 Tue", []string{"2026-03-10 10:01 Tue", "2026-03-10 10:02 Tue"}},
		{"0 * * * *", "2026-03-10 10:00 Tue", []string{"2026-03-10 11:00 Tue", "2026-03-10 12:00 Tue"}},
		{"*/15 * * * *", "2026-03-10 10:07 Tue", []string{"2026-03-10 10:15 Tue", "2026-03-10 10:30 Tue", "2026-03-10 10:45 Tue", "2026-03-10 11:00 Tue"}},
		{"5/20 * * * *", "2026-03-10 10:07 Tue", []string{"2026-03-10 10:25 Tue", "2026-03-10 10:45 Tue", "2026-03-10 11:05 Tue"}},
		{"0 9-17/4 * * *", "2026-03-10 10:00 Tue", []string{"2026-03-10 13:00 Tue", "2026-03-10 17:00 Tue", "2026-03-11 09:00 Wed"}},
		{"30 22 * * mon-fri", "2026-03-13 23:00 Fri", []string{"2026-03-16 22:30 Mon", "2026-03-17 22:30 Tue"}},
		{"0 0 * * 7", "2026-03-10 10:00 Tue", []string{"2026-03-15 00:00 Sun", "2026-03-22 00:00 Sun"}},
		{"0 0 * * 0,sat", "2026-03-10 10:00 Tue", []string{"2026-03-14 00:00 Sat", "2026-03-15 00:00 Sun", "2026-03-21 00:00 Sat"}},
		{"0 2 1,15 * *", "2026-03-10 10:00 Tue", []string{"2026-03-15 02:00 Sun", "2026-04-01 02:00 Wed", "2026-04-15 02:00 Wed"}},
		// Both day fields restricted: either matches (the 13th, or any Friday).
		{"0 0 13 * fri", "2026-03-10 10:00 Tue", []string{"2026-03-13 00:00 Fri", "2026-03-20 00:00 Fri", "2026-03-27 00:00 Fri", "2026-04-03 00:00 Fri", "2026-04-10 00:00 Fri", "2026-04-13 00:00 Mon"}},
		// A starred day field: both must match ("*/2" starts with "*").
		{"0 0 */2 * mon", "2026-03-10 10:00 Tue", []string{"2026-03-23 00:00 Mon", "2026-04-13 00:00 Mon"}},
		{"0 0 29 feb *", "2026-03-10 10:00 Tue", []string{"2028-02-29 00:00 Tue", "2032-02-29 00:00 Sun"}},
		{"0 0 31 * *", "2026-03-31 10:00 Tue", []string{"2026-05-31 00:00 Sun", "2026-07-31 00:00 Fri"}},
		{"59 23 31 dec *", "2026-12-31 23:59 Thu", []string{"2027-12-31 23:59 Fri"}},
		{"@hourly", "2026-03-10 10:30 Tue", []string{"2026-03-10 11:00 Tue"}},
		{"@daily", "2026-03-10 10:30 Tue", []string{"2026-03-11 00:00 Wed"}},
		{"@weekly", "2026-03-10 10:30 Tue", []string{"2026-03-15 00:00 Sun"}},
		{"@monthly", "2026-03-10 10:30 Tue", []string{"2026-04-01 00:00 Wed"}},
		{"@yearly", "2026-03-10 10:30 Tue", []string{"2027-01-01 00:00 Fri"}},
	} {
		c, err := ParseCron(tc.expr)
		if err != nil {
			t.Errorf("%q: %v", tc.expr, err)
			continue
		}
		at := utc(tc.from)
		for _, w := range tc.want {
			at = c.Next(at)
			if got := at.Format("2006-01-02 15:04 Mon"); got != w {
				t.Errorf("%q after %s: got %s, want %s", tc.expr, tc.from, got, w)
				break
			}
		}
	}
	// Seconds are dropped: the next minute is strictly after.
	c, _ := ParseCron("* * * * *")
	from := time.Date(2026, 1, 1, 10, 0, 30, 5, time.UTC)
	if got := c.Next(from); !got.Equal(time.Date(2026, 1, 1, 10, 1, 0, 0, time.UTC)) {
		t.Errorf("next after 10:00:30 is %v", got)
	}
}

func TestCronNextAcrossDST(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-03-08: clocks jump from 02:00 to 03:00. A 02:30 job runs at 03:30? No:
	// the hour does not exist that day, so the next run is the day after.
	c, _ := ParseCron("30 2 * * *")
	got := c.Next(time.Date(2026, 3, 8, 0, 0, 0, 0, ny))
	if want := time.Date(2026, 3, 9, 2, 30, 0, 0, ny); !got.Equal(want) {
		t.Errorf("spring forward: %v, want %v", got, want)
	}
	// Hourly across the jump: 01:00, then 03:00.
	h, _ := ParseCron("0 * * * *")
	got = h.Next(time.Date(2026, 3, 8, 1, 0, 0, 0, ny))
	if want := time.Date(2026, 3, 8, 3, 0, 0, 0, ny); !got.Equal(want) {
		t.Errorf("hourly over the gap: %v, want %v", got, want)
	}
	// 2026-11-01: 01:00-02:00 happens twice. A 01:30 job runs once, then the
	// following day.
	c, _ = ParseCron("30 1 * * *")
	first := c.Next(time.Date(2026, 11, 1, 0, 0, 0, 0, ny))
	if first.Hour() != 1 || first.Minute() != 30 || first.Day() != 1 {
		t.Fatalf("fall back: first %v", first)
	}
	second := c.Next(first)
	if second.Day() != 2 || second.Hour() != 1 || second.Minute() != 30 {
		t.Errorf("fall back: after %v came %v, want the next day", first, second)
	}
	// Every run is strictly later than the one before, for a whole year of hourly runs.
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, ny)
	for range 24 * 366 {
		next := h.Next(at)
		if !next.After(at) {
			t.Fatalf("hourly: %v after %v", next, at)
		}
		at = next
	}
}

func TestCronText(t *testing.T) {
	t.Parallel()
	var c Cron
	if err := c.UnmarshalText([]byte("  0   2 * *  * ")); err != nil {
		t.Fatal(err)
	}
	if c.String() != "0 2 * * *" {
		t.Errorf("String %q", c.String())
	}
	if b, _ := c.MarshalText(); string(b) != "0 2 * * *" {
		t.Errorf("MarshalText %q", b)
	}
	for _, off := range []string{"off", "OFF", ""} {
		if err := c.UnmarshalText([]byte(off)); err != nil || !c.IsZero() || c.String() != "off" {
			t.Errorf("%q: %v %v", off, c, err)
		}
	}
	if !c.Next(time.Now()).IsZero() {
		t.Error("the zero Cron fires")
	}
	if err := c.UnmarshalText([]byte("61 * * * *")); err == nil {
		t.Error("bad expression accepted")
	}
}
