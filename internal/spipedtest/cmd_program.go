package spipedtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The command tests (cmd/spiped, cmd/spipe) run the built program and the
// reference side by side and compare status and output byte for byte;
// these are the launchers they share.

// BuildMain is a command package's TestMain: it builds the package in the
// current directory into a fresh directory that everyone may read (tests
// run it unprivileged too), sets *bin to it, runs the tests and exits.
func BuildMain(m *testing.M, name string, bin *string) {
	os.Exit(buildAndRun(m, name, bin))
}

func buildAndRun(m *testing.M, name string, bin *string) int {
	dir, err := os.MkdirTemp("", name+"-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	*bin = filepath.Join(dir, name)
	if out, err := exec.Command("go", "build", "-o", *bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// ProgramResult is how a program run to completion ended.
type ProgramResult struct {
	Stdout, Stderr string
	Code           int // exit status
}

// RunProgram runs prog in dir ("" for the test's own) with stdin and
// returns its output and status; a run over 10 seconds fails t.
func RunProgram(t testing.TB, prog, dir, stdin string, args ...string) ProgramResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
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
	return ProgramResult{stdout.String(), stderr.String(), code}
}

// Program is a process a test started and has not necessarily reaped: a
// daemon, or one run with -F. Its standard output and error go to a file,
// since a daemon keeps them open and a pipe would never reach EOF. The
// test's cleanup kills it if it is still there.
type Program struct {
	Cmd     *exec.Cmd
	logPath string
}

// StartProgram starts prog in dir with stdin (see Program).
func StartProgram(t testing.TB, prog, dir, stdin string, args ...string) *Program {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	return StartExec(t, cmd)
}

// StartExec starts cmd, which the caller has given an environment or extra
// descriptors, as StartProgram does.
func StartExec(t testing.TB, cmd *exec.Cmd) *Program {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "output")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return &Program{Cmd: cmd, logPath: logPath}
}

// Output is what the program has written to standard output and error.
func (p *Program) Output() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// WaitStatus waits up to limit for the program to exit and returns how it
// ended; a program still running then fails t.
func (p *Program) WaitStatus(t testing.TB, limit time.Duration) syscall.WaitStatus {
	t.Helper()
	done := make(chan struct{})
	go func() { p.Cmd.Wait(); close(done) }()
	select {
	case <-done:
		return p.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	case <-time.After(limit):
		t.Fatalf("%q did not exit within %v; output %q", p.Cmd.Args, limit, p.Output())
	}
	return 0
}

// Wait waits up to 10 seconds for the program to exit and returns its
// exit status (-1 if a signal ended it).
func (p *Program) Wait(t testing.TB) int {
	t.Helper()
	return p.WaitStatus(t, 10*time.Second).ExitStatus()
}

// ReferenceAt returns path where the reference program is installed there.
// Where it is not, a local run gets "" (the caller then checks its own
// expectations only) and a CI run, which installs it, fails t.
func ReferenceAt(t testing.TB, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is missing (scripts/install-deps.sh): %v", path, err)
		}
		return ""
	}
	return path
}

// ExpectResult reports an error on t unless got ended with code, printed
// stderr on standard error and nothing on standard output.
func ExpectResult(t testing.TB, args []string, got ProgramResult, code int, stderr string) {
	t.Helper()
	if got.Code != code || got.Stderr != stderr || got.Stdout != "" {
		t.Errorf("%q:\n got status %d, stderr %q, stdout %q\nwant status %d, stderr %q",
			args, got.Code, got.Stderr, got.Stdout, code, stderr)
	}
}

// ExpectSameAs reports an error on t unless ours ended as the reference's
// run ref did, once the reference's standard error is made ours: our usage
// lists -b, which the Debian reference lacks, and our version is marked -go.
func ExpectSameAs(t testing.TB, args []string, ours, ref ProgramResult) {
	t.Helper()
	refErr := strings.Replace(ref.Stderr, "-t <target socket> -k", "-t <target socket> [-b <bind address>] -k", 1)
	refErr = strings.Replace(refErr, " 1.6.2\n", " 1.6.2-go\n", 1)
	if ref.Code != ours.Code || refErr != ours.Stderr || ref.Stdout != ours.Stdout {
		t.Errorf("%q differs from the reference:\n ours status %d, stderr %q\n  ref status %d, stderr %q",
			args, ours.Code, ours.Stderr, ref.Code, ref.Stderr)
	}
}

// Stop sends SIGTERM, on which a daemon exits 0, and returns the program's
// output once it has; any other ending fails t.
func (p *Program) Stop(t testing.TB) string {
	t.Helper()
	p.Cmd.Process.Signal(syscall.SIGTERM)
	if code := p.Wait(t); code != 0 {
		t.Fatalf("%q: exit status %d after SIGTERM, want 0; output %q", p.Cmd.Args, code, p.Output())
	}
	return p.Output()
}
