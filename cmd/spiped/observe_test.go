package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// roundTripTCP writes msg and reads it back (through an echo).
func roundTripTCP(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if err := roundTrip(c, msg); err != nil {
		t.Fatalf("round trip: %v", err)
	}
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
