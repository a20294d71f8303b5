//go:build darwin || freebsd

package engine

import "golang.org/x/sys/unix"

// kpoller is the BSD and macOS poller: one kqueue and a pipe for wake-ups
// (a pipe rather than EVFILT_USER because OpenBSD lacks the latter).
type kpoller struct {
	readinessOnly
	kq     int
	wr, rd int // wake-up pipe
	raw    [256]unix.Kevent_t
}

func newPoller() (poller, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, err
	}
	unix.CloseOnExec(kq)
	var fds [2]int
	if err := unix.Pipe(fds[:]); err != nil {
		unix.Close(kq)
		return nil, err
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
		unix.SetNonblock(fd, true)
	}
	p := &kpoller{kq: kq, rd: fds[0], wr: fds[1]}
	var ch [1]unix.Kevent_t
	unix.SetKevent(&ch[0], p.rd, unix.EVFILT_READ, unix.EV_ADD)
	if _, err := unix.Kevent(kq, ch[:], nil, nil); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *kpoller) name() string { return "kqueue" }

func (p *kpoller) add(fd int, _ fdKind) error {
	var ch [2]unix.Kevent_t
	unix.SetKevent(&ch[0], fd, unix.EVFILT_READ, unix.EV_ADD|unix.EV_CLEAR)
	unix.SetKevent(&ch[1], fd, unix.EVFILT_WRITE, unix.EV_ADD|unix.EV_CLEAR)
	_, err := unix.Kevent(p.kq, ch[:], nil, nil)
	return err
}

func (p *kpoller) wait(evs []event, timeoutMs int) (int, error) {
	var ts *unix.Timespec
	if timeoutMs >= 0 {
		t := unix.NsecToTimespec(int64(timeoutMs) * 1e6)
		ts = &t
	}
	max := min(len(evs), len(p.raw))
	n, err := unix.Kevent(p.kq, nil, p.raw[:max], ts)
	if err != nil {
		if err == unix.EINTR {
			return 0, nil
		}
		return 0, err
	}
	j := 0
	for i := 0; i < n; i++ {
		r := &p.raw[i]
		fd := int(r.Ident)
		if fd == p.rd {
			var buf [64]byte
			for {
				if m, _ := unix.Read(p.rd, buf[:]); m <= 0 {
					break
				}
			}
			continue
		}
		var f uint8
		switch int(r.Filter) {
		case unix.EVFILT_READ:
			f = evRead
		case unix.EVFILT_WRITE:
			f = evWrite
		}
		if int(r.Flags)&(unix.EV_EOF|unix.EV_ERROR) != 0 {
			f |= evHup
		}
		evs[j] = event{fd: int32(fd), flags: f}
		j++
	}
	return j, nil
}

func (p *kpoller) wake() {
	one := [1]byte{1}
	unix.Write(p.wr, one[:])
}

func (p *kpoller) close() {
	unix.Close(p.rd)
	unix.Close(p.wr)
	unix.Close(p.kq)
}
