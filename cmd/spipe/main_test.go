package main

import (
	"bytes"
	"context"
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
)

// bin is our spipe, built once for every test.
var bin string

const (
	refSpipe  = "/usr/bin/spipe"
	refSpiped = "/usr/bin/spiped"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spipe-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "spipe")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// reference returns path, or skips the test without it (fails under CI).
func reference(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("reference %s is required under CI: %v", path, err)
		}
		t.Skipf("reference %s not installed: %v", path, err)
	}
	return path
}

type result struct {
	stdout, stderr string
	code           int
}

// runProg runs prog to completion with stdin and returns its output and status.
func runProg(t *testing.T, prog, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not finish: stderr %q", prog, args, stderr.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %q: %v", prog, args, err)
	}
	return result{stdout.String(), stderr.String(), code}
}

const usage = `usage: spipe -t <target socket> [-b <bind address>] -k <key file> [-f | -g] [-j]
    [-o <connection timeout>]
       spipe -v
`

// fromReference turns the reference's output into what ours must print.
func fromReference(s string) string {
	s = strings.Replace(s, "usage: spipe -t <target socket> -k", "usage: spipe -t <target socket> [-b <bind address>] -k", 1)
	return strings.Replace(s, "spipe 1.6.2\n", "spipe 1.6.2-go\n", 1)
}

func writeKey(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// check runs ours (and the reference, when installed) and compares both
// with the expected status and standard error.
func check(t *testing.T, stdin string, args []string, code int, stderr string) {
	t.Helper()
	got := runProg(t, bin, stdin, args...)
	if got.code != code || got.stderr != stderr || got.stdout != "" {
		t.Errorf("spipe %q:\n got status %d, stderr %q, stdout %q\nwant status %d, stderr %q",
			args, got.code, got.stderr, got.stdout, code, stderr)
	}
	if _, err := os.Stat(refSpipe); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("reference %s is required under CI", refSpipe)
		}
		return
	}
	r := runProg(t, refSpipe, stdin, args...)
	if r.code != got.code || fromReference(r.stderr) != got.stderr || r.stdout != got.stdout {
		t.Errorf("spipe %q differs from the reference:\n ours status %d, stderr %q\n  ref status %d, stderr %q",
			args, got.code, got.stderr, r.code, r.stderr)
	}
}

func TestErrorsMatchReference(t *testing.T) {
	dir := t.TempDir()
	key := writeKey(t, dir, "key", "secret")
	nosock := filepath.Join(dir, "nosock")
	illegal := func(opt string) string { return "spipe: illegal option -- " + opt + "\n" + usage }
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 1, usage},
		{[]string{"-v"}, 0, "spipe 1.6.2-go\n"},
		{[]string{"-t", nosock}, 1, usage},
		{[]string{"-k", key}, 1, usage},
		{[]string{"-t", nosock, "-k", key, "-f", "-g"}, 1, usage},
		{[]string{"-t", nosock, "-k", key, "-j", "-j"}, 1, usage},
		{[]string{"-t", nosock, "-k", key, "extra"}, 1, usage},
		{[]string{"-t", nosock, "-k", key, "-o", "nan"}, 1, usage},
		{[]string{"-t"}, 1, "spipe: Missing argument to -t\n" + usage},
		{[]string{"-e"}, 1, illegal("-e")},
		{[]string{"-fQ"}, 1, illegal("-Q")},
		{[]string{"--syslog"}, 1, illegal("--syslog")},
		{[]string{"-t", nosock, "-k", key, "-o", "-1"}, 1, "spipe: Error parsing argument: -o -1: Numerical result out of range\n"},
		{[]string{"-t", nosock, "-k", key, "-o", "x"}, 1, "spipe: Error parsing argument: -o x: Invalid argument\n"},
		{[]string{"-t", "x", "-k", key}, 1, "spipe: Address must contain port number: x\nspipe: Error resolving socket address: x\n"},
		{[]string{"-t", nosock, "-k", filepath.Join(dir, "nokey")}, 1,
			"spipe: Cannot open file: " + filepath.Join(dir, "nokey") + ": No such file or directory\nspipe: Error reading shared secret\n"},
		{[]string{"-t", nosock, "-k", key}, 1, "spipe: Could not connect\n"},
	} {
		check(t, "", tc.args, tc.code, tc.stderr)
	}
}

