package remit

import (
	"encoding/json"
	"testing"
)

// TestMoveDetailAsMap checks that a claim's history detail encodes byte for byte as
// the map it replaced, with values that JSON escapes.
func TestMoveDetailAsMap(t *testing.T) {
	t.Parallel()
	for _, v := range [][4]string{
		{"1", "120.00", "7", "EFT66"},
		{"22", "-0.50", "12345", `<a&b> "quoted" \ back`},
		{"", "", "", "é\u2028\x01\xff"},
	} {
		want, err := json.Marshal(map[string]string{"remittance": v[2], "trace": v[3], "clp02": v[0], "paid": v[1]})
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(any(moveDetail{CLP02: v[0], Paid: v[1], Remittance: v[2], Trace: v[3]}))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s, want %s", got, want)
		}
	}
}
