package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/spf13/cobra"
)

func newClaimsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "claims",
		Short: "Import claims (JSON, CSV, 837P) and build 837P files from them",
		Long: `claims reads claims in the three forms claimflow accepts: JSON in the import format of
billing/SCHEMA.md, CSV with one row per service line (the columns are in the same
document), and 837P 005010X222A1 files exported by other systems. The form is told
from the content: JSON starts with [ or {, X12 with ISA, anything else is CSV.`,
	}
	cmd.AddCommand(newClaimsImportCommand(), newClaimsBuildCommand(), newClaimsCheckCommand())
	cmd.AddCommand(newClaimsEditCommand())
	return cmd
}

// claimSource is the claims read from one input file.
type claimSource struct {
	path   string
	format string
	claims []billing.Claim
	probs  billing.Problems
}

// readClaims reads a JSON, CSV or 837P file of claims, normalized. Problems with the
// content are returned in the source; the error is for a file that cannot be read.
func readClaims(path string) (*claimSource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	src := &claimSource{path: path}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{'):
		src.format = "JSON"
		src.claims, err = billing.ReadJSON(bytes.NewReader(data))
	case bytes.HasPrefix(trimmed, []byte("ISA")):
		src.format = "837P"
		src.claims, err = x837p.Parse(bytes.NewReader(data))
	default:
		src.format = "CSV"
		src.claims, err = billing.ReadCSV(bytes.NewReader(data))
	}
	var probs billing.Problems
	switch {
	case errors.As(err, &probs):
		src.probs = probs
	case err != nil:
		src.probs = billing.Problems{{Err: err}}
	}
	for i := range src.claims {
		src.claims[i].Normalize()
	}
	return src, nil
}

// quoted matches the quoted values that error messages carry, which may be patient data.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// maskPHI hides the quoted values of a message unless showPHI.
func maskPHI(msg string, showPHI bool) string {
	if showPHI {
		return msg
	}
	return quoted.ReplaceAllString(msg, `"xxx"`)
}

func printProblems(out io.Writer, file string, probs billing.Problems, showPHI bool) {
	for _, p := range probs {
		fmt.Fprintf(out, "%s: %s\n", file, maskPHI(p.Error(), showPHI))
	}
}

func summary(claims []billing.Claim) (lines int, charge billing.Money) {
	for i := range claims {
		lines += len(claims[i].Lines)
		charge += claims[i].Charge
	}
	return lines, charge
}

// envelopeFlags are the build options a command line can set.
type envelopeFlags struct {
	submitterName, submitterID, submitterPhone, submitterEmail string
	receiverName, receiverID                                   string
	claimsPerST                                                int
	isa13                                                      uint64
	production, newline                                        bool
}

func (f *envelopeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.submitterName, "submitter-name", "CLAIMFLOW DEMO SUBMITTER", "submitter name (1000A NM103)")
	fl.StringVar(&f.submitterID, "submitter-id", "CLAIMFLOWDEMO", "submitter id (1000A NM109, ISA06, GS02)")
	fl.StringVar(&f.submitterPhone, "submitter-phone", "5555550100", "submitter EDI contact phone (1000A PER)")
	fl.StringVar(&f.submitterEmail, "submitter-email", "", "submitter EDI contact e-mail (1000A PER)")
	fl.StringVar(&f.receiverName, "receiver-name", "DEMO CLEARINGHOUSE", "receiver (clearinghouse) name (1000B NM103)")
	fl.StringVar(&f.receiverID, "receiver-id", "DEMOCH", "receiver id (1000B NM109, ISA08, GS03)")
	fl.IntVar(&f.claimsPerST, "claims-per-st", x837p.DefaultClaimsPerST, fmt.Sprintf("most claims in one transaction set (1-%d)", x837p.MaxClaimsPerST))
	fl.Uint64Var(&f.isa13, "isa13", 1, "interchange control number (ISA13) of the first interchange; must never repeat for a submitter")
	fl.BoolVar(&f.production, "production", false, "mark the file as production data (ISA15 P); test data (T) otherwise")
	fl.BoolVar(&f.newline, "newline", true, "write a line feed after each segment")
}

func (f *envelopeFlags) options() (x837p.BuildOptions, error) {
	if f.production && (f.submitterID == "CLAIMFLOWDEMO" || f.receiverID == "DEMOCH") {
		return x837p.BuildOptions{}, errors.New("--production needs a real --submitter-id and --receiver-id")
	}
	if f.isa13 == 0 || f.isa13 > 999999999 {
		return x837p.BuildOptions{}, errors.New("--isa13 must be 1-999999999")
	}
	return x837p.BuildOptions{
		Submitter: x837p.Party{Name: f.submitterName, ID: f.submitterID,
			Contact: billing.Contact{Phone: f.submitterPhone, Email: f.submitterEmail}},
		Receiver:     x837p.Party{Name: f.receiverName, ID: f.receiverID},
		Test:         !f.production,
		AckRequested: true,
		ClaimsPerST:  f.claimsPerST,
		Newline:      f.newline,
	}, nil
}

