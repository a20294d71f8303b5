package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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
