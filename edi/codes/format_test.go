package codes

import "testing"

func TestFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		check func(string) bool
		valid []string
		bad   []string
	}{
		{"ICD10CMFormat", ICD10CMFormat,
			[]string{"E119", "E11", "I10", "Z0000", "S72001A", "E11A", "U071", "S301XXA", "Z91A10", "QA0010", "QA00101"},
			[]string{"", "E1", "E11.9", "e119", "1E19", "S72001AA", "E11-9", "E11 9"}},
		{"HCPCSFormat", HCPCSFormat,
			[]string{"G0439", "J1100", "A0021", "V5364", "C9088"},
			[]string{"", "W1234", "Z1234", "99213", "G043", "G04399", "g0439", "GG439", "G043X"}},
		{"CPTFormat", CPTFormat,
			[]string{"99213", "00100", "3074F", "0042T"},
			[]string{"", "9921", "992130", "G0439", "3074X", "A074F", "9921f"}},
		{"ModifierFormat", ModifierFormat,
			[]string{"25", "59", "KX", "LT", "Q6", "GT"},
			[]string{"", "K", "KXX", "kx", "K-", "  "}},
		{"TaxonomyFormat", TaxonomyFormat,
			[]string{"207Q00000X", "193200000X", "207QB0505X"},
			[]string{"", "207Q00000", "207Q00000Y", "207q00000X", "207Q00000XX", "207Q 0000X"}},
		{"POSFormat", POSFormat,
			[]string{"11", "02", "99", "00"},
			[]string{"", "1", "111", "1A", " 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range tt.valid {
				if !tt.check(c) {
					t.Errorf("%s(%q) = false, want true", tt.name, c)
				}
			}
			for _, c := range tt.bad {
				if tt.check(c) {
					t.Errorf("%s(%q) = true, want false", tt.name, c)
				}
			}
		})
	}
}

func TestPackRoundTrip(t *testing.T) {
	t.Parallel()
	codes := []string{"A00", "A000", "A0000", "E119", "S72001A", "207Q00000X", "ZZZZZZZZZZ", "0", "KX"}
	for _, c := range codes {
		k, ok := pack(c)
		if !ok || unpack(k) != c {
			t.Errorf("pack(%q) = %x, %v; unpack = %q", c, k, ok, unpack(k))
		}
	}
	for i := 1; i < len(codes); i++ { // packing keeps lexical order
		a, _ := pack(codes[i-1])
		b, _ := pack(codes[i])
		if (a < b) != (codes[i-1] < codes[i]) {
			t.Errorf("order of %q, %q not kept", codes[i-1], codes[i])
		}
	}
	for _, c := range []string{"", "e119", "E11.9", "12345678901"} {
		if _, ok := pack(c); ok {
			t.Errorf("pack(%q) ok, want not packable", c)
		}
	}
}
