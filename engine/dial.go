package engine

import "golang.org/x/sys/unix"

// dial starts a non-blocking connect to a through connect, bound to bind
// if given. done reports a connect that finished at once (as Unix sockets
// do). The two addresses are written into to and from (nil: new ones).
func dial(a Addr, bind *Addr, connect func(fd int, sa unix.Sockaddr) (bool, error), to, from *sockaddrRoom) (fd int, done bool, err error) {
	sa, family, err := a.sockaddrIn(to)
	if err != nil {
		return -1, false, err
	}
	fd, err = newSocket(family)
	if err != nil {
		return -1, false, err
	}
	if bind != nil {
		bsa, _, err := bind.sockaddrIn(from)
		if err == nil {
			err = unix.Bind(fd, bsa)
		}
		if err != nil {
			unix.Close(fd)
			return -1, false, err
		}
	}
	if done, err = connect(fd, sa); err != nil {
		unix.Close(fd)
		return -1, false, err
	}
	return fd, done, nil
}

// sysConnect starts a non-blocking connect of fd to sa with connect(2).
func sysConnect(fd int, sa unix.Sockaddr) (done bool, err error) {
	switch err := unix.Connect(fd, sa); err {
	case nil:
		return true, nil
	case unix.EINPROGRESS, unix.EINTR:
		return false, nil
	default:
		return false, err
	}
}
