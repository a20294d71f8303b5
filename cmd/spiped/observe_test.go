package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spiped-go/spiped/engine"
	"github.com/spiped-go/spiped/internal/spipedtest"
)

// These tests run the built binary with --log-connections and --metrics,
// cause each ending in the vocabulary with a real fault, and find it both
// in the log line and in /metrics, which a real Prometheus text parser
// (Debian's python3-prometheus-client) reads.

// observed is one of our daemons in the foreground with --log-connections
// and --metrics.
type observed struct {
	*spipedtest.Program
	name    string
	metrics string // the --metrics address, host:port
	source  string // the -s address, host:port
	spec    string // the -s address as spiped writes it
}

// startObserved runs spiped -F with args plus -s on a free port,
// --log-connections and --metrics on another, and waits until /healthz
// says the source is listening (no probe connection that would be
// counted and logged).
func startObserved(t *testing.T, name string, args ...string) *observed {
	t.Helper()
	port, mport := spipedtest.FreeTCPPort(t), spipedtest.FreeTCPPort(t)
	d := &observed{name: name, metrics: fmt.Sprintf("127.0.0.1:%d", mport),
		source: fmt.Sprintf("127.0.0.1:%d", port), spec: fmt.Sprintf("[127.0.0.1]:%d", port)}
	all := append([]string{"-F", "-s", d.spec, "--log-connections", "--metrics", d.metrics}, args...)
	d.Program = spipedtest.StartProgram(t, bin, t.TempDir(), "", all...)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if processGone(d.Cmd) {
			t.Fatalf("%s %q exited: %q", name, all, d.Output())
		}
		code, body := httpGet(d.metrics + "/healthz")
		if code == http.StatusOK {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %q: /healthz answers %d %q; stderr %q", name, all, code, body, d.Output())
		}
	}
}

// processGone reports whether cmd's process has exited (without reaping it).
func processGone(cmd *exec.Cmd) bool {
	var ws syscall.WaitStatus
	pid, err := syscall.Wait4(cmd.Process.Pid, &ws, syscall.WNOHANG|syscall.WNOWAIT, nil)
	return err == nil && pid == cmd.Process.Pid
}

// httpGet returns the status and body of http://url, or 0 if it failed.
func httpGet(url string) (int, string) {
	c := &http.Client{Timeout: 40 * time.Second}
	resp, err := c.Get("http://" + url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// logLine is one --log-connections line in text form.
type logLine struct {
	peer, target       string
	duration           float64
	toTarget, toSource int64
	cause              string
}

var (
	lineRE       = regexp.MustCompile(`^spiped: connection peer=(\S+) target=(\S+) duration=(\d+\.\d{6})s to_target=(\d+) to_source=(\d+) cause=([a-z-]+)$`)
	suppressedRE = regexp.MustCompile(`^spiped: ([1-9]\d*) connection lines suppressed$`)
)

// logged parses the daemon's standard error: connection lines, the
// suppressed counts, and any other line (a warning).
func (d *observed) logged() (lines []logLine, suppressed []int64, other []string) {
	for _, l := range strings.Split(d.Output(), "\n") {
		if m := lineRE.FindStringSubmatch(l); m != nil {
			dur, _ := strconv.ParseFloat(m[3], 64)
			tt, _ := strconv.ParseInt(m[4], 10, 64)
			ts, _ := strconv.ParseInt(m[5], 10, 64)
			lines = append(lines, logLine{m[1], m[2], dur, tt, ts, m[6]})
		} else if m := suppressedRE.FindStringSubmatch(l); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			suppressed = append(suppressed, n)
		} else if l != "" {
			other = append(other, l)
		}
	}
	return
}

// waitLine waits for a connection line with cause and returns it.
func (d *observed) waitLine(t *testing.T, cause string) logLine {
	t.Helper()
	var got logLine
	spipedtest.WaitUntil(t, d.name+" to log a "+cause+" line", func() bool {
		lines, _, _ := d.logged()
		for _, l := range lines {
			if l.cause == cause {
				got = l
				return true
			}
		}
		return false
	})
	return got
}

// stop sends SIGTERM and waits for exit status 0.
func (d *observed) stop(t *testing.T) {
	t.Helper()
	d.Cmd.Process.Signal(syscall.SIGTERM)
	if code := d.Wait(t); code != 0 {
		t.Fatalf("%s: exit status %d after SIGTERM: %q", d.name, code, d.Output())
	}
}

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
	for _, l := range []string{"version", "goversion", "crypto_path", "dh_path"} {
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

func bracket(hostPort string) string {
	h, p, _ := net.SplitHostPort(hostPort)
	return "[" + h + "]:" + p
}

// flipAt forwards to upstream and flips one bit of the client's stream at
// byte offset at.
func flipAt(t *testing.T, upstream string, at int64) string {
	t.Helper()
	return spipedtest.ServeConns(t, "tcp4", "127.0.0.1:0", func(c net.Conn) {
		u, err := net.Dial("tcp4", upstream)
		if err != nil {
			return
		}
		defer u.Close()
		go func() { io.Copy(c, u); c.Close() }()
		io.CopyN(u, c, at)
		b := make([]byte, 1)
		if _, err := io.ReadFull(c, b); err != nil {
			return
		}
		u.Write([]byte{b[0] ^ 0x40})
		io.Copy(u, c)
	})
}

// hangUp dials addr, says something, and reads until the daemon hangs up.
func hangUp(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("anyone there?"))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, c)
	return c
}

