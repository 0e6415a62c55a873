package codes

import (
	"errors"
	"testing"
)

func TestValidNPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		npi  string
		want bool
	}{
		{"1234567893", true},
		{"1932104098", true},
		{"1234567890", false},
		{"1234567891", false},
		{"123456789", false},   // too short
		{"12345678933", false}, // too long
		{"123456789X", false},
		{"12345 7893", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidNPI(tt.npi); got != tt.want {
			t.Errorf("ValidNPI(%q) = %v, want %v", tt.npi, got, tt.want)
		}
	}
}

func TestNPICheckDigit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		first9  string
		want    byte
		wantErr bool
	}{
		{"123456789", '3', false},
		{"193210409", '8', false},
		{"000000000", '6', false}, // 80840 alone: sum 24, check 6
		{"12345678", 0, true},
		{"12345678A", 0, true},
	}
	for _, tt := range tests {
		got, err := NPICheckDigit(tt.first9)
		if tt.wantErr {
			if !errors.Is(err, ErrNotDigits) {
				t.Errorf("NPICheckDigit(%q) error = %v, want ErrNotDigits", tt.first9, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NPICheckDigit(%q) = %q, %v; want %q", tt.first9, got, err, tt.want)
		}
		if !ValidNPI(tt.first9 + string(rune(got))) {
			t.Errorf("ValidNPI(%q+check digit) = false", tt.first9)
		}
	}
}

// Every base gets exactly one valid check digit.
func TestNPICheckDigitUnique(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"100000000", "987654321", "555555555", "102030405"} {
		n := 0
		for d := byte('0'); d <= '9'; d++ {
			if ValidNPI(base + string(rune(d))) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("base %s: %d valid check digits, want 1", base, n)
		}
	}
}
