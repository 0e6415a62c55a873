package profile_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/profile"
)

func TestEmbeddedProfilesLoad(t *testing.T) {
	t.Parallel()
	want := []string{"availity", "claimmd", "generic", "officeally", "stedi"}
	if got := profile.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range want {
		for _, usage := range []string{"T", "P"} {
			over := writeOverride(t, "profiles:\n  "+name+":\n    usage: "+usage+"\n")
			p, err := profile.Load(name, over)
			if err != nil {
				t.Fatalf("Load(%s, usage %s): %v", name, usage, err)
			}
			if p.Usage != usage || p.Name != name {
				t.Errorf("%s: usage %q name %q", name, p.Usage, p.Name)
			}
			if _, err := p.Layout(); err != nil {
				t.Errorf("%s: Layout: %v", name, err)
			}
			if _, err := p.FileName(profile.NameData{Prefix: "ACME", Time: time.Now(), ISA13: "000000123"}); err != nil {
				t.Errorf("%s: FileName: %v", name, err)
			}
			if p.Fact("folders") == "" || p.Fact("usage") != "site" {
				t.Errorf("%s: Fact(usage) = %q, want site", name, p.Fact("usage"))
			}
		}
	}
}

func writeOverride(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "connections.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOfficeAllyTestNames(t *testing.T) {
	t.Parallel()
	d := profile.NameData{Prefix: "ACME", Time: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), ISA13: "000000042"}
	p, err := profile.Load("officeally", "")
	if err != nil {
		t.Fatal(err)
	}
	if name, err := p.FileName(d); err != nil || name != "OATEST_837P_20260304050607_000000042.txt" {
		t.Errorf("test name %q %v", name, err)
	}
	prod, err := profile.Load("officeally", writeOverride(t, "profiles:\n  officeally:\n    usage: P\n"))
	if err != nil {
		t.Fatal(err)
	}
	if name, err := prod.FileName(d); err != nil || name != "ACME_837P_20260304050607_000000042.txt" {
		t.Errorf("production name %q %v", name, err)
	}
	// In test mode a name without OATEST is refused: it would reach payers.
	over := writeOverride(t, "profiles:\n  officeally:\n    test:\n      upload: {name: 'X_{{.Timestamp}}.txt'}\n")
	if _, err := profile.Load("officeally", over); err == nil || !strings.Contains(err.Error(), "OATEST") {
		t.Errorf("a test name without OATEST loaded: %v", err)
	}
}

