//go:build linux

package engine

import "golang.org/x/sys/unix"

// newSocket returns a non-blocking, close-on-exec stream socket.
func newSocket(family int) (int, error) {
	return unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

// acceptSocket accepts one connection as a non-blocking, close-on-exec socket.
func acceptSocket(lfd int) (int, error) {
	fd, _, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	return fd, err
}
