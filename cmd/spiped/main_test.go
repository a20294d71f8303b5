package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
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

// fromReference turns the reference's output into what ours must print:
// our usage has -b and our version is marked -go.
func fromReference(s string) string {
	s = strings.Replace(s, "-t <target socket> -k <key file>", "-t <target socket> [-b <bind address>] -k <key file>", 1)
	return strings.Replace(s, "spiped 1.6.2\n", "spiped 1.6.2-go\n", 1)
}

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
		spipedtest.ExpectSameAs(t, args, got, r, fromReference)
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

// daemonPid reads a pidfile, which must hold only the decimal pid, and
// arranges for the daemon to be killed at the end of the test.
func daemonPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("pidfile: %v", err)
	}
	if !regexp.MustCompile(`^[1-9][0-9]*$`).Match(b) {
		t.Fatalf("pidfile %s holds %q, want a decimal pid without newline", path, b)
	}
	pid, _ := strconv.Atoi(string(b))
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

// procStat returns fields of /proc/pid/stat after the command name:
// [0] state, [1] ppid, [2] pgrp, [3] session.
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

// gone reports whether pid has exited (it may linger as a zombie until its
// new parent reaps it).
func gone(pid int) bool {
	st := procStat(pid)
	return st == nil || st[0] == "Z" || st[0] == "X"
}

// The parent exits 0 once the child listens and has written its pidfile,
// named after the -s string in the working directory by default; the
// child leads its own session; SIGTERM ends it.
func TestDaemonize(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	port := spipedtest.FreeTCPPort(t)
	src := fmt.Sprintf("[127.0.0.1]:%d", port)
	d := spipedtest.StartProgram(t, bin, dir, "", "-e", "-s", src, "-t", "[127.0.0.1]:9", "-k", key)
	if code := d.Wait(t); code != 0 {
		t.Fatalf("parent exited %d: %q", code, d.Output())
	}
	pid := daemonPid(t, filepath.Join(dir, src+".pid"))
	if !spipedtest.Accepting("tcp", fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Fatal("the daemon is not listening when its parent has exited")
	}
	st := procStat(pid)
	if st == nil || st[3] != strconv.Itoa(pid) {
		t.Fatalf("daemon %d: stat %q, want it to lead its own session", pid, st)
	}
	if pid == d.Cmd.Process.Pid {
		t.Fatal("the pidfile names the parent")
	}
	syscall.Kill(pid, syscall.SIGTERM)
	spipedtest.WaitUntil(t, "the daemon to exit on SIGTERM", func() bool { return gone(pid) })
	if out := d.Output(); out != "" {
		t.Fatalf("unexpected output %q", out)
	}
}

// -p names the pidfile; with -F there is none at all.
func TestPidfileOptionAndForeground(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	sock := filepath.Join(dir, "sock")
	d := spipedtest.StartProgram(t, bin, dir, "", "-d", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "-p", filepath.Join(dir, "my.pid"))
	if code := d.Wait(t); code != 0 {
		t.Fatalf("parent exited %d: %q", code, d.Output())
	}
	pid := daemonPid(t, filepath.Join(dir, "my.pid"))
	if _, err := os.Stat(sock + ".pid"); err == nil {
		t.Fatal("with -p, the default pidfile was written too")
	}
	syscall.Kill(pid, syscall.SIGTERM)
	spipedtest.WaitUntil(t, "the daemon to exit", func() bool { return gone(pid) })

	sock2 := filepath.Join(dir, "sock2")
	f := spipedtest.StartProgram(t, bin, dir, "", "-F", "-d", "-s", sock2, "-t", "[127.0.0.1]:9", "-k", key, "-p", filepath.Join(dir, "f.pid"))
	spipedtest.WaitUntil(t, "-F to listen", func() bool { return spipedtest.Accepting("unix", sock2) })
	for _, p := range []string{filepath.Join(dir, "f.pid"), sock2 + ".pid"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("-F wrote a pidfile %s", p)
		}
	}
	f.Cmd.Process.Signal(syscall.SIGTERM)
	if code := f.Wait(t); code != 0 {
		t.Fatalf("SIGTERM: exit status %d, want 0; stderr %q", code, f.Output())
	}
	if out := f.Output(); out != "" {
		t.Fatalf("unexpected output %q", out)
	}
}

