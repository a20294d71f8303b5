//go:build linux

package engine

import "golang.org/x/sys/unix"

// newSocket returns a non-blocking, close-on-exec stream socket.
// A raw call, as the data path's are (sys_linux.go).
func newSocket(family int) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(family),
		unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// acceptSocket accepts one connection as a non-blocking, close-on-exec
// socket. The peer's address is not asked for: unix.Accept4 would decode
// it, and on Linux that costs a getsockopt(SO_PROTOCOL) per connection.
// accept4 on a non-blocking listener never sleeps, so it runs as a raw
// system call without the scheduler's hand-over of the P. An interrupted
// call is made again, as every data-path call is (sys_unix.go).
func acceptSocket(lfd int) (int, error) {
	for {
		r, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(lfd), 0, 0,
			unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case unix.EINTR:
		default:
			return -1, e
		}
	}
}

// acceptQueueLen is how many connections wait in a listener's accept
// queue: TCP_INFO gives a TCP listener's queue length (tcpi_unacked); for
// another listener, poll tells only whether there is at least one. Asked
// only at the -n limit.
func acceptQueueLen(lfd int) int {
	if info, err := unix.GetsockoptTCPInfo(lfd, unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
		return int(info.Unacked)
	}
	return pollReadable(lfd)
}
