// Package procfs reads what Linux's /proc says about processes, for the
// test kit and the bench harness.
package procfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// HoldsSocket reports whether process pid, or one of its children (pid may
// be a wrapper such as strace), holds a descriptor for one of the socket
// inodes. A daemon that listens must hold the listening socket: another
// process's listener on the same port is not the daemon's.
func HoldsSocket(pid int, inodes []string) bool {
	if len(inodes) == 0 {
		return false
	}
	pids := []string{strconv.Itoa(pid)}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	pids = append(pids, strings.Fields(string(b))...)
	for _, p := range pids {
		dir := "/proc/" + p + "/fd"
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			link, err := os.Readlink(dir + "/" + e.Name())
			if err != nil {
				continue
			}
			for _, ino := range inodes {
				if link == "socket:["+ino+"]" {
					return true
				}
			}
		}
	}
	return false
}
