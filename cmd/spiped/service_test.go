package main

import (
	"errors"
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

// replaceFile puts content at path the way a key should be rotated: a
// new file renamed over the old one.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// decrypter starts spiped -d -F on a Unix socket in dir in front of an
// echo server, with the key file key (stdin feeds -k -), and returns the
// daemon and its socket.
func decrypter(t *testing.T, dir, name, key, stdin string, extra ...string) (*spipedtest.Program, string) {
	t.Helper()
	echo, sock := filepath.Join(dir, name+".echo"), filepath.Join(dir, name+".d")
	spipedtest.ServeConns(t, "unix", echo, spipedtest.Echo)
	args := append([]string{"-F", "-d", "-s", sock, "-t", echo, "-k", key}, extra...)
	d := spipedtest.StartProgram(t, bin, dir, stdin, args...)
	spipedtest.WaitUntil(t, "spiped -d to listen", func() bool { return spipedtest.Accepting("unix", sock) })
	return d, sock
}

// encrypter starts spiped -e -F on a Unix socket in dir towards target.
func encrypter(t *testing.T, dir, name, target, key string, extra ...string) (*spipedtest.Program, string) {
	t.Helper()
	sock := filepath.Join(dir, name+".e")
	args := append([]string{"-F", "-e", "-s", sock, "-t", target, "-k", key}, extra...)
	e := spipedtest.StartProgram(t, bin, dir, "", args...)
	spipedtest.WaitUntil(t, "spiped -e to listen", func() bool { return spipedtest.Accepting("unix", sock) })
	return e, sock
}

// roundTrip sends msg on c and expects it back within 5 seconds.
func roundTrip(c net.Conn, msg string) error {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if string(got) != msg {
		return fmt.Errorf("echoed %q, want %q", got, msg)
	}
	return nil
}

// echoes dials a tunnel's plaintext end and reports whether a message
// comes back through it.
func echoes(network, addr string) error {
	c, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	return roundTrip(c, "ping")
}

// refused reports whether a connection through the tunnel at addr is
// closed without a byte coming back, as a failed handshake leaves it.
func refused(network, addr string) error {
	c, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "ping")
	n, err := c.Read(make([]byte, 16))
	if n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("read %d bytes, %v; want the connection closed", n, err)
	}
	return nil
}

// idleTunnel sets up client -> spiped -e (with extra options) -> spiped -d
// -> echo and returns the -e daemon, its socket and an established,
// working, idle connection through it.
func idleTunnel(t *testing.T, dir string, extra ...string) (*spipedtest.Program, string, net.Conn) {
	t.Helper()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	_, dsock := decrypter(t, dir, "tun", key, "")
	e, esock := encrypter(t, dir, "tun", dsock, key, extra...)
	c, err := net.Dial("unix", esock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := roundTrip(c, "established"); err != nil {
		t.Fatalf("through the tunnel: %v", err)
	}
	return e, esock, c
}

// --drain-timeout: after SIGTERM the listener closes at once, an
// established connection keeps working, and whatever is still open when
// the timeout runs out is closed; then the daemon exits 0, silently.
func TestDrainTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a 1.5 s --drain-timeout: a timeout-bound test; make test runs it")
	}
	const drain = 1500 * time.Millisecond
	e, esock, c := idleTunnel(t, t.TempDir(), "--drain-timeout", "1.5")
	sent := time.Now()
	e.Cmd.Process.Signal(syscall.SIGTERM)
	spipedtest.WaitUntil(t, "the listener to close", func() bool { return !spipedtest.Accepting("unix", esock) })
	if err := roundTrip(c, "still draining"); err != nil {
		t.Fatalf("an established connection during the drain: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(make([]byte, 16))
	closed := time.Since(sent)
	if n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %d bytes, %v; want the connection closed by the drain timeout", n, err)
	}
	if closed < drain-100*time.Millisecond || closed > drain+1500*time.Millisecond {
		t.Errorf("the idle connection was closed %v after SIGTERM; want about %v", closed, drain)
	}
	ws := e.WaitStatus(t, 5*time.Second)
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("exit: %v; want status 0", ws)
	}
	if exited := time.Since(sent); exited > drain+2*time.Second {
		t.Errorf("exited %v after SIGTERM; want soon after the %v drain", exited, drain)
	}
	if out := e.Output(); out != "" {
		t.Errorf("stderr %q, want nothing", out)
	}
}