func TestStediReceiverByUsage(t *testing.T) {
	t.Parallel()
	test, err := profile.Load("stedi", "")
	if err != nil {
		t.Fatal(err)
	}
	prod, err := profile.Load("stedi", writeOverride(t, "profiles:\n  stedi: {usage: P}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if test.Envelope.ISA08 != "STEDITEST" || prod.Envelope.ISA08 != "STEDI" || test.Fact("envelope.isa08") != "doc" {
		t.Errorf("ISA08 test %q prod %q (%s)", test.Envelope.ISA08, prod.Envelope.ISA08, test.Fact("envelope.isa08"))
	}
	avail, _ := profile.Load("availity", "")
	if avail.Host != "qa-files.availity.com" || avail.Fact("host") != "unverified" {
		t.Errorf("Availity test host %q (%s)", avail.Host, avail.Fact("host"))
	}
}

func TestOverrideMergesFieldByField(t *testing.T) {
	t.Parallel()
	over := writeOverride(t, `
connections: {ignored: here}
profiles:
  availity:
    usage: P
    host: sftp.example.test
    envelope: {isa05: ZZ, isa06: ACME123, isa07: "01", gs02: ACME123}
    confidence: {envelope.isa07: doc}
  mych:
    base: officeally
    folders: {upload: in, download: out, archive: done}
    after_download: archive
    may_archive: true
`)
	p, err := profile.Load("availity", over)
	if err != nil {
		t.Fatal(err)
	}
	if p.Host != "sftp.example.test" || p.Envelope.ISA06 != "ACME123" || p.Envelope.ISA08 != "030240928" || p.Folders.Upload != "SendFiles" {
		t.Errorf("merged profile %+v", p)
	}
	if p.Fact("envelope.isa06") != "site" || p.Fact("envelope.isa07") != "doc" || p.Fact("envelope.isa08") != "2nd" || p.Fact("folders.upload") != "2nd" {
		t.Errorf("facts: isa06 %s isa07 %s isa08 %s folders %s", p.Fact("envelope.isa06"), p.Fact("envelope.isa07"), p.Fact("envelope.isa08"), p.Fact("folders.upload"))
	}
	if m := p.Missing(); len(m) != 0 {
		t.Errorf("Missing() = %v", m)
	}
	mine, err := profile.Load("mych", over)
	if err != nil {
		t.Fatal(err)
	}
	l, err := mine.Layout()
	if err != nil {
		t.Fatal(err)
	}
	if l.UploadDir != "in" || l.After != connectors.Archive || l.ArchiveDir != "done" || mine.Envelope.ISA08 != "330897513" {
		t.Errorf("profile based on officeally: %+v %+v", l, mine.Envelope)
	}
	all, err := profile.LoadAll(over)
	if err != nil || len(all) != 6 {
		t.Errorf("LoadAll: %d profiles, %v", len(all), err)
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ override, want string }{
		{"usage: X", "usage"},
		{"after_download: delete", "may_delete"},
		{"after_download: archive\n    may_archive: true\n    folders: {archive: ''}", "folders.archive"},
		{"envelope: {isa08: '0123456789ABCDEF'}", "longer than 15"},
		{"envelope: {isa07: Z}", "2 characters"},
		{"responses: [{pattern: '(', kind: '999'}]", "responses[0]"},
		{"responses: [{pattern: 'x', kind: '998'}]", "kind"},
		{"confidence: {host: sure}", "confidence"},
		{"upload: {name: '{{.Nope}}'}", "upload.name"},
		{"upload: {name: 'a-b.txt'}", "does not match"},
		{"expect: [{kind: '999', within: 0s}]", "within"},
		{"hots: typo", "hots"},
	} {
		over := writeOverride(t, "profiles:\n  generic:\n    "+tc.override+"\n")
		_, err := profile.Load("generic", over)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("override %q: %v, want an error about %q", tc.override, err, tc.want)
		}
	}
	if _, err := profile.Load("nosuch", ""); err == nil {
		t.Error("unknown profile loaded")
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	isa := "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*T*:~"
	gs := "GS*HN*S*R*20260101*1200*1*X*005010X214~"
	x := func(body string) []byte { return []byte(isa + "\n" + gs + body) }
	oa, _ := profile.Load("officeally", "")
	stedi, _ := profile.Load("stedi", "")
	avail, _ := profile.Load("availity", "")
	for _, tc := range []struct {
		p    profile.Profile
		name string
		head []byte
		want profile.Kind
	}{
		{oa, "F123_claims.txt_999.999", nil, profile.Kind999},
		{oa, "ME_F123_HCFA_277ca_20260101.txt", nil, profile.Kind277CA},
		{oa, "F123_EDI_STATUS_HCFA_20260101.277", nil, profile.Kind277CA},
		{oa, "F123_EDI_STATUS_20260101.txt", nil, profile.KindReport},
		{oa, "F123_ERA_835_5010_20260101.835", nil, profile.Kind835},
		{oa, "F123_ERA_835_20260101.zip", nil, profile.KindZip},
		{stedi, "20260101_4f0c_277CA.x12", nil, profile.Kind277CA},
		{stedi, "4f0c.x12", x("ST*277*0001*005010X214~"), profile.Kind277CA},
		{stedi, "4f0d.x12", x("ST*277*0001*005010X212~"), profile.Kind277},
		{stedi, "4f0e.x12", x("ST*835*0001~"), profile.Kind835},
		{avail, "ACME_837P_1.txt-4711-success", nil, profile.KindNotification},
		{avail, "4711.ACK", nil, profile.KindACK},
		{avail, "4711.999", nil, profile.Kind999},
		{avail, "4711.x", []byte(isa + "TA1*000000001*260101*1200*R*025~IEA*0*000000001~"), profile.KindTA1},
		{avail, "4711.y", x("ST*999*0001*005010X231A1~"), profile.Kind999},
		{avail, "4711.z", []byte("1E|rejected"), profile.KindUnknown},
	} {
		if got := tc.p.Classify(tc.name, tc.head); got != tc.want {
			t.Errorf("%s: Classify(%q) = %s, want %s", tc.p.Name, tc.name, got, tc.want)
		}
	}
	// Other delimiters, as the ISA declares them.
	alt := strings.NewReplacer("*", "|", "~", "\n").Replace(isa + "ST*835*1~")
	if got := profile.Sniff([]byte(alt)); got != profile.Kind835 {
		t.Errorf("Sniff with | and newline = %s", got)
	}
}