// A key file that is empty, or readable by group or others, is accepted
// as the reference accepts it, with a warning before spipe goes on (here
// to fail to connect); a private non-empty key file and a key on standard
// input draw none.
func TestKeyFileWarnings(t *testing.T) {
	dir := t.TempDir()
	keyAt := func(name, content string, mode os.FileMode) string {
		p := writeKey(t, dir, name, content)
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	readable := func(p string) string { return "spipe: WARNING: key file " + p + " is readable by group or others\n" }
	empty := func(p string) string { return "spipe: WARNING: key file " + p + " is empty\n" }
	private := keyAt("private", "secret", 0o600)
	world := keyAt("world", "secret", 0o644)
	group := keyAt("group", "secret", 0o640)
	void := keyAt("void", "", 0o600)
	both := keyAt("both", "", 0o604)
	nosock := filepath.Join(dir, "nosock")
	const fail = "spipe: Could not connect\n"
	for _, tc := range []struct {
		key, stdin, want string
	}{
		{private, "", fail},
		{"-", "", fail},
		{world, "", readable(world) + fail},
		{group, "", readable(group) + fail},
		{void, "", empty(void) + fail},
		{both, "", readable(both) + empty(both) + fail},
	} {
		got := runProg(t, bin, tc.stdin, "-t", nosock, "-k", tc.key)
		if got.code != 1 || got.stderr != tc.want {
			t.Errorf("-k %s: status %d, stderr %q; want 1, %q", tc.key, got.code, got.stderr, tc.want)
		}
	}
	// With a warning, spipe still carries data.
	echo, sock := filepath.Join(dir, "echo"), filepath.Join(dir, "d")
	echoServer(t, echo)
	referenceDaemon(t, sock, echo, world)
	got := runProg(t, bin, "hello", "-t", sock, "-k", world)
	if got.code != 0 || got.stdout != "hello" || got.stderr != readable(world) {
		t.Fatalf("through the reference: status %d, stdout %q, stderr %q; want 0, %q, %q",
			got.code, got.stdout, got.stderr, "hello", readable(world))
	}
}

// echoServer copies every connection back to itself on a Unix socket.
func echoServer(t *testing.T, path string) {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				io.Copy(c, c)
				c.(*net.UnixConn).CloseWrite()
				c.Close()
			}()
		}
	}()
}

// referenceDaemon runs the reference spiped -d -F from sock to target.
func referenceDaemon(t *testing.T, sock, target, key string) {
	t.Helper()
	cmd := exec.Command(reference(t, refSpiped), "-F", "-d", "-s", sock, "-t", target, "-k", key)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(5 * time.Second); ; {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the reference spiped did not start listening")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Our spipe through the reference spiped -d to an echo server: what goes
// in comes back, and spipe exits 0 at the server's EOF.
func TestTunnelToReference(t *testing.T) {
	dir := t.TempDir()
	key := writeKey(t, dir, "key", "secret")
	echo, sock := filepath.Join(dir, "echo"), filepath.Join(dir, "d")
	echoServer(t, echo)
	referenceDaemon(t, sock, echo, key)
	msg := strings.Repeat("spipe to the reference ", 3000)
	got := runProg(t, bin, msg, "-t", sock, "-k", key)
	if got.code != 0 || got.stderr != "" || got.stdout != msg {
		t.Fatalf("status %d, stderr %q, %d bytes back; want 0, no error, the %d bytes sent",
			got.code, got.stderr, len(got.stdout), len(msg))
	}
}

// A wrong key fails the handshake, with the reference's message. (Standard
// input is empty: with data waiting, the reference races its copying
// thread and may print "Error reading: Connection reset by peer" instead.)
func TestHandshakeFailed(t *testing.T) {
	dir := t.TempDir()
	key := writeKey(t, dir, "key", "secret")
	other := writeKey(t, dir, "other", "another secret")
	echo, sock := filepath.Join(dir, "echo"), filepath.Join(dir, "d")
	echoServer(t, echo)
	referenceDaemon(t, sock, echo, other)
	check(t, "", []string{"-t", sock, "-k", key}, 1, "spipe: Handshake failed\n")
}

// SIGTERM ends spipe with status 0, even mid-handshake.
func TestSIGTERM(t *testing.T) {
	dir := t.TempDir()
	key := writeKey(t, dir, "key", "secret")
	sock := filepath.Join(dir, "silent")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cmd := exec.Command(bin, "-t", sock, "-k", key, "-o", "30")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once connected, spipe waits for a nonce that never comes.
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || stderr.Len() != 0 {
			t.Fatalf("after SIGTERM: %v, stderr %q; want status 0 and silence", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("spipe did not exit on SIGTERM")
	}
}
