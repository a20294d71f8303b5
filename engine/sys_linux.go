//go:build linux

package engine

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The calls every connection makes a few times besides reading and
// writing (closing, shutting down, setting options, registering with
// epoll) never sleep on a non-blocking socket either, so on Linux they too
// are raw system calls, without the scheduler's entersyscall and
// exitsyscall around each (see sys_unix.go).

// closeFd closes fd. An interrupted close is not retried: Linux has
// released the descriptor by then, and its number may already be reused.
func closeFd(fd int) { rawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0) }

// shutdownWrite shuts down fd's sending side.
func shutdownWrite(fd int) unix.Errno {
	for {
		_, _, e := rawSyscall(unix.SYS_SHUTDOWN, uintptr(fd), unix.SHUT_WR, 0)
		if e != unix.EINTR {
			return e
		}
	}
}

// setsockoptInt sets an integer socket option; its error is of no use to
// any caller.
func setsockoptInt(fd, level, opt, value int) {
	v := int32(value)
	unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&v)), unsafe.Sizeof(v), 0)
}