// roundTripTCP writes msg and reads it back (through an echo).
func roundTripTCP(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, len(msg))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, b); err != nil || string(b) != msg {
		t.Fatalf("round trip: %q, %v", b, err)
	}
	c.SetReadDeadline(time.Time{})
}

func dialT(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// keys writes the shared key and a wrong one into a directory.
func keys(t *testing.T) (good, wrong string) {
	dir := t.TempDir()
	return spipedtest.WriteKeyFile(t, dir, "key", "secret"), spipedtest.WriteKeyFile(t, dir, "wrong", "not the secret")
}

// Each cause, from a real fault, in the log line of the daemon that saw
// it (with the peer and target it names) and in its /metrics count.
func TestObservedCauses(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out connect and handshake timeouts: a timeout-bound test; make test runs it")
	}
	needParser(t)
	key, wrong := keys(t)
	echo := spipedtest.ServeConns(t, "tcp4", "127.0.0.1:0", spipedtest.Echo)
	silent := spipedtest.ServeConns(t, "tcp4", "127.0.0.1:0", func(c net.Conn) { io.Copy(io.Discard, c) })

	// check finds cause in d's log and metrics; peer "" skips the peer.
	check := func(t *testing.T, d *observed, cause, peer, target string) logLine {
		t.Helper()
		l := d.waitLine(t, cause)
		if peer != "" && l.peer != peer {
			t.Errorf("%s: %s line names peer %s, want %s", d.name, cause, l.peer, peer)
		}
		if l.target != target {
			t.Errorf("%s: %s line names target %s, want %s", d.name, cause, l.target, target)
		}
		if l.duration < 0 || l.duration > 10 {
			t.Errorf("%s: %s line: duration %v", d.name, cause, l.duration)
		}
		x := waitEnded(t, d, cause, 1)
		if n := x.endedCount(t, cause); n != 1 {
			t.Errorf("%s: /metrics counts %v %s ends, want 1", d.name, n, cause)
		}
		return l
	}

	t.Run("target-refused", func(t *testing.T) {
		closed := fmt.Sprintf("127.0.0.1:%d", spipedtest.FreeTCPPort(t))
		e := startObserved(t, "-e", "-e", "-t", bracket(closed), "-k", key)
		c := hangUp(t, e.source)
		check(t, e, "target-refused", c.LocalAddr().String(), closed)
	})

	t.Run("connect-timeout", func(t *testing.T) {
		st, err := spipedtest.NewSlowTarget(spipedtest.SlowTargetConfig{Handle: func(c net.Conn) { io.Copy(io.Discard, c) }})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		e := startObserved(t, "-e", "-e", "-t", bracket(st.Addr()), "-k", key, "-o", "0.3")
		if err := st.Hold(900 * time.Millisecond); errors.Is(err, spipedtest.ErrCannotHold) {
			t.Skip(err)
		} else if err != nil {
			t.Fatal(err)
		}
		c := hangUp(t, e.source)
		check(t, e, "connect-timeout", c.LocalAddr().String(), st.Addr())
	})

	t.Run("wrong key: handshake-failed on both sides", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		e := startObserved(t, "-e", "-e", "-t", d.spec, "-k", wrong)
		c := hangUp(t, e.source)
		check(t, d, "handshake-failed", "", echo)
		check(t, e, "handshake-failed", c.LocalAddr().String(), d.source)
	})

	// -e in front of a service that does not speak spiped: one that
	// answers (an echo) fails the MAC check; one that waits for a request
	// (as most do) runs out the handshake's -o.
	t.Run("plain service that answers: handshake-failed", func(t *testing.T) {
		e := startObserved(t, "-e", "-e", "-t", bracket(echo), "-k", key)
		c := hangUp(t, e.source)
		check(t, e, "handshake-failed", c.LocalAddr().String(), echo)
	})
	t.Run("plain service that waits: handshake-timeout", func(t *testing.T) {
		e := startObserved(t, "-e", "-e", "-t", bracket(silent), "-k", key, "-o", "0.3")
		c := hangUp(t, e.source)
		l := check(t, e, "handshake-timeout", c.LocalAddr().String(), silent)
		if l.duration < 0.3 {
			t.Errorf("handshake-timeout after %vs, before -o 0.3", l.duration)
		}
	})

	t.Run("fs-refused", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-g", "-t", bracket(echo), "-k", key)
		e := startObserved(t, "-e", "-e", "-f", "-t", d.spec, "-k", key)
		hangUp(t, e.source)
		check(t, d, "fs-refused", "", echo)
	})

	t.Run("bad-packet", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		relay := flipAt(t, d.source, 32+288+10) // past the handshake: inside the first packet
		e := startObserved(t, "-e", "-e", "-t", bracket(relay), "-k", key)
		hangUp(t, e.source)
		check(t, d, "bad-packet", "", echo)
	})

	t.Run("reset", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		e := startObserved(t, "-e", "-e", "-t", d.spec, "-k", key)
		c := dialT(t, e.source)
		roundTripTCP(t, c, "then a reset")
		peer := c.LocalAddr().String()
		c.SetLinger(0)
		c.Close()
		l := check(t, e, "reset", peer, d.source)
		if l.toTarget != 12 || l.toSource != 12 {
			t.Errorf("reset line: %d bytes to target, %d back; want 12 each", l.toTarget, l.toSource)
		}
	})

	t.Run("limit", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		e := startObserved(t, "-e", "-e", "-n", "1", "-t", d.spec, "-k", key)
		first := dialT(t, e.source)
		roundTripTCP(t, first, "holding the only slot")
		second := dialT(t, e.source)
		l := e.waitLine(t, "limit")
		if l.peer != "-" || l.target != "-" || l.toTarget != 0 || l.toSource != 0 {
			t.Errorf("limit line %+v, want no peer, no target, no bytes", l)
		}
		x := waitEnded(t, e, "limit", 1)
		if q := x.must(t, "spiped_connections_queued_total"); q != x.endedCount(t, "limit") || q < 1 {
			t.Errorf("queued_total %v, ended{limit} %v", q, x.endedCount(t, "limit"))
		}
		if a := x.must(t, "spiped_connections_active"); a != 1 {
			t.Errorf("connections_active %v at the limit of 1", a)
		}
		// The queued client gets through once the slot is free.
		first.Close()
		roundTripTCP(t, second, "my turn")
		_, _, other := e.logged()
		if !onlyLimitWarnings(other) {
			t.Errorf("-e printed %q besides connection lines, want the limit warning alone", other)
		}
	})

	t.Run("SIGTERM drain: done", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		e := startObserved(t, "-e", "-e", "-t", d.spec, "-k", key)
		one, two := dialT(t, e.source), dialT(t, e.source)
		roundTripTCP(t, one, "first")
		roundTripTCP(t, two, "second")
		e.Cmd.Process.Signal(syscall.SIGTERM)
		spipedtest.WaitUntil(t, "/healthz to say draining", func() bool {
			code, body := httpGet(e.metrics + "/healthz")
			return code == http.StatusServiceUnavailable && body == "draining\n"
		})
		// One ends while the other holds the drain open: /metrics still answers.
		one.CloseWrite()
		io.Copy(io.Discard, one)
		x := waitEnded(t, e, "done", 1)
		if v := x.must(t, "spiped_draining"); v != 1 {
			t.Errorf("spiped_draining %v while draining", v)
		}
		// An end is counted a moment before the connection stops being open.
		spipedtest.WaitUntil(t, "spiped_connections_active to be the one still open", func() bool {
			return scrape(t, e.metrics).must(t, "spiped_connections_active") == 1
		})
		roundTripTCP(t, two, "still carried while draining")
		two.CloseWrite()
		io.Copy(io.Discard, two)
		if code := e.Wait(t); code != 0 {
			t.Fatalf("exit status %d: %q", code, e.Output())
		}
		lines, _, other := e.logged()
		if len(lines) != 2 || lines[0].cause != "done" || lines[1].cause != "done" || len(other) != 0 {
			t.Errorf("after the drain -e printed %q; want two done lines and nothing else", e.Output())
		}
		for _, l := range lines {
			if l.toTarget != l.toSource || l.toTarget < 5 {
				t.Errorf("done line %+v: unequal or missing echo bytes", l)
			}
		}
		d.stop(t)
	})

	t.Run("shutdown with --drain-timeout", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		if r := spipedtest.RunProgram(t, bin, "", "", "--drain-timeout", "1", "-v"); r.Code != 0 {
			t.Skip("no --drain-timeout here")
		}
		e := startObserved(t, "-e", "-e", "-t", d.spec, "-k", key, "--drain-timeout", "0.2")
		c := dialT(t, e.source)
		roundTripTCP(t, c, "idle after this")
		e.Cmd.Process.Signal(syscall.SIGTERM)
		if code := e.Wait(t); code != 0 {
			t.Fatalf("exit status %d: %q", code, e.Output())
		}
		lines, _, _ := e.logged()
		if len(lines) != 1 || lines[0].cause != "shutdown" || lines[0].peer != c.LocalAddr().String() {
			t.Errorf("-e printed %q, want one shutdown line for %s", e.Output(), c.LocalAddr())
		}
	})
}

