package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/spf13/cobra"
)

func newX12Command() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "x12",
		Short: "Validate and inspect X12 files (837P, 835, 999, 277CA, TA1)",
	}
	cmd.AddCommand(newX12ValidateCommand(), newX12InspectCommand())
	return cmd
}

// jsonError is the --json form of a validation error.
type jsonError struct {
	File        string `json:"file"`
	Offset      int64  `json:"offset"`
	Line        int    `json:"line"`
	Segment     int64  `json:"segment"`
	STOrdinal   int    `json:"st_ordinal,omitempty"`
	Interchange string `json:"interchange,omitempty"`
	Group       string `json:"group,omitempty"`
	Transaction string `json:"transaction,omitempty"`
	Loop        string `json:"loop,omitempty"`
	SegmentID   string `json:"segment_id,omitempty"`
	Element     int    `json:"element,omitempty"`
	Component   int    `json:"component,omitempty"`
	Repetition  int    `json:"repetition,omitempty"`
	ElementRef  string `json:"element_ref,omitempty"`
	Code        string `json:"code"`
	IK304       string `json:"ik304,omitempty"`
	IK403       string `json:"ik403,omitempty"`
	Level       string `json:"level"`
	Outcome     string `json:"outcome,omitempty"`
	Message     string `json:"message"`
	Value       string `json:"value,omitempty"`
}

func newX12ValidateCommand() *cobra.Command {
	var asJSON, showPHI bool
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check X12 files against the HIPAA implementation guides (SNIP types 1 and 2)",
		Long: `validate reads each file as a stream and checks it at SNIP types 1 and 2: its
envelopes (control numbers, counts) and each transaction set against its implementation
guide: 837P 005010X222A1, 835 005010X221A1, 999 005010X231A1, 277CA 005010X214 and TA1.
It prints one line per error:
file, segment ordinal in the file, loop, segment and element position, the 999/TA1 code
(IK304, IK403, IK502, AK905 or TA105) and a message. The bad value itself may be patient
data and is printed only with --show-phi.

Exit status: 0 when every file is valid, 1 when any error was found, 2 when a file could
not be read at all.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := guide.Default()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			total := 0
			var all []jsonError
			for _, path := range args {
				errs, err := validateFile(path, reg)
				if err != nil && !x12.IsSyntaxError(err) {
					return err
				}
				total += len(errs)
				if asJSON {
					for _, e := range errs {
						all = append(all, toJSON(path, e, showPHI))
					}
					continue
				}
				if len(errs) == 0 {
					fmt.Fprintf(out, "%s: valid\n", path)
					continue
				}
				for _, e := range errs {
					fmt.Fprintln(out, formatError(path, e, showPHI))
				}
				fmt.Fprintf(out, "%s: %d errors\n", path, len(errs))
			}
			if asJSON {
				if all == nil {
					all = []jsonError{}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(all); err != nil {
					return fmt.Errorf("writing JSON: %w", err)
				}
			}
			if total > 0 {
				return findings(total)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the errors as a JSON array")
	cmd.Flags().BoolVar(&showPHI, "show-phi", false, "include the bad values, which may be patient data")
	return cmd
}

func validateFile(path string, reg *guide.Registry) (guide.List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	return guide.Validate(f, reg)
}

func formatError(path string, e *guide.Error, showPHI bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:", path, e.Ordinal)
	if e.LoopID != "" {
		fmt.Fprintf(&b, " loop %s", e.LoopID)
	}
	if p := e.Position(); p != "" {
		fmt.Fprintf(&b, " %s", p)
	}
	if c := e.Code(); c != "" {
		fmt.Fprintf(&b, " %s", c)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	if showPHI && e.Value != "" {
		fmt.Fprintf(&b, " (value %q)", e.Value)
	}
	return b.String()
}

func toJSON(path string, e *guide.Error, showPHI bool) jsonError {
	j := jsonError{
		File: path, Offset: e.Offset, Line: e.Line, Segment: e.Ordinal, STOrdinal: e.STOrdinal,
		Interchange: e.Interchange, Group: e.Group, Transaction: e.Transaction,
		Loop: e.LoopID, SegmentID: e.SegmentID, Element: e.Element, Component: e.Component,
		Repetition: e.Repetition, ElementRef: e.ElementRef, Code: e.Code(),
		IK304: e.SegmentCode, IK403: e.ElementCode, Level: e.Level.String(), Outcome: e.Outcome,
		Message: e.Msg,
	}
	if showPHI {
		j.Value = e.Value
	}
	return j
}

func newX12InspectCommand() *cobra.Command {
	var showPHI bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Print an X12 file as its tree of loops",
		Long: `inspect prints each transaction set of the file as the implementation guide's tree of
loops, with loop ids and names and every segment. Names, identifiers, dates and other
free text are masked (xxx) unless --show-phi; codes, qualifiers, amounts and counts are
shown. Validation errors are listed after each transaction set.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := guide.Default()
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("opening %s: %w", args[0], err)
			}
			defer f.Close()
			out := cmd.OutOrStdout()
			nerr := 0
			errs, err := guide.ReadTransactions(f, reg, func(t *guide.Transaction) error {
				printTransaction(out, t, showPHI)
				nerr += len(t.Errors)
				return nil
			})
			if err != nil {
				return err
			}
			if n := len(errs) - nerr; n > 0 {
				fmt.Fprintf(out, "%d envelope errors; run `claimflow x12 validate` for the list\n", n)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&showPHI, "show-phi", false, "show names, identifiers and dates")
	return cmd
}

