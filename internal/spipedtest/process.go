package spipedtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StartReference runs the reference spiped (see NeedReference).
func StartReference(t testing.TB, o Opts) *Daemon {
	t.Helper()
	NeedReference(t)
	return StartProcess(t, "reference", ReferenceSpiped, o)
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// OurBinary builds cmd/spiped once per test binary. Without a TestMain
// (the engine's own tests may want it) nothing removes the directory at
// exit, so each build first clears those of earlier runs older than an hour.
func OurBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		old, _ := filepath.Glob(filepath.Join(os.TempDir(), "spiped-reliability-*"))
		for _, dir := range old {
			if fi, err := os.Stat(dir); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.RemoveAll(dir)
			}
		}
		buildDir, buildErr = os.MkdirTemp("", "spiped-reliability-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", buildDir, "github.com/spiped-go/spiped/cmd/spiped")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/spiped: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "spiped")
}

// StartBinary runs our cmd/spiped, built once per test binary.
func StartBinary(t testing.TB, o Opts) *Daemon {
	t.Helper()
	return StartProcess(t, "binary", OurBinary(t), o)
}

func daemonArgs(o Opts, spec string) []string {
	mode := "-d"
	if o.Encrypt {
		mode = "-e"
	}
	args := []string{mode, "-F", "-s", spec, "-t", o.Target, "-k", o.KeyPath}
	if o.Fast {
		args = append(args, "-f")
	}
	if o.RequireFS {
		args = append(args, "-g")
	}
	if o.Timeout > 0 {
		args = append(args, "-o", strconv.FormatFloat(o.Timeout.Seconds(), 'f', -1, 64))
	}
	if o.MaxConns >= 0 {
		args = append(args, "-n", strconv.Itoa(o.MaxConns))
	}
	return append(args, o.Extra...)
}

// StartProcess runs a spiped binary in the foreground and waits until its
// socket listens (read from /proc/net/tcp, so no probe connection is made).
func StartProcess(t testing.TB, name, bin string, o Opts) *Daemon {
	t.Helper()
	NeedProc(t)
	if o.NoFile > 0 {
		if _, err := exec.LookPath("prlimit"); err != nil {
			t.Skip("prlimit (util-linux) not installed")
		}
	}
	for attempt := 0; ; attempt++ {
		spec := o.Source
		if spec == "" {
			spec = FreeSpec(t)
		}
		args := daemonArgs(o, spec)
		var cmd *exec.Cmd
		if o.NoFile > 0 {
			n := strconv.Itoa(o.NoFile)
			cmd = exec.Command("prlimit", append([]string{"--nofile=" + n + ":" + n, "--", bin}, args...)...)
		} else if len(o.Wrap) > 0 {
			cmd = exec.Command(o.Wrap[0], append(append(o.Wrap[1:len(o.Wrap):len(o.Wrap)], bin), args...)...)
		} else {
			cmd = exec.Command(bin, args...)
		}
		d := &Daemon{Name: name, Spec: spec, Exited: make(chan struct{}), Stderr: &SyncBuffer{}}
		cmd.Stderr = d.Stderr
		if o.Stdin != nil {
			cmd.Stdin = o.Stdin // an *os.File is passed as descriptor 0 itself
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("%s: %v", bin, err)
		}
		d.Pid = cmd.Process.Pid
		go func() { d.ExitErr = cmd.Wait(); close(d.Exited) }()
		var once sync.Once
		d.Stop = func() {
			once.Do(func() {
				// A wrapped daemon first: a tracer killed before
				// its tracee would leave the tracee running.
				if d.Pid != cmd.Process.Pid {
					syscall.Kill(d.Pid, syscall.SIGKILL)
				}
				cmd.Process.Signal(syscall.SIGKILL)
				<-d.Exited
			})
		}
		t.Cleanup(d.Stop)
		if waitListening(spec, d.Pid, d.Exited, 5*time.Second) {
			if len(o.Wrap) > 0 {
				// The wrapper's only child is the daemon.
				b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", d.Pid, d.Pid))
				if f := strings.Fields(string(b)); len(f) == 1 {
					d.Pid, _ = strconv.Atoi(f[0])
				} else {
					d.Stop()
					t.Fatalf("%s under %s: want one child process, found %q", name, o.Wrap[0], b)
				}
			}
			return d
		}
		d.Stop()
		if attempt >= 3 || o.Source != "" {
			t.Fatalf("%s %s did not start listening: %v\n%s", name, strings.Join(args, " "), d.ExitErr, d.Stderr)
		}
	}
}