// The byte counts, in the lines and in /metrics of both daemons, are the
// plaintext bytes that went each way; handshakes and connects are counted
// and timed once; /readyz and /healthz say yes.
func TestObservedBytes(t *testing.T) {
	needParser(t)
	key, _ := keys(t)
	target := spipedtest.ServeConns(t, "tcp4", "127.0.0.1:0", func(c net.Conn) {
		io.CopyN(io.Discard, c, 3000)
		c.Write(make([]byte, 70000))
	})
	d := startObserved(t, "-d", "-d", "-t", bracket(target), "-k", key)
	e := startObserved(t, "-e", "-e", "-t", d.spec, "-k", key)
	c := dialT(t, e.source)
	c.Write(make([]byte, 3000))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, _ := io.Copy(io.Discard, c); n != 70000 {
		t.Fatalf("client got %d bytes back, want 70000", n)
	}
	c.Close()
	for _, x := range []struct {
		d            *observed
		peer, target string
	}{{e, c.LocalAddr().String(), d.source}, {d, "127.0.0.1:", target}} {
		l := x.d.waitLine(t, "done")
		if l.toTarget != 3000 || l.toSource != 70000 || l.target != x.target || !strings.HasPrefix(l.peer, x.peer) {
			t.Errorf("%s: line %+v; want 3000 bytes to %s and 70000 back, peer %s", x.d.name, l, x.target, x.peer)
		}
		m := waitEnded(t, x.d, "done", 1)
		for _, want := range []struct {
			name   string
			labels []string
			v      float64
		}{
			{"spiped_plaintext_bytes_total", []string{"direction", "to_target"}, 3000},
			{"spiped_plaintext_bytes_total", []string{"direction", "to_source"}, 70000},
			{"spiped_connections_accepted_total", nil, 1},
			{"spiped_connections_active", nil, 0},
			{"spiped_handshakes_total", nil, 1},
			{"spiped_handshake_duration_seconds_count", nil, 1},
			{"spiped_connect_duration_seconds_count", nil, 1},
			{"spiped_connections_limit", nil, 100},
			{"spiped_draining", nil, 0},
			{"spiped_connection_log_suppressed_total", nil, 0},
		} {
			if v := m.must(t, want.name, want.labels...); v != want.v {
				t.Errorf("%s: %s%v = %v, want %v", x.d.name, want.name, want.labels, v, want.v)
			}
		}
		if s := m.must(t, "spiped_handshake_duration_seconds_sum"); s <= 0 || s > 5 {
			t.Errorf("%s: handshake time %vs", x.d.name, s)
		}
		for _, p := range []string{"/healthz", "/readyz"} {
			if code, body := httpGet(x.d.metrics + p); code != 200 || body != "ok\n" {
				t.Errorf("%s: %s answered %d %q", x.d.name, p, code, body)
			}
		}
		if code, _ := httpGet(x.d.metrics + "/other"); code != http.StatusNotFound {
			t.Errorf("%s: /other answered %d", x.d.name, code)
		}
	}
	if _, _, other := e.logged(); len(other) != 0 {
		t.Errorf("-e printed %q besides connection lines", other)
	}
}

