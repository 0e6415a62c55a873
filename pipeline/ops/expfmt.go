package ops

import (
	"bufio"
	"math"
	"sort"
	"strconv"
	"strings"
)

// The Prometheus text exposition format, version 0.0.4: one family is a HELP
// line, a TYPE line and its samples, each `name{label="value",...} number`.

// contentType is the Content-Type of the text format.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// label is one label pair of a sample.
type label struct{ name, value string }

// sample is one line of a family.
type sample struct {
	suffix string // "_bucket", "_sum", "_count" for histograms; "" otherwise
	labels []label
	value  float64
}

// family is a metric family: every sample of one name.
type family struct {
	name, help, typ string // typ: counter, gauge or histogram
	samples         []sample
}

// writeFamilies writes the families in name order.
func writeFamilies(w *bufio.Writer, fams []family) error {
	sort.SliceStable(fams, func(i, j int) bool { return fams[i].name < fams[j].name })
	for _, f := range fams {
		w.WriteString("# HELP ")
		w.WriteString(f.name)
		w.WriteByte(' ')
		w.WriteString(escapeHelp(f.help))
		w.WriteString("\n# TYPE ")
		w.WriteString(f.name)
		w.WriteByte(' ')
		w.WriteString(f.typ)
		w.WriteByte('\n')
		for _, s := range f.samples {
			w.WriteString(f.name)
			w.WriteString(s.suffix)
			if len(s.labels) > 0 {
				w.WriteByte('{')
				for i, l := range s.labels {
					if i > 0 {
						w.WriteByte(',')
					}
					w.WriteString(l.name)
					w.WriteString(`="`)
					w.WriteString(escapeLabel(l.value))
					w.WriteByte('"')
				}
				w.WriteByte('}')
			}
			w.WriteByte(' ')
			w.WriteString(formatValue(s.value))
			w.WriteByte('\n')
		}
	}
	return w.Flush()
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// escapeHelp escapes a HELP text: backslash and line feed.
func escapeHelp(s string) string { return helpEscaper.Replace(s) }

// escapeLabel escapes a label value: backslash, double quote and line feed.
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// formatValue writes a sample value as Go's ParseFloat reads it, with the
// format's names for the infinities and NaN.
func formatValue(v float64) string {
	switch {
	case math.IsInf(v, +1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
