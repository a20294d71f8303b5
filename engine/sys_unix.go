//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

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

func sysRead(fd int, p []byte) (int, unix.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(r), 0
}

func sysWrite(fd int, p []byte) (int, unix.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(r), 0
}

func sysReadv(fd int, iov []unix.Iovec) (int, unix.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_READV, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(iov))), uintptr(len(iov)))
	if e != 0 {
		return 0, e
	}
	return int(r), 0
}

func sysWritev(fd int, iov []unix.Iovec) (int, unix.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(iov))), uintptr(len(iov)))
	if e != 0 {
		return 0, e
	}
	return int(r), 0
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
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if keepalive {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	}
}

func closeFd(fd int) { unix.Close(fd) }