// A flood of failures prints a bounded number of lines: a burst, then
// about ten a second, and a count of the rest. Every connection is
// accounted for: printed, or in a suppressed count.
func TestObservedFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out seconds of the log rate limit: a timeout-bound test; make test runs it")
	}
	needParser(t)
	key, _ := keys(t)
	hold := spipedtest.ServeConns(t, "tcp4", "127.0.0.1:0", func(c net.Conn) { io.Copy(io.Discard, c) })
	d := startObserved(t, "-d", "-d", "-n", "0", "-t", bracket(hold), "-k", key)
	const n, workers = 1000, 8
	began := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			junk := make([]byte, 32+288)
			for next.Add(1) <= n {
				// A client with the wrong key: a nonce and a DH value
				// whose MAC cannot check out.
				rand.Read(junk)
				c, err := net.Dial("tcp4", d.source)
				if err != nil {
					errs <- err
					return
				}
				c.Write(junk)
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				io.Copy(io.Discard, c)
				c.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	x := waitEnded(t, d, "handshake-failed", n)
	if v := x.endedCount(t, "handshake-failed"); v != n {
		t.Errorf("/metrics counts %v handshake failures, want %d", v, n)
	}
	// The suppressed count is printed within a second or so.
	spipedtest.WaitUntil(t, "a suppressed count", func() bool { _, s, _ := d.logged(); return len(s) > 0 })
	lines, suppressed, other := d.logged()
	elapsed := time.Since(began).Seconds() // after reading: the bound covers every line read
	// A burst of 20, then 10 a second; a suppressed line at most once a second.
	if max := 20 + int(math.Ceil(elapsed*10)); len(lines) > max {
		t.Errorf("%d connection lines in %.1fs, want at most %d", len(lines), elapsed, max)
	}
	if max := int(math.Ceil(elapsed)) + 1; len(suppressed) > max {
		t.Errorf("%d suppressed lines in %.1fs, want at most %d", len(suppressed), elapsed, max)
	}
	if len(other) != 0 {
		t.Errorf("other output: %q", other)
	}
	m := scrape(t, d.metrics)
	if v := m.must(t, "spiped_connection_log_suppressed_total"); int64(v) < sum(suppressed) {
		t.Errorf("spiped_connection_log_suppressed_total %v, below the %d printed", v, sum(suppressed))
	}
	d.stop(t)
	// On exit the last count is printed: nothing is unaccounted for.
	lines, suppressed, _ = d.logged()
	for _, l := range lines {
		if l.cause != "handshake-failed" || l.target != hold {
			t.Errorf("line %+v", l)
		}
	}
	if total := int64(len(lines)) + sum(suppressed); total != n {
		t.Errorf("%d lines + %d suppressed = %d, want %d", len(lines), sum(suppressed), total, n)
	}
	t.Logf("%d connections in %.1fs: %d lines, suppressed %v", n, elapsed, len(lines), suppressed)
}

