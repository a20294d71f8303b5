//go:build linux

package engine

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// epoller is the Linux poller where io_uring is refused: one epoll
// instance and an eventfd for wake-ups.
type epoller struct {
	readinessOnly
	epfd   int
	wakefd int
	raw    [256]unix.EpollEvent
}

// newPoller returns the io_uring poller, or where io_uring is refused (an
// old kernel, a seccomp filter, io_uring_disabled) or SPIPED_POLLER=epoll
// is set, the epoll one.
func newPoller() (poller, error) {
	if os.Getenv("SPIPED_POLLER") != "epoll" {
		if p, err := newRingPoller(); err == nil {
			return p, nil
		}
	}
	return newEpoller()
}

func newEpoller() (*epoller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	// The wake-up descriptor is level-triggered and drained on each report.
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev); err != nil {
		unix.Close(wfd)
		unix.Close(epfd)
		return nil, err
	}
	return &epoller{epfd: epfd, wakefd: wfd}, nil
}

func (p *epoller) name() string { return "epoll" }

func (p *epoller) add(fd int, _ fdKind) error {
	ev := unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET,
		Fd:     int32(fd),
	}
	// A raw call, as the data path's are (sys_linux.go).
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(p.epfd), unix.EPOLL_CTL_ADD,
		uintptr(fd), uintptr(unsafe.Pointer(&ev)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func (p *epoller) wait(evs []event, timeoutMs int) (int, error) {
	max := min(len(evs), len(p.raw))
	n, err := unix.EpollWait(p.epfd, p.raw[:max], timeoutMs)
	if err != nil {
		if err == unix.EINTR {
			return 0, nil
		}
		return 0, err
	}
	j := 0
	for i := 0; i < n; i++ {
		r := &p.raw[i]
		if int(r.Fd) == p.wakefd {
			var buf [8]byte
			unix.Read(p.wakefd, buf[:])
			continue
		}
		evs[j] = event{fd: r.Fd, flags: pollFlags(r.Events)}
		j++
	}
	return j, nil
}

// pollFlags turns a poll mask, epoll's or poll(2)'s (Linux gives both
// the same bits), into an event's flags.
func pollFlags(m uint32) uint8 {
	var f uint8
	if m&unix.POLLIN != 0 {
		f |= evRead
	}
	if m&unix.POLLOUT != 0 {
		f |= evWrite
	}
	if m&(unix.POLLERR|unix.POLLHUP|unix.POLLRDHUP) != 0 {
		f |= evHup
	}
	return f
}

func (p *epoller) wake() {
	one := [8]byte{1}
	unix.Write(p.wakefd, one[:])
}

func (p *epoller) close() {
	unix.Close(p.wakefd)
	unix.Close(p.epfd)
}
