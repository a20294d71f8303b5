//go:build darwin || freebsd

package engine

import "golang.org/x/sys/unix"

// On the BSDs and macOS these go through the unix package: macOS has no
// stable system-call numbers, only libc.

func closeFd(fd int) { unix.Close(fd) }

// shutdownWrite shuts down fd's sending side.
func shutdownWrite(fd int) unix.Errno {
	err := unix.Shutdown(fd, unix.SHUT_WR)
	for err == unix.EINTR {
		err = unix.Shutdown(fd, unix.SHUT_WR)
	}
	if err == nil {
		return 0
	}
	return err.(unix.Errno)
}

// setsockoptInt sets an integer socket option; its error is of no use to
// any caller.
func setsockoptInt(fd, level, opt, value int) { unix.SetsockoptInt(fd, level, opt, value) }