// onlyLimitWarnings reports whether lines are one or more -n warnings (one
// each time the limit is reached) and nothing else.
func onlyLimitWarnings(lines []string) bool {
	for _, l := range lines {
		if l != "spiped: Maximum number of connections (1) reached" {
			return false
		}
	}
	return len(lines) > 0
}

func sum(v []int64) (s int64) {
	for _, x := range v {
		s += x
	}
	return
}

// --log-format json: the same fields, one object per line, without the
// "spiped: " prefix; null where the text line has "-".
func TestObservedJSON(t *testing.T) {
	key, _ := keys(t)
	silent := spipedtest.ServeConns(t, "tcp4", "127.0.0.1:0", func(c net.Conn) { io.Copy(io.Discard, c) })
	e := startObserved(t, "-e", "-e", "-n", "1", "-o", "0.3", "-t", bracket(silent), "-k", key, "--log-format", "json")
	// The first client holds the only slot until its handshake times out;
	// the second waits at the limit meanwhile.
	first := dialT(t, e.source)
	second := dialT(t, e.source)
	type rec struct {
		Peer     *string  `json:"peer"`
		Target   *string  `json:"target"`
		Duration *float64 `json:"duration"`
		ToTarget *int64   `json:"to_target"`
		ToSource *int64   `json:"to_source"`
		Cause    string   `json:"cause"`
	}
	var got []rec
	var warnings []string
	spipedtest.WaitUntil(t, "three JSON lines", func() bool {
		got, warnings = nil, nil
		for _, l := range strings.Split(e.Output(), "\n") {
			if l == "" {
				continue
			}
			if strings.HasPrefix(l, "spiped: ") {
				warnings = append(warnings, l)
				continue
			}
			var r rec
			dec := json.NewDecoder(strings.NewReader(l))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil || !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") {
				t.Fatalf("not a JSON object per line: %q: %v", l, err)
			}
			got = append(got, r)
		}
		return len(got) >= 3
	})
	if !onlyLimitWarnings(warnings) {
		t.Errorf("warnings %q", warnings)
	}
	peers := map[string]bool{}
	for _, r := range got {
		if r.Duration == nil || r.ToTarget == nil || r.ToSource == nil || *r.ToTarget != 0 || *r.ToSource != 0 {
			t.Errorf("JSON line %+v: missing or wrong fields", r)
			continue
		}
		switch r.Cause {
		case "limit":
			if r.Peer != nil || r.Target != nil || *r.Duration != 0 {
				t.Errorf("limit line: peer %v, target %v, duration %v; want null, null, 0", r.Peer, r.Target, *r.Duration)
			}
		case "handshake-timeout":
			if r.Peer == nil || r.Target == nil || *r.Target != silent || *r.Duration < 0.3 {
				t.Errorf("handshake-timeout line: peer %v, target %v, duration %v", r.Peer, r.Target, *r.Duration)
			} else {
				peers[*r.Peer] = true
			}
		default:
			t.Errorf("cause %q", r.Cause)
		}
	}
	if len(got) != 3 || !peers[first.LocalAddr().String()] || !peers[second.LocalAddr().String()] {
		t.Errorf("got %d lines for peers %v; want a limit line and a handshake-timeout for each client:\n%s", len(got), peers, e.Output())
	}
	e.stop(t)
}

