package main

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// childAttr puts a daemon in its own process group (a terminal's Ctrl-C
// reaches only the harness, which then stops the daemons itself) and has the
// kernel kill it should the harness die without cleaning up.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// raiseFileLimit lifts RLIMIT_NOFILE for the harness and, since the change
// is explicit, for the daemons it starts: holding N connections takes 2N
// descriptors in the harness and in each daemon.
func raiseFileLimit(held []int) error {
	need := uint64(1024)
	for _, n := range held {
		need = max(need, uint64(2*n+256))
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	hard := lim.Max
	// Setting the limit, even to the value Go already raised it to, also
	// makes the daemons inherit it instead of the original soft limit.
	lim.Cur = max(hard, need) // above the hard limit needs CAP_SYS_RESOURCE
	lim.Max = lim.Cur
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		return nil
	}
	lim.Cur, lim.Max = hard, hard
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	return fmt.Errorf("open-file limit %d is below the %d the held-connection runs need", hard, need)
}

// pinToCPU binds the calling thread to one CPU.
func pinToCPU(cpu int) {
	var set unix.CPUSet
	set.Set(cpu)
	unix.SchedSetaffinity(0, &set)
}