// --drain-timeout 0 closes what is open at once.
func TestDrainTimeoutZero(t *testing.T) {
	e, _, c := idleTunnel(t, t.TempDir(), "--drain-timeout", "0")
	sent := time.Now()
	e.Cmd.Process.Signal(syscall.SIGTERM)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 16)); n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %d bytes, %v; want the connection closed", n, err)
	}
	if ws := e.WaitStatus(t, 5*time.Second); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("exit: %v; want status 0", ws)
	}
	if d := time.Since(sent); d > time.Second {
		t.Errorf("exited %v after SIGTERM; want at once", d)
	}
}

// Without --drain-timeout an idle connection keeps the daemon alive as
// long as it lasts (the reference's behaviour); it exits 0 once it ends.
func TestDrainWithoutTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 2.5 s after SIGTERM: a timeout-bound test; make test runs it")
	}
	e, esock, c := idleTunnel(t, t.TempDir())
	e.Cmd.Process.Signal(syscall.SIGTERM)
	spipedtest.WaitUntil(t, "the listener to close", func() bool { return !spipedtest.Accepting("unix", esock) })
	time.Sleep(2500 * time.Millisecond)
	if !running(e) {
		t.Fatalf("exited with a connection open: stderr %q", e.Output())
	}
	if err := roundTrip(c, "still here"); err != nil {
		t.Fatalf("the open connection 2.5 s after SIGTERM: %v", err)
	}
	c.Close()
	if ws := e.WaitStatus(t, 5*time.Second); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("exit: %v; want status 0", ws)
	}
	if out := e.Output(); out != "" {
		t.Errorf("stderr %q, want nothing", out)
	}
}

// A second SIGTERM during the drain ends the process at once, killed by
// the signal, as the reference's restored default disposition does; the
// reference is held to the same when installed.
func TestSecondSIGTERM(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	_, dsock := decrypter(t, dir, "tun", key, "")
	// The first SIGTERM has been handled once STOPPING=1 arrives: the
	// notify socket is only there to know that.
	n, path := notifySocket(t, dir)
	cmd := exec.Command(bin, "-F", "-e", "-s", filepath.Join(dir, "second"), "-t", dsock, "-k", key)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+path)
	d := spipedtest.StartExec(t, cmd)
	if got := nextNotice(t, n, 5*time.Second); got != "READY=1" {
		t.Fatalf("got %q, want READY=1", got)
	}
	c, err := net.Dial("unix", filepath.Join(dir, "second"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := roundTrip(c, "established"); err != nil {
		t.Fatal(err)
	}
	d.Cmd.Process.Signal(syscall.SIGTERM)
	if got := nextNotice(t, n, 5*time.Second); got != "STOPPING=1" {
		t.Fatalf("got %q, want STOPPING=1", got)
	}
	time.Sleep(300 * time.Millisecond)
	if !running(d) {
		t.Fatalf("exited after one SIGTERM with a connection open: %q", d.Output())
	}
	sent := time.Now()
	d.Cmd.Process.Signal(syscall.SIGTERM)
	ws := d.WaitStatus(t, 5*time.Second)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("after a second SIGTERM: %v; want killed by SIGTERM", ws)
	}
	if took := time.Since(sent); took > time.Second {
		t.Errorf("a second SIGTERM took %v", took)
	}

	// The reference, -d with a client that never handshakes (-o keeps
	// the connection open long enough).
	if _, err := os.Stat(spipedtest.ReferenceSpiped); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("reference %s is required under CI", spipedtest.ReferenceSpiped)
		}
		t.Skipf("reference not installed: %v", err)
	}
	rsock := filepath.Join(dir, "ref")
	r := spipedtest.StartProgram(t, spipedtest.ReferenceSpiped, dir, "", "-F", "-d", "-s", rsock, "-t", filepath.Join(dir, "tun.echo"), "-k", key, "-o", "30")
	spipedtest.WaitUntil(t, "the reference to listen", func() bool { return spipedtest.Accepting("unix", rsock) })
	rc, err := net.Dial("unix", rsock)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	time.Sleep(200 * time.Millisecond)
	r.Cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(500 * time.Millisecond)
	if !running(r) {
		t.Fatalf("the reference exited after one SIGTERM with a connection open")
	}
	r.Cmd.Process.Signal(syscall.SIGTERM)
	if ws := r.WaitStatus(t, 5*time.Second); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("the reference after a second SIGTERM: %v; want killed by SIGTERM", ws)
	}
}

