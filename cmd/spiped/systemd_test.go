package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// notifySocket listens for a service manager's datagrams in dir.
func notifySocket(t *testing.T, dir string) (*net.UnixConn, string) {
	t.Helper()
	path := filepath.Join(dir, "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, path
}

// nextNotice returns the next datagram, failing after limit.
func nextNotice(t *testing.T, c *net.UnixConn, limit time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(limit))
	b := make([]byte, 4096)
	n, err := c.Read(b)
	if err != nil {
		t.Fatalf("waiting for a notification: %v", err)
	}
	return string(b[:n])
}

// READY=1 comes only once the listener accepts: a connect made the
// moment it arrives succeeds. STOPPING=1 comes on SIGTERM, before exit.
// Nothing else is sent, and the daemon stays silent.
func TestNotifySocket(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	for _, tc := range []struct {
		name string
		src  func() (network, spec, addr string)
	}{
		{"unix", func() (string, string, string) { p := filepath.Join(dir, "s"); return "unix", p, p }},
		{"tcp", func() (string, string, string) {
			port := spipedtest.FreeTCPPort(t)
			return "tcp", fmt.Sprintf("[127.0.0.1]:%d", port), fmt.Sprintf("127.0.0.1:%d", port)
		}},
	} {
		n, path := notifySocket(t, t.TempDir())
		network, spec, addr := tc.src()
		cmd := exec.Command(bin, "-F", "-e", "-s", spec, "-t", "[127.0.0.1]:9", "-k", key)
		cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+path)
		d := spipedtest.StartExec(t, cmd)
		if got := nextNotice(t, n, 5*time.Second); got != "READY=1" {
			t.Fatalf("%s: first notification %q, want READY=1", tc.name, got)
		}
		c, err := net.Dial(network, addr)
		if err != nil {
			t.Fatalf("%s: connect when READY=1 arrived: %v", tc.name, err)
		}
		c.Close()
		d.Cmd.Process.Signal(syscall.SIGTERM)
		if got := nextNotice(t, n, 5*time.Second); got != "STOPPING=1" {
			t.Fatalf("%s: on SIGTERM %q, want STOPPING=1", tc.name, got)
		}
		if ws := d.WaitStatus(t, 5*time.Second); !ws.Exited() || ws.ExitStatus() != 0 {
			t.Fatalf("%s: exit %v", tc.name, ws)
		}
		n.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if k, err := n.Read(make([]byte, 64)); err == nil {
			t.Errorf("%s: a further notification of %d bytes", tc.name, k)
		}
		if out := d.Output(); out != "" {
			t.Errorf("%s: stderr %q", tc.name, out)
		}
	}
}

// A daemonized spiped (no -F) notifies from the daemon, once it serves.
func TestNotifySocketDaemonized(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	n, path := notifySocket(t, dir)
	sock := filepath.Join(dir, "s")
	cmd := exec.Command(bin, "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+path)
	p := spipedtest.StartExec(t, cmd)
	if got := nextNotice(t, n, 5*time.Second); got != "READY=1" {
		t.Fatalf("got %q, want READY=1", got)
	}
	if !spipedtest.Accepting("unix", sock) {
		t.Fatal("not listening when READY=1 arrived")
	}
	if ws := p.WaitStatus(t, 5*time.Second); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("parent: %v", ws)
	}
	pid := daemonPid(t, sock+".pid")
	syscall.Kill(pid, syscall.SIGTERM)
	if got := nextNotice(t, n, 5*time.Second); got != "STOPPING=1" {
		t.Fatalf("got %q, want STOPPING=1", got)
	}
	spipedtest.WaitUntil(t, "the daemon to exit", func() bool { return gone(pid) })
}

// activated starts spiped the way a service manager does with socket
// activation: the listener as descriptor 3, LISTEN_FDS=1 and LISTEN_PID
// set to the pid of the process that runs spiped (through sh, whose $$
// exec keeps). pid overrides LISTEN_PID when not empty.
func activated(t *testing.T, dir string, l *net.TCPListener, pid string, args ...string) *spipedtest.Program {
	t.Helper()
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	script := `LISTEN_PID=$$ exec "$0" "$@"`
	if pid != "" {
		script = `LISTEN_PID=` + pid + ` exec "$0" "$@"`
	}
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, bin}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1", "LISTEN_FDNAMES=spiped")
	cmd.ExtraFiles = []*os.File{f}
	return spipedtest.StartExec(t, cmd)
}

