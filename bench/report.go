package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// sample is one measurement. Over marks a lower bound: the run hit its time
// limit, so the true value is more than V. Round is the round it came from
// (from 1; 0 in results written before rounds were kept).
type sample struct {
	V     float64 `json:"v"`
	Over  bool    `json:"over,omitempty"`
	Round int     `json:"round,omitempty"`
}

// metric is one row of the report: every sample of both sides.
type metric struct {
	Key    string   `json:"key"`
	Label  string   `json:"label"`
	Unit   string   `json:"unit"`
	Higher bool     `json:"higher_is_better"`
	N      int      `json:"held_connections,omitempty"`
	Ours   []sample `json:"ours"`
	Ref    []sample `json:"reference"`
}

// results is the whole run, as written by -json.
type results struct {
	Meta    meta      `json:"meta"`
	Metrics []*metric `json:"metrics"`
	Notes   []string  `json:"notes"`
}

type meta struct {
	Date      string   `json:"date"`
	Commit    string   `json:"commit"`
	Go        string   `json:"go"`
	CPU       string   `json:"cpu"`
	Cores     int      `json:"cores"`
	Ours      string   `json:"ours"`
	Reference string   `json:"reference"`
	Rounds    int      `json:"rounds"`
	Quick     bool     `json:"quick"`
	Args      []string `json:"args"`
}

// add records a sample for a side, creating the row from def on first use so
// that rows keep the order in which scenarios declare them.
func (r *results) add(def metricDef, ours bool, s sample) {
	m := r.find(def.key)
	if m == nil {
		m = &metric{Key: def.key, Label: def.label, Unit: def.unit, Higher: def.higher, N: def.n}
		r.Metrics = append(r.Metrics, m)
	}
	if ours {
		m.Ours = append(m.Ours, s)
	} else {
		m.Ref = append(m.Ref, s)
	}
}

func (r *results) find(key string) *metric {
	for _, m := range r.Metrics {
		if m.Key == key {
			return m
		}
	}
	return nil
}

func (r *results) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// summary is the median and range of a side's samples.
type summary struct {
	med, lo, hi sample
	n           int
}

func summarize(ss []sample) (summary, bool) {
	if len(ss) == 0 {
		return summary{}, false
	}
	s := slices.Clone(ss)
	slices.SortFunc(s, func(a, b sample) int {
		if a.V != b.V {
			if a.V < b.V {
				return -1
			}
			return 1
		}
		if a.Over == b.Over {
			return 0
		}
		if b.Over {
			return -1
		}
		return 1
	})
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		a, b := s[len(s)/2-1], s[len(s)/2]
		med = sample{V: (a.V + b.V) / 2, Over: a.Over || b.Over}
	}
	return summary{med: med, lo: s[0], hi: s[len(s)-1], n: len(s)}, true
}

// num prints a value with three significant digits or so, never in
// exponent form.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func (s sample) String() string {
	if s.Over {
		return "> " + num(s.V)
	}
	return num(s.V)
}

func cell(ss []sample) string {
	sm, ok := summarize(ss)
	if !ok {
		return "–"
	}
	if sm.n == 1 || sm.lo.V == sm.hi.V && sm.lo.Over == sm.hi.Over {
		return sm.med.String()
	}
	return fmt.Sprintf("%s [%s–%s]", sm.med, sm.lo, sm.hi)
}

// ratio is ours/reference of the medians; a bound when either is one.
func ratio(m *metric) string {
	o, ok1 := summarize(m.Ours)
	r, ok2 := summarize(m.Ref)
	if !ok1 || !ok2 || r.med.V == 0 {
		return "–"
	}
	x := fmt.Sprintf("%.2f", o.med.V/r.med.V)
	switch {
	case o.med.Over && r.med.Over:
		return "?"
	case o.med.Over:
		return "> " + x
	case r.med.Over:
		return "< " + x
	}
	return x
}

// perRound is the median over the rounds both sides completed of that
// round's ours/reference. A round runs the two sides back to back, so the
// machine's drift from round to round, which moves both medians, cancels
// here. "?" when a bound is among the pairs, "–" with no pairs.
func perRound(m *metric) string {
	ref := make(map[int]sample, len(m.Ref))
	for _, s := range m.Ref {
		if s.Round > 0 {
			ref[s.Round] = s
		}
	}
	var rs []sample
	for _, o := range m.Ours {
		r, ok := ref[o.Round]
		if o.Round == 0 || !ok || r.V == 0 {
			continue
		}
		if o.Over || r.Over {
			return "?"
		}
		rs = append(rs, sample{V: o.V / r.V})
	}
	sm, ok := summarize(rs)
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.2f", sm.med.V)
}

func (m *metric) unitCell() string {
	if m.Higher {
		return m.Unit + " ↑"
	}
	return m.Unit + " ↓"
}

// writeMarkdown prints the report: a header saying what ran where, the table,
// and the notes.
func writeMarkdown(w io.Writer, r *results) {
	md := r.Meta
	fmt.Fprintf(w, "# spiped: ours vs reference\n\n")
	fmt.Fprintf(w, "%s; %s, %d cores; %s; commit %s\n\n", md.Date, md.CPU, md.Cores, md.Go, md.Commit)
	fmt.Fprintf(w, "- ours: %s\n- reference: %s\n", md.Ours, md.Reference)
	fmt.Fprintf(w, "- %d round(s), sides alternating; median [min–max]; ↑ higher is better, ↓ lower is better\n", md.Rounds)
	fmt.Fprintf(w, "- ours/ref: of the medians; per round: the median of each round's own ours/ref\n")
	fmt.Fprintf(w, "- command: `go run ./bench %s`\n\n", shellJoin(md.Args))
	fmt.Fprintf(w, "| scenario | unit | ours | reference | ours/ref | per round |\n|---|---|--:|--:|--:|--:|\n")
	for _, m := range r.Metrics {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", m.Label, m.unitCell(), cell(m.Ours), cell(m.Ref), ratio(m), perRound(m))
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(w, "\nNotes:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}

// writeJSON writes the results to path, or to stdout for "-".
func writeJSON(path string, r *results) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if path == "-" {
		_, err = os.Stdout.Write(data)
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// shellJoin joins args for a shell, quoting those that need it (such as
// -ours-args "--metrics 127.0.0.1:0 --log-connections"), so that the
// report's command can be pasted.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`|&;<>()*?[]#~!{}") {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
