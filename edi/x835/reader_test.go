package x835_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/fixtures"
)

// readAll reads data with a Reader; the error is nil at io.EOF, as ParseEach's.
func readAll(data []byte) ([]*x835.Remittance, error) {
	rd := x835.NewReader(bytes.NewReader(data))
	var out []*x835.Remittance
	for {
		rem, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rem)
	}
}

func parseAll(data []byte) ([]*x835.Remittance, error) {
	var out []*x835.Remittance
	err := x835.ParseEach(bytes.NewReader(data), func(rem *x835.Remittance) error {
		out = append(out, rem)
		return nil
	})
	return out, err
}

// sameAsParseEach fails unless a Reader reads from data the transaction sets
// ParseEach reads, with the same errors, the same error at the end, and, for every
// transaction set the guide finds no fault with, the same Remittance. It returns
// how many such transaction sets it compared.
func sameAsParseEach(t *testing.T, name string, data []byte) int {
	t.Helper()
	want, wantErr := parseAll(data)
	got, gotErr := readAll(data)
	if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
		t.Fatalf("%s: Reader ends with %v, ParseEach with %v", name, gotErr, wantErr)
	}
	if errors.Is(wantErr, x835.ErrNot835) != errors.Is(gotErr, x835.ErrNot835) {
		t.Fatalf("%s: Reader ends with %v, ParseEach with %v", name, gotErr, wantErr)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: Reader reads %d transaction sets, ParseEach %d", name, len(got), len(want))
	}
	compared := 0
	for i := range want {
		if !reflect.DeepEqual(got[i].Origin.Errors, want[i].Origin.Errors) {
			t.Fatalf("%s: ST %s: Reader finds errors %v, ParseEach %v", name, want[i].Origin.ST02, got[i].Origin.Errors, want[i].Origin.Errors)
		}
		if len(want[i].Origin.Errors) > 0 {
			continue
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("%s: ST %s: Reader reads\n%+v\nParseEach\n%+v", name, want[i].Origin.ST02, got[i], want[i])
		}
		compared++
	}
	// With ReuseRemittance each remittance is the same while it is being used.
	rd := x835.NewReader(bytes.NewReader(data))
	rd.ReuseRemittance = true
	for i := 0; ; i++ {
		rem, err := rd.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			if i != len(got) || fmt.Sprint(err) != fmt.Sprint(gotErr) {
				t.Fatalf("%s: with ReuseRemittance, %d transaction sets and %v; without, %d and %v", name, i, err, len(got), gotErr)
			}
			break
		}
		if i >= len(got) || !reflect.DeepEqual(rem, got[i]) {
			t.Fatalf("%s: transaction set %d differs with ReuseRemittance", name, i)
		}
	}
	return compared
}

// mutations returns variants of a newline-separated 835: each segment dropped,
// doubled, and with each element emptied or made unreadable, and the file cut short
// at each segment.
func mutations(base string) map[string]string {
	segs := strings.SplitAfter(base, "~")
	out := map[string]string{}
	for i, s := range segs {
		rest := strings.Join(segs[i+1:], "")
		head := strings.Join(segs[:i], "")
		out["drop "+s] = head + rest
		out["double "+s] = head + s + s + rest
		out["cut before "+s] = head
		els := strings.Split(strings.TrimSuffix(s, "~"), "*")
		for k := 1; k < len(els); k++ {
			for _, v := range []string{"", "1.234", "20250231", "X:Y"} {
				e := append([]string(nil), els...)
				e[k] = v
				out["set "+s+" "+v] = head + strings.Join(e, "*") + "~" + rest
			}
		}
	}
	// Every amount with a fraction of a cent: the guide takes them, the model cannot
	// read them, at the transaction set's level (BPR, PLB) and in claims.
	out["fractions of a cent"] = fractionsOfCent.ReplaceAllString(base, "$1$2${3}1$4")
	return out
}

var fractionsOfCent = regexp.MustCompile(`([*:])(-?[0-9]+)(\.[0-9][0-9])([*~])`)

// TestReaderAsParseEach holds Reader to ParseEach on the samples, the shared corpus
// (all transaction set types), synthetic 835s, and variants of the sample 835 with
// one defect each.
func TestReaderAsParseEach(t *testing.T) {
	t.Parallel()
	inputs := map[string][]byte{}
	for _, name := range fixtures.SampleNames() {
		inputs[name] = fixtures.Sample(name)
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "corpus", "*", "*"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			inputs[name] = data
		}
	}
	for seed := uint64(1); seed <= 3; seed++ {
		var buf bytes.Buffer
		if _, err := fixtures.Write835(&buf, fixtures.Options{Seed: seed, Size: 200 << 10}); err != nil {
			t.Fatal(err)
		}
		inputs["synthetic "+string(rune('0'+seed))] = buf.Bytes()
	}
	for name, in := range mutations(string(fixtures.Sample("835-basic.x12"))) {
		inputs[name] = []byte(in)
	}
	compared := 0
	for name, data := range inputs {
		compared += sameAsParseEach(t, name, data)
	}
	if compared < 100 {
		t.Errorf("only %d transaction sets without errors compared", compared)
	}
	// The values read in several loops are listed in ParseEach's order.
	rems, err := readAll([]byte(inputs["fractions of a cent"]))
	if err != nil || len(rems) != 1 || len(rems[0].Origin.Errors) > 0 || len(rems[0].Origin.Unread) < 3 {
		t.Errorf("amounts with fractions of a cent: %v %+v", err, rems)
	}
	t.Logf("%d inputs, %d transaction sets without errors compared", len(inputs), compared)
}

// FuzzReaderAsParseEach holds Reader to ParseEach on anything: the same transaction
// sets, errors and end, and the same remittances where the guide finds no fault.
func FuzzReaderAsParseEach(f *testing.F) {
	for _, name := range fixtures.SampleNames() {
		f.Add(fixtures.Sample(name))
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "corpus", "835", "*"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsParseEach(t, "input", data)
	})
}
