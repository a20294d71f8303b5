package spipedtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

func waitListening(spec string, exited chan struct{}, within time.Duration) bool {
	_, portStr, _ := net.SplitHostPort(DialAddr(spec))
	port, _ := strconv.Atoi(portStr)
	ss, ssErr := exec.LookPath("ss")
	want := fmt.Sprintf(":%04X", port)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if ssErr == nil {
			out, err := exec.Command(ss, "-Hltn", "sport", "=", ":"+portStr).Output()
			if err == nil && len(bytes.TrimSpace(out)) > 0 {
				return true
			}
		} else {
			b, _ := os.ReadFile("/proc/net/tcp")
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Fields(line)
				if len(f) > 3 && strings.HasSuffix(f[1], want) && f[3] == "0A" {
					return true
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}