// Socket activation: the passed listener serves -s, which is not bound,
// in the foreground and daemonized; a LISTEN_PID naming another process
// leaves the descriptor alone and binds -s as usual.
func TestSocketActivation(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	_, dsock := decrypter(t, dir, "act", key, "")
	for _, tc := range []struct {
		name     string
		flags    []string
		pid      string
		passedOK bool
	}{
		{"foreground", []string{"-F"}, "", true},
		{"daemonized", []string{"-p", filepath.Join(dir, "act.pid")}, "", true},
		{"another pid", []string{"-F"}, "1", false},
	} {
		l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		passed := l.Addr().String()
		port := spipedtest.FreeTCPPort(t)
		src := fmt.Sprintf("127.0.0.1:%d", port)
		args := append(append([]string{}, tc.flags...), "-e", "-s", "["+strings.Replace(src, ":", "]:", 1), "-t", dsock, "-k", key)
		d := activated(t, dir, l, tc.pid, args...)
		l.Close() // the child holds its own copy
		if tc.flags[0] != "-F" {
			if ws := d.WaitStatus(t, 5*time.Second); !ws.Exited() || ws.ExitStatus() != 0 {
				t.Fatalf("%s: parent %v: %q", tc.name, ws, d.Output())
			}
			pid := daemonPid(t, filepath.Join(dir, "act.pid"))
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGTERM) })
		}
		if tc.passedOK {
			spipedtest.WaitUntil(t, tc.name+": a tunnel through the passed socket", func() bool { return echoes("tcp", passed) == nil })
			if spipedtest.Accepting("tcp", src) {
				t.Errorf("%s: -s %s was bound as well", tc.name, src)
			}
		} else {
			spipedtest.WaitUntil(t, tc.name+": a tunnel through -s", func() bool { return echoes("tcp", src) == nil })
			// The descriptor is still a listening socket nobody serves:
			// a connect completes in its backlog, but nothing answers.
			c, err := net.Dial("tcp", passed)
			if err == nil {
				c.SetDeadline(time.Now().Add(300 * time.Millisecond))
				io.WriteString(c, "ping")
				if n, _ := c.Read(make([]byte, 4)); n != 0 {
					t.Errorf("%s: the passed socket was served", tc.name)
				}
				c.Close()
			}
		}
		if out := d.Output(); out != "" {
			t.Errorf("%s: stderr %q", tc.name, out)
		}
	}
}

// --drain-timeout takes seconds as -o does, with the same messages for a
// bad number; NaN is refused too; given twice, or -P twice, is a usage
// error. -P and --drain-timeout stay out of the usage text.
func TestServiceOptionErrors(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	base := []string{"-F", "-e", "-s", filepath.Join(dir, "s"), "-t", "[127.0.0.1]:9", "-k", key}
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"--drain-timeout", "abc"}, "spiped: Error parsing argument: --drain-timeout abc: Invalid argument\n"},
		{[]string{"--drain-timeout=nan"}, "spiped: Error parsing argument: --drain-timeout nan: Invalid argument\n"},
		{[]string{"--drain-timeout", "-1"}, "spiped: Error parsing argument: --drain-timeout -1: Numerical result out of range\n"},
		{[]string{"--drain-timeout", "1e999"}, "spiped: Error parsing argument: --drain-timeout 1e999: Numerical result out of range\n"},
		{[]string{"--drain-timeout", "1", "--drain-timeout", "2"}, usage},
		{[]string{"-P", "-P"}, usage},
		{[]string{"-PP"}, usage},
		{[]string{"--drain-timeout"}, "spiped: Missing argument to --drain-timeout\n" + usage},
	} {
		got := spipedtest.RunProgram(t, bin, dir, "", append(append([]string{}, base...), tc.args...)...)
		if got.Code != 1 || got.Stderr != tc.stderr {
			t.Errorf("%q: status %d, stderr %q; want 1, %q", tc.args, got.Code, got.Stderr, tc.stderr)
		}
	}
	// Accepted: a daemon that starts and stops as without them.
	for _, extra := range [][]string{{"-P"}, {"--drain-timeout", "inf"}, {"--drain-timeout=0.5"}} {
		sock := filepath.Join(dir, "ok")
		os.Remove(sock)
		d := spipedtest.StartProgram(t, bin, dir, "", append([]string{"-F", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key}, extra...)...)
		spipedtest.WaitUntil(t, fmt.Sprintf("%q to listen", extra), func() bool { return spipedtest.Accepting("unix", sock) || !running(d) })
		d.Cmd.Process.Signal(syscall.SIGTERM)
		if ws := d.WaitStatus(t, 5*time.Second); !ws.Exited() || ws.ExitStatus() != 0 || d.Output() != "" {
			t.Errorf("%q: %v, stderr %q", extra, ws, d.Output())
		}
	}
}