// The daemon, often root, does not follow a symlink at the pidfile's
// path: whoever can write that directory could otherwise have it
// overwrite or create any file. It fails as for any unwritable pidfile.
func TestPidfileSymlinkNotFollowed(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	absent := filepath.Join(dir, "absent")
	for i, target := range []string{victim, absent} {
		link := filepath.Join(dir, fmt.Sprintf("link%d", i))
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		sock := filepath.Join(dir, fmt.Sprintf("s%d", i))
		d := spipedtest.StartProgram(t, bin, dir, "", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "-p", link)
		code := d.Wait(t)
		if code == 0 {
			daemonPid(t, link) // a daemon started: end it with the test
		}
		want := "spiped: fopen(" + link + "): Too many levels of symbolic links\nspiped: Failed to daemonize\n"
		if code != 1 || d.Output() != want {
			t.Errorf("-p symlink to %s: status %d, stderr %q; want 1, %q", target, code, d.Output(), want)
		}
		if b, err := os.ReadFile(victim); err != nil || string(b) != "precious" {
			t.Errorf("-p symlink to %s: the file behind it now holds %q (%v)", target, b, err)
		}
		if _, err := os.Lstat(absent); err == nil {
			t.Errorf("-p symlink to %s: created the file it names", target)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("-p symlink to %s: the symlink was replaced (%v)", target, err)
		}
	}
}

// A failed -u happens after daemonizing, as in the reference: the parent
// has already exited 0, and the daemon prints its error and exits.
func TestDropFailureAfterDaemonizing(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	sock := filepath.Join(dir, "sock")
	d := spipedtest.StartProgram(t, bin, dir, "", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "-u", "nosuchuser")
	if code := d.Wait(t); code != 0 {
		t.Fatalf("parent exited %d, want 0: %q", code, d.Output())
	}
	pid := daemonPid(t, sock+".pid")
	spipedtest.WaitUntil(t, "the daemon to fail", func() bool { return gone(pid) })
	if got, want := d.Output(), "spiped: No such user: nosuchuser\nspiped: Failed to drop privileges\n"; got != want {
		t.Fatalf("stderr %q, want %q", got, want)
	}
}

// -D daemonizes before looking anything up, then retries every second.
func TestDNSRetryDaemonizesFirst(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	sock := filepath.Join(dir, "sock")
	d := spipedtest.StartProgram(t, bin, dir, "", "-D", "-e", "-s", sock, "-t", "x", "-k", key)
	if code := d.Wait(t); code != 0 {
		t.Fatalf("parent exited %d, want 0: %q", code, d.Output())
	}
	pid := daemonPid(t, sock+".pid")
	line := "spiped: Address must contain port number: x\n"
	spipedtest.WaitUntil(t, "a second lookup", func() bool { return strings.Count(d.Output(), line) >= 2 })
	if gone(pid) {
		t.Fatal("the daemon gave up")
	}
	if out := d.Output(); strings.ReplaceAll(out, line, "") != "" {
		t.Fatalf("stderr %q, want only %q lines", out, line)
	}
	if _, err := os.Stat(sock); err == nil {
		t.Fatal("bound the source before the target resolved")
	}
}

// statusIDs returns the Uid, Gid and Groups lines of /proc/pid/status.
func statusIDs(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Uid:") || strings.HasPrefix(l, "Gid:") || strings.HasPrefix(l, "Groups:") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
	}
	return strings.Join(out, "; ")
}

// -u drops to the user and/or group and leaves the supplementary groups.
// A user alone keeps the group, exactly as the reference does.
func TestDropPrivileges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	cases := []struct{ spec, want string }{
		{"65534:65534", "Uid: 65534 65534 65534 65534; Gid: 65534 65534 65534 65534; Groups:"},
		{":65534", "Uid: 0 0 0 0; Gid: 65534 65534 65534 65534; Groups:"},
	}
	if u, err := user.Lookup("nobody"); err == nil {
		gid := strconv.Itoa(os.Getegid())
		cases = append(cases, struct{ spec, want string }{"nobody",
			fmt.Sprintf("Uid: %[1]s %[1]s %[1]s %[1]s; Gid: %[2]s %[2]s %[2]s %[2]s; Groups:", u.Uid, gid)})
	}
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	for i, tc := range cases {
		sock := filepath.Join(dir, fmt.Sprintf("s%d", i))
		d := spipedtest.StartProgram(t, bin, dir, "", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "-u", tc.spec)
		if code := d.Wait(t); code != 0 {
			t.Fatalf("-u %s: parent exited %d: %q", tc.spec, code, d.Output())
		}
		pid := daemonPid(t, sock+".pid")
		// The drop happens after the parent is told to go: wait for it.
		var got string
		spipedtest.WaitUntil(t, "the privilege drop", func() bool { got = statusIDs(t, pid); return got == tc.want })
		if !spipedtest.Accepting("unix", sock) {
			t.Errorf("-u %s: not listening after the drop", tc.spec)
		}
		syscall.Kill(pid, syscall.SIGTERM)
		spipedtest.WaitUntil(t, "the daemon to exit", func() bool { return gone(pid) })
	}
}

