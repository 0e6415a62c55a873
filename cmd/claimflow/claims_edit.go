package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
	"github.com/spf13/cobra"
)

func newClaimsEditCommand() *cobra.Command {
	var database, dataDir, file, actor string
	var sets []string
	var resubmit, showPHI bool
	cmd := &cobra.Command{
		Use:   "edit CLAIM [--set PATH=VALUE]... [--file CLAIM.json]",
		Short: "Fix a stored claim (a rejection) and send it through the scrubber again",
		Long: `edit changes a stored claim, named by its id or its patient control number, and
re-opens it: the claim goes back to draft and the scrubber checks it again (its work
is queued in the same transaction), then the next batch sends it. A claim that was
rejected before adjudication (TA1, 999, 277CA, or held by the scrubber) is sent again as
a new claim: frequency 1, with the same patient control number.

Changes are given as --set PATH=VALUE, PATH being a field of the claim as the rejection
queue names it (billing/SCHEMA.md): --set lines[0].procedure.modifiers[0]=25,
--set billing_provider.npi=1234567893, --set charge=150.00. Or --file gives a whole
corrected claim as JSON (one claim in the import format). Without changes, --resubmit
re-opens the claim as it is (a claim rejected only because of others in its set).

Who made the change (--actor, default $USER) is written in the claim's history and in
the audit log, with the fields changed but never their values; the claim's open
rejection items are resolved. Only claims not yet sent, or rejected, can be edited.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(sets) == 0 && file == "" && !resubmit {
				return errors.New("nothing to change: give --set PATH=VALUE, --file CLAIM.json or --resubmit")
			}
			if len(sets) > 0 && file != "" {
				return errors.New("give --set or --file, not both")
			}
			if actor == "" {
				actor = currentUser()
			}
			if actor == "" {
				return errors.New("who is editing? give --actor NAME")
			}
			ctx, st, err := commandStore(cmd, database, dataDir)
			if err != nil {
				return err
			}
			defer st.Close(context.Background())
			var replacement *billing.Claim
			if file != "" {
				c, err := readOneClaim(file)
				if err != nil {
					return errors.New(maskPHI(err.Error(), showPHI))
				}
				replacement = &c
			}
			res, err := editClaim(ctx, st, args[0], actor, sets, replacement)
			if err != nil {
				return errors.New(maskPHI(err.Error(), showPHI))
			}
			out := cmd.OutOrStdout()
			fields := "no field changed"
			if len(res.fields) > 0 {
				fields = fmt.Sprintf("%d fields changed (%s)", len(res.fields), strings.Join(res.fields, ", "))
			}
			fmt.Fprintf(out, "claim %d (%s) edited by %s: %s\n", res.id, res.pcn, actor, fields)
			fmt.Fprintf(out, "%s -> draft, queued for the scrubber; %d rejection items resolved\n", res.from, res.resolved)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&sets, "set", nil, "a change, PATH=VALUE (repeat for several)")
	fl.StringVar(&file, "file", "", "a JSON file holding the whole corrected claim")
	fl.BoolVar(&resubmit, "resubmit", false, "re-open the claim without changes")
	fl.StringVar(&actor, "actor", "", "who makes the change (default $USER)")
	fl.StringVar(&database, "database", "", "database URL (default $"+databaseEnv+", else the SQLite file in the data directory)")
	fl.StringVar(&dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")
	fl.BoolVar(&showPHI, "show-phi", false, "show the values quoted in error messages (they may be patient data)")
	return cmd
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// readOneClaim reads a file holding one claim in the JSON import format.
func readOneClaim(path string) (billing.Claim, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return billing.Claim{}, fmt.Errorf("reading %s: %w", path, err)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' && !bytes.Contains(trimmed[:min(len(trimmed), 200)], []byte(`"claims"`)) {
		data = append(append([]byte("["), data...), ']') // a bare claim object
	}
	claims, err := billing.ReadJSON(bytes.NewReader(data))
	if err != nil {
		return billing.Claim{}, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(claims) != 1 {
		return billing.Claim{}, fmt.Errorf("reading %s: want one claim, found %d", path, len(claims))
	}
	return claims[0], nil
}

// editResult says what editClaim did.
type editResult struct {
	id       int64
	pcn      string
	from     storage.ClaimState
	fields   []string
	resolved int
}

// editClaim applies the changes to the claim named by ref (an id or a patient
// control number) in one transaction: the new claim, its history, the audit record,
// its rejection items resolved, its state back to draft and its scrub work queued.
func editClaim(ctx context.Context, st *storage.Store, ref, actor string, sets []string, replacement *billing.Claim) (editResult, error) {
	topo, err := bus.NewTopology(bus.DefaultNamespace)
	if err != nil {
		return editResult{}, err
	}
	env := &pipeline.Env{Store: st, Topology: topo}
	var res editResult
	err = st.InTx(ctx, func(tx *storage.Tx) error {
		res = editResult{}
		c, err := findClaim(ctx, tx, ref)
		if err != nil {
			return err
		}
		res.id, res.pcn, res.from = c.ID, c.PatientControlNumber, c.State
		edited := c.Claim
		if replacement != nil {
			edited = *replacement
		}
		for _, s := range sets {
			path, value, ok := strings.Cut(s, "=")
			if !ok || path == "" {
				return fmt.Errorf("--set %s: want PATH=VALUE", maskedPath(s))
			}
			if edited, err = setField(edited, path, value); err != nil {
				return err
			}
		}
		if edited.PatientControlNumber != c.PatientControlNumber {
			return fmt.Errorf("claim %d: the patient control number cannot change (it identifies the claim to payers)", c.ID)
		}
		if c.State.Rejected() || c.State == storage.StateHeld {
			// Never adjudicated: it goes again as a new claim.
			edited.Frequency = billing.FrequencyOriginal
			edited.OriginalPayerClaimNumber = ""
		}
		edited.Normalize()
		res.fields, err = changedFields(c.Claim, edited)
		if err != nil {
			return err
		}
		detail := map[string]any{"fields": res.fields, "reason": "claimflow claims edit"}
		ev := storage.Event{Cause: storage.CausePerson, Actor: actor, Detail: detail}
		if err := tx.UpdateClaim(ctx, c.ID, edited, ev); err != nil {
			if errors.Is(err, storage.ErrInvalidTransition) {
				return fmt.Errorf("claim %d is %s: only claims not yet sent, or rejected, can be edited (a denied claim is corrected with frequency 7): %w",
					c.ID, c.State, err)
			}
			return err
		}
		if c.State != storage.StateDraft {
			if err := tx.TransitionClaim(ctx, c.ID, storage.StateDraft, ev); err != nil {
				return err
			}
		}
		if res.resolved, err = tx.ResolveClaimWork(ctx, c.ID, storage.WorkRejection); err != nil {
			return err
		}
		fields := res.fields
		if len(fields) == 0 {
			fields = []string{}
		}
		if _, err := tx.WriteAudit(ctx, storage.AuditRecord{Actor: actor, Action: storage.AuditChange, SubjectKind: "claim",
			SubjectID: c.ID, Fields: fields, Purpose: "rejection work"}); err != nil {
			return err
		}
		return env.Emit(ctx, tx, bus.Scrub, pipeline.ClaimWork{ClaimIDs: []int64{c.ID}})
	})
	if err != nil {
		return res, fmt.Errorf("editing claim %s: %w", ref, err)
	}
	return res, nil
}

// findClaim finds a claim by id, else by patient control number.
func findClaim(ctx context.Context, tx *storage.Tx, ref string) (storage.Claim, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		c, err := tx.Claim(ctx, id)
		if err == nil || !errors.Is(err, storage.ErrNotFound) {
			return c, err
		}
	}
	return tx.ClaimByPCN(ctx, ref)
}

// pathToken is one step of a billing.Path: a field name, or an index when name is "".
type pathToken struct {
	name  string
	index int
}

var pathStep = regexp.MustCompile(`^([a-z0-9_]+)((?:\[[0-9]+\])*)$`)

// parsePath splits "lines[0].procedure.modifiers[1]" into its steps.
func parsePath(p string) ([]pathToken, error) {
	var toks []pathToken
	for part := range strings.SplitSeq(p, ".") {
		m := pathStep.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("path %s: %q is not a field name with optional [index]", p, part)
		}
		toks = append(toks, pathToken{name: m[1]})
		for idx := range strings.SplitSeq(strings.Trim(m[2], "[]"), "][") {
			if idx == "" {
				continue
			}
			n, _ := strconv.Atoi(idx)
			toks = append(toks, pathToken{index: n})
		}
	}
	return toks, nil
}

// setField sets the field at path to value and returns the claim. The value is
// taken as text, or, when the field holds a number, a true/false or a list, as
// JSON; the claim must still decode, so a misspelt field or a wrong type is an
// error naming the path (never the value).
func setField(c billing.Claim, path, value string) (billing.Claim, error) {
	toks, err := parsePath(path)
	if err != nil {
		return c, err
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return c, err
	}
	candidates := []any{value}
	if json.Valid([]byte(value)) {
		candidates = append(candidates, json.RawMessage(value))
	}
	var lastErr error
	for _, v := range candidates {
		var tree any
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		if err := dec.Decode(&tree); err != nil {
			return c, err
		}
		tree, err = setIn(tree, toks, v, path)
		if err != nil {
			return c, err
		}
		b, err := json.Marshal(tree)
		if err != nil {
			return c, err
		}
		var out billing.Claim
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		if lastErr = d.Decode(&out); lastErr == nil {
			return out, nil
		}
	}
	var te *json.UnmarshalTypeError
	if errors.As(lastErr, &te) {
		return c, fmt.Errorf("--set %s: the value is not a %s", path, te.Type)
	}
	return c, fmt.Errorf("--set %s: %s", path, strings.ReplaceAll(lastErr.Error(), value, "xxx"))
}

// setIn sets v at the path below node, creating maps and appending to lists as
// needed (an index one past the end appends).
func setIn(node any, toks []pathToken, v any, path string) (any, error) {
	if len(toks) == 0 {
		return v, nil
	}
	t := toks[0]
	if t.name != "" {
		m, ok := node.(map[string]any)
		if node == nil {
			m, ok = map[string]any{}, true
		}
		if !ok {
			return nil, fmt.Errorf("path %s: %s is not a field of a record", path, t.name)
		}
		child, err := setIn(m[t.name], toks[1:], v, path)
		if err != nil {
			return nil, err
		}
		m[t.name] = child
		return m, nil
	}
	list, ok := node.([]any)
	if node == nil {
		list, ok = nil, true
	}
	if !ok {
		return nil, fmt.Errorf("path %s: [%d] indexes something that is not a list", path, t.index)
	}
	switch {
	case t.index < len(list):
		child, err := setIn(list[t.index], toks[1:], v, path)
		if err != nil {
			return nil, err
		}
		list[t.index] = child
	case t.index == len(list):
		child, err := setIn(nil, toks[1:], v, path)
		if err != nil {
			return nil, err
		}
		list = append(list, child)
	default:
		return nil, fmt.Errorf("path %s: index %d is past the end of a list of %d", path, t.index, len(list))
	}
	return list, nil
}

// changedFields lists the paths whose values differ between two claims, for the
// history and the audit log (names only, never values).
func changedFields(before, after billing.Claim) ([]string, error) {
	a, err := flatten(before)
	if err != nil {
		return nil, err
	}
	b, err := flatten(after)
	if err != nil {
		return nil, err
	}
	var out []string
	for k, v := range b {
		if a[k] != v {
			out = append(out, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

// flatten maps every leaf path of a claim's JSON to its value's JSON text.
func flatten(c billing.Claim) (map[string]string, error) {
	doc, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(p string, n any)
	walk = func(p string, n any) {
		switch n := n.(type) {
		case map[string]any:
			for k, v := range n {
				walk(string(billing.Path(p).Field(k)), v)
			}
		case []any:
			for i, v := range n {
				walk(string(billing.Path(p).Index(i)), v)
			}
		default:
			b, _ := json.Marshal(n)
			out[p] = string(b)
		}
	}
	walk("", tree)
	return out, nil
}

// maskedPath is the PATH of a PATH=VALUE, for errors that must not show the value.
func maskedPath(s string) string {
	p, _, _ := strings.Cut(s, "=")
	return p + "=..."
}
