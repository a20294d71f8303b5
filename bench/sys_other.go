//go:build !linux

package main

import "syscall"

// childAttr puts a daemon in its own process group (a terminal's Ctrl-C
// reaches only the harness, which then stops the daemons itself).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// raiseFileLimit does nothing here: the harness measures through /proc, so
// only its Linux build runs the scenarios.
func raiseFileLimit(held []int) error { return nil }

// pinToCPU does nothing here (see raiseFileLimit).
func pinToCPU(cpu int) {}