// The new options' own errors: exit status 1 with a message, nothing bound.
func TestObserveOptionErrors(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	base := []string{"-e", "-s", filepath.Join(dir, "s"), "-t", "[127.0.0.1]:9", "-k", key}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-F", "--log-connections", "--log-format", "xml"}, "spiped: Error parsing argument: --log-format xml: must be text or json\n"},
		{[]string{"-F", "--log-format", "json"}, "spiped: --log-format needs --log-connections\n"},
		{[]string{"-F", "--log-format", "text"}, "spiped: --log-format needs --log-connections\n"},
		{[]string{"-F", "--metrics", ""}, "spiped: Error parsing argument: --metrics : Invalid argument\n"},
		{[]string{"-F", "--metrics", busy.Addr().String()},
			"spiped: Error listening on --metrics address: listen tcp " + busy.Addr().String() + ": bind: Address already in use\n"},
		// Daemonizing: the child fails before it is ready, the parent exits 1;
		// with -D too, though it daemonizes before anything else.
		{[]string{"--metrics", busy.Addr().String()},
			"spiped: Error listening on --metrics address: listen tcp " + busy.Addr().String() + ": bind: Address already in use\n"},
		{[]string{"-D", "--metrics", busy.Addr().String()},
			"spiped: Error listening on --metrics address: listen tcp " + busy.Addr().String() + ": bind: Address already in use\n"},
		{[]string{"-F", "--log-connections", "--log-connections"}, usage},
	} {
		got := spipedtest.RunProgram(t, bin, dir, "", append(append([]string{}, base...), tc.args...)...)
		if got.Code != 1 || got.Stderr != tc.want {
			t.Errorf("%q: status %d, stderr %q; want 1, %q", tc.args, got.Code, got.Stderr, tc.want)
		}
		if _, err := os.Lstat(filepath.Join(dir, "s")); err == nil {
			t.Errorf("%q: the source was bound", tc.args)
			os.Remove(filepath.Join(dir, "s"))
		}
	}
}

