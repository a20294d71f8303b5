//go:build darwin || freebsd

package engine

import "golang.org/x/sys/unix"

// newSocket returns a non-blocking, close-on-exec stream socket. macOS has
// no SOCK_NONBLOCK, so the flags are set afterwards.
func newSocket(family int) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	return fd, setFlags(fd)
}

// acceptSocket accepts one connection as a non-blocking, close-on-exec socket.
func acceptSocket(lfd int) (int, error) {
	fd, _, err := unix.Accept(lfd)
	for err == unix.EINTR {
		fd, _, err = unix.Accept(lfd)
	}
	if err != nil {
		return -1, err
	}
	return fd, setFlags(fd)
}

func setFlags(fd int) error {
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return err
	}
	return nil
}

// acceptQueueLen tells whether connections wait in a listener's accept
// queue (1) or not (0): the BSDs give no count here. Asked only at the -n
// limit.
func acceptQueueLen(lfd int) int { return pollReadable(lfd) }
