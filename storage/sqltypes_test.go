package storage

import (
	"encoding/json"
	"testing"
)

// appendJSONString must write what encoding/json reads back as the text it was
// given (or, for text that is not UTF-8, as encoding/json itself would write it).
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "CO", "A\"B", `C:\x`, "tab\there", "nul\x00", "\x1f", "ñandú", "\u2028", "bad \xff utf-8", "<&>"} {
		got := appendJSONString([]byte("x"), s)
		if got[0] != 'x' {
			t.Fatalf("%q: the bytes before were changed: %q", s, got)
		}
		var back string
		if err := json.Unmarshal(got[1:], &back); err != nil {
			t.Fatalf("%q: wrote %s, not JSON: %v", s, got[1:], err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		if err := json.Unmarshal(want, &wantBack); err != nil {
			t.Fatal(err)
		}
		if back != wantBack {
			t.Errorf("%q: wrote %s, which reads back as %q, want %q", s, got[1:], back, wantBack)
		}
	}
}
