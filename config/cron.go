package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a standard five-field cron expression: minute hour day-of-month month
// day-of-week. Each field is "*", a number, a range "a-b", a step "*/n", "a-b/n"
// or "a/n" (from a to the end), or a comma list of these. Months and week days
// may be named (jan-dec, sun-sat); day of week 0 and 7 are Sunday. When both day
// fields are restricted (neither starts with "*") a day matching either runs, as
// in Vixie cron. @yearly, @monthly, @weekly, @daily and @hourly are accepted. The
// zero Cron never fires: a schedule that is off.
type Cron struct {
	expr                         string
	minute, hour, dom, month, dw uint64 // bit n set: value n matches
	domStar, dowStar             bool
}

var cronMacros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

type cronField struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
}

var (
	cronMinute = cronField{name: "minute", min: 0, max: 59}
	cronHour   = cronField{name: "hour", min: 0, max: 23}
	cronDom    = cronField{name: "day of month", min: 1, max: 31}
	cronMonth  = cronField{name: "month", min: 1, max: 12,
		names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}}
	cronDow = cronField{name: "day of week", min: 0, max: 7,
		names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}}
)

// ParseCron parses a cron expression; the error names the field at fault. An
// expression that matches no date at all ("0 0 30 2 *") is an error too.
func ParseCron(expr string) (Cron, error) {
	spec := strings.TrimSpace(expr)
	if m, ok := cronMacros[strings.ToLower(spec)]; ok {
		spec = m
	}
	fields := strings.Fields(spec)
	if len(fields) != 5 {
		return Cron{}, fmt.Errorf("cron %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", expr, len(fields))
	}
	c := Cron{expr: strings.Join(strings.Fields(expr), " ")}
	var err error
	for i, f := range []struct {
		spec string
		def  cronField
		bits *uint64
	}{
		{fields[0], cronMinute, &c.minute},
		{fields[1], cronHour, &c.hour},
		{fields[2], cronDom, &c.dom},
		{fields[3], cronMonth, &c.month},
		{fields[4], cronDow, &c.dw},
	} {
		if *f.bits, err = parseCronField(f.spec, f.def); err != nil {
			return Cron{}, fmt.Errorf("cron %q: %s (field %d): %w", expr, f.def.name, i+1, err)
		}
	}
	if c.dw&(1<<7) != 0 { // 7 is Sunday too
		c.dw = c.dw&^(1<<7) | 1
	}
	c.domStar = strings.HasPrefix(fields[2], "*")
	c.dowStar = strings.HasPrefix(fields[4], "*")
	if c.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return Cron{}, fmt.Errorf("cron %q: matches no date", expr)
	}
	return c, nil
}

func parseCronField(spec string, f cronField) (uint64, error) {
	var bits uint64
	for _, item := range strings.Split(spec, ",") {
		if item == "" {
			return 0, fmt.Errorf("empty list item in %q", spec)
		}
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q: want a positive number", stepText)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return 0, err
			}
			if hi, err = f.value(b); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("range %q runs backwards", rng)
			}
		default:
			v, err := f.value(rng)
			if err != nil {
				return 0, err
			}
			lo = v
			if !hasStep {
				hi = v
			}
		}
		if hasStep && step > f.max-f.min {
			return 0, fmt.Errorf("step %d is larger than the range %d-%d", step, f.min, f.max)
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

// value parses one number or name of f.
func (f cronField) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		if len(f.names) > 0 {
			return 0, fmt.Errorf("%q is not a number or a name (%s-%s)", s, f.names[0], f.names[len(f.names)-1])
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%d out of range %d-%d", v, f.min, f.max)
	}
	return v, nil
}

// String returns the expression as written (spaces normalised), or "off".
func (c Cron) String() string {
	if c.IsZero() {
		return "off"
	}
	return c.expr
}

// IsZero reports whether c is the zero Cron, which never fires.
func (c Cron) IsZero() bool { return c.expr == "" }

// MarshalText returns String.
func (c Cron) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses an expression; "off" or "" is the zero Cron.
func (c *Cron) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" || strings.EqualFold(s, "off") {
		*c = Cron{}
		return nil
	}
	p, err := ParseCron(s)
	if err != nil {
		return err
	}
	*c = p
	return nil
}

func (c Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dw&(1<<uint(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}

// repeatedWallClock reports whether t's clock reading already happened earlier,
// when clocks went back: a job runs once at 01:30 on the night 01:00-02:00 repeats.
func repeatedWallClock(t time.Time) bool {
	for _, d := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
		u := t.Add(-d)
		if u.Hour() == t.Hour() && u.Minute() == t.Minute() && u.Day() == t.Day() {
			return true
		}
	}
	return false
}

// Next returns the first time after t, in t's location, that c matches, or the
// zero time when c is zero or matches nothing within five years.
func (c Cron) Next(t time.Time) time.Time {
	if c.IsZero() {
		return time.Time{}
	}
	loc := t.Location()
	limit := t.Year() + 5
	t = t.Truncate(time.Minute).Add(time.Minute)
	for t.Year() <= limit {
		switch {
		case c.month&(1<<uint(t.Month())) == 0:
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		case c.hour&(1<<uint(t.Hour())) == 0:
			next := time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc)
			if !next.After(t) { // a repeated hour when clocks go back
				next = t.Truncate(time.Hour).Add(time.Hour)
			}
			t = next
		case c.minute&(1<<uint(t.Minute())) == 0 || repeatedWallClock(t):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}