// check builds claims as 837P in memory and validates the result (SNIP 1-2), tracing
// every error back to its claim field. It returns the problems, or an error when the
// claims could not be built at all.
func check(claims []billing.Claim, opt x837p.BuildOptions, isa13 uint64, w io.Writer) (billing.Problems, *x837p.Result, error) {
	res, err := x837p.Build(claims, opt, w, &x12.Counter{N: isa13 - 1})
	var probs billing.Problems
	if errors.As(err, &probs) {
		return probs, nil, nil
	}
	return nil, res, err
}

// traceErrors validates an 837P that Build wrote and turns its errors into problems
// naming the claim fields.
func traceErrors(data []byte, res *x837p.Result) (billing.Problems, error) {
	reg, err := guide.Default()
	if err != nil {
		return nil, err
	}
	errs, err := guide.Validate(bytes.NewReader(data), reg)
	if err != nil && !x12.IsSyntaxError(err) {
		return nil, err
	}
	var probs billing.Problems
	for _, e := range errs {
		p := &billing.Problem{Where: fmt.Sprintf("ST %s segment %d, %s %s", e.Transaction, e.STOrdinal, e.Position(), e.Code()), Err: errors.New(e.Msg)}
		if loc, ok := res.Locate(e.Group, e.Transaction, e.STOrdinal, e.SegmentID, e.Element, e.Component); ok {
			p.Path = loc.Path
		}
		probs = append(probs, p)
	}
	return probs, nil
}