// Without the new options, nothing about connections is printed: faults
// that these options report leave standard error as empty as the
// reference leaves it.
func TestNoObservationWithoutOptions(t *testing.T) {
	key, wrong := keys(t)
	echo := spipedtest.ServeConns(t, "tcp4", "127.0.0.1:0", spipedtest.Echo)
	closed := fmt.Sprintf("[127.0.0.1]:%d", spipedtest.FreeTCPPort(t))
	progs := []string{bin}
	if _, err := os.Stat(spipedtest.ReferenceSpiped); err == nil {
		progs = append(progs, spipedtest.ReferenceSpiped)
	} else if os.Getenv("CI") != "" {
		t.Fatalf("reference %s is required under CI", spipedtest.ReferenceSpiped)
	}
	for _, prog := range progs {
		dport, eport, rport := spipedtest.FreeTCPPort(t), spipedtest.FreeTCPPort(t), spipedtest.FreeTCPPort(t)
		dsrc, esrc, rsrc := fmt.Sprintf("127.0.0.1:%d", dport), fmt.Sprintf("127.0.0.1:%d", eport), fmt.Sprintf("127.0.0.1:%d", rport)
		dir := t.TempDir()
		d := spipedtest.StartProgram(t, prog, dir, "", "-F", "-d", "-s", bracket(dsrc), "-t", bracket(echo), "-k", key)
		e := spipedtest.StartProgram(t, prog, dir, "", "-F", "-e", "-s", bracket(esrc), "-t", bracket(dsrc), "-k", wrong)
		r := spipedtest.StartProgram(t, prog, dir, "", "-F", "-e", "-s", bracket(rsrc), "-t", closed, "-k", key)
		for _, a := range []string{dsrc, esrc, rsrc} {
			spipedtest.WaitUntil(t, prog+" to listen on "+a, func() bool { return spipedtest.Accepting("tcp4", a) })
		}
		hangUp(t, esrc)
		hangUp(t, rsrc)
		time.Sleep(200 * time.Millisecond)
		for _, b := range []*spipedtest.Program{d, e, r} {
			b.Cmd.Process.Signal(syscall.SIGTERM)
			b.Wait(t)
			if out := b.Output(); out != "" {
				t.Errorf("%s %q printed %q", prog, b.Cmd.Args[1:], out)
			}
		}
	}
}

// -F -D, while the target does not resolve: /readyz and /healthz say 503
// (the daemon is not listening yet), /metrics answers with zeros.
func TestObservedNotReady(t *testing.T) {
	needParser(t)
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	m := fmt.Sprintf("127.0.0.1:%d", spipedtest.FreeTCPPort(t))
	const target = "spiped-test.invalid:80"
	d := spipedtest.StartProgram(t, bin, dir, "", "-F", "-D", "-e", "-s", filepath.Join(dir, "s"), "-t", target, "-k", key, "--metrics", m)
	spipedtest.WaitUntil(t, "--metrics", func() bool { return spipedtest.Accepting("tcp4", m) })
	if code, body := httpGet(m + "/readyz"); code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "target "+target+" does not resolve: ") {
		t.Errorf("/readyz: %d %q", code, body)
	}
	if code, body := httpGet(m + "/healthz"); code != http.StatusServiceUnavailable || body != "starting\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	x := scrape(t, m)
	if v := x.must(t, "spiped_connections_accepted_total"); v != 0 {
		t.Errorf("accepted %v before listening", v)
	}
	if _, ok := x["spiped_connection_log_suppressed"]; ok {
		t.Error("a log counter without --log-connections")
	}
	d.Cmd.Process.Kill()
	d.Wait(t)
}

