// Package metrics writes the Prometheus text exposition format, version
// 0.0.4: for each family a "# HELP" and a "# TYPE" line, then its samples,
// one per line, label values escaped. Histograms take per-bucket counts and
// write the cumulative _bucket{le="..."} series, a last le="+Inf" bucket,
// _sum and _count. It has no registry and no state beyond the text being
// built: the caller reads its counters and writes them out on each scrape.
//
// Names are checked (a bad one is a programming error, so it panics);
// everything else is escaped as the format requires.
package metrics

import (
	"math"
	"strconv"
	"strings"
)

// ContentType is what a /metrics handler answers with.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Label is one name="value" pair of a sample.
type Label struct {
	Name, Value string
}

// Sample is one series of a family: its labels and value.
type Sample struct {
	Labels []Label
	Value  float64
}

// Writer builds one exposition. The zero value is ready to use.
type Writer struct {
	b []byte
}

// Bytes returns the exposition written so far.
func (w *Writer) Bytes() []byte { return w.b }

// Counter writes a counter family of one unlabelled sample. By convention
// (and for OpenMetrics parsers) a counter's name ends in "_total".
func (w *Writer) Counter(name, help string, v float64) {
	w.Family(name, help, "counter", Sample{Value: v})
}

// Gauge writes a gauge family of one unlabelled sample.
func (w *Writer) Gauge(name, help string, v float64) {
	w.Family(name, help, "gauge", Sample{Value: v})
}

// Family writes a family of type typ ("counter", "gauge" or "untyped")
// with the given samples, in their order.
func (w *Writer) Family(name, help, typ string, samples ...Sample) {
	w.header(name, help, typ)
	for _, s := range samples {
		w.sample(name, s.Labels, nil, s.Value)
	}
}

// Histogram writes a histogram family. bounds are the buckets' upper
// bounds, ascending; counts holds one count per bucket, not cumulative,
// plus a last one for the observations above every bound (so
// len(counts) == len(bounds)+1); sum is the sum of the observations.
// labels, if any, go on every series of the family.
func (w *Writer) Histogram(name, help string, labels []Label, bounds []float64, counts []int64, sum float64) {
	if len(counts) != len(bounds)+1 {
		panic("metrics: histogram " + name + " needs one count per bound plus one")
	}
	w.header(name, help, "histogram")
	var cum int64
	for i, c := range counts {
		cum += c
		le := math.Inf(1)
		if i < len(bounds) {
			le = bounds[i]
		}
		w.sample(name+"_bucket", labels, &Label{"le", formatFloat(le)}, float64(cum))
	}
	w.sample(name+"_sum", labels, nil, sum)
	w.sample(name+"_count", labels, nil, float64(cum))
}

func (w *Writer) header(name, help, typ string) {
	checkName(name, false)
	w.b = append(w.b, "# HELP "...)
	w.b = append(w.b, name...)
	w.b = append(w.b, ' ')
	w.b = appendEscaped(w.b, help, false)
	w.b = append(w.b, "\n# TYPE "...)
	w.b = append(w.b, name...)
	w.b = append(w.b, ' ')
	w.b = append(w.b, typ...)
	w.b = append(w.b, '\n')
}

// sample writes one line; extra (the histogram's le) goes after labels.
func (w *Writer) sample(name string, labels []Label, extra *Label, v float64) {
	w.b = append(w.b, name...)
	if len(labels) > 0 || extra != nil {
		w.b = append(w.b, '{')
		for i, l := range labels {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendLabel(w.b, l)
		}
		if extra != nil {
			if len(labels) > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendLabel(w.b, *extra)
		}
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ' ')
	w.b = append(w.b, formatFloat(v)...)
	w.b = append(w.b, '\n')
}

func appendLabel(b []byte, l Label) []byte {
	checkName(l.Name, true)
	b = append(b, l.Name...)
	b = append(b, `="`...)
	b = appendEscaped(b, l.Value, true)
	return append(b, '"')
}

// appendEscaped escapes a backslash and a line feed (HELP text), and in a
// label value the double quote too.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// formatFloat writes integers without an exponent (counters of bytes read
// better so), infinities and NaN as the format spells them, and anything
// else in the shortest form that reads back exactly.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// checkName panics unless name is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)
// or, for a label, a valid label name (no colons, no leading "__").
func checkName(name string, label bool) {
	ok := name != ""
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
			i > 0 && c >= '0' && c <= '9' || !label && c == ':'
	}
	if label && strings.HasPrefix(name, "__") {
		ok = false
	}
	if !ok {
		panic("metrics: invalid name " + strconv.Quote(name))
	}
}
