package codes

// The format checks below need no loaded code set. Each takes the code as it
// is sent in X12 (upper case, no dot, no padding) and says whether it has the
// shape of that kind of code; it says nothing about whether the code exists.

// ICD10CMFormat reports whether code has the shape of an ICD-10-CM code as
// sent in X12, without the dot: a letter, then two to six letters or digits
// (3 to 7 characters; E119, S72001A). The second character is usually a
// digit, but FY2026 added the QA chapter (QA0010), so a letter is accepted.
func ICD10CMFormat(code string) bool {
	if len(code) < 3 || len(code) > 7 || !isUpper(code[0]) {
		return false
	}
	for i := 1; i < len(code); i++ {
		if !isAlnum(code[i]) {
			return false
		}
	}
	return true
}

// HCPCSFormat reports whether code has the shape of a HCPCS Level II code: a
// letter A to V followed by four digits (G0439, J1100).
func HCPCSFormat(code string) bool {
	return len(code) == 5 && code[0] >= 'A' && code[0] <= 'V' && allDigits(code[1:])
}

// CPTFormat reports whether code has the shape of a CPT (HCPCS Level I)
// code: five digits (99213), or four digits then F (category II, 3074F) or
// T (category III, 0042T).
func CPTFormat(code string) bool {
	if len(code) != 5 || !allDigits(code[:4]) {
		return false
	}
	c := code[4]
	return isDigit(c) || c == 'F' || c == 'T'
}

// ModifierFormat reports whether code has the shape of a procedure modifier:
// two upper-case letters or digits (25, KX, LT, Q6).
func ModifierFormat(code string) bool {
	return len(code) == 2 && isAlnum(code[0]) && isAlnum(code[1])
}

// TaxonomyFormat reports whether code has the shape of a NUCC provider
// taxonomy code: nine upper-case letters or digits then X (207Q00000X).
func TaxonomyFormat(code string) bool {
	if len(code) != 10 || code[9] != 'X' {
		return false
	}
	for i := 0; i < 9; i++ {
		if !isAlnum(code[i]) {
			return false
		}
	}
	return true
}

// POSFormat reports whether code has the shape of a place of service code:
// two digits (11, 02).
func POSFormat(code string) bool {
	return len(code) == 2 && allDigits(code)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isUpper(c) }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
