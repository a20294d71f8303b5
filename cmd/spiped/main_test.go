package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// bin is our spiped, built once for every test.
var bin string

func TestMain(m *testing.M) { spipedtest.BuildMain(m, "spiped", &bin) }

// usage is the reference's usage text with -b added, as ours prints it.
const usage = `usage: spiped {-e | -d} -s <source socket> -t <target socket> [-b <bind address>] -k <key file>
    [-DFj] [-f | -g] [-n <max # connections>] [-o <connection timeout>]
    [-p <pidfile>] [-r <rtime> | -R] [--syslog]
    [-u {<username> | <:groupname> | <username:groupname>}]
       spiped -v
`

// fixture fills dir with what the cases use: a key file and a regular file
// where a socket should go.
func fixture(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "busy"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

func expand(args []string, dir string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, "@D", dir)
	}
	return out
}

// Every case ends before serving: usage, parse errors, lookups, the key,
// binding, the pidfile and -u, with the reference's text and status.
func TestErrorsMatchReference(t *testing.T) {
	full := []string{"-e", "-s", "@D/s", "-t", "@D/t", "-k", "@D/key", "-F"}
	with := func(extra ...string) []string { return append(append([]string{}, full...), extra...) }
	illegal := func(opt string) string { return "spiped: illegal option -- " + opt + "\n" + usage }
	parseErr := func(opt, arg, errno string) string {
		return "spiped: Error parsing argument: " + opt + " " + arg + ": " + errno + "\n"
	}
	const einval, erange = "Invalid argument", "Numerical result out of range"
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 1, usage},
		{[]string{"-v"}, 0, "spiped 1.6.2-go\n"},
		{[]string{"-e", "-v"}, 0, "spiped 1.6.2-go\n"},
		{[]string{"-e", "-d"}, 1, usage},
		{[]string{"-e", "-e"}, 1, usage},
		{[]string{"-d", "-s", "@D/s", "-t", "@D/t"}, 1, usage},
		{[]string{"-d", "-s", "@D/s", "-k", "@D/key"}, 1, usage},
		{[]string{"-d", "-t", "@D/t", "-k", "@D/key"}, 1, usage},
		{with("-f", "-g"), 1, usage},
		{with("extra"), 1, usage},
		{with("-R", "-r", "5"), 1, usage},
		{with("-o", "nan"), 1, usage},
		{with("-o", "0", "-o", "1"), 1, usage},
		{with("-n", "1", "-n", "1"), 1, usage},
		{with("-F"), 1, usage},
		{[]string{"--", "-v"}, 1, usage},
		{[]string{"-"}, 1, usage},
		{[]string{"--syslog", "--syslog"}, 1, usage},
		{[]string{"-Q"}, 1, illegal("-Q")},
		{[]string{"-Qv"}, 1, illegal("-Q")},
		{[]string{"-e-"}, 1, illegal("--")},
		{[]string{"--foo=bar"}, 1, illegal("--foo=bar")},
		{[]string{"--syslog=1"}, 1, illegal("--syslog")},
		{[]string{"-e", "-s"}, 1, "spiped: Missing argument to -s\n" + usage},
		{with("-n", "abc"), 1, parseErr("-n", "abc", einval)},
		{with("-n", "5x"), 1, parseErr("-n", "5x", einval)},
		{with("-n", ""), 1, parseErr("-n", "", einval)},
		{with("-n", "08"), 1, parseErr("-n", "08", einval)},
		{with("-n", "99999999999999999999"), 1, parseErr("-n", "99999999999999999999", erange)},
		{with("-o", "abc"), 1, parseErr("-o", "abc", einval)},
		{with("-o", "1 "), 1, parseErr("-o", "1 ", einval)},
		{with("-o", "-1"), 1, parseErr("-o", "-1", erange)},
		{with("-o", "-inf"), 1, parseErr("-o", "-inf", erange)},
		{with("-o", "1e999"), 1, parseErr("-o", "1e999", erange)},
		{with("-o", "1e-320"), 1, parseErr("-o", "1e-320", erange)},
		{with("-r", "abc"), 1, parseErr("-r", "abc", einval)},
		{with("-r", "-1"), 1, parseErr("-r", "-1", erange)},
		{[]string{"-e", "-s", "x", "-t", "@D/t", "-k", "@D/key", "-F"}, 1,
			"spiped: Address must contain port number: x\nspiped: Error resolving socket address: x\n"},
		{[]string{"-e", "-s", "@D/s", "-t", "x", "-k", "@D/key", "-F"}, 1,
			"spiped: Address must contain port number: x\nspiped: Error resolving socket address: x\n"},
		{[]string{"-e", "-s", "[1.2.3.4]:0", "-t", "@D/t", "-k", "@D/key", "-F"}, 1,
			"spiped: Invalid port number: 0\nspiped: Error resolving socket address: [1.2.3.4]:0\n"},
		{[]string{"-e", "-s", "[1.2.3.4]:99999", "-t", "@D/t", "-k", "@D/key", "-F"}, 1,
			"spiped: Invalid port number: 99999\nspiped: Error resolving socket address: [1.2.3.4]:99999\n"},
		{[]string{"-e", "-s", "@D/s", "-t", "@D/t", "-k", "@D/nonexist", "-F"}, 1,
			"spiped: Cannot open file: @D/nonexist: No such file or directory\nspiped: Error reading shared secret\n"},
		{[]string{"-e", "-s", "@D/s", "-t", "@D/t", "-k", "@D", "-F"}, 1,
			"spiped: Error reading file: @D: Is a directory\nspiped: Error reading shared secret\n"},
		{[]string{"-e", "-s", "@D/busy", "-t", "@D/t", "-k", "@D/key", "-F"}, 1,
			"spiped: Error binding socket: Address already in use\n"},
		{with("-u", "nosuchuser"), 1, "spiped: No such user: nosuchuser\nspiped: Failed to drop privileges\n"},
		{with("-u", ":nosuchgroup"), 1, "spiped: No such group: nosuchgroup\nspiped: Failed to drop privileges\n"},
		{with("-u", ":"), 1, "spiped: Empty group name: \":\"\nspiped: Failed to drop privileges\n"},
		{with("-u", "nobody:"), 1, "spiped: Empty group name: \"nobody:\"\nspiped: Failed to drop privileges\n"},
		{with("-u", ""), 1, "spiped: Need to specify user and/or group: \"\"\nspiped: Failed to drop privileges\n"},
		// Daemonizing: the child cannot write its pidfile, and the parent
		// exits 1 after the child's messages.
		{[]string{"-e", "-s", "@D/s", "-t", "@D/t", "-k", "@D/key", "-p", "@D/nodir/pid"}, 1,
			"spiped: fopen(@D/nodir/pid): No such file or directory\nspiped: Failed to daemonize\n"},
		{[]string{"-e", "-s", "@D/s", "-t", "@D/t", "-k", "@D/key", "-p", "@D"}, 1,
			"spiped: fopen(@D): Is a directory\nspiped: Failed to daemonize\n"},
	}
	dir := t.TempDir()
	ref := spipedtest.ReferenceAt(t, spipedtest.ReferenceSpiped)
	for _, tc := range cases {
		args := expand(tc.args, dir)
		want := strings.ReplaceAll(tc.stderr, "@D", dir)
		fixture(t, dir)
		got := spipedtest.RunProgram(t, bin, dir, "", args...)
		spipedtest.ExpectResult(t, args, got, tc.code, want)
		if ref == "" {
			continue
		}
		fixture(t, dir)
		r := spipedtest.RunProgram(t, ref, dir, "", args...)
		spipedtest.ExpectSameAs(t, args, got, r)
	}
}

