package spipedtest

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// WaitFDs waits until d's descriptor count is back to at most base.
func WaitFDs(t testing.TB, d *Daemon, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	n := d.FDs()
	for n > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = d.FDs()
	}
	if n > base {
		t.Errorf("%s: %d descriptors open, baseline %d: leaked\n%s", d.Name, n, base, DescribeFDs(d))
	}
}

// DescribeFDs lists a process's descriptors, sockets with their TCP
// endpoints and state, for a leak report.
func DescribeFDs(d *Daemon) string {
	dir := "/proc/self/fd"
	if d.Pid != 0 {
		dir = fmt.Sprintf("/proc/%d/fd", d.Pid)
	}
	socks := map[string]string{}
	for x := range tcpSockets() {
		if len(x) > 9 {
			socks[x[9]] = fmt.Sprintf("%s -> %s state %s", hexAddr(x[1]), hexAddr(x[2]), x[3])
		}
	}
	ents, _ := os.ReadDir(dir)
	var out strings.Builder
	for _, e := range ents {
		l, _ := os.Readlink(filepath.Join(dir, e.Name()))
		if strings.HasPrefix(l, "socket:[") {
			if s, ok := socks[strings.Trim(l[len("socket:"):], "[]")]; ok {
				l += " " + s
			}
		}
		fmt.Fprintf(&out, "  fd %s: %s\n", e.Name(), l)
	}
	return out.String()
}

// hexAddr turns /proc/net/tcp's "0100007F:1F90" into "127.0.0.1:8080".
func hexAddr(s string) string {
	ip, port, ok := strings.Cut(s, ":")
	if !ok || len(ip) != 8 {
		return s
	}
	b, _ := hex.DecodeString(ip)
	p, _ := strconv.ParseUint(port, 16, 16)
	return fmt.Sprintf("%d.%d.%d.%d:%d", b[3], b[2], b[1], b[0], p)
}

// SettleFDs returns d's descriptor count once it has stopped changing.
func SettleFDs(d *Daemon) int {
	last := d.FDs()
	stable := 0
	for range 200 {
		time.Sleep(10 * time.Millisecond)
		n := d.FDs()
		if n == last {
			stable++
			if stable >= 5 {
				break
			}
		} else {
			stable = 0
			last = n
		}
	}
	return last
}

// FDs counts the descriptors of the process running the daemon.
func (d *Daemon) FDs() int {
	dir := "/proc/self/fd"
	if d.Pid != 0 {
		dir = fmt.Sprintf("/proc/%d/fd", d.Pid)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return -1
	}
	return len(ents)
}

// RSS is the resident memory of a binary daemon in bytes.
func (d *Daemon) RSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.Pid))
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

// tcpSockets yields the fields of each socket line of /proc/net/tcp and
// /proc/net/tcp6: local and remote address in hex, state, ..., inode.
func tcpSockets() iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
			b, _ := os.ReadFile(table)
			for _, line := range strings.Split(string(b), "\n")[1:] {
				if f := strings.Fields(line); len(f) > 3 && !yield(f) {
					return
				}
			}
		}
	}
}

// CPU is the user and system time of a binary daemon in clock ticks
// (1/100 s), -1 if it cannot be read.
func (d *Daemon) CPU() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", d.Pid))
	if err != nil {
		return -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}
