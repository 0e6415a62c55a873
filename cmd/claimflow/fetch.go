package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/storage"
	"github.com/spf13/cobra"
)

func newFetchCommand() *cobra.Command {
	var o oneShot
	cmd := &cobra.Command{
		Use:   "fetch [--clearinghouse NAME]",
		Short: "Poll the clearinghouses for responses and classify them, once (for cron)",
		Long: `fetch does one inbound poll, for system cron or a Kubernetes CronJob, of every
configured clearinghouse (or the one named): it downloads each file waiting in the
inbound folders that was not taken before, keeps its bytes in the data directory
(inbound/<sha256>.x12) and in the database, and classifies it from its content as a
TA1, 999, 277CA or 835. Files that are none of these (a clearinghouse's own report, a
zip, something unreadable) are set aside with the reason and an exception work item.
A file whose content arrived before is stored once.

It prints one line per file: clearinghouse, name, bytes, and what it is. Applying
the acknowledgements and posting the remittances is left to the acks and remit
stages of a running "claimflow serve" (or "claimflow post" for an 835).

Exit status: 0 when every file was fetched and classified, 2 otherwise.

Example:
  claimflow fetch --config /etc/claimflow/claimflow.yaml --clearinghouse availity`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			env, names, done, err := o.open(cmd)
			if err != nil {
				return err
			}
			defer done()
			return fetchRun(cmd.Context(), cmd.OutOrStdout(), env, names)
		},
	}
	o.register(cmd)
	return cmd
}

// fetchRun polls and classifies for each clearinghouse, then classifies the files a
// stopped run stored and did not classify; it goes on after failures and returns
// them joined.
func fetchRun(ctx context.Context, out io.Writer, env *pipeline.Env, names []string) error {
	var errs []error
	for _, name := range names {
		files, err := pipeline.Fetch(ctx, env, name)
		if err != nil {
			errs = append(errs, err)
		}
		for _, f := range files {
			if !f.New {
				fmt.Fprintf(out, "%s  %s  %d bytes  a copy of inbound file %d, not processed again\n", name, f.Name, f.Size, f.InboundID)
				continue
			}
			c, err := pipeline.Classify(ctx, env, f.InboundID)
			if err != nil {
				errs = append(errs, fmt.Errorf("classifying %s from %s: %w", f.Name, name, err))
				continue
			}
			fmt.Fprintf(out, "%s  %s  %d bytes  %s\n", name, f.Name, f.Size, describeClassified(c))
		}
		if len(files) == 0 && err == nil {
			fmt.Fprintf(out, "%s: nothing new\n", name)
		}
	}
	if err := classifyLeftovers(ctx, out, env, names); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// classifyLeftovers classifies the stored files of the clearinghouses that an
// earlier run did not get to.
func classifyLeftovers(ctx context.Context, out io.Writer, env *pipeline.Env, names []string) error {
	wanted := map[string]bool{}
	for _, n := range names {
		wanted[n] = true
	}
	var errs []error
	for after := int64(0); ; {
		files, err := env.Store.InboundFiles(ctx, storage.InboundNew, after, 500)
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return errors.Join(errs...)
		}
		after = files[len(files)-1].ID
		for _, f := range files {
			if !wanted[f.Source] || (f.Kind != "" && f.Kind != "unknown") {
				continue
			}
			c, err := pipeline.Classify(ctx, env, f.ID)
			if err != nil {
				errs = append(errs, fmt.Errorf("classifying inbound file %d: %w", f.ID, err))
				continue
			}
			fmt.Fprintf(out, "%s  %s  %d bytes  %s (fetched by an earlier run)\n", f.Source, f.Name, f.Size, describeClassified(c))
		}
	}
}

func describeClassified(c pipeline.Classified) string {
	if c.Quarantined {
		return "set aside: " + c.Reason
	}
	return c.Kind
}
