package storage

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/claimflow/claimflow/billing"
)

// dateArg is a billing.Date as a query argument: YYYY-MM-DD, or NULL for the zero
// Date. PostgreSQL reads the text as a DATE; SQLite stores it as TEXT, so both
// compare and sort dates the same way.
func dateArg(d billing.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

// dateDest scans a DATE (PostgreSQL: time.Time) or TEXT (SQLite) column into a
// billing.Date; NULL is the zero Date.
type dateDest struct{ d *billing.Date }

func (s dateDest) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*s.d = billing.Date{}
	case time.Time:
		*s.d = billing.DateOf(v)
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("scanning date from %T", v)
	}
	return nil
}

func (s dateDest) parse(v string) error {
	if len(v) > 10 { // a timestamp from a driver that reads DATE as one
		v = v[:10]
	}
	d, err := billing.ParseDate(v)
	if err != nil {
		return fmt.Errorf("scanning date: %w", err)
	}
	*s.d = d
	return nil
}

// timeDest scans a TIMESTAMPTZ or SQLite TIMESTAMP column, NULL being the zero time.
type timeDest struct{ t *time.Time }

func (s timeDest) Scan(v any) error {
	var nt sql.NullTime
	if err := nt.Scan(v); err != nil {
		return fmt.Errorf("scanning time: %w", err)
	}
	*s.t = nt.Time.UTC()
	if !nt.Valid {
		*s.t = time.Time{}
	}
	return nil
}

// timeArg is a time as a query argument: NULL for the zero time, UTC otherwise.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// idArg is an id as a query argument: NULL for 0.
func idArg(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// idDest scans a nullable id, NULL being 0.
type idDest struct{ id *int64 }

func (s idDest) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	*s.id = n.Int64
	return nil
}

// jsonArg marshals v for a JSON column.
func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding JSON: %w", err)
	}
	return string(b), nil
}

// jsonDest scans a JSON column (JSONB or TEXT) into v; NULL leaves v unchanged.
type jsonDest struct{ v any }

func (s jsonDest) Scan(src any) error {
	var b []byte
	switch src := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(src)
	case []byte:
		b = src
	default:
		return fmt.Errorf("scanning JSON from %T", src)
	}
	if err := json.Unmarshal(b, s.v); err != nil {
		return fmt.Errorf("decoding JSON: %w", err)
	}
	return nil
}

// strings returns a JSON array for a list of codes, "[]" when empty.
func stringsArg(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// appendJSONString appends s to b as a JSON string: quotes, backslashes and control
// bytes escaped, other text as it is (JSON takes UTF-8 as it is). Text that is not
// valid UTF-8 goes through encoding/json, which replaces what it cannot read.
func appendJSONString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		q, _ := json.Marshal(s)
		return append(b, q...)
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
