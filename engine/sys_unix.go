//go:build linux || darwin || freebsd

package engine

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The data path's system calls return a bare Errno (0 for success), so the
// hot path never builds an error value, and take preallocated iovec arrays,
// which the unix package's Readv/Writev would allocate afresh for more than
// eight buffers. Every descriptor is non-blocking, so these calls never
// sleep: they are raw system calls, without the scheduler's entersyscall and
// exitsyscall around each (which also wake the runtime's sysmon thread when
// it sleeps).
//
// Each retries a call interrupted by a signal (EINTR) itself, so no caller
// handles EINTR: under edge-triggered polling, taking it for EAGAIN would
// wait for an edge that never comes.

// rawSyscall is unix.RawSyscall; a variable only so that tests can make a
// call fail as the kernel rarely does (EINTR). The buffers passed are heap
// memory that the caller keeps referenced across the call.
var rawSyscall = unix.RawSyscall

// result turns a raw call's outcome into a count or an Errno; retry
// reports an interrupted call to be made again.
func result(r uintptr, e unix.Errno) (n int, err unix.Errno, retry bool) {
	if e == unix.EINTR {
		return 0, 0, true
	}
	if e != 0 {
		return 0, e, false
	}
	return int(r), 0, false
}

func sysRead(fd int, p []byte) (int, unix.Errno) {
	for {
		r, _, e := rawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
		if n, err, retry := result(r, e); !retry {
			return n, err
		}
	}
}

func sysWrite(fd int, p []byte) (int, unix.Errno) {
	for {
		r, _, e := rawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
		if n, err, retry := result(r, e); !retry {
			return n, err
		}
	}
}

func sysReadv(fd int, iov []unix.Iovec) (int, unix.Errno) {
	for {
		r, _, e := rawSyscall(unix.SYS_READV, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(iov))), uintptr(len(iov)))
		if n, err, retry := result(r, e); !retry {
			return n, err
		}
	}
}

func sysWritev(fd int, iov []unix.Iovec) (int, unix.Errno) {
	for {
		r, _, e := rawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(iov))), uintptr(len(iov)))
		if n, err, retry := result(r, e); !retry {
			return n, err
		}
	}
}

// setIovec points v at p.
func setIovec(v *unix.Iovec, p []byte) {
	v.Base = unsafe.SliceData(p)
	v.SetLen(len(p))
}

// tuneData sets what the data phase wants on a socket: no Nagle delay and,
// unless disabled, keepalives. Errors (a Unix socket has neither option)
// are of no consequence.
func tuneData(fd int, keepalive bool) {
	setsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if keepalive {
		setsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	}
}

// pollReadable is 1 if fd is readable now, else 0 (poll, no wait).
func pollReadable(fd int) int {
	pfd := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if n, err := unix.Poll(pfd[:], 0); err == nil && n > 0 {
		return 1
	}
	return 0
}