func newClaimsImportCommand() *cobra.Command {
	var out, database, dataDir string
	var showPHI bool
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Read claims from JSON, CSV or 837P files, check them and write them as normalized JSON",
		Long: `import reads each file (JSON, CSV with one row per service line, or 837P; the form
is told from the content), fills the defaults every claim gets (frequency 1, CLM06-09,
line item control numbers, ...), and checks that each claim can be sent: it is built
as an 837P in memory and validated at SNIP types 1 and 2, and every problem is printed
with the path of the field to fix, as claims[2].lines[0].procedure.code. Business rules
(code sets, payer edits) are the scrubber's, not import's.

It prints, for each file, its form and how many claims and lines it holds with their
total charge. Problem messages show the bad values only with --show-phi.

The claims are stored in the database (--database, $CLAIMFLOW_DATABASE_URL, or the
SQLite file of the data directory once "claimflow migrate up" created it) as drafts
with their patients, payers and providers, and scrubbed at once: each is validated
(ready for the next "claimflow submit") or held, with its problems in the rejection
queue. A claim whose patient control number is stored already is not stored again.
With --out FILE the normalized claims of all the files are also written there as
JSON in the import format.

Exit status: 0 when every claim is good, 1 when problems were found, 2 when a file
could not be read.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			var all []billing.Claim
			nprob := 0
			for _, path := range args {
				src, err := readClaims(path)
				if err != nil {
					return err
				}
				lines, charge := summary(src.claims)
				fmt.Fprintf(w, "%s: %s, %d claims, %d lines, total charge %s\n", path, src.format, len(src.claims), lines, charge)
				probs := src.probs
				// The 837P check names claims by their index: when some could not be
				// read, indexes shift, so the check waits until the file reads cleanly.
				if len(probs) == 0 && len(src.claims) > 0 {
					var built bytes.Buffer
					opt := x837p.BuildOptions{
						Submitter: x837p.Party{Name: "CLAIMFLOW IMPORT CHECK", ID: "CHECK", Contact: billing.Contact{Phone: "0000000000"}},
						Receiver:  x837p.Party{Name: "CHECK", ID: "CHECK"}, Test: true,
						Now: func() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) },
					}
					bp, res, err := check(src.claims, opt, 1, &built)
					if err != nil {
						return fmt.Errorf("checking %s: %w", path, err)
					}
					probs = append(probs, bp...)
					if res != nil {
						tp, err := traceErrors(built.Bytes(), res)
						if err != nil {
							return fmt.Errorf("checking %s: %w", path, err)
						}
						probs = append(probs, tp...)
					}
				}
				printProblems(w, path, probs, showPHI)
				nprob += len(probs)
				all = append(all, src.claims...)
			}
			if out != "" {
				if err := writeFileAtomic(out, func(f io.Writer) error { return billing.WriteJSON(f, all) }); err != nil {
					return err
				}
				fmt.Fprintf(w, "%s: %d normalized claims written\n", out, len(all))
			}
			dsn := databaseURL(database, dataDir)
			if database == "" && os.Getenv(databaseEnv) == "" {
				if _, err := os.Stat(sqliteFile(dsn)); errors.Is(err, os.ErrNotExist) {
					fmt.Fprintf(w, "no claim storage at %s: nothing was stored (run `claimflow migrate up` to create it, or give --database)\n", sqliteFile(dsn))
					if nprob > 0 {
						return findings(nprob)
					}
					return nil
				}
			}
			if len(all) > 0 {
				if err := checkPasswordFlag(database); err != nil {
					return err
				}
				st, err := openDatabase(cmd.Context(), database, dataDir)
				if err != nil {
					return err
				}
				defer st.Close(context.Background())
				top, err := bus.NewTopology(bus.DefaultNamespace)
				if err != nil {
					return err
				}
				env := &pipeline.Env{Store: st, Topology: top, DataDir: dataDir,
					Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
				res, err := pipeline.IntakeClaims(cmd.Context(), env, all, "claims import")
				if err != nil {
					return fmt.Errorf("storing the claims in %s: %w", st, err)
				}
				before := make(map[int]bool, len(res.Existing))
				for _, i := range res.Existing {
					before[i] = true
				}
				var fresh []int64
				for i, id := range res.IDs {
					if !before[i] {
						fresh = append(fresh, id)
					}
				}
				var validated, held int
				for start := 0; start < len(fresh); start += pipeline.IntakeChunk {
					sr, err := pipeline.Scrub(cmd.Context(), env, fresh[start:min(start+pipeline.IntakeChunk, len(fresh))])
					if err != nil {
						return fmt.Errorf("scrubbing the stored claims: %w", err)
					}
					validated, held = validated+len(sr.Validated), held+len(sr.Held)
				}
				fmt.Fprintf(w, "%s: %d claims stored, %d stored before; scrubbed: %d validated, %d held (see the rejection queue)\n",
					st, res.New(), len(res.Existing), validated, held)
			}
			if nprob > 0 {
				return findings(nprob)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the normalized claims to this file as JSON")
	cmd.Flags().BoolVar(&showPHI, "show-phi", false, "show the bad values in problem messages (they may be patient data)")
	cmd.Flags().StringVar(&database, "database", "", "database URL (default $"+databaseEnv+", else the SQLite file in the data directory)")
	cmd.Flags().StringVar(&dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")
	return cmd
}

func newClaimsBuildCommand() *cobra.Command {
	var out string
	var showPHI bool
	var env envelopeFlags
	cmd := &cobra.Command{
		Use:   "build FILE... -o OUT.x12",
		Short: "Build an 837P file from claims in JSON, CSV or 837P files, and validate it",
		Long: `build reads claims from each file (JSON, CSV or 837P, told from the content), and
writes them to OUT as one 837P 005010X222A1 interchange: one functional group, and
transaction sets of claims that share a billing provider and a payer, at most
--claims-per-st each (a 999 rejects whole transaction sets: smaller sets keep a
rejection to fewer claims). The patient loop (2000C) is written only for patients who
are not the subscriber; secondary and tertiary claims carry the earlier payers'
adjudication (2320, 2330, 2430).

Claims that cannot be written as a valid 837P are listed with the field to fix, and
then no file is written. Otherwise the file written is validated at SNIP types 1 and 2
and the result is printed: interchange, transaction sets, claims, and any error traced
back to its claim field.

The envelope flags default to a demo submitter and clearinghouse, and the file is
marked as test data (ISA15 T) unless --production. --isa13 sets the interchange
control number, which must never repeat for a submitter (storage will keep it).

Exit status: 0 when the file was written and is valid, 1 when claims or the file have
problems, 2 when an input could not be read or the file not written.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("build needs -o OUT.x12")
			}
			opt, err := env.options()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			var all []billing.Claim
			nprob := 0
			for _, path := range args {
				src, err := readClaims(path)
				if err != nil {
					return err
				}
				printProblems(w, path, src.probs, showPHI)
				nprob += len(src.probs)
				all = append(all, src.claims...)
			}
			if nprob > 0 {
				fmt.Fprintf(w, "%d problems in the input: no file written\n", nprob)
				return findings(nprob)
			}
			var built bytes.Buffer
			probs, res, err := check(all, opt, env.isa13, &built)
			if err != nil {
				return fmt.Errorf("building %s: %w", out, err)
			}
			if len(probs) > 0 {
				printProblems(w, "claims", probs, showPHI)
				fmt.Fprintf(w, "%d claims cannot be sent as 837P: no file written\n", len(probs))
				return findings(len(probs))
			}
			if err := writeFileAtomic(out, func(f io.Writer) error { _, err := f.Write(built.Bytes()); return err }); err != nil {
				return err
			}
			lines, charge := summary(all)
			isa := ""
			if len(res.Transactions) > 0 {
				isa = res.Transactions[0].ISA13
			}
			fmt.Fprintf(w, "%s: ISA13 %s, %d transaction sets, %d claims, %d lines, total charge %s\n",
				out, isa, len(res.Transactions), len(all), lines, charge)
			tp, err := traceErrors(built.Bytes(), res)
			if err != nil {
				return fmt.Errorf("validating %s: %w", out, err)
			}
			if len(tp) > 0 {
				printProblems(w, out, tp, showPHI)
				fmt.Fprintf(w, "%s: %d errors (SNIP 1-2)\n", out, len(tp))
				return findings(len(tp))
			}
			fmt.Fprintf(w, "%s: valid (SNIP 1-2)\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "the 837P file to write (required)")
	cmd.Flags().BoolVar(&showPHI, "show-phi", false, "show the bad values in problem messages (they may be patient data)")
	env.register(cmd)
	return cmd
}

// writeFileAtomic writes a file through a temporary name in the same folder and a
// rename, so that a reader never sees half a file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
