package billing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ReadJSON reads claims in the JSON import format that SCHEMA.md describes: an array
// of claims, or an object {"claims": [...]}. Unknown fields are refused (a misspelt
// field would otherwise be lost silently). Each claim that cannot be read is reported
// as a Problem naming it; the claims that could be read are returned with the
// problems. The claims are returned as written: call Normalize to fill defaults.
func ReadJSON(r io.Reader) ([]Claim, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading claims JSON: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var raw []json.RawMessage
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var doc struct {
			Claims []json.RawMessage `json:"claims"`
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			return nil, Problems{{Err: fmt.Errorf("reading claims JSON: %w", err)}}
		}
		raw = doc.Claims
	} else if err := json.Unmarshal(data, &raw); err != nil {
		return nil, Problems{{Err: fmt.Errorf("reading claims JSON (want an array of claims or {\"claims\": [...]}): %w", err)}}
	}
	claims := make([]Claim, 0, len(raw))
	var probs Problems
	for i, m := range raw {
		var c Claim
		dec := json.NewDecoder(bytes.NewReader(m))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			probs = append(probs, &Problem{Path: ClaimPath(i), Err: describeJSONError(err)})
			continue
		}
		claims = append(claims, c)
	}
	return claims, probs.Err()
}

// describeJSONError names the field of a type error, which encoding/json knows.
func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("field %s: want %s, not a JSON %s", te.Field, te.Type, te.Value)
	}
	return err
}

// WriteJSON writes claims as {"claims": [...]}, indented, in the import format.
func WriteJSON(w io.Writer, claims []Claim) error {
	if claims == nil {
		claims = []Claim{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Claims []Claim `json:"claims"`
	}{claims}); err != nil {
		return fmt.Errorf("writing claims JSON: %w", err)
	}
	return nil
}

func jsonUnquote(b []byte, s *string) error { return json.Unmarshal(b, s) }