func printTransaction(out io.Writer, t *guide.Transaction, showPHI bool) {
	name := "no guide"
	if t.Guide != nil {
		name = t.Guide.Name + " " + t.Guide.Version
	}
	isa13, gs06 := "", ""
	if t.Interchange != nil {
		isa13 = t.Interchange.Value(13)
	}
	if t.Group != nil {
		gs06 = t.Group.Value(6)
	}
	fmt.Fprintf(out, "transaction set %s %s (%s), ISA13 %s, GS06 %s\n", t.ST01, t.ST02, name, isa13, gs06)
	if t.Root != nil {
		printNode(out, t.Root, 1, showPHI)
	}
	for _, e := range t.Errors {
		fmt.Fprintf(out, "  ! %v\n", e)
	}
}

func printNode(out io.Writer, n *guide.Node, depth int, showPHI bool) {
	indent := strings.Repeat("  ", depth)
	for _, c := range n.Children {
		if c.Node != nil {
			fmt.Fprintf(out, "%s%s %s\n", indent, c.Node.Loop.ID, c.Node.Loop.Name)
			printNode(out, c.Node, depth+1, showPHI)
			continue
		}
		mark := ""
		if c.Schema == nil {
			mark = "  <- not placed"
		}
		fmt.Fprintf(out, "%s  %s%s\n", indent, renderSegment(c, showPHI), mark)
	}
}

// renderSegment prints a segment, masking elements that may hold patient data: every
// element that is free text, an identifier or a date (types AN, DT, TM); codes (ID) and
// numbers (N, R) are shown. A segment not placed in the guide is masked whole.
func renderSegment(c guide.Child, showPHI bool) string {
	s := c.Segment
	if showPHI {
		return s.String()
	}
	switch s.ID {
	case "ST", "SE", "BHT", "LX":
		return s.String() // envelope and counters: no patient data
	}
	d := s.Delims
	var b strings.Builder
	b.WriteString(s.ID)
	for i := 1; i <= s.Len(); i++ {
		b.WriteByte(d.Element)
		v := s.Element(i)
		if len(v) == 0 {
			continue
		}
		if c.Schema == nil || i > len(c.Schema.Elements) {
			b.WriteString(mask)
			continue
		}
		el := c.Schema.Elements[i-1]
		if !el.IsComposite() {
			b.WriteString(maskValue(el, string(v)))
			continue
		}
		parts := strings.Split(string(v), string(d.Component))
		for j, p := range parts {
			if j > 0 {
				b.WriteByte(d.Component)
			}
			if j < len(el.Components) {
				b.WriteString(maskValue(el.Components[j], p))
			} else if p != "" {
				b.WriteString(mask)
			}
		}
	}
	return b.String()
}

// mask stands in for a value that may be patient data.
const mask = "xxx"

// phiCodes are coded elements that still identify a person: the postal code (116).
var phiCodes = map[string]bool{"116": true}

// maskValue returns v as inspect prints it without --show-phi: a code the element's
// list holds, a number in a numeric element, or a short token in an element whose
// codes the guide keeps elsewhere (a CARC, a state), each as the validator accepts
// it (guide.Element.Valid); anything else is masked. What an element holds is
// checked, not only what it should hold: in a malformed file an element left out
// shifts the rest, and a name or a member id lands where a code or an amount belongs.
func maskValue(el *guide.Element, v string) string {
	switch {
	case v == "":
		return v
	case phiCodes[el.Ref]:
		return mask
	}
	switch {
	case len(el.Codes) > 0:
	case el.Type == guide.TypeN0, el.Type == guide.TypeN1, el.Type == guide.TypeN2, el.Type == guide.TypeR:
	case el.Type == guide.TypeID:
		if !isToken(v) {
			return mask
		}
	default:
		return mask
	}
	if el.Valid([]byte(v)) {
		return v
	}
	return mask
}

// isToken reports whether v is letters and digits only.
func isToken(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return v != ""
}
