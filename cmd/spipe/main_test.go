package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// bin is our spipe, built once for every test.
var bin string

func TestMain(m *testing.M) { spipedtest.BuildMain(m, "spipe", &bin) }

const usage = `usage: spipe -t <target socket> [-b <bind address>] -k <key file> [-f | -g] [-j]
    [-o <connection timeout>]
       spipe -v
`

// check runs ours (and the reference, when installed) and compares both
// with the expected status and standard error.
func check(t *testing.T, stdin string, args []string, code int, stderr string) {
	t.Helper()
	got := spipedtest.RunProgram(t, bin, "", stdin, args...)
	spipedtest.ExpectResult(t, args, got, code, stderr)
	if ref := spipedtest.ReferenceAt(t, spipedtest.ReferenceSpipe); ref != "" {
		spipedtest.ExpectSameAs(t, args, got, spipedtest.RunProgram(t, ref, "", stdin, args...))
	}
}

func TestErrorsMatchReference(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
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
		p := spipedtest.WriteKeyFile(t, dir, name, content)
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
		got := spipedtest.RunProgram(t, bin, "", tc.stdin, "-t", nosock, "-k", tc.key)
		if got.Code != 1 || got.Stderr != tc.want {
			t.Errorf("-k %s: status %d, stderr %q; want 1, %q", tc.key, got.Code, got.Stderr, tc.want)
		}
	}
	// With a warning, spipe still carries data.
	echo, sock := filepath.Join(dir, "echo"), filepath.Join(dir, "d")
	spipedtest.ServeConns(t, "unix", echo, spipedtest.Echo)
	spipedtest.StartReferenceSpiped(t, "unix", sock, "-d", "-t", echo, "-k", world)
	got := spipedtest.RunProgram(t, bin, "", "hello", "-t", sock, "-k", world)
	if got.Code != 0 || got.Stdout != "hello" || got.Stderr != readable(world) {
		t.Fatalf("through the reference: status %d, stdout %q, stderr %q; want 0, %q, %q",
			got.Code, got.Stdout, got.Stderr, "hello", readable(world))
	}
}

// Our spipe through the reference spiped -d to an echo server: what goes
// in comes back, and spipe exits 0 at the server's EOF.
func TestTunnelToReference(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	echo, sock := filepath.Join(dir, "echo"), filepath.Join(dir, "d")
	spipedtest.ServeConns(t, "unix", echo, spipedtest.Echo)
	spipedtest.StartReferenceSpiped(t, "unix", sock, "-d", "-t", echo, "-k", key)
	msg := strings.Repeat("spipe to the reference ", 3000)
	got := spipedtest.RunProgram(t, bin, "", msg, "-t", sock, "-k", key)
	if got.Code != 0 || got.Stderr != "" || got.Stdout != msg {
		t.Fatalf("status %d, stderr %q, %d bytes back; want 0, no error, the %d bytes sent",
			got.Code, got.Stderr, len(got.Stdout), len(msg))
	}
}

// A wrong key fails the handshake, with the reference's message. (Standard
// input is empty: with data waiting, the reference races its copying
// thread and may print "Error reading: Connection reset by peer" instead.)
func TestHandshakeFailed(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	other := spipedtest.WriteKeyFile(t, dir, "other", "another secret")
	echo, sock := filepath.Join(dir, "echo"), filepath.Join(dir, "d")
	spipedtest.ServeConns(t, "unix", echo, spipedtest.Echo)
	spipedtest.StartReferenceSpiped(t, "unix", sock, "-d", "-t", echo, "-k", other)
	check(t, "", []string{"-t", sock, "-k", key}, 1, "spipe: Handshake failed\n")
}

// SIGTERM ends spipe with status 0, even mid-handshake.
func TestSIGTERM(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	sock := filepath.Join(dir, "silent")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := spipedtest.StartProgram(t, bin, "", "", "-t", sock, "-k", key, "-o", "30")
	// Once connected, spipe waits for a nonce that never comes.
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p.Cmd.Process.Signal(syscall.SIGTERM)
	if code := p.Wait(t); code != 0 || p.Output() != "" {
		t.Fatalf("after SIGTERM: status %d, output %q; want status 0 and silence", code, p.Output())
	}
}
