package x12

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrAmount: a decimal amount that is not a number, has more than two decimals, or
// does not fit in int64 cents.
var ErrAmount = errors.New("invalid monetary amount")

// ParseCents reads an X12 decimal (type R) amount such as "120", "-2.15" or "0.5" as
// int64 cents, without floating point. More than two decimal digits are accepted only
// when the extra digits are zeros.
func ParseCents(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: empty", ErrAmount)
	}
	neg := false
	i := 0
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i++
	}
	var whole int64
	digits := 0
	for ; i < len(b) && b[i] != '.'; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %q", ErrAmount, b)
		}
		if whole > (1<<63-1)/1000 {
			return 0, fmt.Errorf("%w: %q is too large", ErrAmount, b)
		}
		whole = whole*10 + int64(c-'0')
		digits++
	}
	var frac int64
	fdigits := 0
	if i < len(b) {
		i++ // the point
		for ; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("%w: %q", ErrAmount, b)
			}
			if fdigits >= 2 {
				if c != '0' {
					return 0, fmt.Errorf("%w: %q has fractions of a cent", ErrAmount, b)
				}
				continue
			}
			frac = frac*10 + int64(c-'0')
			fdigits++
		}
		if fdigits == 0 && digits == 0 {
			return 0, fmt.Errorf("%w: %q", ErrAmount, b)
		}
	}
	if digits == 0 && fdigits == 0 {
		return 0, fmt.Errorf("%w: %q", ErrAmount, b)
	}
	if fdigits == 1 {
		frac *= 10
	}
	v := whole*100 + frac
	if neg {
		v = -v
	}
	return v, nil
}

// AppendCents appends cents as an X12 decimal with no needless zeros: 12000 -> "120",
// 12050 -> "120.5", 12055 -> "120.55", -215 -> "-2.15".
func AppendCents(dst []byte, cents int64) []byte {
	u := uint64(cents)
	if cents < 0 {
		dst = append(dst, '-')
		u = uint64(-cents)
	}
	dst = strconv.AppendUint(dst, u/100, 10)
	switch f := u % 100; {
	case f == 0:
	case f%10 == 0:
		dst = append(dst, '.', byte('0'+f/10))
	default:
		dst = append(dst, '.', byte('0'+f/10), byte('0'+f%10))
	}
	return dst
}

// FormatCents is AppendCents to a string.
func FormatCents(cents int64) string { return string(AppendCents(nil, cents)) }
