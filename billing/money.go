package billing

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrMoney is returned, wrapped, for text that is not an amount of money in cents.
var ErrMoney = errors.New("invalid amount")

// Money is an amount of US dollars in cents. JSON carries it as a decimal number of
// dollars (125.5 or "125.50"); no floating point is involved either way.
type Money int64

// Dollars returns an amount of whole dollars and cents: Dollars(125, 50) is $125.50.
func Dollars(dollars, cents int64) Money { return Money(dollars*100 + cents) }

// String renders the amount with two decimals: "125.50", "-2.15".
func (m Money) String() string { return string(m.AppendText(nil)) }

// AppendText appends the amount with two decimals.
func (m Money) AppendText(dst []byte) []byte {
	u := uint64(m)
	if m < 0 {
		dst = append(dst, '-')
		u = uint64(-m)
	}
	dst = strconv.AppendUint(dst, u/100, 10)
	f := u % 100
	return append(dst, '.', byte('0'+f/10), byte('0'+f%10))
}

// ParseMoney reads a decimal amount of dollars such as "125", "125.5", "-2.15" or
// "$1,234.56" (a leading dollar sign and thousands commas are allowed) as cents.
// More than two decimals are refused unless the extra digits are zeros.
func ParseMoney(s string) (Money, error) {
	v, err := parseFixed(s, 2, true)
	if err != nil {
		return 0, fmt.Errorf("%w %q: %w", ErrMoney, s, err)
	}
	return Money(v), nil
}

// MarshalJSON writes the amount as a JSON number with two decimals.
func (m Money) MarshalJSON() ([]byte, error) { return m.AppendText(nil), nil }

// UnmarshalJSON reads a JSON number or string of dollars.
func (m *Money) UnmarshalJSON(b []byte) error {
	s, err := jsonNumberText(b)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMoney, err)
	}
	v, err := ParseMoney(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ErrQuantity is returned, wrapped, for text that is not a quantity.
var ErrQuantity = errors.New("invalid quantity")

// Quantity is a count of units with up to three decimals, held in thousandths:
// Units(2) is 2000, and 1.5 units is 1500. Service units (SV104), drug quantities
// (CTP04) and adjustment quantities (CAS04) are Quantities.
type Quantity int64

// Units returns a whole number of units as a Quantity.
func Units(n int64) Quantity { return Quantity(n * 1000) }

// String renders the quantity without needless zeros: "2", "1.5", "0.125".
func (q Quantity) String() string { return string(q.AppendText(nil)) }

// AppendText appends the quantity without needless zeros.
func (q Quantity) AppendText(dst []byte) []byte {
	u := uint64(q)
	if q < 0 {
		dst = append(dst, '-')
		u = uint64(-q)
	}
	dst = strconv.AppendUint(dst, u/1000, 10)
	f := u % 1000
	if f == 0 {
		return dst
	}
	dst = append(dst, '.', byte('0'+f/100))
	if f%100 != 0 {
		dst = append(dst, byte('0'+f/10%10))
		if f%10 != 0 {
			dst = append(dst, byte('0'+f%10))
		}
	}
	return dst
}

// ParseQuantity reads a decimal quantity such as "1", "1.5" or "0.125".
func ParseQuantity(s string) (Quantity, error) {
	v, err := parseFixed(s, 3, false)
	if err != nil {
		return 0, fmt.Errorf("%w %q: %w", ErrQuantity, s, err)
	}
	return Quantity(v), nil
}

// MarshalJSON writes the quantity as a JSON number.
func (q Quantity) MarshalJSON() ([]byte, error) { return q.AppendText(nil), nil }

// UnmarshalJSON reads a JSON number or string.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s, err := jsonNumberText(b)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrQuantity, err)
	}
	v, err := ParseQuantity(s)
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// jsonNumberText returns the text of a JSON number, or of a JSON string holding one.
func jsonNumberText(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		var s string
		if err := jsonUnquote(b, &s); err != nil {
			return "", err
		}
		return s, nil
	}
	if string(b) == "null" {
		return "0", nil
	}
	return string(b), nil
}

// parseFixed reads a decimal with at most decimals fraction digits (extra trailing
// zeros allowed) as an integer scaled by 10^decimals, without floating point.
func parseFixed(s string, decimals int, money bool) (int64, error) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	if money && i < len(s) && s[i] == '$' {
		i++
	}
	var whole int64
	digits := 0
	for ; i < len(s) && s[i] != '.'; i++ {
		c := s[i]
		if money && c == ',' && digits > 0 {
			continue
		}
		if c < '0' || c > '9' {
			return 0, errors.New("not a decimal number")
		}
		if whole > (1<<63-1)/10000 {
			return 0, errors.New("too large")
		}
		whole = whole*10 + int64(c-'0')
		digits++
	}
	var frac int64
	fd := 0
	if i < len(s) {
		i++
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, errors.New("not a decimal number")
			}
			if fd >= decimals {
				if c != '0' {
					return 0, fmt.Errorf("more than %d decimals", decimals)
				}
				continue
			}
			frac = frac*10 + int64(c-'0')
			fd++
		}
		digits += fd
	}
	if digits == 0 {
		return 0, errors.New("no digits")
	}
	for ; fd < decimals; fd++ {
		frac *= 10
	}
	scale := int64(1)
	for range decimals {
		scale *= 10
	}
	v := whole*scale + frac
	if neg {
		v = -v
	}
	return v, nil
}
