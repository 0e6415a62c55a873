package x999

// The plain-English meanings of the 999's codes, in our own words (X12-GUIDE.md
// section 3). They say what to look at, not the standard's full wording.

var segmentCodeTexts = map[string]string{
	"1":  "unrecognized segment id",
	"2":  "unexpected segment",
	"3":  "required segment missing",
	"4":  "loop occurs more often than allowed",
	"5":  "segment occurs more often than allowed",
	"6":  "segment not in the transaction set",
	"7":  "segment out of order",
	"8":  "segment has element errors",
	"I4": "segment the guide marks not used is present",
	"I6": "segment the guide requires in this situation is missing",
	"I7": "loop occurs fewer times than required",
	"I8": "segment occurs fewer times than required",
	"I9": "segment the guide marks not used in this situation is present",
}

var elementCodeTexts = map[string]string{
	"1":   "required element missing",
	"2":   "conditionally required element missing",
	"3":   "too many elements",
	"4":   "element too short",
	"5":   "element too long",
	"6":   "invalid character in element",
	"7":   "invalid code value",
	"8":   "invalid date",
	"9":   "invalid time",
	"10":  "exclusion condition violated (elements that may not appear together)",
	"12":  "too many repetitions",
	"13":  "too many components",
	"I6":  "code value the guide does not use",
	"I9":  "element the guide requires in this situation is missing",
	"I10": "element the guide marks not used is present",
	"I11": "too few repetitions",
	"I12": "value does not match the guide's pattern",
	"I13": "element the guide marks not used in this situation is present",
}

var statusTexts = map[string]string{
	Accepted:           "accepted",
	AcceptedWithErrors: "accepted with errors noted",
	PartiallyAccepted:  "partially accepted: at least one transaction set rejected",
	Rejected:           "rejected",
	RejectedMAC:        "rejected: message authentication code failed",
	RejectedAssurance:  "rejected: assurance failed validity tests",
	RejectedDecrypt:    "rejected: content could not be analysed after decryption",
}

var setCodeTexts = map[string]string{
	"1":  "transaction set not supported",
	"2":  "transaction set trailer (SE) missing",
	"3":  "ST02 and SE02 control numbers differ",
	"4":  "SE01 segment count is wrong",
	"5":  "one or more segments in error",
	"6":  "transaction set id (ST01) missing or invalid",
	"7":  "transaction set control number (ST02) missing or invalid",
	"8":  "authentication key name unknown",
	"9":  "encryption key name unknown",
	"10": "requested security service not available",
	"11": "unknown security recipient",
	"12": "incorrect message length (encryption)",
	"13": "message authentication code failed",
	"15": "unknown security originator",
	"16": "syntax error in decrypted text",
	"17": "security not supported",
	"18": "transaction set not in a functional group",
	"19": "implementation convention reference (ST03) invalid",
	"23": "ST02 control number not unique in the functional group",
	"24": "S3E security end segment missing for S3S",
	"25": "S3S security start segment missing for S3E",
	"26": "S4E security end segment missing for S4S",
	"27": "S4S security start segment missing for S4E",
	"I5": "one or more segments in error against the implementation guide",
	"I6": "implementation convention not supported",
}

var groupCodeTexts = map[string]string{
	"1":  "functional group not supported",
	"2":  "functional group version not supported",
	"3":  "functional group trailer (GE) missing",
	"4":  "GS06 and GE02 control numbers differ",
	"5":  "GE01 transaction set count is wrong",
	"6":  "group control number invalid",
	"10": "authentication key name unknown",
	"11": "encryption key name unknown",
	"12": "requested security service not available",
	"13": "unknown security recipient",
	"14": "unknown security originator",
	"15": "syntax error in decrypted text",
	"16": "security not supported",
	"17": "incorrect message length (encryption)",
	"18": "message authentication code failed",
	"19": "GS06 control number not unique in the interchange",
	"23": "S3E security end segment missing for S3S",
	"24": "S3S security start segment missing for S3E",
	"25": "S4E security end segment missing for S4S",
	"26": "S4S security start segment missing for S4E",
}

// SegmentCodeText returns the meaning of an IK304 segment syntax error code, or "".
func SegmentCodeText(code string) string { return segmentCodeTexts[code] }

// ElementCodeText returns the meaning of an IK403 element syntax error code, or "".
func ElementCodeText(code string) string { return elementCodeTexts[code] }

// StatusText returns the meaning of an IK501 or AK901 acknowledgment code, or "".
func StatusText(code string) string { return statusTexts[code] }

// SetCodeText returns the meaning of an IK502-IK506 transaction set syntax error
// code, or "".
func SetCodeText(code string) string { return setCodeTexts[code] }

// GroupCodeText returns the meaning of an AK905-AK909 functional group syntax error
// code, or "".
func GroupCodeText(code string) string { return groupCodeTexts[code] }
