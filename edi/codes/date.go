package codes

import (
	"fmt"
	"strconv"
	"time"
)

// Date is a calendar date held as the number yyyymmdd (20251001), the form the
// CMS files use. The zero Date means "none". Dates compare with < and >.
type Date int32

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date(y*10000 + int(m)*100 + d)
}

// NewDate returns the Date for year, month and day.
func NewDate(year int, month time.Month, day int) Date {
	return Date(year*10000 + int(month)*100 + day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == 0 }

// Year returns the year of d.
func (d Date) Year() int { return int(d) / 10000 }

// Month returns the month of d.
func (d Date) Month() time.Month { return time.Month(int(d) / 100 % 100) }

// Day returns the day of the month of d.
func (d Date) Day() int { return int(d) % 100 }

// Time returns d at midnight UTC; the zero Date gives the zero Time.
func (d Date) Time() time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// String formats d as 2006-01-02, or "" for the zero Date.
func (d Date) String() string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year(), int(d.Month()), d.Day())
}

// addDays returns d moved by n days.
func (d Date) addDays(n int) Date {
	return DateOf(d.Time().AddDate(0, 0, n))
}

// parseYMD reads an 8-digit CCYYMMDD date; blank text is the zero Date.
func parseYMD(s string) (Date, error) {
	s = trimSpace(s)
	if s == "" {
		return 0, nil
	}
	if len(s) != 8 {
		return 0, fmt.Errorf("date %q: want CCYYMMDD", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("date %q: want CCYYMMDD", s)
	}
	d := Date(n)
	if d.Month() < 1 || d.Month() > 12 || d.Day() < 1 || d.Day() > 31 || DateOf(d.Time()) != d {
		return 0, fmt.Errorf("date %q: not a calendar date", s)
	}
	return d, nil
}

// trimSpace trims ASCII blanks (space, tab, CR, LF) from both ends.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isBlank(s[i]) {
		i++
	}
	for j > i && isBlank(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
