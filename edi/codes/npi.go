package codes

import (
	"errors"
	"fmt"
)

// ErrNotDigits is returned, wrapped, when an NPI base is not nine ASCII digits.
var ErrNotDigits = errors.New("want 9 digits")

// npiPrefixSum is the Luhn contribution of the prefix 80840 that the NPI
// standard puts before the nine base digits: 8 + 0 + 8 + (4*2) + (0*2) = 24.
const npiPrefixSum = 24

// ValidNPI reports whether s is a 10-digit National Provider Identifier
// whose last digit is the Luhn check digit of "80840" followed by its first
// nine digits. It does not say whether the NPI is enumerated (NPPES).
func ValidNPI(s string) bool {
	if len(s) != 10 {
		return false
	}
	for i := 0; i < 10; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return npiCheck(s[:9]) == s[9]
}

// NPICheckDigit returns the check digit, as an ASCII digit ('0'-'9'), that
// makes first9+string(rune(digit)) a valid NPI. It is meant for building
// fixtures: NPICheckDigit("123456789") gives '3'.
func NPICheckDigit(first9 string) (byte, error) {
	if len(first9) != 9 {
		return 0, fmt.Errorf("computing NPI check digit of %q: %w", first9, ErrNotDigits)
	}
	for i := 0; i < 9; i++ {
		if first9[i] < '0' || first9[i] > '9' {
			return 0, fmt.Errorf("computing NPI check digit of %q: %w", first9, ErrNotDigits)
		}
	}
	return npiCheck(first9), nil
}

// npiCheck computes the Luhn check digit over 80840+base (base is 9 digits).
// Counting from the right of base, the 1st, 3rd, ... digits are doubled.
func npiCheck(base string) byte {
	sum := npiPrefixSum
	for i := 0; i < 9; i++ {
		d := int(base[8-i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}
