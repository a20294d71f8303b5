package cipher

import "golang.org/x/sys/unix"

// threadCPU returns the CPU time the calling OS thread has used, in ns.
// Benchmarks report throughput per CPU second too, which stays meaningful
// when other processes share the machine.
func threadCPU() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return ts.Nano()
}
