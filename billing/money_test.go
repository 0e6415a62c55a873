package billing_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/claimflow/claimflow/billing"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want billing.Money
		ok   bool
	}{
		{"0", 0, true}, {"125", 12500, true}, {"125.5", 12550, true}, {"125.50", 12550, true},
		{"-2.15", -215, true}, {"+3", 300, true}, {".5", 50, true}, {"1.500", 150, true},
		{"$1,234.56", 123456, true}, {"-$7", -700, true},
		{"", 0, false}, {"1.005", 0, false}, {"1e3", 0, false}, {"abc", 0, false}, {".", 0, false},
		{",5", 0, false}, {"99999999999999999999", 0, false},
	} {
		got, err := billing.ParseMoney(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseMoney(%q) = %d, %v", tc.in, got, err)
		}
		if err != nil && !errors.Is(err, billing.ErrMoney) {
			t.Errorf("ParseMoney(%q): %v is not ErrMoney", tc.in, err)
		}
	}
	for m, want := range map[billing.Money]string{0: "0.00", 12550: "125.50", -215: "-2.15", 5: "0.05", billing.Dollars(3, 7): "3.07"} {
		if got := m.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(m), got, want)
		}
	}
}

func TestMoneyJSON(t *testing.T) {
	t.Parallel()
	var v struct {
		A, B, C billing.Money
		Q       billing.Quantity
	}
	if err := json.Unmarshal([]byte(`{"A": 125.5, "B": "19.99", "C": null, "Q": 1.25}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != 12550 || v.B != 1999 || v.C != 0 || v.Q != 1250 {
		t.Errorf("decoded %+v", v)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"A":125.50,"B":19.99,"C":0.00,"Q":1.25}` {
		t.Errorf("encoded %s", out)
	}
	if err := json.Unmarshal([]byte(`{"A": 1.999}`), &v); !errors.Is(err, billing.ErrMoney) {
		t.Errorf("fractions of a cent: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"A": true}`), &v); err == nil {
		t.Error("a boolean was read as money")
	}
}

func TestQuantity(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]billing.Quantity{"1": 1000, "1.5": 1500, "0.125": 125, "10.000": 10000, "2.10": 2100} {
		got, err := billing.ParseQuantity(in)
		if err != nil || got != want {
			t.Errorf("ParseQuantity(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := billing.ParseQuantity("0.0001"); !errors.Is(err, billing.ErrQuantity) {
		t.Errorf("four decimals: %v", err)
	}
	if _, err := billing.ParseQuantity("$1"); err == nil {
		t.Error("a dollar sign in a quantity")
	}
	for q, want := range map[billing.Quantity]string{1000: "1", 1500: "1.5", 125: "0.125", 2100: "2.1", 2010: "2.01", -500: "-0.5", billing.Units(45): "45"} {
		if got := q.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(q), got, want)
		}
	}
}

func TestDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]billing.Date{
		"2025-03-03": billing.NewDate(2025, 3, 3), "20250303": billing.NewDate(2025, 3, 3),
		"03/04/2025": billing.NewDate(2025, 3, 4), "2024-02-29": billing.NewDate(2024, 2, 29), "": {},
	} {
		got, err := billing.ParseDate(in)
		if err != nil || got != want {
			t.Errorf("ParseDate(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"2025-02-29", "2025-13-01", "2025-3-3", "1900-00-10", "20251301", "tomorrow", "0999-01-01"} {
		if _, err := billing.ParseDate(in); !errors.Is(err, billing.ErrDate) {
			t.Errorf("ParseDate(%q): %v", in, err)
		}
	}
	d := billing.NewDate(2025, 12, 31)
	if d.String() != "2025-12-31" || string(d.AppendX12(nil)) != "20251231" || d.AddDays(1) != billing.NewDate(2026, 1, 1) {
		t.Errorf("formatting or arithmetic: %s %s %s", d, d.AppendX12(nil), d.AddDays(1))
	}
	if !d.After(billing.NewDate(2025, 12, 30)) || !d.Before(billing.NewDate(2026, 1, 1)) || d.Compare(d) != 0 {
		t.Error("comparison")
	}
	// A civil date has no time zone: the date of an instant is the date where it is read.
	tm := time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)
	if billing.DateOf(tm.In(time.FixedZone("EST", -5*3600))) != billing.NewDate(2025, 2, 28) {
		t.Error("DateOf ignores the location")
	}
	var v struct {
		D billing.Date `json:"d,omitzero"`
		E billing.Date `json:"e,omitzero"`
	}
	if err := json.Unmarshal([]byte(`{"d": "2025-03-03"}`), &v); err != nil || v.D != billing.NewDate(2025, 3, 3) {
		t.Fatalf("%v %v", v, err)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"d":"2025-03-03"}` {
		t.Errorf("encoded %s", out)
	}
	if err := json.Unmarshal([]byte(`{"d": "2025-02-30"}`), &v); !errors.Is(err, billing.ErrDate) {
		t.Errorf("bad date: %v", err)
	}
	p := billing.Period{From: billing.NewDate(2025, 3, 3)}
	if p.IsRange() || p.Last() != p.From {
		t.Error("one-day period")
	}
	p.To = billing.NewDate(2025, 3, 5)
	if !p.IsRange() || p.Last() != p.To {
		t.Error("range")
	}
}

func TestPath(t *testing.T) {
	t.Parallel()
	p := billing.ClaimPath(3).At("lines", 1).Field("procedure").At("modifiers", 0)
	if p != "claims[3].lines[1].procedure.modifiers[0]" {
		t.Errorf("path %q", p)
	}
	if billing.Path("").Field("charge") != "charge" {
		t.Error("an empty path")
	}
}
