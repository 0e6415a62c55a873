package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/billing/scrub"
	"github.com/claimflow/claimflow/edi/codes"
	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/fixtures"
	"github.com/spf13/cobra"
)

func newBenchCommand() *cobra.Command {
	var sizeMB, claims, rounds int
	var dataDir string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure claimflow's throughput on this machine with synthetic data",
		Long: `bench generates synthetic X12 files and claims in memory (never real data) and measures,
on one goroutine, the X12 reader, SNIP 1-2 validation of an 835 and an 837P, 837P parse,
837P build and the claim scrubber. Each figure is the best of --rounds runs. The same
figures come from go test -bench (see the README).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "claimflow bench: %s/%s, %d CPUs, %s; %d MB files, %d claims, best of %d\n\n",
				runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), sizeMB, claims, rounds)
			var f835, f837 bytes.Buffer
			if _, err := fixtures.Write835(&f835, fixtures.Options{Seed: 1, Size: int64(sizeMB) << 20}); err != nil {
				return err
			}
			if _, err := fixtures.Write837P(&f837, fixtures.Options{Seed: 1, Size: int64(sizeMB) << 20}); err != nil {
				return err
			}
			var small bytes.Buffer
			if _, err := fixtures.Write837P(&small, fixtures.Options{Seed: 2, Claims: claims}); err != nil {
				return err
			}
			batch, err := x837p.Parse(bytes.NewReader(small.Bytes()))
			if err != nil {
				return fmt.Errorf("parsing the generated claims: %w", err)
			}
			reg, err := guide.Default()
			if err != nil {
				return err
			}
			set, err := codes.Open(codes.StorePath(dataDir))
			if errors.Is(err, fs.ErrNotExist) {
				set, err = nil, nil
			}
			if err != nil {
				return err
			}
			sc, err := scrub.New(scrub.WithCodes(set))
			if err != nil {
				return err
			}
			codeNote := "code sets loaded"
			if set == nil {
				codeNote = "no code sets (format checks only)"
			}
			best := func(fn func() error) (time.Duration, error) {
				b := time.Duration(1<<63 - 1)
				for i := 0; i < rounds; i++ {
					runtime.GC()
					start := time.Now()
					if err := fn(); err != nil {
						return 0, err
					}
					if d := time.Since(start); d < b {
						b = d
					}
				}
				return b, nil
			}
			mbps := func(n int, d time.Duration) string {
				return fmt.Sprintf("%.0f MB/s", float64(n)/d.Seconds()/1e6)
			}
			perSec := func(n int, d time.Duration, unit string) string {
				return fmt.Sprintf("%.0f %s/s", float64(n)/d.Seconds(), unit)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "what\tfigure\ttarget")
			row := func(name, target string, d time.Duration, err error, figure func(time.Duration) string) error {
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", name, figure(d), target)
				return nil
			}
			d, err := best(func() error { return readAll(f835.Bytes()) })
			if err := row("X12 reader (835)", "1 GB/s", d, err, func(d time.Duration) string { return mbps(f835.Len(), d) }); err != nil {
				return err
			}
			for _, f := range []struct {
				name string
				data []byte
			}{{"parse + validate 835", f835.Bytes()}, {"parse + validate 837P", f837.Bytes()}} {
				d, err := best(func() error {
					errs, err := guide.Validate(bytes.NewReader(f.data), reg)
					if err == nil && len(errs) > 0 {
						err = errs[0]
					}
					return err
				})
				if err := row(f.name, "250 MB/s", d, err, func(d time.Duration) string { return mbps(len(f.data), d) }); err != nil {
					return err
				}
			}
			d, err = best(func() error { _, err := x837p.Parse(bytes.NewReader(small.Bytes())); return err })
			if err := row("837P parse to claims", "", d, err, func(d time.Duration) string { return perSec(len(batch), d, "claims") }); err != nil {
				return err
			}
			opt := x837p.BuildOptions{Submitter: x837p.Party{Name: "BENCH", ID: "BENCH", Contact: billing.Contact{Phone: "5555550100"}}, Receiver: x837p.Party{Name: "BENCH CH", ID: "BENCHCH"}, Test: true}
			d, err = best(func() error { _, err := x837p.Build(batch, opt, io.Discard, &x12.Counter{}); return err })
			if err := row("837P build + write", "100,000 claims/s", d, err, func(d time.Duration) string { return perSec(len(batch), d, "claims") }); err != nil {
				return err
			}
			d, err = best(func() error { _, err := sc.Check(context.Background(), batch); return err })
			if err := row("scrub ("+codeNote+")", "50,000 claims/s", d, err, func(d time.Duration) string { return perSec(len(batch), d, "claims") }); err != nil {
				return err
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&sizeMB, "size", 20, "size of the generated 835 and 837P files, in MB")
	cmd.Flags().IntVar(&claims, "claims", 10000, "claims in the batch for parse, build and scrub")
	cmd.Flags().IntVar(&rounds, "rounds", 3, "runs of each measurement; the best counts")
	cmd.Flags().StringVar(&dataDir, "data-dir", defaultDataDir(), "data directory with the code store ($CLAIMFLOW_DATA_DIR)")
	return cmd
}

// readAll reads every segment of data.
func readAll(data []byte) error {
	r := x12.NewReader(bytes.NewReader(data))
	for {
		_, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
