package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
)

// hogEnv, set in the environment, makes the bench binary a CPU hog instead.
const hogEnv = "SPIPED_BENCH_HOG"

// hogIfAsked never returns when the process was started as the hog: it
// spins on one thread pinned to the last CPU, the way a busy neighbour
// takes a core away from the daemons.
func hogIfAsked() {
	if os.Getenv(hogEnv) == "" {
		return
	}
	runtime.GOMAXPROCS(1)
	runtime.LockOSThread()
	pinToCPU(runtime.NumCPU() - 1)
	//lint:ignore SA5002 spinning on one core is this process's whole job
	for {
	}
}

// startHog starts the bench binary again as a hog; stop kills it.
func startHog() (stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), hogEnv+"=1")
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the CPU hog: %w", err)
	}
	return func() { cmd.Process.Kill(); cmd.Wait() }, nil
}

// underHog is sc measured while a CPU hog keeps one core busy: the same
// figures under contention from another process. Its keys and labels say so.
func underHog(sc scenario) scenario {
	const suffix = "-hog"
	out := scenario{name: sc.name + suffix}
	for _, m := range sc.metrics {
		m.key += suffix
		m.label += ", CPU hog on one core"
		out.metrics = append(out.metrics, m)
	}
	out.run = func(s side) (map[string]sample, error) {
		stop, err := startHog()
		if err != nil {
			return nil, err
		}
		defer stop()
		res, err := sc.run(s)
		renamed := make(map[string]sample, len(res))
		for k, v := range res {
			renamed[k+suffix] = v
		}
		return renamed, err
	}
	return out
}