// The -b option is ours (the Debian reference lacks it); its errors follow
// the other addresses'.
func TestBindAddressErrors(t *testing.T) {
	dir := t.TempDir()
	fixture(t, dir)
	got := spipedtest.RunProgram(t, bin, dir, "", expand([]string{"-e", "-s", "@D/s", "-t", "@D/t", "-k", "@D/key", "-F", "-b", "[1.2.3.4]:0"}, dir)...)
	want := "spiped: Invalid port number: 0\nspiped: Error resolving socket address: [1.2.3.4]:0\n"
	if got.Code != 1 || got.Stderr != want {
		t.Fatalf("got status %d, stderr %q; want 1, %q", got.Code, got.Stderr, want)
	}
}

// A key file that is empty, or readable by group or others, is accepted
// as the reference accepts it, with a warning; a private non-empty key
// file and a key on standard input draw none.
func TestKeyFileWarnings(t *testing.T) {
	dir := t.TempDir()
	keyAt := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	readable := func(p string) string { return "spiped: WARNING: key file " + p + " is readable by group or others\n" }
	empty := func(p string) string { return "spiped: WARNING: key file " + p + " is empty\n" }
	private := keyAt("private", "secret", 0o600)
	world := keyAt("world", "secret", 0o644)
	group := keyAt("group", "secret", 0o640)
	void := keyAt("void", "", 0o600)
	both := keyAt("both", "", 0o604)
	for i, tc := range []struct {
		key, stdin, want string
	}{
		{private, "", ""},
		{"-", "", ""},
		{"-", "secret", ""},
		{world, "", readable(world)},
		{group, "", readable(group)},
		{void, "", empty(void)},
		{both, "", readable(both) + empty(both)},
	} {
		sock := filepath.Join(dir, fmt.Sprintf("s%d", i))
		d := spipedtest.StartProgram(t, bin, dir, tc.stdin, "-F", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", tc.key)
		spipedtest.WaitUntil(t, "spiped -k "+tc.key+" to listen", func() bool { return spipedtest.Accepting("unix", sock) || d.Cmd.ProcessState != nil })
		if out := d.Stop(t); out != tc.want {
			t.Errorf("-k %s: stderr %q; want %q", tc.key, out, tc.want)
		}
	}
}

// A smoke test through both of our daemons: plaintext client -> spiped -e
// (-F) -> spiped -d (daemonized, key from the standard input it inherits)
// -> echo.
func TestTunnel(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	echo, dsock, esock := filepath.Join(dir, "echo"), filepath.Join(dir, "d"), filepath.Join(dir, "e")
	spipedtest.ServeConns(t, "unix", echo, spipedtest.Echo)
	dec := spipedtest.StartProgram(t, bin, dir, "secret", "-d", "-s", dsock, "-t", echo, "-k", "-")
	if code := dec.Wait(t); code != 0 {
		t.Fatalf("spiped -d: parent exited %d: %q", code, dec.Output())
	}
	decPid := daemonPid(t, dsock+".pid")
	enc := spipedtest.StartProgram(t, bin, dir, "", "-F", "-e", "-s", esock, "-t", dsock, "-k", key)
	spipedtest.WaitUntil(t, "spiped -e to listen", func() bool { return spipedtest.Accepting("unix", esock) })

	c, err := net.Dial("unix", esock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := strings.Repeat("hello through the pipe ", 1000)
	go func() {
		io.WriteString(c, msg)
		c.(*net.UnixConn).CloseWrite()
	}()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || string(got) != msg {
		t.Fatalf("echo through the tunnel: %d bytes, %v; want %d bytes", len(got), err, len(msg))
	}
	enc.Stop(t)
	syscall.Kill(decPid, syscall.SIGTERM)
	spipedtest.WaitUntil(t, "spiped -d to exit", func() bool { return gone(decPid) })
	if out := dec.Output() + enc.Output(); out != "" {
		t.Errorf("unexpected output %q", out)
	}
}
