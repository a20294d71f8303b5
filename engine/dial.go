package engine

import "golang.org/x/sys/unix"

// dial starts a non-blocking connect to a, bound to bind if given. done
// reports a connect that finished at once (as Unix sockets do).
func dial(a Addr, bind *Addr) (fd int, done bool, err error) {
	sa, family, err := a.sockaddr()
	if err != nil {
		return -1, false, err
	}
	fd, err = newSocket(family)
	if err != nil {
		return -1, false, err
	}
	if bind != nil {
		bsa, _, err := bind.sockaddr()
		if err == nil {
			err = unix.Bind(fd, bsa)
		}
		if err != nil {
			unix.Close(fd)
			return -1, false, err
		}
	}
	switch err := unix.Connect(fd, sa); err {
	case nil:
		return fd, true, nil
	case unix.EINPROGRESS, unix.EINTR:
		return fd, false, nil
	default:
		unix.Close(fd)
		return -1, false, err
	}
}
