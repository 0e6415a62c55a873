package storage

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/claimflow/claimflow/billing"
)

// TestDecodeBilledCoverage: the one-pass walk reads what encoding/json reads from
// documents as json.Marshal writes them, indented, with PostgreSQL's jsonb spacing,
// with escapes and nulls; and refuses what is not JSON.
func TestDecodeBilledCoverage(t *testing.T) {
	var file struct {
		Claims []billing.Claim `json:"claims"`
	}
	data, err := os.ReadFile("../billing/examples/claims.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	claims := file.Claims
	if len(claims) == 0 {
		t.Fatal("no example claims")
	}
	var docs [][]byte
	for i, c := range claims {
		if i%2 == 1 && len(c.Coverages) > 0 {
			c.Coverages[0].Adjudication = &billing.OtherPayerAdjudication{PaidAmount: 12_00,
				Lines: []billing.LineAdjudication{{Line: 1, PaidAmount: 12_00}}}
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b, data)
		ind, _ := json.MarshalIndent(c, "", "\t")
		docs = append(docs, ind)
		// jsonb's spacing: a space after each colon and comma.
		docs = append(docs, bytes.ReplaceAll(bytes.ReplaceAll(b, []byte(`":`), []byte(`": `)), []byte(`,"`), []byte(`, "`)))
	}
	docs = append(docs,
		[]byte(`{"patient_control_number":"A\"B\u00e9\\","coverages":[{"payer":{"name":"X","id":"P\u0031"},"adjudication":null},{"adjudication":{"lines":[{"a":"]}"}]},"payer":{"id":"Q"}}]}`),
		[]byte(`{"coverages":null,"patient_control_number":null}`),
		[]byte(`{"coverages":[],"x":[1,-2.5e3,true,false,null,{"y":"}"}]}`),
		[]byte(` { "patient_control_number" : "P1" , "coverages" : [ { "payer" : { "id" : "Z" } , "adjudication" : { } } ] } `),
	)
	for _, b := range docs {
		var got billedCoverageDoc
		if err := decodeBilledCoverage(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		var want billedCoverageDoc
		var ref struct {
			PCN       string `json:"patient_control_number"`
			Coverages []struct {
				Payer struct {
					ID string `json:"id"`
				} `json:"payer"`
				Adjudication *json.RawMessage `json:"adjudication"`
			} `json:"coverages"`
		}
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatal(err)
		}
		want = billedCoverageDoc{pcn: ref.PCN}
		for _, c := range ref.Coverages {
			want.coverages = append(want.coverages, coverageMark{payerID: c.Payer.ID, adjudication: c.Adjudication != nil})
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", b, got, want)
		}
	}
	var d billedCoverageDoc
	if err := (billedCoverageDest{&d}).Scan([]byte(`{"coverages":[1 2]}`)); err == nil {
		t.Error("not JSON scanned")
	}
	for _, bad := range []string{``, `{`, `{"coverages":[{"payer":{"id":"A"}}`, `{"coverages":[1 2]}`, `{"a":}`, `[]`, `{"a":"x}`, `{} x`} {
		var d billedCoverageDoc
		if err := decodeBilledCoverage([]byte(bad), &d); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzDecodeBilledCoverage: the walk never panics or hangs on any bytes, and on a
// document json.Marshal writes from any strings it reads what encoding/json reads.
func FuzzDecodeBilledCoverage(f *testing.F) {
	f.Add([]byte(`{"patient_control_number":"P1","coverages":[{"payer":{"id":"Z"},"adjudication":{}}]}`), "P1", "Z", "x", true)
	f.Add([]byte(`{"a":[{"b":"]}"}],"coverages":null}`), "A\"\\é", "\u2028", "", false)
	f.Add([]byte(`{"coverages":[{"payer":{"id":"A"}}`), "", "", "}]", true)
	f.Fuzz(func(t *testing.T, raw []byte, pcn, payer, other string, adjudicated bool) {
		var d billedCoverageDoc
		_ = decodeBilledCoverage(raw, &d)

		cov := map[string]any{"payer": map[string]any{"name": other, "id": payer}, "adjudication": nil}
		if adjudicated {
			cov["adjudication"] = map[string]any{"note": other, "lines": []any{1, other, nil}}
		}
		doc := map[string]any{"patient_control_number": pcn, "notes": []string{other, payer},
			"coverages": []any{cov, map[string]any{"payer": map[string]any{"id": other}}}}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var got billedCoverageDoc
		if err := decodeBilledCoverage(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		var ref struct {
			PCN       string `json:"patient_control_number"`
			Coverages []struct {
				Payer struct {
					ID string `json:"id"`
				} `json:"payer"`
				Adjudication *json.RawMessage `json:"adjudication"`
			} `json:"coverages"`
		}
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatal(err)
		}
		want := billedCoverageDoc{pcn: ref.PCN}
		for _, c := range ref.Coverages {
			want.coverages = append(want.coverages, coverageMark{payerID: c.Payer.ID, adjudication: c.Adjudication != nil})
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", b, got, want)
		}
	})
}
