package main

import (
	"bytes"
	"fmt"
	"net"
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
	if out := f.Stop(t); out != "" {
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

// running reports whether p has not exited (without reaping it).
func running(p *spipedtest.Program) bool {
	return p.Cmd.ProcessState == nil && !gone(p.Cmd.Process.Pid)
}
