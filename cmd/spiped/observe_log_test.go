package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

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
	d.Stop(t)
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
	e.Stop(t)
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