// -F --syslog: warnings and connection lines go to syslog, not standard
// error (ours; the reference keeps standard error in the foreground).
// The daemon runs in a mount namespace where the syslog socket is one of
// ours (log/syslog tries /dev/log, then /var/run/syslog).
func TestObservedSyslogForeground(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a mount namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare(1)")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	logDir := filepath.Join(dir, "run")
	os.Mkdir(logDir, 0o755)
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(logDir, "syslog"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	const script = `set -e
[ -e /dev/log ] && mount --bind "$1/syslog" /dev/log
mount --bind "$1" /var/run
shift
exec "$@"`
	if out, err := exec.Command("unshare", "-m", "sh", "-c", `mount --bind "$1" /var/run`, "sh", logDir).CombinedOutput(); err != nil {
		t.Skipf("cannot bind-mount in a mount namespace here: %v: %s", err, out)
	}
	silent := spipedtest.ServeConns(t, "tcp4", "127.0.0.1:0", func(c net.Conn) { io.Copy(io.Discard, c) })
	src := fmt.Sprintf("127.0.0.1:%d", spipedtest.FreeTCPPort(t))
	d := spipedtest.StartProgram(t, "unshare", dir, "", "-m", "sh", "-c", script, "sh", logDir,
		bin, "-F", "--syslog", "--log-connections", "-e", "-n", "1", "-o", "0.3", "-s", bracket(src), "-t", bracket(silent), "-k", key)
	// The first client holds the only slot until its handshake times
	// out; the second waits at the limit: a warning and two lines.
	var first net.Conn
	spipedtest.WaitUntil(t, "the daemon to listen", func() bool {
		var err error
		first, err = net.Dial("tcp4", src)
		return err == nil
	})
	defer first.Close()
	second := dialT(t, src)
	head := `^<(\d+)>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d spiped\[\d+\]: (.*)\n$`
	timeout := func(c net.Conn) string {
		return "connection peer=" + c.LocalAddr().String() + " target=" + silent + " duration="
	}
	want := map[string]string{ // message (or its start) -> priority
		"Maximum number of connections (1) reached":                                         "12",
		"connection peer=- target=- duration=0.000000s to_target=0 to_source=0 cause=limit": "14",
		timeout(first):  "14",
		timeout(second): "14",
	}
	seen := map[string]bool{}
	var msgs []string
	for deadline := time.Now().Add(5 * time.Second); len(seen) < len(want); {
		b := make([]byte, 2048)
		sock.SetReadDeadline(deadline)
		n, err := sock.Read(b)
		if err != nil {
			break
		}
		msgs = append(msgs, string(b[:n]))
		m := regexp.MustCompile(head).FindStringSubmatch(string(b[:n]))
		if m == nil {
			t.Errorf("syslog got %q", b[:n])
			continue
		}
		for w, pri := range want {
			if m[2] == w || strings.HasPrefix(w, "connection peer=1") && strings.HasPrefix(m[2], w) && strings.HasSuffix(m[2], " cause=handshake-timeout") {
				if m[1] != pri {
					t.Errorf("syslog got %q at priority %s, want %s", m[2], m[1], pri)
				}
				seen[w] = true
			}
		}
	}
	d.Cmd.Process.Signal(syscall.SIGTERM)
	d.Wait(t)
	if len(seen) != len(want) {
		t.Errorf("syslog got %q; want the -n warning, a limit line and a handshake-timeout line for each client", msgs)
	}
	if out := d.Output(); out != "" {
		t.Errorf("standard error got %q under -F --syslog", out)
	}
}
