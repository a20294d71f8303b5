package engine_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// needStrace returns strace's path once a trivial trace works here; it
// skips where strace is missing or cannot trace, and fails under CI, which
// installs it (scripts/install-deps.sh).
func needStrace(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("strace")
	if err == nil {
		var out []byte
		if out, err = exec.Command(path, "-f", "-qq", "-o", os.DevNull, "true").CombinedOutput(); err != nil {
			err = fmt.Errorf("%v: %s", err, out)
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but strace does not work: %v (scripts/install-deps.sh)", err)
		}
		t.Skipf("strace unusable here (%v): the system-call check is skipped", err)
	}
	return path
}

// Our binary under strace through the early-data clients and an ordinary
// connection: once it listens, no system call may name descriptor 0, 1 or 2
// but write(2, ...) (a warning). The Go runtime checks descriptors 0-2 at
// start-up, before the listen, which is fine. The reference is the control
// that shows the check passes a correct daemon.
func TestTimingStraceNoStdio(t *testing.T) {
	seed := spipedtest.Seed(t)
	strace := needStrace(t)
	for _, im := range hostileImpls() {
		if im.name == "engine" {
			continue // its system calls are this test binary's
		}
		t.Run(im.name, func(t *testing.T) {
			ownProcessParallel(t, im)
			rp, st := slowReplier(t)
			keyPath, key := spipedtest.KeyFile(t, []byte("strace key"))
			cn := newCanary(t)
			trace := filepath.Join(t.TempDir(), "strace.out")
			d := im.start(t, spipedtest.Opts{Target: spipedtest.SpecOfAddr(st.Addr()), KeyPath: keyPath, Key: key, MaxConns: -1, Stdin: cn.r,
				Wrap: []string{strace, "-f", "-qq", "-e", "trace=%desc,%network", "-o", trace}})
			runEarly(t, d, st, rp, key, seed, earlyData, earlyDataLater, earlyFIN, earlyReset)
			honestAfter(t, d, key, seed)
			cn.check(t, d.Name)
			// Stop the daemon so that strace has written everything;
			// one frozen in a read kills the signal's drain, so it is
			// killed after a while and its trace still read.
			syscall.Kill(d.Pid, syscall.SIGTERM)
			select {
			case <-d.Exited:
			case <-time.After(5 * time.Second):
				t.Errorf("%s under strace still running 5 s after SIGTERM", d.Name)
				syscall.Kill(d.Pid, syscall.SIGKILL)
				select {
				case <-d.Exited:
				case <-time.After(5 * time.Second):
					t.Fatalf("strace still running 5 s after its tracee was killed")
				}
			}
			log, err := os.ReadFile(trace)
			if err != nil {
				t.Fatal(err)
			}
			uses, after := stdioUses(string(log))
			t.Logf("%d system calls traced after the listen", after)
			if after < 20 {
				t.Fatalf("only %d system calls traced after the listen: the check proves nothing\n%s", after, clip(log))
			}
			if len(uses) > 0 {
				t.Errorf("%s named its standard descriptors after listening:\n%s", d.Name, listUses(uses))
			}
		})
	}
}
