package billing

import (
	"errors"
	"fmt"
	"time"
)

// ErrDate is returned, wrapped, for text that is not a valid date.
var ErrDate = errors.New("invalid date")

// Date is a civil date (a day of the calendar, without a time or a time zone), as
// dates of service and birth dates are. The zero Date means "not given". JSON and CSV
// carry it as YYYY-MM-DD; X12 as CCYYMMDD.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date; it does not check it (see Valid).
func NewDate(year int, month time.Month, day int) Date { return Date{year, month, day} }

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d == Date{} }

// Valid reports whether the date exists in the calendar (years 1000-9999).
func (d Date) Valid() bool {
	if d.Year < 1000 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	return d.Day <= daysIn(d.Year, d.Month)
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// Time returns midnight of the date in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the date n days later (earlier when n is negative).
func (d Date) AddDays(n int) Date { return DateOf(d.Time(time.UTC).AddDate(0, 0, n)) }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	}
	return cmpInt(d.Day, e.Day)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// String renders the date as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return string(d.appendISO(nil))
}

func (d Date) appendISO(dst []byte) []byte {
	dst = append4(dst, d.Year)
	dst = append(dst, '-')
	dst = append2(dst, int(d.Month))
	dst = append(dst, '-')
	return append2(dst, d.Day)
}

// AppendX12 appends the date as CCYYMMDD.
func (d Date) AppendX12(dst []byte) []byte {
	dst = append4(dst, d.Year)
	dst = append2(dst, int(d.Month))
	return append2(dst, d.Day)
}

func append4(dst []byte, n int) []byte {
	if n < 0 || n > 9999 {
		n = 0
	}
	return append(dst, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

func append2(dst []byte, n int) []byte {
	if n < 0 || n > 99 {
		n = 0
	}
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

// ParseDate reads YYYY-MM-DD; it also accepts CCYYMMDD and MM/DD/YYYY, the forms
// spreadsheets and X12 use. An empty string is the zero Date.
func ParseDate(s string) (Date, error) {
	var d Date
	var ok bool
	switch {
	case s == "":
		return Date{}, nil
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		d, ok = Date{atoiN(s[0:4]), time.Month(atoiN(s[5:7])), atoiN(s[8:10])}, true
	case len(s) == 8:
		return ParseX12Date(s)
	case len(s) == 10 && s[2] == '/' && s[5] == '/':
		d, ok = Date{atoiN(s[6:10]), time.Month(atoiN(s[0:2])), atoiN(s[3:5])}, true
	}
	if !ok || !d.Valid() {
		return Date{}, fmt.Errorf("%w %q: want YYYY-MM-DD", ErrDate, s)
	}
	return d, nil
}

// ParseX12Date reads an X12 date, CCYYMMDD.
func ParseX12Date(s string) (Date, error) {
	if len(s) != 8 {
		return Date{}, fmt.Errorf("%w %q: want CCYYMMDD", ErrDate, s)
	}
	d := Date{atoiN(s[0:4]), time.Month(atoiN(s[4:6])), atoiN(s[6:8])}
	if !d.Valid() {
		return Date{}, fmt.Errorf("%w %q: want CCYYMMDD", ErrDate, s)
	}
	return d, nil
}

// atoiN reads ASCII digits; any other byte makes it -1.
func atoiN(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// MarshalText renders YYYY-MM-DD ("" for the zero Date).
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	if !d.Valid() {
		return nil, fmt.Errorf("%w: %d-%d-%d", ErrDate, d.Year, d.Month, d.Day)
	}
	return d.appendISO(nil), nil
}

// UnmarshalText reads what ParseDate reads.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Period is a span of days, as a line's dates of service: From alone is one day
// (X12 D8); From and a later To is a range (RD8).
type Period struct {
	From Date `json:"from"`
	To   Date `json:"to,omitzero"`
}

// IsZero reports whether the period is unset.
func (p Period) IsZero() bool { return p.From.IsZero() && p.To.IsZero() }

// Last returns the last day of the period (From when To is unset).
func (p Period) Last() Date {
	if p.To.IsZero() {
		return p.From
	}
	return p.To
}

// IsRange reports whether the period is more than one day.
func (p Period) IsRange() bool { return !p.To.IsZero() && p.To != p.From }
