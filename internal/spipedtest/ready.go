package spipedtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/spiped-go/spiped/internal/procfs"
)

// waitListening is the one readiness rule of the kit: a daemon is ready
// once the kernel lists a listening socket at its address (spec, in
// spiped's syntax: "[host]:port" or a Unix socket's path) that the daemon
// itself holds (process pid, or its child when pid is a wrapper). No probe
// connection is made, which a daemon would serve and count. It gives up
// when exited closes or within passes.
//
// Owning matters: FreeSpec frees its port before the daemon binds it, and
// another listener that takes it meanwhile (any test running alongside)
// would otherwise pass for the daemon, which dies of EADDRINUSE while the
// test talks to a stranger (the bench harness once stalled that way).
func waitListening(spec string, pid int, exited chan struct{}, within time.Duration) bool {
	listening := func() bool { return procfs.HoldsSocket(pid, tcpListeners(spec)) }
	if strings.HasPrefix(spec, "/") {
		// The daemon refuses a path that exists: a listener there is its own.
		listening = func() bool { return unixListening(spec) }
	}
	for deadline := time.Now().Add(within); time.Now().Before(deadline); {
		select {
		case <-exited:
			return false
		default:
		}
		if listening() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// tcpListeners returns the inodes of the sockets listening on spec's port.
// It asks ss(8), which filters in the kernel, and falls back to reading
// every socket (slow when a test run leaves tens of thousands in
// TIME_WAIT).
func tcpListeners(spec string) []string {
	_, portStr, _ := net.SplitHostPort(DialAddr(spec))
	var inodes []string
	if ss, err := exec.LookPath("ss"); err == nil {
		out, _ := exec.Command(ss, "-Hltne", "sport", "=", ":"+portStr).Output()
		for _, f := range strings.Fields(string(out)) {
			if ino, ok := strings.CutPrefix(f, "ino:"); ok {
				inodes = append(inodes, ino)
			}
		}
		return inodes
	}
	port, _ := strconv.Atoi(portStr)
	want := fmt.Sprintf(":%04X", port)
	for f := range tcpSockets() {
		if len(f) > 9 && strings.HasSuffix(f[1], want) && f[3] == "0A" {
			inodes = append(inodes, f[9])
		}
	}
	return inodes
}

// unixListening reports whether /proc/net/unix lists a listening socket
// (flag __SO_ACCEPTCON) bound to path.
func unixListening(path string) bool {
	b, _ := os.ReadFile("/proc/net/unix")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 8 && f[7] == path && f[3] == "00010000" {
			return true
		}
	}
	return false
}
