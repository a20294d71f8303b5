package main

import (
	"strings"
	"testing"
)

func TestCellAndRatio(t *testing.T) {
	m := &metric{
		Ours: []sample{{V: 3}, {V: 1}, {V: 2}},
		Ref:  []sample{{V: 20}, {V: 60, Over: true}, {V: 60, Over: true}},
	}
	if got := cell(m.Ours); got != "2.00 [1.00–3.00]" {
		t.Errorf("ours cell = %q", got)
	}
	if got := cell(m.Ref); got != "> 60.0 [20.0–> 60.0]" {
		t.Errorf("reference cell = %q", got)
	}
	// The reference's median is only a lower bound, so ours/ref is an upper one.
	if got := ratio(m); got != "< 0.03" {
		t.Errorf("ratio = %q", got)
	}
	if got := cell([]sample{{V: 60, Over: true}, {V: 60, Over: true}}); got != "> 60.0" {
		t.Errorf("equal samples cell = %q", got)
	}
	if got := cell(nil); got != "–" {
		t.Errorf("empty cell = %q", got)
	}
}

// The per-round ratio pairs each round's two sides, by round, skipping a
// round that one side lost, and cancels the drift that the medians' ratio
// keeps.
func TestPerRound(t *testing.T) {
	// The machine slows in round 3 for both sides, and ours lost round 2:
	// ours is the reference's equal in round 1 and twice it in 3 and 4.
	m := &metric{
		Ours: []sample{{V: 10, Round: 1}, {V: 80, Round: 3}, {V: 10, Round: 4}},
		Ref:  []sample{{V: 10, Round: 1}, {V: 20, Round: 2}, {V: 40, Round: 3}, {V: 5, Round: 4}},
	}
	if got := ratio(m); got != "0.67" {
		t.Errorf("ratio = %q, want the medians' 10 / 15", got)
	}
	if got := perRound(m); got != "2.00" {
		t.Errorf("perRound = %q, want 2.00", got)
	}
	if got := cell([]sample{{V: 7, Round: 1}, {V: 7, Round: 2}}); got != "7.00" {
		t.Errorf("equal samples of two rounds: cell = %q, want 7.00", got)
	}
	m.Ref[2].Over = true
	if got := perRound(m); got != "?" {
		t.Errorf("perRound with a bound = %q, want ?", got)
	}
	// Results written before rounds were kept have none to pair.
	if got := perRound(&metric{Ours: []sample{{V: 1}}, Ref: []sample{{V: 2}}}); got != "–" {
		t.Errorf("perRound without rounds = %q, want –", got)
	}
}

func TestSummarizeEvenCount(t *testing.T) {
	sm, ok := summarize([]sample{{V: 4}, {V: 1}, {V: 2}, {V: 10}})
	if !ok || sm.med.V != 3 || sm.lo.V != 1 || sm.hi.V != 10 || sm.med.Over {
		t.Fatalf("summary = %+v", sm)
	}
}

func TestWriteMarkdownRows(t *testing.T) {
	r := &results{}
	def := metricDef{key: "k", label: "bulk, 1 stream", unit: "MB/s", higher: true}
	r.add(def, true, sample{V: 400})
	r.add(def, false, sample{V: 100})
	r.note("a note")
	var b strings.Builder
	writeMarkdown(&b, r)
	for _, want := range []string{"| bulk, 1 stream | MB/s ↑ | 400 | 100 | 4.00 | – |", "- a note"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestTwin(t *testing.T) {
	if got := twin("dir/cpu.pprof", "-d"); got != "dir/cpu-d.pprof" {
		t.Fatalf("twin = %q", got)
	}
}
