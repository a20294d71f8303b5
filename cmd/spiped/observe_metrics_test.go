package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/spiped-go/spiped/engine"
	"github.com/spiped-go/spiped/internal/spipedtest"
)

// family is a metric family as the Python parser returns it.
type family struct {
	Name, Type, Help string
	Samples          []struct {
		Name   string
		Labels map[string]string
		Value  float64
	}
}

// exposition is a parsed /metrics, by family name (as the parser names
// them: a counter's without "_total").
type exposition map[string]family

// value returns the sample called name with exactly labels; ok false if none.
func (x exposition) value(name string, labels ...string) (float64, bool) {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, f := range x {
		for _, s := range f.Samples {
			if s.Name != name || len(s.Labels) != len(want) {
				continue
			}
			match := true
			for k, v := range want {
				match = match && s.Labels[k] == v
			}
			if match {
				return s.Value, true
			}
		}
	}
	return 0, false
}

// must returns value's sample, failing the test without one.
func (x exposition) must(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	v, ok := x.value(name, labels...)
	if !ok {
		t.Fatalf("/metrics has no %s%v", name, labels)
	}
	return v
}

const parserScript = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"Name": f.name, "Type": f.type, "Help": f.documentation,
                "Samples": [{"Name": s.name, "Labels": s.labels, "Value": s.value} for s in f.samples]})
json.dump(out, sys.stdout)
`

// systemPython is Debian's interpreter, which sees python3-* packages (the
// first python3 on PATH may be another).
const systemPython = "/usr/bin/python3"

var (
	parserOnce sync.Once
	parserErr  error
)

// needParser skips the test without the Prometheus parser, or fails it
// under CI, where scripts/install-deps.sh has installed it.
func needParser(t *testing.T) {
	t.Helper()
	parserOnce.Do(func() {
		out, err := exec.Command(systemPython, "-c", "import prometheus_client.parser").CombinedOutput()
		if err != nil {
			parserErr = fmt.Errorf("%s cannot import prometheus_client.parser (apt-get install python3-prometheus-client, or scripts/install-deps.sh): %v: %s",
				systemPython, err, bytes.TrimSpace(out))
		}
	})
	if parserErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("under CI: %v", parserErr)
		}
		t.Skipf("not checking /metrics: %v", parserErr)
	}
}

// families are the families every scrape must have, by the parser's name,
// with their type.
var families = map[string]string{
	"spiped_build_info":                 "gauge",
	"spiped_connections_accepted":       "counter",
	"spiped_connections_active":         "gauge",
	"spiped_connections_limit":          "gauge",
	"spiped_connections_ended":          "counter",
	"spiped_connections_queued":         "counter",
	"spiped_handshakes":                 "counter",
	"spiped_handshake_duration_seconds": "histogram",
	"spiped_connect_duration_seconds":   "histogram",
	"spiped_plaintext_bytes":            "counter",
	"spiped_target_resolutions":         "counter",
	"spiped_target_resolution_failures": "counter",
	"spiped_accept_pauses":              "counter",
	"spiped_draining":                   "gauge",
	"spiped_connection_log_suppressed":  "counter", // with --log-connections
}

// scrape fetches /metrics, has the Python parser read it, and checks what
// every scrape must hold: the families with their types and help, every
// cause, cumulative histogram buckets that end at +Inf with _count.
func scrape(t *testing.T, addr string) exposition {
	t.Helper()
	needParser(t)
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("/metrics: status %d, Content-Type %q", resp.StatusCode, ct)
	}
	cmd := exec.Command(systemPython, "-c", parserScript)
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the Prometheus parser refused /metrics: %v: %s\n%s", err, stderr.String(), body)
	}
	var fams []family
	if err := json.Unmarshal(out, &fams); err != nil {
		t.Fatalf("parser output: %v: %s", err, out)
	}
	x := exposition{}
	for _, f := range fams {
		if _, dup := x[f.Name]; dup {
			t.Errorf("/metrics: family %s twice", f.Name)
		}
		x[f.Name] = f
		if want, ok := families[f.Name]; !ok || f.Type != want || f.Help == "" {
			t.Errorf("/metrics: family %s of type %q (help %q); want one of ours, of type %q, with help", f.Name, f.Type, f.Help, want)
		}
	}
	for name := range families {
		if _, ok := x[name]; !ok && name != "spiped_connection_log_suppressed" {
			t.Errorf("/metrics: no family %s", name)
		}
	}
	// Every cause, always, and no other.
	ended := x["spiped_connections_ended"]
	if len(ended.Samples) != len(engine.Causes()) {
		t.Errorf("/metrics: %d ended series, want one per cause (%d)", len(ended.Samples), len(engine.Causes()))
	}
	for _, c := range engine.Causes() {
		if _, ok := x.value("spiped_connections_ended_total", "cause", c.String()); !ok {
			t.Errorf("/metrics: no spiped_connections_ended_total{cause=%q}", c)
		}
	}
	for _, h := range []string{"spiped_handshake_duration_seconds", "spiped_connect_duration_seconds"} {
		prev, last := -1.0, ""
		for _, s := range x[h].Samples {
			if s.Name == h+"_bucket" {
				if s.Value < prev {
					t.Errorf("/metrics: %s buckets not cumulative at le=%s", h, s.Labels["le"])
				}
				prev, last = s.Value, s.Labels["le"]
			}
		}
		if n := x.must(t, h+"_count"); last != "+Inf" || prev != n {
			t.Errorf("/metrics: %s ends at le=%q with %v, _count %v", h, last, prev, n)
		}
		if len(x[h].Samples) != len(engine.DurationBounds)+3 {
			t.Errorf("/metrics: %s has %d series, want %d buckets, _sum and _count", h, len(x[h].Samples), len(engine.DurationBounds)+1)
		}
	}
	for _, l := range []string{"version", "goversion", "crypto_path", "dh_path", "poller"} {
		s := x["spiped_build_info"].Samples
		if len(s) != 1 || s[0].Labels[l] == "" || s[0].Value != 1 {
			t.Errorf("/metrics: spiped_build_info %+v lacks %s", s, l)
		}
	}
	return x
}

// endedCount is spiped_connections_ended_total{cause}.
func (x exposition) endedCount(t *testing.T, cause string) float64 {
	t.Helper()
	return x.must(t, "spiped_connections_ended_total", "cause", cause)
}

// waitEnded waits until /metrics counts at least n ends of cause.
func waitEnded(t *testing.T, d *observed, cause string, n float64) exposition {
	t.Helper()
	var x exposition
	spipedtest.WaitUntil(t, d.name+"'s /metrics to count "+cause, func() bool {
		x = scrape(t, d.metrics)
		return x.endedCount(t, cause) >= n
	})
	return x
}
