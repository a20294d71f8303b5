package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

func chartResults() *results {
	r := &results{}
	for _, n := range []int{500, 1000} {
		open := metricDef{key: fmt.Sprintf("held-%d.open", n), unit: "s", n: n}
		enc := metricDef{key: fmt.Sprintf("held-%d.enc", n), unit: "KiB/conn", n: n}
		r.add(open, true, sample{V: float64(n) / 500})
		r.add(open, false, sample{V: 60, Over: n == 1000})
		r.add(enc, true, sample{V: 5})
		r.add(enc, false, sample{V: 19})
	}
	bulk := metricDef{key: "bulk-1.mbps", unit: "MB/s", higher: true}
	r.add(bulk, true, sample{V: 400})
	r.add(bulk, false, sample{V: 140})
	return r
}

// wellFormed fails unless s parses as XML to the end.
func wellFormed(t *testing.T, name, s string) {
	t.Helper()
	if s == "" {
		t.Fatalf("%s: empty", name)
	}
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestCharts(t *testing.T) {
	r := chartResults()
	held := heldSVG(r)
	wellFormed(t, "held.svg", held)
	if !strings.Contains(held, "&gt; 60.0 s") {
		t.Error("held.svg does not mark the timed-out point")
	}
	tp := throughputSVG(r)
	wellFormed(t, "throughput.svg", tp)
	if !strings.Contains(tp, ">400<") || !strings.Contains(tp, ">140<") {
		t.Error("throughput.svg lacks the bar labels")
	}
	if heldSVG(&results{}) != "" || throughputSVG(&results{}) != "" {
		t.Error("charts drawn without data")
	}
}
