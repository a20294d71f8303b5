package spipedtest

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// waitListening is the one readiness rule of the kit: a daemon is ready
// once the kernel lists a listening socket at its address (spec, in
// spiped's syntax: "[host]:port" or a Unix socket's path). No probe
// connection is made, which a daemon would serve and count. It gives up
// when exited closes or within passes.
func waitListening(spec string, exited chan struct{}, within time.Duration) bool {
	listening := tcpListening(spec)
	if strings.HasPrefix(spec, "/") {
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

// tcpListening asks ss(8), which filters in the kernel, whether a TCP
// socket listens on spec's port, and falls back to procListening, which reads
// every socket (slow when a test run leaves tens of thousands in
// TIME_WAIT).
func tcpListening(spec string) func() bool {
	_, portStr, _ := net.SplitHostPort(DialAddr(spec))
	if ss, err := exec.LookPath("ss"); err == nil {
		return func() bool {
			out, err := exec.Command(ss, "-Hltn", "sport", "=", ":"+portStr).Output()
			return err == nil && strings.TrimSpace(string(out)) != ""
		}
	}
	port, _ := strconv.Atoi(portStr)
	return func() bool { return procListening(port) }
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
