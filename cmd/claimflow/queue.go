package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/claimflow/claimflow/storage"
	"github.com/spf13/cobra"
)

// queueFlags are the flags every `claimflow queue` command takes.
type queueFlags struct {
	database, dataDir string
	status            string
	limit             int
	asJSON, showPHI   bool
}

func newQueueCommand() *cobra.Command {
	var f queueFlags
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "List the work queues: rejections, denials, unmatched remittances, exceptions, missing acknowledgements",
		Long: `queue lists what people must do, oldest first, one queue per command:

  rejections     claims turned back before adjudication (scrubber, TA1, 999, 277CA), with the
                 field to fix: fix it with "claimflow claims edit", and the claim is sent again
  denials        claims the payer adjudicated and denied: correct (frequency 7) or appeal
  unmatched      835 claim payments or deposits that match no claim
  exceptions     files quarantined, messages given up on, answers claimflow cannot place
  missing-acks   files nothing came back for in time

Each line shows the item id, the claim id and patient control number, the field to fix,
the codes and the message. Values quoted in messages may be patient data and are masked
unless --show-phi. --status selects open (the default), in-progress, resolved, closed or
all; --json prints the items as a JSON array.

The database is, in order: --database, $CLAIMFLOW_DATABASE_URL, or the SQLite file in the
data directory.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.database, "database", "", "database URL (default $"+databaseEnv+", else the SQLite file in the data directory)")
	pf.StringVar(&f.dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")
	pf.StringVar(&f.status, "status", string(storage.WorkOpen), "open, in-progress, resolved, closed or all")
	pf.IntVar(&f.limit, "limit", 100, "most items to list (1-10000)")
	pf.BoolVar(&f.asJSON, "json", false, "print the items as JSON")
	pf.BoolVar(&f.showPHI, "show-phi", false, "show values quoted in messages (they may be patient data)")
	for _, q := range []struct {
		use   string
		kind  storage.WorkKind
		short string
	}{
		{"rejections", storage.WorkRejection, "Claims turned back before adjudication, with the field to fix"},
		{"denials", storage.WorkDenial, "Denied claims: correct (frequency 7) or appeal"},
		{"unmatched", storage.WorkUnmatchedRemittance, "Remittance claims and deposits that match nothing"},
		{"exceptions", storage.WorkException, "Quarantined files, dead letters and answers claimflow cannot place"},
		{"missing-acks", storage.WorkMissingAck, "Files nothing came back for in time"},
	} {
		kind := q.kind
		cmd.AddCommand(&cobra.Command{
			Use:   q.use,
			Short: q.short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				return listQueue(cmd, &f, kind)
			},
		})
	}
	return cmd
}

// queueItem is one listed work item, as --json prints it.
type queueItem struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	ClaimID   int64     `json:"claim_id,omitempty"`
	PCN       string    `json:"patient_control_number,omitempty"`
	Field     string    `json:"field,omitempty"`
	Codes     []string  `json:"codes"`
	Message   string    `json:"message"`
	Assignee  string    `json:"assignee,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func listQueue(cmd *cobra.Command, f *queueFlags, kind storage.WorkKind) error {
	status := storage.WorkStatus(f.status)
	switch status {
	case storage.WorkOpen, storage.WorkInProgress, storage.WorkResolved, storage.WorkClosed:
	case "all":
		status = ""
	default:
		return fmt.Errorf("--status %q: want open, in-progress, resolved, closed or all", f.status)
	}
	if f.limit < 1 || f.limit > 10000 {
		return fmt.Errorf("--limit %d: want 1-10000", f.limit)
	}
	ctx, st, err := commandStore(cmd, f.database, f.dataDir)
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	items, err := st.WorkItems(ctx, storage.WorkFilter{Kind: kind, Status: status, Limit: f.limit})
	if err != nil {
		return err
	}
	var ids []int64
	for _, it := range items {
		if it.ClaimID != 0 {
			ids = append(ids, it.ClaimID)
		}
	}
	pcns, err := st.ClaimPCNs(ctx, ids)
	if err != nil {
		return err
	}
	list := make([]queueItem, len(items))
	for i, it := range items {
		codes := it.Codes
		if codes == nil {
			codes = []string{}
		}
		list[i] = queueItem{ID: it.ID, Kind: string(it.Kind), Status: string(it.Status), ClaimID: it.ClaimID,
			PCN: pcns[it.ClaimID], Field: it.Field, Codes: codes, Message: maskPHI(it.Message, f.showPHI),
			Assignee: it.Assignee, CreatedAt: it.CreatedAt}
	}
	out := cmd.OutOrStdout()
	if f.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	return printQueue(out, kind, status, list)
}

func printQueue(out io.Writer, kind storage.WorkKind, status storage.WorkStatus, list []queueItem) error {
	what := string(status)
	if what == "" {
		what = "all"
	}
	if len(list) == 0 {
		_, err := fmt.Fprintf(out, "no %s %s items\n", what, kind)
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCLAIM\tPCN\tSTATUS\tFIELD\tCODES\tMESSAGE")
	for _, it := range list {
		claim := "-"
		if it.ClaimID != 0 {
			claim = fmt.Sprint(it.ClaimID)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", it.ID, claim, dash(it.PCN), it.Status, dash(it.Field),
			dash(strings.Join(it.Codes, ",")), it.Message)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "%d %s %s items\n", len(list), what, kind)
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