// Unprivileged, -u to another user fails with EPERM, and leaving
// supplementary groups only warns: both as the reference prints them.
func TestDropPrivilegesUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start the unprivileged process")
	}
	// t.TempDir's parent is private to root: make one nobody can use.
	dir, err := os.MkdirTemp("", "spiped-unprivileged")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	// nobody's own key, mode 0600: a key readable by others would add a
	// warning of ours that the reference does not print.
	if err := os.Chown(key, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	as := func(prog string, groups []uint32, args ...string) spipedtest.ProgramResult {
		cmd := exec.Command(prog, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: groups}}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", prog, err)
		}
		return spipedtest.ProgramResult{Stderr: stderr.String(), Code: code}
	}
	sock := filepath.Join(dir, "eperm")
	got := as(bin, []uint32{}, "-F", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "-u", "0")
	if want := "spiped: Failed to drop privileges: Operation not permitted\n"; got.Code != 1 || got.Stderr != want {
		t.Fatalf("got status %d, stderr %q; want 1, %q", got.Code, got.Stderr, want)
	}
	if _, err := os.Stat(spipedtest.ReferenceSpiped); err == nil {
		os.Remove(sock)
		r := as(spipedtest.ReferenceSpiped, []uint32{}, "-F", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "-u", "0")
		if r != got {
			t.Errorf("reference: status %d, stderr %q", r.Code, r.Stderr)
		}
	}
	// Still in group 5, spiped cannot leave it: it warns, and the daemon
	// carries on as the same user.
	cmd := exec.Command(bin, "-e", "-s", filepath.Join(dir, "warn"), "-t", "[127.0.0.1]:9", "-k", key, "-u", "65534", "-p", filepath.Join(dir, "w.pid"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{5}}}
	errPath := filepath.Join(dir, "w.err")
	errFile, _ := os.Create(errPath)
	cmd.Stderr = errFile
	err = cmd.Run()
	errFile.Close()
	if err != nil {
		t.Fatalf("parent: %v", err)
	}
	pid := daemonPid(t, filepath.Join(dir, "w.pid"))
	want := "spiped: Warning: Failed to leave supplementary groups\n"
	spipedtest.WaitUntil(t, "the warning", func() bool { b, _ := os.ReadFile(errPath); return string(b) == want })
	if gone(pid) {
		t.Fatal("the daemon exited after the warning")
	}
	syscall.Kill(pid, syscall.SIGTERM)
	spipedtest.WaitUntil(t, "the daemon to exit", func() bool { return gone(pid) })
}

