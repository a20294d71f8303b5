package spipedtest

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// Opts configure a daemon under test; one value serves every launcher.
type Opts struct {
	Encrypt   bool
	Target    string // spiped address syntax
	KeyPath   string
	Key       []byte
	Fast      bool
	RequireFS bool
	Timeout   time.Duration // 0: default
	MaxConns  int           // -1: default (100); 0: unlimited
	Source    string        // "" picks a free port
	NoFile    int           // binaries only: RLIMIT_NOFILE soft and hard
	Extra     []string      // binaries only: more arguments (e.g. --pprof)
	Stdin     *os.File      // binaries only: standard input (nil: /dev/null)
	Wrap      []string      // binaries only: run under this command (e.g. strace ... ); d.pid is then the daemon's
}

// Daemon is a daemon under test, stopped when its test ends.
type Daemon struct {
	Name    string
	Spec    string
	Pid     int           // 0 in-process
	Exited  chan struct{} // binaries: closed at exit
	ExitErr error
	Stderr  *SyncBuffer
	Stop    func()
	Stats   func() any // in-process only: the engine's counters, for a failure log
}

// Addr is where a client dials the daemon.
func (d *Daemon) Addr() string { return DialAddr(d.Spec) }

// NeedProc skips where descriptors and memory cannot be read from /proc.
func NeedProc(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("these tests count descriptors and memory through /proc (Linux only)")
	}
}

// Alive reports whether a binary daemon's process is still running.
func (d *Daemon) Alive() bool {
	select {
	case <-d.Exited:
		return false
	default:
		return true
	}
}