// SIGHUP reloads the key file: new connections need the new key, the
// old one is refused, an established connection carries on; a key file
// that is missing or empty leaves the key in force, with a message;
// reloading works again once the file is fixed.
func TestSIGHUPReloadsKey(t *testing.T) {
	dir := t.TempDir()
	alpha := spipedtest.WriteKeyFile(t, dir, "alpha", "alpha")
	bravo := spipedtest.WriteKeyFile(t, dir, "bravo", "bravo")
	dkey := spipedtest.WriteKeyFile(t, dir, "dkey", "alpha")
	d, dsock := decrypter(t, dir, "hup", dkey, "")
	_, withAlpha := encrypter(t, dir, "alpha", dsock, alpha)
	_, withBravo := encrypter(t, dir, "bravo", dsock, bravo)

	if err := echoes("unix", withAlpha); err != nil {
		t.Fatalf("with the first key: %v", err)
	}
	if err := refused("unix", withBravo); err != nil {
		t.Fatalf("with the second key before SIGHUP: %v", err)
	}
	old, err := net.Dial("unix", withAlpha)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := roundTrip(old, "before"); err != nil {
		t.Fatal(err)
	}

	replaceFile(t, dkey, "bravo")
	d.Cmd.Process.Signal(syscall.SIGHUP)
	spipedtest.WaitUntil(t, "the new key to be in force", func() bool { return echoes("unix", withBravo) == nil })
	if err := refused("unix", withAlpha); err != nil {
		t.Errorf("with the old key after SIGHUP: %v", err)
	}
	if err := roundTrip(old, "after"); err != nil {
		t.Errorf("the connection established with the old key: %v", err)
	}
	if out := d.Output(); out != "" {
		t.Fatalf("a successful reload printed %q", out)
	}

	const keep = "spiped: Error reading shared secret on SIGHUP; keeping the old key: "
	os.Remove(dkey)
	d.Cmd.Process.Signal(syscall.SIGHUP)
	want := keep + "Cannot open file: " + dkey + ": No such file or directory\n"
	spipedtest.WaitUntil(t, "the message about the missing key", func() bool { return d.Output() == want })
	replaceFile(t, dkey, "")
	d.Cmd.Process.Signal(syscall.SIGHUP)
	want += keep + "key file " + dkey + " is empty\n"
	spipedtest.WaitUntil(t, "the message about the empty key", func() bool { return d.Output() == want })
	if err := echoes("unix", withBravo); err != nil {
		t.Errorf("the key in force after failed reloads: %v", err)
	}
	if err := refused("unix", withAlpha); err != nil {
		t.Errorf("the first key after failed reloads: %v", err)
	}

	replaceFile(t, dkey, "alpha")
	d.Cmd.Process.Signal(syscall.SIGHUP)
	spipedtest.WaitUntil(t, "the first key to be back", func() bool { return echoes("unix", withAlpha) == nil })
	if err := refused("unix", withBravo); err != nil {
		t.Errorf("the second key after switching back: %v", err)
	}
	if !running(d) || d.Output() != want {
		t.Fatalf("running %v, stderr %q; want still running, %q", running(d), d.Output(), want)
	}
	d.Cmd.Process.Signal(syscall.SIGTERM)
	old.Close()
	if ws := d.WaitStatus(t, 5*time.Second); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("exit: %v", ws)
	}
}

// With -k - the key cannot be read again: SIGHUP says so, and the
// daemon carries on with its key.
func TestSIGHUPKeyFromStdin(t *testing.T) {
	dir := t.TempDir()
	alpha := spipedtest.WriteKeyFile(t, dir, "alpha", "alpha")
	d, dsock := decrypter(t, dir, "stdin", "-", "alpha")
	_, esock := encrypter(t, dir, "stdin", dsock, alpha)
	d.Cmd.Process.Signal(syscall.SIGHUP)
	want := "spiped: Error reading shared secret on SIGHUP; keeping the old key: the key was read from standard input\n"
	spipedtest.WaitUntil(t, "the message", func() bool { return d.Output() == want })
	if err := echoes("unix", esock); err != nil {
		t.Fatalf("after SIGHUP: %v", err)
	}
	if !running(d) {
		t.Fatal("exited on SIGHUP")
	}
}

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