// --pprof serves the engine's counters under /debug/vars.
func TestPprof(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	sock := filepath.Join(dir, "sock")
	addr := fmt.Sprintf("127.0.0.1:%d", spipedtest.FreeTCPPort(t))
	d := spipedtest.StartProgram(t, bin, dir, "", "-F", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "--pprof", addr)
	spipedtest.WaitUntil(t, "the debug server", func() bool { return spipedtest.Accepting("tcp", addr) })
	resp, err := http.Get("http://" + addr + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var vars struct {
		Engine map[string]any `json:"engine"` // counters, and the Ended and histogram arrays
	}
	if err := json.Unmarshal(body, &vars); err != nil {
		t.Fatalf("/debug/vars: %v: %s", err, body)
	}
	if v, ok := vars.Engine["Open"]; !ok || v != 0.0 {
		t.Fatalf("/debug/vars engine counters %v, want Open: 0", vars.Engine)
	}
	d.Cmd.Process.Signal(syscall.SIGTERM)
	if code := d.Wait(t); code != 0 {
		t.Fatalf("exit status %d: %q", code, d.Output())
	}
}

// --pprof is loopback-only: any other address (an empty host too) is
// refused with status 1 before anything is bound; loopback addresses,
// IPv4, IPv6 or by name, serve.
func TestPprofLoopbackOnly(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", ":6060", "[::ffff:0.0.0.0]:0", "1.2.3.4:0"} {
		sock := filepath.Join(dir, "refused")
		got := spipedtest.RunProgram(t, bin, dir, "", "-F", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "--pprof", addr)
		want := "spiped: --pprof address must be a loopback address: " + addr + "\n"
		if got.Code != 1 || got.Stderr != want {
			t.Errorf("--pprof %s: status %d, stderr %q; want 1, %q", addr, got.Code, got.Stderr, want)
		}
		if _, err := os.Lstat(sock); err == nil {
			t.Errorf("--pprof %s: the source socket was bound before the refusal", addr)
			os.Remove(sock)
		}
		// Without -F, the parent refuses before it starts a daemon.
		got = spipedtest.RunProgram(t, bin, dir, "", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "--pprof", addr)
		if got.Code != 1 || got.Stderr != want {
			t.Errorf("--pprof %s (daemon): status %d, stderr %q; want 1, %q", addr, got.Code, got.Stderr, want)
		}
		if _, err := os.Lstat(sock + ".pid"); err == nil {
			t.Errorf("--pprof %s (daemon): a daemon started", addr)
		}
	}
	hosts := []string{"127.0.0.1", "localhost"}
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		l.Close()
		hosts = append(hosts, "[::1]")
	} else {
		t.Logf("no IPv6 loopback here, not trying [::1]: %v", err)
	}
	for i, host := range hosts {
		sock := filepath.Join(dir, fmt.Sprintf("ok%d", i))
		port := spipedtest.FreeTCPPort(t)
		addr := fmt.Sprintf("%s:%d", host, port)
		d := spipedtest.StartProgram(t, bin, dir, "", "-F", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "--pprof", addr)
		spipedtest.WaitUntil(t, "the debug server on "+addr, func() bool { return spipedtest.Accepting("tcp", addr) || d.Cmd.ProcessState != nil })
		d.Cmd.Process.Signal(syscall.SIGTERM)
		if code := d.Wait(t); code != 0 || d.Output() != "" {
			t.Errorf("--pprof %s: exit status %d, stderr %q; want 0 and silence", addr, code, d.Output())
		}
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
		d.Cmd.Process.Signal(syscall.SIGTERM)
		if code := d.Wait(t); code != 0 || d.Output() != tc.want {
			t.Errorf("-k %s: exit status %d, stderr %q; want 0, %q", tc.key, code, d.Output(), tc.want)
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
	enc.Cmd.Process.Signal(syscall.SIGTERM)
	if code := enc.Wait(t); code != 0 {
		t.Errorf("spiped -e: exit status %d after SIGTERM: %q", code, enc.Output())
	}
	syscall.Kill(decPid, syscall.SIGTERM)
	spipedtest.WaitUntil(t, "spiped -d to exit", func() bool { return gone(decPid) })
	if out := dec.Output() + enc.Output(); out != "" {
		t.Errorf("unexpected output %q", out)
	}
}

// engineTotal reads the engine's count of accepted connections from --pprof.
func engineTotal(addr string) int64 {
	resp, err := http.Get("http://" + addr + "/debug/vars")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var vars struct {
		Engine map[string]any `json:"engine"` // counters, and the Ended and histogram arrays
	}
	if json.NewDecoder(resp.Body).Decode(&vars) != nil {
		return -1
	}
	total, ok := vars.Engine["Total"].(float64)
	if !ok {
		return -1
	}
	return int64(total)
}

// Warnings go to standard error; --syslog sends them to syslog instead,
// in a daemon and (ours: the reference keeps standard error) under -F.
func TestSyslogAfterDaemonizing(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	silent, err := net.Listen("unix", filepath.Join(dir, "silent"))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	const warning = "spiped: Maximum number of connections (1) reached\n"
	for i, tc := range []struct {
		flags  []string
		stderr bool
	}{
		{[]string{"-F", "--syslog"}, false},
		{[]string{"-F"}, true},
		{nil, true},
		{[]string{"--syslog"}, false},
	} {
		sock := filepath.Join(dir, fmt.Sprintf("s%d", i))
		debug := fmt.Sprintf("127.0.0.1:%d", spipedtest.FreeTCPPort(t))
		args := append([]string{"-e", "-n", "1", "-s", sock, "-t", silent.Addr().String(), "-k", key, "--pprof", debug}, tc.flags...)
		d := spipedtest.StartProgram(t, bin, dir, "", args...)
		if len(tc.flags) == 0 || tc.flags[0] != "-F" {
			if code := d.Wait(t); code != 0 {
				t.Fatalf("%q: parent exited %d: %q", tc.flags, code, d.Output())
			}
			daemonPid(t, sock+".pid")
		}
		spipedtest.WaitUntil(t, "the socket", func() bool { return spipedtest.Accepting("unix", sock) })
		// That probe was the first connection: the limit is reached.
		spipedtest.WaitUntil(t, "the connection to be counted", func() bool { return engineTotal(debug) == 1 })
		if tc.stderr {
			spipedtest.WaitUntil(t, "the warning on standard error", func() bool { return d.Output() == warning })
		} else {
			time.Sleep(100 * time.Millisecond)
			if out := d.Output(); out != "" {
				t.Errorf("%q: standard error got %q", tc.flags, out)
			}
		}
	}
}
